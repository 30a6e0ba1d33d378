/**
 * `npm run bench`: every benchmark module in bench/ (each exports `bench<Name>(opts)` returning
 * rows), printed as one table and written as JSON (default out/bench/bench.json).
 *
 *   npm run bench                      every module, full size
 *   npm run bench -- --quick           reduced sizes (the whole suite in about 2 minutes)
 *   npm run bench -- --only kernels,solvers --out /tmp/bench.json
 *   npm run bench -- --against 92e2039 --rounds 3 --quick
 *                                      side by side with another commit (or folder): each module
 *                                      runs in both trees in fresh processes, alternating which
 *                                      goes first, and every row both print gets its slowdown
 *                                      new ÷ old (time-like units) or old ÷ new (rates), median
 *                                      and spread over the rounds, flagged above 1.05 (a module
 *                                      with `sideBySide`, such as scaling, times both trees in one
 *                                      process with its own code instead)
 *
 * Rows may carry their timing spread (`min`, `max`, `repeats`, and `seconds` for the median): the
 * table shows it as a spread column and the JSON keeps every field. A module that throws gives one
 * 'error' row with the message instead of stopping the suite. Timings taken while the machine is
 * shared with other work are pessimistic.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatTable, writeJson } from '../src/io/output';
import { checkoutTree } from './checkout';
import { median, type BenchRow, type PairRow } from './types';

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

/** Module names in bench/ (every .ts except this runner and its helpers types.ts and checkout.ts), kernels and core first. */
export function benchModules(): string[] {
  return fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && !['run.ts', 'types.ts', 'checkout.ts'].includes(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort((a, b) => (a === 'kernels' ? -1 : b === 'kernels' ? 1 : a === 'core' ? -1 : b === 'core' ? 1 : a.localeCompare(b)));
}

/**
 * A module's benchmark: its export `bench<Name>` (bench/dfc.ts: benchDfc). By that name, not the
 * first export that starts with 'bench': those sort alphabetically, so dfc, dll and lif ran their
 * side-by-side functions (benchAgainst…) with the options as a commit, and gave one error row each.
 */
export async function mainOf(m: string): Promise<(o: { quick: boolean }) => Promise<BenchRow[]>> {
  const name = `bench${m[0].toUpperCase()}${m.slice(1)}`;
  const fn = ((await import(path.join(__dirname, `${m}.ts`))) as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new Error(`bench/${m}.ts exports no ${name}(opts), the function the suite runs`);
  return fn as (o: { quick: boolean }) => Promise<BenchRow[]>;
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
    const fn = await mainOf(m);
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

/**
 * Whether a row's value is a speed, and which way is faster: time-like units (s, ms, µs/step,
 * overhead ratios) are better lower, rates (…/s, speed-ups ×) higher; anything else (a fitted
 * exponent, an error) is not a speed and gets no verdict.
 */
export function speedDirection(unit: string): 'lower' | 'higher' | null {
  if (/\/s$|^x\b|^x$/.test(unit)) return 'higher';
  if (/^(s|ms|µs|ns)(\b|\/)|^ratio$/.test(unit)) return 'lower';
  return null;
}

export interface AgainstRow {
  module: string;
  name: string;
  size: string;
  unit: string;
  /** The row times another implementation (its slowdown only gauges the machine's noise). */
  external: boolean;
  /** Per round: new ÷ old for time-like units, old ÷ new for rates (> 1: this tree is slower). */
  slowdowns: number[];
  newValues: number[];
  oldValues: number[];
}

/**
 * Every module in both trees, `rounds` times, each run a fresh process of that tree's own
 * bench/run.ts (`--only <module>`), the order alternating between rounds; rows are matched by
 * module, name and size. A module that exports `sideBySide` (bench/types.ts `PairRow`) times both
 * trees itself, with its own code, in this process.
 */
export async function benchAgainst(opts: { ref: string; rounds: number; quick: boolean; only?: readonly string[] | null; log?: (line: string) => void }): Promise<AgainstRow[]> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const root = path.join(__dirname, '..');
  const other = checkoutTree(opts.ref);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-against-'));
  try {
    const theirs = new Set(fs.readdirSync(path.join(other.dir, 'bench')).map((f) => f.replace(/\.ts$/, '')));
    const modules = benchModules().filter((m) => theirs.has(m) && (!opts.only || opts.only.includes(m)));
    const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
    const once = (dir: string, m: string, tag: string): SuiteRow[] => {
      const out = path.join(tmp, `${m}-${tag}.json`);
      const r = spawnSync(tsx, ['bench/run.ts', '--only', m, '--out', out, ...(opts.quick ? ['--quick'] : [])], { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`bench ${m} in ${dir} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
      return (JSON.parse(fs.readFileSync(out, 'utf8')) as SuiteResult).rows;
    };
    const rows = new Map<string, AgainstRow>();
    for (const m of modules) {
      const mod = (await import(path.join(__dirname, `${m}.ts`))) as { sideBySide?: (dir: string, o: { quick: boolean; rounds: number }) => Promise<PairRow[]> };
      if (mod.sideBySide) {
        // the same code times both trees, in this process (see PairRow)
        log(`bench --against: ${m}, ${opts.rounds} rounds side by side in one process`);
        for (const r of await mod.sideBySide(other.dir, { quick: opts.quick, rounds: opts.rounds })) rows.set(`${m}\u0000${r.name}\u0000${r.size}`, { module: m, external: false, ...r });
        continue;
      }
      for (let round = 0; round < opts.rounds; round++) {
        log(`bench --against: ${m}, round ${round + 1} of ${opts.rounds}`);
        const order = round % 2 === 0 ? (['new', 'old'] as const) : (['old', 'new'] as const);
        const got: Record<'new' | 'old', SuiteRow[]> = { new: [], old: [] };
        for (const side of order) got[side] = once(side === 'new' ? root : other.dir, m, side);
        for (const n of got.new) {
          const o = got.old.find((r) => r.name === n.name && r.size === n.size && r.unit === n.unit);
          const dir = speedDirection(n.unit);
          if (!o || !dir || !(n.value > 0) || !(o.value > 0)) continue;
          const key = `${m}\u0000${n.name}\u0000${n.size}`;
          const row = rows.get(key) ?? { module: m, name: n.name, size: n.size, unit: n.unit, external: n.external === true, slowdowns: [], newValues: [], oldValues: [] };
          row.slowdowns.push(dir === 'lower' ? n.value / o.value : o.value / n.value);
          row.newValues.push(n.value);
          row.oldValues.push(o.value);
          rows.set(key, row);
        }
      }
    }
    return [...rows.values()];
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    other.remove();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? (args[onlyIdx + 1]?.split(',') ?? []) : null;
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 ? args[outIdx + 1] : undefined;
  const againstIdx = args.indexOf('--against');
  if (againstIdx >= 0) {
    const ref = args[againstIdx + 1];
    if (!ref || ref.startsWith('--')) throw new Error('--against needs a commit or a folder, e.g. --against 92e2039');
    const roundsIdx = args.indexOf('--rounds');
    const rounds = roundsIdx >= 0 ? Number(args[roundsIdx + 1]) : 3;
    if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number >= 1 (got ${args[roundsIdx + 1]})`);
    const rows = await benchAgainst({ ref, rounds, quick, only });
    console.log(
      formatTable(
        ['module', 'benchmark', 'size', 'unit', 'new', 'old', 'slowdown (median)', 'min', 'max', ''],
        rows.map((r) => [r.module, r.name, r.size, r.unit, median(r.newValues), median(r.oldValues), median(r.slowdowns), Math.min(...r.slowdowns), Math.max(...r.slowdowns), r.external ? 'not ours (noise gauge)' : median(r.slowdowns) > 1.05 ? '> 1.05' : '']),
      ),
    );
    const slower = rows.filter((r) => !r.external && median(r.slowdowns) > 1.05).length;
    console.log(`\n${rows.length} rows in both trees over ${rounds} interleaved rounds; ${slower} slower than ${ref} by more than 5 % (median)`);
    console.log('(slowdown: new ÷ old for times, old ÷ new for rates; timings on a machine shared with other work are noisy)');
    return;
  }
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
