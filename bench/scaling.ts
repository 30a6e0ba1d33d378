/**
 * How the cost of one step grows with the hidden width n = 64 … 1024, for DFC and SAL (their own
 * code), with the fitted exponent p of time per step ∝ n^p. One sample (batch 1), so every product
 * is a matrix-vector product and the work per step is O(n²): p should be near 2 once n is large
 * enough that the O(n) parts and call overheads do not dominate.
 *
 * - DFC: one forward-phase Euler step of network + PI controller with the buffered eq. (5)
 *   accumulation (models/dfc/engine.ts DfcEngine.wake), network n-n-n-10 (tanh), MNIST settings;
 *   time per step = wall time of a `wake` of S steps / S.
 * - SAL: one Euler step (dt = 1 minibatch) of the SAL circuit's slow flows with its instantaneous
 *   pathways (models/sal/circuit.ts term, through `solve`), circuit n-n-n-10, all four connections
 *   plastic; time per step = wall time of a solve of S steps / S.
 *
 * Each width: the median over repeats after a warm-up of 30 runs or 0.3 s, whichever ends first
 * (one run, as before, left the first wakes of a process in the JIT's lower tiers: at n = 128 those
 * run 2-10× slower than the settled ones, so the rows timed the JIT, not the step); min and max in
 * the note. The exponent is the least-squares slope of log(time) on log(n) over the widths
 * (src/analysis/fit.ts), fitted on all widths and on n ≥ 256 (where the n² work dominates). The
 * machine is shared while this runs, so times are pessimistic and the exponent noisy.
 *
 * Side by side with another tree (`sideBySide`, which `npm run bench -- --against REF` uses for
 * this module): this file's cases run on REF's code and on this tree's in one process, after the
 * same warm-up, in interleaved rounds of CPU time (each tree's own bench file would time REF
 * with its own, shorter warm-up).
 *
 *   npx tsx bench/scaling.ts [--quick]
 *   npx tsx bench/scaling.ts --against REF [--rounds N] [--quick]
 */
import * as path from 'node:path';
import '../solvers/index'; // registers the built-in solvers by name
import { Rng } from '../src/core/random';
import { solve } from '../src/core/solve';
import { odeProblem } from '../src/core/terms';
import { linearFit } from '../src/analysis/fit';
import { formatTable } from '../src/io/output';
import { mat } from '../src/linalg/mat';
import { DfcEngine } from '../models/dfc/engine';
import { DfcNet, initForwardWeights, productFeedback } from '../models/dfc/network';
import { MNIST_FORWARD } from '../models/dfc/experiments/mnist';
import { fixedBatch, SalCircuit } from '../models/sal/circuit';
import { methodConfig } from '../models/sal/presets';
import { checkoutTree } from './checkout';
import { cliArg, median, pairRounds, pairRow, roundsArg, type BenchRow, type PairRow } from './types';

export interface ScalingRow extends BenchRow {
  seconds?: number;
  min?: number;
  max?: number;
  repeats?: number;
}

/** The code the cases run: this tree's, or another checkout's (`loadTree`). */
interface Tree {
  Rng: typeof Rng;
  solve: typeof solve;
  odeProblem: typeof odeProblem;
  mat: typeof mat;
  DfcEngine: typeof DfcEngine;
  DfcNet: typeof DfcNet;
  initForwardWeights: typeof initForwardWeights;
  productFeedback: typeof productFeedback;
  MNIST_FORWARD: typeof MNIST_FORWARD;
  SalCircuit: typeof SalCircuit;
  fixedBatch: typeof fixedBatch;
  methodConfig: typeof methodConfig;
}

const here: Tree = { Rng, solve, odeProblem, mat, DfcEngine, DfcNet, initForwardWeights, productFeedback, MNIST_FORWARD, SalCircuit, fixedBatch, methodConfig };

/** The same modules of the checkout at `dir` (its solvers registered in its own registry). */
async function loadTree(dir: string): Promise<Tree> {
  const from = (file: string) => import(path.join(dir, file));
  await from('solvers/index.ts');
  const [random, solveM, terms, matM, engine, network, mnist, circuit, presets] = await Promise.all(
    ['src/core/random.ts', 'src/core/solve.ts', 'src/core/terms.ts', 'src/linalg/mat.ts', 'models/dfc/engine.ts', 'models/dfc/network.ts', 'models/dfc/experiments/mnist.ts', 'models/sal/circuit.ts', 'models/sal/presets.ts'].map(from),
  );
  return {
    Rng: random.Rng, solve: solveM.solve, odeProblem: terms.odeProblem, mat: matM.mat,
    DfcEngine: engine.DfcEngine, DfcNet: network.DfcNet, initForwardWeights: network.initForwardWeights, productFeedback: network.productFeedback,
    MNIST_FORWARD: mnist.MNIST_FORWARD, SalCircuit: circuit.SalCircuit, fixedBatch: circuit.fixedBatch, methodConfig: presets.methodConfig,
  };
}

/** Steps per timed run so that each run does roughly the same work (≈ 2e7 multiply-adds). */
function stepsFor(n: number, quick: boolean): number {
  const s = Math.round((quick ? 4e6 : 2e7) / (3 * n * n));
  return Math.max(5, Math.min(2000, s));
}

/** One DFC wake of `steps` steps at width n (the network, input and targets made once). */
function dfcRun(t: Tree, n: number, steps: number): () => void {
  const net = new t.DfcNet({ sizes: [n, n, n, 10], hidden: 'tanh', loss: 'mse' });
  const rng = new t.Rng(7);
  const W = t.initForwardWeights(net, rng);
  const p = { W, Q: t.productFeedback(net, W) };
  const X = t.mat(1, n);
  rng.fillUniform(X.data, -1, 1);
  const { R } = net.feedforwardBatch(W, X);
  const Rstar = t.mat(1, 10);
  for (let k = 0; k < 10; k++) Rstar.data[k] = R[net.L].data[k] + 0.05 * (rng.uniform() - 0.5);
  const cfg = { ...t.MNIST_FORWARD, steps };
  const engine = new t.DfcEngine(net, 1);
  return () => {
    if (engine.wake(p, X, Rstar, cfg, { accumulate: true }).status !== 'ok') throw new Error(`DFC dynamics diverged at width ${n}`);
  };
}

/** One SAL solve of `steps` Euler steps at width n, from the same initial state each time. */
function salRun(t: Tree, n: number, steps: number): () => void {
  const circuit = new t.SalCircuit(t.methodConfig('sal', { sizes: [n, n, n, 10], loss: 'mse' }));
  const rng = new t.Rng(7);
  // ‖x‖ independent of the width (σ = 0.3 at n = 64): with σ = 0.3 at every width the flow diverged
  // (NaN at step 11 at n = 512, step 8 at n = 1024), which the full-size runs reached
  const x = rng.fillNormal(new Float64Array(n), 0.3 * Math.sqrt(64 / n));
  const target = new Float64Array(10);
  target[3] = 1;
  const problem = t.odeProblem(circuit.term(t.fixedBatch(x, target, 1)), { layout: circuit.layout });
  const y0 = circuit.initState(1);
  return () => {
    const sol = t.solve(problem, 'euler', { t0: 0, t1: steps, dt0: 1, y0 });
    if (sol.status !== 'ok') throw new Error(`SAL flow stopped at width ${n}: ${sol.message}`);
  };
}

/** Runs `run` until the JIT has settled: 30 runs or 0.3 s, whichever ends first. Returns the seconds of one settled run. */
function warmUp(run: () => void): number {
  const t0 = performance.now();
  for (let k = 0; k < 30 && performance.now() - t0 < 300; k++) run();
  const t1 = performance.now();
  run();
  return (performance.now() - t1) / 1000;
}

/** Wall seconds per step of `repeats` runs after the warm-up. */
function stepTimes(run: () => void, steps: number, repeats: number): number[] {
  warmUp(run);
  return Array.from({ length: repeats }, () => {
    const t0 = performance.now();
    run();
    return (performance.now() - t0) / 1000 / steps;
  });
}

const WIDTHS = [64, 128, 256, 512, 1024];
const MODELS: { name: string; run: (t: Tree, n: number, steps: number) => () => void; what: string }[] = [
  { name: 'dfc', run: dfcRun, what: 'DFC forward-phase Euler step (network + controller + eq. 5 buffer), n-n-n-10, batch 1' },
  { name: 'sal', run: salRun, what: 'SAL circuit Euler step (pathways + four flows), n-n-n-10, batch 1' },
];

function fmtS(s: number): string {
  return s < 1e-3 ? `${(s * 1e6).toFixed(1)} µs` : `${(s * 1e3).toFixed(2)} ms`;
}

export async function benchScaling(opts: { quick: boolean } = { quick: false }): Promise<ScalingRow[]> {
  const widths = WIDTHS;
  const repeats = opts.quick ? 3 : 7;
  const rows: ScalingRow[] = [];
  for (const m of MODELS) {
    const med: number[] = [];
    for (const n of widths) {
      const steps = stepsFor(n, opts.quick);
      const ts = stepTimes(m.run(here, n, steps), steps, repeats);
      const t = median(ts);
      med.push(t);
      rows.push({
        name: `${m.name}: time per step`,
        size: `n=${n}`,
        value: t * 1e6,
        unit: 'µs/step',
        note: `median of ${repeats} runs of ${steps} steps after a warm-up (min ${fmtS(Math.min(...ts))}, max ${fmtS(Math.max(...ts))})`,
        seconds: t,
        min: Math.min(...ts),
        max: Math.max(...ts),
        repeats,
      });
    }
    const all = linearFit(widths.map(Math.log), med.map(Math.log));
    const big = widths.map((n, i) => [n, med[i]] as const).filter(([n]) => n >= 256);
    const large = linearFit(big.map(([n]) => Math.log(n)), big.map(([, t]) => Math.log(t)));
    rows.push({
      name: `${m.name}: exponent of time per step vs width`,
      size: `n=${widths[0]}..${widths[widths.length - 1]}`,
      value: all.slope,
      unit: 'p (t ∝ n^p)',
      note: `${m.what}; r² ${all.r2.toFixed(3)}; fitted on n >= 256 only: p = ${large.slope.toFixed(2)}; expected ≈ 2 (matrix-vector bound)`,
    });
  }
  return rows;
}

/**
 * This file's cases on the checkout at `dir` (a) and on this tree (b) in this process: per model
 * and width, both runs warmed up alike, then `rounds` interleaved rounds of CPU time, each a block
 * of runs of about 0.1 s (the same count for both trees); per round, µs per step of each and b/a.
 */
export async function sideBySide(dir: string, opts: { quick: boolean; rounds: number }): Promise<PairRow[]> {
  const other = await loadTree(dir);
  const rows: PairRow[] = [];
  for (const m of MODELS) {
    for (const n of WIDTHS) {
      const steps = stepsFor(n, opts.quick);
      const runs = [m.run(other, n, steps), m.run(here, n, steps)];
      const per = Math.max(...runs.map(warmUp));
      const reps = Math.max(1, Math.round(0.1 / per));
      const block = (run: () => void) => () => {
        for (let k = 0; k < reps; k++) run();
      };
      const r = pairRounds(block(runs[0]), block(runs[1]), opts.rounds);
      rows.push(pairRow(`${m.name}: time per step`, `n=${n}`, 'µs/step', r, (s) => (s / (reps * steps)) * 1e6));
    }
  }
  return rows;
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  const against = cliArg('--against');
  if (against) {
    const tree = checkoutTree(against);
    const rounds = roundsArg() ?? 5;
    sideBySide(tree.dir, { quick, rounds })
      .then((rows) => {
        const f = (xs: number[]) => `${median(xs).toPrecision(4)} (${Math.min(...xs).toPrecision(3)}-${Math.max(...xs).toPrecision(3)})`;
        process.stdout.write(
          formatTable(['benchmark', 'size', `${against} µs/step`, 'this tree µs/step', 'this/ref per round'], rows.map((r) => [r.name, r.size, f(r.oldValues), f(r.newValues), f(r.slowdowns)])) +
            `\n(CPU time, ${rounds} interleaved rounds after the same warm-up, in one process)\n`,
        );
      })
      .finally(() => tree.remove());
  } else {
    benchScaling({ quick }).then((rows) => {
      process.stdout.write(
        formatTable(['benchmark', 'size', 'value', 'unit', 'note'], rows.map((r) => [r.name, r.size, r.value, r.unit, r.note ?? ''])) +
          '\n(timings on a shared machine are pessimistic)\n',
      );
    });
  }
}
