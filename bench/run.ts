/**
 * `npm run bench`: every benchmark module in bench/ (each exports `bench<Name>(opts)` returning
 * rows), printed as one table and written as JSON (default out/bench/bench.json).
 *
 *   npm run bench                      every module, full size
 *   npm run bench -- --quick           reduced sizes (the whole suite in about 2 minutes)
 *   npm run bench -- --only kernels,solvers --out /tmp/bench.json
 *
 * Rows may carry their timing spread (`min`, `max`, `repeats`, and `seconds` for the median): the
 * table shows it as a spread column and the JSON keeps every field. A module that throws gives one
 * 'error' row with the message instead of stopping the suite. Timings taken while the machine is
 * shared with other work are pessimistic.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatTable, writeJson } from '../src/io/output';
import type { BenchRow } from './types';

export interface SuiteRow extends BenchRow {
  module: string;
  min?: number;
  max?: number;
  repeats?: number;
  seconds?: number;
}

export interface SuiteResult {
  date: string;
  node: string;
  platform: string;
  quick: boolean;
  modules: { name: string; seconds: number; rows: number; error?: string }[];
  rows: SuiteRow[];
}

/** Module names in bench/ (every .ts except this runner and types.ts), kernels and core first. */
export function benchModules(): string[] {
  return fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && f !== 'types.ts')
    .map((f) => f.replace(/\.ts$/, ''))
    .sort((a, b) => (a === 'kernels' ? -1 : b === 'kernels' ? 1 : a === 'core' ? -1 : b === 'core' ? 1 : a.localeCompare(b)));
}

/** Run the suite (or the modules in `only`), write the JSON to `out`, and return what was written. */
export async function runBench(opts: { quick: boolean; only?: readonly string[] | null; out?: string; log?: (line: string) => void }): Promise<SuiteResult & { file: string }> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const known = benchModules();
  for (const m of opts.only ?? []) {
    if (!known.includes(m)) throw new Error(`unknown benchmark module '${m}'; modules: ${known.join(', ')}`);
  }
  const modules = known.filter((m) => !opts.only || opts.only.includes(m));
  const result: SuiteResult = { date: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, quick: opts.quick, modules: [], rows: [] };
  for (const m of modules) {
    const mod = (await import(path.join(__dirname, `${m}.ts`))) as Record<string, unknown>;
    const fn = Object.entries(mod).find(([k, v]) => k.startsWith('bench') && typeof v === 'function')?.[1] as
      | ((o: { quick: boolean }) => Promise<BenchRow[]>)
      | undefined;
    if (!fn) continue;
    log(`bench: ${m}...`);
    const t0 = performance.now();
    let error: string | undefined;
    let count = 0;
    try {
      const rows = await fn({ quick: opts.quick });
      for (const r of rows) result.rows.push({ module: m, ...r });
      count = rows.length;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      result.rows.push({ module: m, name: 'error', size: '', value: NaN, unit: '', note: error });
    }
    const seconds = (performance.now() - t0) / 1000;
    result.modules.push({ name: m, seconds, rows: count, ...(error ? { error } : {}) });
    log(`bench: ${m} done in ${seconds.toFixed(1)} s`);
  }
  const file = path.resolve(opts.out ?? path.join(__dirname, '..', 'out', 'bench', 'bench.json'));
  writeJson(file, result);
  return { ...result, file };
}

/** The timing spread of a row (min–max of its repeats), when it has one. */
function spread(r: SuiteRow): string {
  if (r.min === undefined || r.max === undefined) return '';
  const t = (x: number) => (x < 1e-3 ? `${(x * 1e6).toPrecision(3)} µs` : x < 1 ? `${(x * 1e3).toPrecision(3)} ms` : `${x.toPrecision(3)} s`);
  return `${t(r.min)}–${t(r.max)}${r.repeats ? ` (${r.repeats} runs)` : ''}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? (args[onlyIdx + 1]?.split(',') ?? []) : null;
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 ? args[outIdx + 1] : undefined;
  const t0 = performance.now();
  const res = await runBench({ quick, only, out });
  console.log(
    formatTable(
      ['module', 'benchmark', 'size', 'value', 'unit', 'spread', 'note'],
      res.rows.map((r) => [r.module, r.name, r.size, r.value, r.unit, spread(r), r.note ?? '']),
    ),
  );
  console.log(`\n${res.rows.length} rows in ${((performance.now() - t0) / 1000).toFixed(0)} s${quick ? ' (quick)' : ''}; written: ${path.relative(process.cwd(), res.file)}`);
  console.log('(timings on a machine shared with other work are pessimistic)');
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
}
