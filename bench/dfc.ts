/**
 * DFC forward-learning speed, side by side with the lean PyTorch loop of
 * ../shared/reference/dfc_torch_bench.py (run, never copied):
 *
 *   npx tsx bench/dfc.ts            (prints a table)
 *
 * The work per minibatch: network (eq. 1) + PI controller (eq. 4) by forward Euler from the
 * feedforward state, accumulating the eq. (5) update, float64, 1000 steps: the batched wake-phase
 * term of models/dfc/batched.ts integrated by `solve` ('euler'), as training runs it.
 *
 *   npx tsx bench/dfc.ts --baseline-commit <sha> [--rounds N] [--phases wake,sleep]   (or --baseline <folder with a checkout>)
 *
 * adds the side-by-side check of issue 14: the same minibatch through this tree's solve path and
 * through the DfcEngine of an earlier commit (e.g. 92e2039, the hand-written loops before the move;
 * extracted with `git archive` into a temporary folder), toy 15-10-10-5 and MNIST-size at batch
 * 128, the wake phase (eq. 5 accumulated; 5 phases per timing on the toy network) and the sleep
 * phase (Fig. 3's feedback settings, 10 phases of 50 steps per timing), in interleaved rounds
 * (alternating which goes first); rows 'ratio solve path / former engine' give the median, range
 * and list of the per-round ratios of wall and of CPU time, and fastest/fastest. (CPU time counts
 * V8's helper threads too, compilation and concurrent GC: on a quiet machine wall time is the
 * steadier, on a loaded one CPU time.)
 * `npm run bench -- --against` times these cases (`sideBySide`) on the 'auto' backend, and the toy
 * network's on 'ts' too.
 * Configurations: toy 15-10-10-5, batch 128 (Fig. 3 settings) and MNIST-size 784-256-256-256-10,
 * batch 32 and 128 (MNIST settings). Each row is samples per second = batch / median wall time of a
 * minibatch over the repeats (min and max and the CPU-time figure in the note).
 *
 * Figures for creditflow, per linear-algebra backend (src/linalg/backend.ts: 'auto', 'blas' where
 * a system OpenBLAS is found, 'wasm'): the engine as used in training (the input layer's X W_1ᵀ and
 * its update hoisted out of the time loop: r_0 and W_1 are constant during a sample); under
 * 'auto', the same loop without hoisting, which does the PyTorch loop's flops step for step; and
 * the 'ts' backend (the TypeScript loop, no wasm, no BLAS) once for reference. The PyTorch figure
 * comes from `/usr/bin/python3 dfc_torch_bench.py --threads 1` when that Python can import torch
 * (Debian's python3-torch, which uses the system BLAS); otherwise the row says it is unavailable.
 *
 * Side by side: the machine is shared, so each configuration runs in rounds that interleave the
 * backends and PyTorch (each round: our repeats on every backend, then the PyTorch script with its
 * repeats), and each ratio row is the median over rounds of the per-round ratios (their range in the
 * note, with the 1-minute load average before and after). 'ratio auto / wasm' on the toy network
 * shows that 'auto' does not slow the resident small-product loop down. Timings on a machine shared
 * with other jobs are
 * pessimistic. The PyTorch loop takes tmax − 1 = 999 Euler steps per minibatch, ours 1000.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../src/core/random';
import { mat } from '../src/linalg/mat';
import { formatTable } from '../src/io/output';
import { DfcEngine } from '../models/dfc/engine';
import { DfcNet, initForwardWeights, productFeedback } from '../models/dfc/network';
import { FIG3_FEEDBACK, FIG3_FORWARD, type ControllerConfig } from '../models/dfc/config';
import { MNIST_FORWARD } from '../models/dfc/experiments/mnist';
import { blasAvailable, blasLibrary, forceEngine, getBackend, setBackend, type Backend } from '../src/linalg/backend';
import { checkoutTree } from './checkout';
import { backends, load1, median, selectBackendInBoth, type BenchRow, type PairRow } from './types';

const REFERENCE = path.resolve(__dirname, '..', '..', 'shared', 'reference', 'dfc_torch_bench.py');
const PYTHON = '/usr/bin/python3';

interface Case {
  task: 'toy' | 'mnist';
  sizes: number[];
  batch: number;
  cfg: ControllerConfig;
  loss: 'mse' | 'cross-entropy';
}

function torchAvailable(): boolean {
  if (!fs.existsSync(PYTHON) || !fs.existsSync(REFERENCE)) return false;
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** The PyTorch loop's samples/s (median of its repeats), or null with the reason. */
function torchSamplesPerSecond(c: Case, steps: number, reps: number): { value: number | null; note: string } {
  try {
    const outText = execFileSync(
      PYTHON,
      [REFERENCE, '--task', c.task, '--batch', String(c.batch), '--threads', '1', '--tmax', String(steps), '--reps', String(reps)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 },
    );
    const line = outText.trim().split('\n').pop() ?? '';
    const r = JSON.parse(line) as { samples_per_s: number; median_s: number };
    return { value: r.samples_per_s, note: `median ${r.median_s.toFixed(3)} s per minibatch, 1 thread` };
  } catch (e) {
    return { value: null, note: `PyTorch run failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

/** creditflow's samples/s for one case: wall-time median over `reps` minibatches after a warm-up. */
function ours(c: Case, steps: number, reps: number, hoistInput: boolean, resident = true): { value: number; note: string } {
  const net = new DfcNet({ sizes: c.sizes, hidden: 'tanh', loss: c.loss });
  const rng = new Rng(42);
  const W = initForwardWeights(net, rng);
  const p = { W, Q: productFeedback(net, W) };
  const X = mat(c.batch, c.sizes[0]);
  rng.fillUniform(X.data, -1, 1);
  const nL = c.sizes[c.sizes.length - 1];
  const { R } = net.feedforwardBatch(W, X);
  const Rstar = mat(c.batch, nL);
  for (let k = 0; k < Rstar.data.length; k++) Rstar.data[k] = R[net.L].data[k] + c.cfg.lambda * (rng.uniform() - 0.5);
  const cfg = { ...c.cfg, steps };
  const engine = new DfcEngine(net, c.batch);
  const opts = { accumulate: true, hoistInput, resident };
  engine.wake(p, X, Rstar, cfg, opts); // warm-up (JIT, buffers)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const res = engine.wake(p, X, Rstar, cfg, opts);
    wall.push((performance.now() - t0) / 1000);
    const cu = process.cpuUsage(c0);
    cpu.push((cu.user + cu.system) / 1e6);
    if (res.status !== 'ok') throw new Error(`benchmark dynamics diverged: ${JSON.stringify(res.divergence)}`);
  }
  const med = median(wall);
  const note = `median ${med.toFixed(3)} s per minibatch (min ${Math.min(...wall).toFixed(3)}, max ${Math.max(...wall).toFixed(3)}; CPU-time median ${median(cpu).toFixed(3)} s)`;
  return { value: c.batch / med, note };
}

export async function benchDfc(opts: { quick: boolean }): Promise<BenchRow[]> {
  // --quick: the MNIST-size cases settle for 200 steps instead of 1000 (samples/s scale as 1/steps)
  const mnistSteps = opts.quick ? 200 : 1000;
  const cases: (Case & { steps: number })[] = [
    { task: 'toy', sizes: [15, 10, 10, 5], batch: 128, cfg: FIG3_FORWARD, loss: 'mse', steps: 1000 },
    { task: 'mnist', sizes: [784, 256, 256, 256, 10], batch: 32, cfg: { ...MNIST_FORWARD, steps: mnistSteps }, loss: 'cross-entropy', steps: mnistSteps },
    { task: 'mnist', sizes: [784, 256, 256, 256, 10], batch: 128, cfg: { ...MNIST_FORWARD, steps: mnistSteps }, loss: 'cross-entropy', steps: mnistSteps },
  ];
  const torch = torchAvailable();
  const saved = getBackend();
  const bks = backends(['auto', 'blas', 'wasm']);
  const blas = blasAvailable() ? blasLibrary() : null;
  const rows: BenchRow[] = [];
  try {
    for (const c of cases) {
      const { steps } = c;
      const toy = c.task === 'toy';
      const rounds = opts.quick ? (toy ? 3 : 1) : toy ? 5 : 3;
      const reps = opts.quick ? (toy ? 3 : 1) : toy ? 7 : 2;
      const size = `${c.sizes.join('-')}, batch ${c.batch}, ${steps} steps`;
      const loadBefore = load1();
      const a = new Map<string, number[]>(bks.map((b) => [b.name, []]));
      const notes = new Map<string, string>();
      const ratio = new Map<string, number[]>(bks.map((b) => [b.name, []]));
      const autoOverWasm: number[] = [];
      const b: number[] = [];
      const t: number[] = [];
      const ratioB: number[] = [];
      let noteB = '';
      let noteT = torch ? '' : `unavailable: ${PYTHON} cannot import torch (apt-get install python3-torch)`;
      for (let r = 0; r < rounds; r++) {
        const here = new Map<string, number>();
        for (const bk of bks) {
          bk.setup();
          const ra = ours(c, steps, reps, true);
          a.get(bk.name)!.push(ra.value);
          here.set(bk.name, ra.value);
          notes.set(bk.name, ra.note);
        }
        autoOverWasm.push(here.get('auto')! / here.get('wasm')!);
        setBackend('auto');
        const rb = ours(c, steps, reps, false);
        b.push(rb.value);
        noteB = rb.note;
        if (torch) {
          const rt = torchSamplesPerSecond(c, steps, opts.quick ? reps : Math.max(3, reps));
          noteT = rt.note;
          if (rt.value !== null) {
            t.push(rt.value);
            for (const [name, v] of here) ratio.get(name)!.push(v / rt.value);
            ratioB.push(rb.value / rt.value);
          }
        }
      }
      // the TypeScript loop (the 'ts' backend: no wasm, no BLAS), once, for reference
      let ts: { value: number; note: string } | null = null;
      if (toy || !opts.quick) {
        setBackend('ts');
        ts = ours(c, steps, toy ? reps : 1, true);
      }
      const loadNote = `${rounds} interleaved round(s) x ${reps} repeats, load ${loadBefore} -> ${load1()}`;
      const spread = (xs: number[], digits = 1) => (xs.length > 1 ? `; rounds ${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}` : '');
      for (const bk of bks) {
        const lib = bk.name !== 'wasm' && blas ? `; ${bk.name === 'auto' ? 'BLAS above the thresholds, ' : ''}${path.basename(blas.realPath)}, ${blas.threads ?? '?'} thread(s)` : '';
        rows.push({ name: `dfc forward learning [${bk.name}]`, size, value: median(a.get(bk.name)!), unit: 'samples/s', note: `${notes.get(bk.name)}${spread(a.get(bk.name)!)}; ${loadNote}${lib}` });
      }
      rows.push({ name: 'dfc forward learning [auto], no input hoisting', size, value: median(b), unit: 'samples/s', note: `${noteB}${spread(b)}` });
      if (ts) rows.push({ name: 'dfc forward learning [ts] (TypeScript loop, no wasm)', size, value: ts.value, unit: 'samples/s', note: ts.note });
      rows.push({ name: 'dfc forward learning (PyTorch reference)', size, value: t.length ? median(t) : NaN, unit: 'samples/s', note: `${noteT}${spread(t)}`, external: true });
      rows.push({ name: 'ratio auto / wasm', size, value: median(autoOverWasm), unit: 'x', note: `median of ${autoOverWasm.length} interleaved round(s)${spread(autoOverWasm, 2)}` });
      for (const bk of bks) {
        const rs = ratio.get(bk.name)!;
        rows.push({
          name: `ratio creditflow [${bk.name}] / PyTorch`,
          size,
          value: rs.length ? median(rs) : NaN,
          unit: 'x',
          note: rs.length ? `median of ${rs.length} interleaved round(s)${spread(rs, 2)}${bk.name === 'auto' ? `; no hoisting: ${median(ratioB).toFixed(2)}x` : ''}` : 'PyTorch figure unavailable',
        });
      }
    }
  } finally {
    forceEngine(null);
    setBackend(saved);
  }
  return rows;
}

/** What the side-by-side calls on either engine. */
type FormerEngine = Pick<DfcEngine, 'wake' | 'sleep'>;

/** One side-by-side case: its size, steps per timing, and per round the wall and CPU seconds of the folder's engine and of this tree's. */
interface DfcPair {
  size: string;
  phase: 'wake' | 'sleep';
  steps: number;
  former: { wall: number; cpu: number }[];
  solve: { wall: number; cpu: number }[];
  load: string;
}

/**
 * Issue 14's side-by-side: this tree's solve path against the DfcEngine of the folder `dir` (wake
 * and sleep phases), toy 15-10-10-5 and MNIST-size at batch 128, on one minibatch, in interleaved
 * rounds (alternating which goes first), after one warm-up run each; `backend` selected in both
 * trees first.
 */
async function dfcPairs(dir: string, opts: { quick: boolean; rounds?: number; phases?: readonly ('wake' | 'sleep')[]; backend?: Backend; toyOnly?: boolean }): Promise<DfcPair[]> {
  const old = (await import(path.join(dir, 'models', 'dfc', 'engine.ts'))) as { DfcEngine: new (net: DfcNet, b: number) => FormerEngine };
  const restore = opts.backend ? await selectBackendInBoth(dir, opts.backend) : () => {};
  try {
    return pairsOn(old.DfcEngine, opts);
  } finally {
    restore();
  }
}

/** The cases of `dfcPairs` with the folder's engine class, on the backend already selected. */
function pairsOn(Former: new (net: DfcNet, b: number) => FormerEngine, opts: { quick: boolean; rounds?: number; phases?: readonly ('wake' | 'sleep')[]; toyOnly?: boolean }): DfcPair[] {
  const out: DfcPair[] = [];
  const cases = [
    // wakeReps: wake phases per timing, so that one timing takes about 0.1 s or more (a toy wake
    // phase on wasm takes about 20 ms, where a round's CPU time varied by ±50 % with V8's helper threads)
    { sizes: [15, 10, 10, 5], batch: 128, cfg: { ...FIG3_FORWARD, steps: 1000 }, rounds: opts.quick ? 3 : 7, wakeReps: 5 },
    { sizes: [784, 256, 256, 256, 10], batch: 128, cfg: { ...MNIST_FORWARD, steps: 100 }, rounds: opts.quick ? 3 : 5, wakeReps: 1 },
  ];
  for (const c of opts.toyOnly ? cases.slice(0, 1) : cases) {
    const net = new DfcNet({ sizes: c.sizes, hidden: 'tanh' });
    const rng = new Rng(42);
    const W = initForwardWeights(net, rng);
    const p = { W, Q: productFeedback(net, W) };
    const X = mat(c.batch, c.sizes[0]);
    rng.fillUniform(X.data, -1, 1);
    const { R } = net.feedforwardBatch(W, X);
    const nL = net.nOut;
    const Rstar = mat(c.batch, nL);
    for (let k = 0; k < Rstar.data.length; k++) Rstar.data[k] = R[net.L].data[k] + c.cfg.lambda * (rng.uniform() - 0.5);
    const engines = { solve: new DfcEngine(net, c.batch), former: new Former(net, c.batch) };
    // a phase: the wake phase of the minibatch (eq. 5 accumulated, c.cfg) repeated `c.wakeReps` times,
    // or the sleep phase (Fig. 3's feedback settings, 50 steps) repeated `sleepReps` times, each on a fresh generator
    const sleepReps = 10;
    const phases = {
      wake: (e: FormerEngine): void => {
        for (let k = 0; k < c.wakeReps; k++) if (e.wake(p, X, Rstar, c.cfg, { accumulate: true }).status !== 'ok') throw new Error('benchmark dynamics diverged');
      },
      sleep: (e: FormerEngine): void => {
        for (let k = 0; k < sleepReps; k++) if (e.sleep(p, X, FIG3_FEEDBACK, new Rng(k)).status !== 'ok') throw new Error('benchmark sleep phase diverged');
      },
    };
    for (const phase of opts.phases ?? (['wake', 'sleep'] as const)) {
      const run = phases[phase];
      // wall and CPU time (user + system)
      const time = (e: FormerEngine): { wall: number; cpu: number } => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        run(e);
        const wall = (performance.now() - t0) / 1000;
        const cu = process.cpuUsage(c0);
        return { wall, cpu: (cu.user + cu.system) / 1e6 };
      };
      time(engines.solve);
      time(engines.former);
      const t: Record<'solve' | 'former', { wall: number; cpu: number }[]> = { solve: [], former: [] };
      const load = load1();
      const rounds = opts.rounds ?? c.rounds;
      for (let r = 0; r < rounds; r++) {
        const order: ('solve' | 'former')[] = r % 2 ? ['former', 'solve'] : ['solve', 'former'];
        for (const k of order) t[k].push(time(engines[k]));
      }
      out.push({
        size: `${c.sizes.join('-')}, batch ${c.batch}, ${phase} ${phase === 'wake' ? `${c.wakeReps > 1 ? `${c.wakeReps} x ` : ''}${c.cfg.steps}` : `${sleepReps} x ${FIG3_FEEDBACK.steps}`} steps`,
        phase,
        steps: phase === 'wake' ? c.cfg.steps * c.wakeReps : FIG3_FEEDBACK.steps * sleepReps,
        former: t.former,
        solve: t.solve,
        load: `${load} -> ${load1()}`,
      });
    }
  }
  return out;
}

/** Issue 14's side-by-side (`dfcPairs`) as rows: per case, the ratio solve path / former engine of wall and of CPU time. */
export async function benchAgainstBaseline(dir: string, opts: { quick: boolean; rounds?: number; phases?: readonly ('wake' | 'sleep')[] }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of await dfcPairs(dir, opts)) {
    const us = (xs: number[]) => `${((median(xs) / c.steps) * 1e6).toFixed(1)} µs/step (${((Math.min(...xs) / c.steps) * 1e6).toFixed(1)}-${((Math.max(...xs) / c.steps) * 1e6).toFixed(1)})`;
    for (const what of ['wall', 'cpu'] as const) {
      const ratios = c.solve.map((v, i) => v[what] / c.former[i][what]);
      const of = (k: 'solve' | 'former') => us(c[k].map((v) => v[what]));
      rows.push({
        name: `ratio solve path / former engine (${what} time)`,
        size: c.size,
        value: median(ratios),
        unit: 'x',
        note: `median of ${ratios.length} interleaved rounds, range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)} (per round: ${ratios.map((x) => x.toFixed(2)).join(' ')}); fastest/fastest ${(Math.min(...c.solve.map((v) => v[what])) / Math.min(...c.former.map((v) => v[what]))).toFixed(3)}; solve ${of('solve')}, former ${of('former')}; load ${c.load}`,
      });
    }
  }
  return rows;
}

/**
 * The same cases for `npm run bench -- --against` (bench/types.ts PairRow), on the 'auto' backend
 * and, for the toy network, on 'ts' (no wasm, no BLAS): CPU µs per step of each tree per round. (Each tree's own
 * benchDfc would time fresh engines after one warm-up wake: the first wakes of a process.)
 */
export async function sideBySide(dir: string, opts: { quick: boolean; rounds: number }): Promise<PairRow[]> {
  const rows: PairRow[] = [];
  for (const backend of ['auto', 'ts'] as const) {
    // the TypeScript loop on the toy network only (at MNIST size it takes minutes)
    for (const c of await dfcPairs(dir, { quick: opts.quick, rounds: opts.rounds, backend, toyOnly: backend === 'ts' })) {
      const perStep = (xs: { cpu: number }[]) => xs.map((x) => (x.cpu / c.steps) * 1e6);
      rows.push({ name: `dfc ${c.phase} phase [${backend}]`, size: c.size, unit: 'µs/step', oldValues: perStep(c.former), newValues: perStep(c.solve), slowdowns: c.solve.map((v, i) => v.cpu / c.former[i].cpu) });
    }
  }
  return rows;
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const quick = process.argv.includes('--quick');
  const baseline = arg('--baseline') ?? (arg('--baseline-commit') ? checkoutTree(arg('--baseline-commit')!).dir : undefined);
  const rounds = arg('--rounds') === undefined ? undefined : Number(arg('--rounds'));
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be an integer >= 1 (got ${arg('--rounds')})`);
  const phases = (arg('--phases') ?? 'wake,sleep').split(',');
  if (!phases.every((x) => x === 'wake' || x === 'sleep')) throw new Error(`--phases must list wake and/or sleep, e.g. --phases sleep (got ${arg('--phases')})`);
  (baseline ? benchAgainstBaseline(baseline, { quick, rounds, phases: phases as ('wake' | 'sleep')[] }) : benchDfc({ quick })).then((rows) => {
    const table = formatTable(
      ['benchmark', 'size', 'value', 'unit', 'note'],
      rows.map((r) => [r.name, r.size, Number.isFinite(r.value) ? r.value : 'unavailable', r.unit, r.note ?? '']),
    );
    process.stdout.write(table + '\n(timings on a shared machine are pessimistic)\n');
  });
}
