/**
 * `npm run bench`: every benchmark module in bench/ (each exports `bench<Name>(opts)` returning
 * rows), printed as one table and written to out/bench/bench.json. `--quick` runs reduced sizes;
 * `--only kernels,core` selects modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatTable } from '../src/io/output';
import { writeJson } from '../src/io/output';
import type { BenchRow } from './types';


async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? args[onlyIdx + 1]?.split(',') : null;
  const dir = __dirname;
  const modules = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .map((f) => f.replace(/\.ts$/, ''))
    .filter((m) => !only || only.includes(m))
    .sort((a, b) => (a === 'kernels' ? -1 : b === 'kernels' ? 1 : a === 'core' ? -1 : b === 'core' ? 1 : a.localeCompare(b)));
  const all: (BenchRow & { module: string })[] = [];
  for (const m of modules) {
    const mod = (await import(path.join(dir, `${m}.ts`))) as Record<string, unknown>;
    const fn = Object.entries(mod).find(([k, v]) => k.startsWith('bench') && typeof v === 'function')?.[1] as
      | ((o: { quick: boolean }) => Promise<BenchRow[]>)
      | undefined;
    if (!fn) continue;
    process.stderr.write(`bench: ${m}...\n`);
    const t0 = performance.now();
    try {
      const rows = await fn({ quick });
      for (const r of rows) all.push({ module: m, ...r });
    } catch (e) {
      all.push({ module: m, name: 'error', size: '', value: NaN, unit: '', note: e instanceof Error ? e.message : String(e) });
    }
    process.stderr.write(`bench: ${m} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  console.log(
    formatTable(
      ['module', 'benchmark', 'size', 'value', 'unit', 'note'],
      all.map((r) => [r.module, r.name, r.size, r.value, r.unit, r.note ?? '']),
    ),
  );
  const file = path.resolve(dir, '..', 'out', 'bench', 'bench.json');
  writeJson(file, { date: new Date().toISOString(), node: process.version, quick, rows: all });
  console.log(`\nwritten: ${path.relative(process.cwd(), file)}`);
}

main().catch((e) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
