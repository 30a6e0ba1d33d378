/** What the benchmarks share: one row of `npm run bench`, medians, and side-by-side timing per backend. */
import * as os from 'node:os';
import * as path from 'node:path';
import { blasAvailable, forceEngine, getBackend, setBackend, type Backend } from '../src/linalg/backend';

/** One row of `npm run bench`: a measured figure with its unit and a note (spread, comparison). */
export interface BenchRow {
  name: string;
  size: string;
  value: number;
  unit: string;
  note?: string;
  /** The row times another implementation (scipy, PyTorch), not creditflow: `--against` compares it only as a gauge of the machine's noise. */
  external?: boolean;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

/** The 1-minute load average, for the notes of side-by-side rows (the machine may be shared). */
export function load1(): string {
  return os.loadavg()[0].toFixed(2);
}

/** One contender of a side-by-side measurement: `setup` selects its backend before each block of `fn` calls. */
export interface Contender {
  name: string;
  setup: () => void;
  fn: () => void;
}

/** The linear-algebra backends available here (src/linalg/backend.ts), each with a set-up that selects it (and clears any forced engine). */
export function backends(which: readonly Backend[] = ['auto', 'blas', 'wasm', 'ts']): { name: Backend; setup: () => void }[] {
  return which
    .filter((b) => b !== 'blas' || blasAvailable())
    .map((b) => ({
      name: b,
      setup: () => {
        forceEngine(null);
        setBackend(b);
      },
    }));
}

/**
 * Times the contenders side by side: after a warm-up of each (JIT tiers, scratch growth; at least
 * two calls) and an estimate of its cost per call, `rounds` rounds each time a block of calls
 * (about `targetMs` long, at least one call) of every contender in turn. Returns, per contender,
 * the seconds per call of each round.
 */
export function interleaved(contenders: readonly Contender[], rounds: number, targetMs = 40): number[][] {
  const reps = contenders.map((c) => {
    c.setup();
    let t0 = performance.now();
    let calls = 0;
    do {
      c.fn();
      calls++;
    } while (performance.now() - t0 < 30 || calls < 2);
    t0 = performance.now();
    calls = 0;
    do {
      c.fn();
      calls++;
    } while (performance.now() - t0 < 15);
    const perCall = (performance.now() - t0) / calls;
    return Math.max(1, Math.round(targetMs / Math.max(perCall, 1e-6)));
  });
  const out = contenders.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    contenders.forEach((c, i) => {
      c.setup();
      const s = performance.now();
      for (let k = 0; k < reps[i]; k++) c.fn();
      out[i].push((performance.now() - s) / reps[i] / 1000);
    });
  }
  return out;
}

/**
 * A row of a side-by-side timing in one process, as `npm run bench -- --against` reports it: per
 * round, this tree's value, the other tree's and the slowdown new ÷ old. A bench module that
 * exports `sideBySide(dir, { quick, rounds })` returning these is timed that way by the suite (the
 * same code runs both trees) instead of by each tree's own bench file.
 */
export interface PairRow {
  name: string;
  size: string;
  unit: string;
  newValues: number[];
  oldValues: number[];
  slowdowns: number[];
}

/** A `PairRow` from a side-by-side timing: each round's CPU seconds of `a` (old) and `b` (new) as `value` gives them (default: as they are), and b/a per round. */
export function pairRow(name: string, size: string, unit: string, r: PairTiming, value: (seconds: number) => number = (s) => s): PairRow {
  return { name, size, unit, oldValues: r.a.map(value), newValues: r.b.map(value), slowdowns: r.ratio };
}

/**
 * Selects `backend` in this tree and in the checkout at `dir` (each tree has its own linear-algebra
 * module) and returns what restores both: a side-by-side run in the suite's process must not leave
 * the other tree on another backend for the modules timed after it.
 */
export async function selectBackendInBoth(dir: string, backend: Backend): Promise<() => void> {
  const other = (await import(path.join(dir, 'src', 'linalg', 'backend.ts'))) as typeof import('../src/linalg/backend');
  const saved = [getBackend(), other.getBackend()] as const;
  setBackend(backend);
  other.setBackend(backend);
  return () => {
    setBackend(saved[0]);
    other.setBackend(saved[1]);
  };
}

/** Side-by-side CPU times of a reference `a` and `b` (`pairRounds`). */
export interface PairTiming {
  a: number[];
  b: number[];
  /** b/a per round. */
  ratio: number[];
  load: string;
}

/**
 * CPU seconds of `a` (the reference, e.g. another commit's code loaded into this process) and `b`
 * run alternately for `rounds` rounds (after one warm-up each; which goes first alternates, so
 * that neither always runs on a warmer or busier machine), with their ratio b/a per round and the
 * 1-minute load average before and after.
 */
export function pairRounds(a: () => void, b: () => void, rounds: number): PairTiming {
  const loadBefore = load1();
  a();
  b();
  const r = { a: [] as number[], b: [] as number[], ratio: [] as number[] };
  const cpu = (fn: () => void) => {
    const c0 = process.cpuUsage();
    fn();
    const d = process.cpuUsage(c0);
    return (d.user + d.system) / 1e6;
  };
  for (let i = 0; i < rounds; i++) {
    let xa = NaN;
    if (i % 2 === 0) xa = cpu(a);
    const yb = cpu(b);
    if (i % 2 === 1) xa = cpu(a);
    r.a.push(xa);
    r.b.push(yb);
    r.ratio.push(yb / xa);
  }
  return { ...r, load: `${loadBefore} before, ${load1()} after` };
}

/** The two rows of a side-by-side timing against `ref`: its CPU time, and this tree's ratio to it per round. */
export function pairRows(name: string, size: string, ref: string, on: string, r: PairTiming): BenchRow[] {
  const spread = (xs: number[], digits = 3) => `median ${median(xs).toFixed(digits)} (min ${Math.min(...xs).toFixed(digits)}, max ${Math.max(...xs).toFixed(digits)})`;
  return [
    { name: `${name} (${ref})`, size, value: median(r.a), unit: 's CPU', note: `${on}; ${r.a.length} rounds interleaved with this tree: ${spread(r.a)} s; this tree ${spread(r.b)} s; load ${r.load}` },
    { name: `${name} this/${ref}`, size, value: median(r.ratio), unit: 'x CPU', note: `per round ${r.ratio.map((x) => x.toFixed(3)).join(', ')}; ${spread(r.ratio)}` },
  ];
}

/** The value after `--name` on the command line, or undefined. */
export function cliArg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** `--rounds N` of a side-by-side benchmark (an integer >= 1; anything else ends the process with a one-line message), or undefined when not given. */
export function roundsArg(): number | undefined {
  const rounds = cliArg('--rounds');
  if (rounds !== undefined && !(Number.isInteger(Number(rounds)) && Number(rounds) >= 1)) {
    console.error(`--rounds must be an integer >= 1 (got ${rounds})`);
    process.exit(2);
  }
  return rounds === undefined ? undefined : Number(rounds);
}
