/**
 * The registry of solver-study cases: every `models/<model>/study.ts` (study.js in the compiled
 * package) that exports `studyCases: SolverStudyCase[]` is imported once and its cases registered
 * by id, in folder order. A model adds its learning problems to the study by adding that file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Registry } from '../../src/core/registry';
import type { SolverStudyCase } from './case';

export const studyCaseRegistry = new Registry<SolverStudyCase>('solver-study case');

let loaded: Promise<Registry<SolverStudyCase>> | null = null;

/** The study files under `modelsDir`, one per model folder that has one. */
export function studyFiles(modelsDir = path.resolve(__dirname, '..')): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(modelsDir).sort()) {
    const file = ['study.ts', 'study.js'].map((f) => path.join(modelsDir, name, f)).find((f) => fs.existsSync(f));
    if (file) out.push(file);
  }
  return out;
}

/** Import every model's study file (once) and register its cases; resolves to the registry. */
export function loadStudyCases(): Promise<Registry<SolverStudyCase>> {
  loaded ??= (async () => {
    for (const file of studyFiles()) {
      const mod = (await import(file)) as { studyCases?: unknown };
      if (!Array.isArray(mod.studyCases)) throw new Error(`${file} must export studyCases: SolverStudyCase[] (models/solver-study/case.ts)`);
      for (const c of mod.studyCases as SolverStudyCase[]) studyCaseRegistry.register(c.id, c);
    }
    return studyCaseRegistry;
  })();
  return loaded;
}
