/** What the benchmarks share: one row of `npm run bench`, medians, and side-by-side timing per backend. */
import * as os from 'node:os';
import { blasAvailable, forceEngine, setBackend, type Backend } from '../src/linalg/backend';

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
