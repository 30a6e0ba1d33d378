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

/**
 * A module by absolute path: `import()` where the loader takes TypeScript (tsx's CLI, vitest, the
 * compiled package's .js); in a worker thread, where only tsx's CommonJS hook is registered
 * (src/parallel/worker.cjs) and `import()` refuses a .ts file, `require`.
 */
async function importFile(file: string): Promise<{ studyCases?: unknown }> {
  try {
    return (await import(file)) as { studyCases?: unknown };
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
    return require(file) as { studyCases?: unknown };
  }
}

/** Import every model's study file (once) and register its cases; resolves to the registry. */
export function loadStudyCases(): Promise<Registry<SolverStudyCase>> {
  loaded ??= (async () => {
    for (const file of studyFiles()) {
      const mod = await importFile(file);
      if (!Array.isArray(mod.studyCases)) throw new Error(`${file} must export studyCases: SolverStudyCase[] (models/solver-study/case.ts)`);
      for (const c of mod.studyCases as SolverStudyCase[]) studyCaseRegistry.register(c.id, c);
    }
    return studyCaseRegistry;
  })();
  return loaded;
}
