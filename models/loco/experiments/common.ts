/**
 * Shared pieces of the LOCO experiments: option specs, batching, evaluation, plotting helpers, and
 * the checkpoints of a training run.
 *
 * Each experiment's independent runs are `SweepTask`s (src/experiment/sweep.ts) calling an exported task
 * function of the experiment's module in worker threads; a task loads the MNIST split itself (the
 * split is cached on disk), so only the settings travel to the worker.
 */
import { Rng } from '../../../src/core/random';
import { mnistSplit, take, type Dataset } from '../../../src/data/mnist';
import { loadDataset, type DataName } from '../../../src/data/files';
import { opt, UsageError, type ParsedOf } from '../../../src/experiment/options';
import { solverChoice, solverOptions, type SolverOptions } from '../../../src/experiment/solver-options';
import { minibatchFlowChoice, type FlowSolver } from '../../../src/experiment/minibatch-flow';
import { solvers } from '../../../src/core/solvers';
import { checkClockWindow, type LifIntegrator } from '../../lif/network';
import type { LifParams } from '../../lif/params';
import { epochCheckpoints, type CheckpointSettings } from '../../../src/io/checkpoint';
import { gatherRows } from '../../../src/nn/mlp';
import { accuracy } from '../../../src/nn/losses';
import { SnnNet, type PerturbableNetwork } from '../nets';
import { PerturbationLearner, WEIGHT_FLOW, type NetworkLearner } from '../rules';

/**
 * --solver/--dt0/--rtol/--atol of the weights' learning flow (rules.ts NetworkLearner: minibatch k
 * on [k, k + 1), dθ/dt = −η ĝ_k(θ)); default Euler with one step per minibatch, the papers' update.
 */
export const weightFlowOptions = () => solverOptions({ solver: 'euler', dt0: "1: one step per minibatch, the paper's update W ← W − ηĝ; --dt0 is in minibatches, in (0, 1]" });

/** The parsed options `weightFlowChoice` reads (every LOCO command has them). */
export type WeightFlowOptions = SolverOptions;

/**
 * The weights' flow from --solver/--dt0/--rtol/--atol, refused before any work when it cannot run it
 * (an SDE solver, odex, a step above one minibatch) or when the runs include the code variant's
 * Adam (only Euler at one step per minibatch is exact with it). Undefined: the paper's Euler.
 */
export function weightFlowChoice(opts: WeightFlowOptions, withAdam: boolean): FlowSolver | undefined {
  const { flow } = minibatchFlowChoice(opts, WEIGHT_FLOW, 'sgd');
  if (flow && withAdam) {
    throw new UsageError(`--variant code trains with Adam, whose moments advance once per minibatch, so its weights' flow runs only as --solver euler --dt0 1; give --variant paper to integrate the flow with --solver ${flow.solver}${flow.dt0 !== undefined ? ` --dt0 ${flow.dt0}` : ''}`);
  }
  return flow;
}

/**
 * --snn-solver/--snn-dt0 of the spiking network's window: clock-driven spikes (spikingjelly's
 * schedule), so fixed steps; default Euler–Maruyama (forward Euler plus the membrane noise's
 * increment, the paper's clock step) with dt0 = dt = 1 ms.
 */
export const snnSolverOptions = () =>
  [
    opt.choice('snn-solver', `integrator of the spiking network's window, clock-driven (fixed-step solvers; registered: ${solvers.names().join(', ')}); --solver integrates the weights`, solvers.names(), { default: 'euler_maruyama' }),
    opt.number('snn-dt0', 'clock step of the spiking network in ms (default: dt = 1 ms)', { min: 0, validate: (v) => (v > 0 ? undefined : 'must be > 0') }),
  ] as const;

/** The parsed options `snnIntegrator` reads (the commands that train a spiking network have them). */
export type SnnSolverOptions = ParsedOf<ReturnType<typeof snnSolverOptions>>;

/**
 * The SNN's integrator from --snn-solver/--snn-dt0, refused before any work when it cannot run the
 * window (`window` ms of a network of LIF neurons `lif`): an ODE-only solver with membrane noise, an
 * adaptive one, a step above τ_m or one that does not divide the window.
 */
export function snnIntegrator(opts: SnnSolverOptions, noise: number, window: number, lif: LifParams): LifIntegrator {
  const c = solverChoice(opts, { what: `the spiking network's window (clock-driven spikes${noise > 0 ? ', membrane noise' : ''})`, sde: noise > 0, fixedStep: true }, 'snn-');
  if (c.dt0 !== undefined) {
    try {
      checkClockWindow(c.dt0, window, lif);
    } catch (e) {
      throw new UsageError(`--snn-dt0 ${c.dt0}: ${(e as Error).message}`);
    }
  }
  return { ...c, mode: 'clock' };
}

/**
 * Class-pure batches for one epoch (Section 2.3: "the data within each batch belongs to the same
 * category"): each class's indices are shuffled and cut into batches of `size` (the last one of a
 * class may be smaller), and the batches are shuffled.
 */
export function classPureBatches(labels: Int32Array, classes: readonly number[], size: number, rng: Rng): Int32Array[] {
  const byClass = new Map<number, number[]>();
  for (const c of classes) byClass.set(c, []);
  labels.forEach((c, i) => byClass.get(c)?.push(i));
  const batches: Int32Array[] = [];
  for (const c of classes) {
    const idx = byClass.get(c)!.slice();
    rng.shuffle(idx);
    for (let s = 0; s < idx.length; s += size) batches.push(Int32Array.from(idx.slice(s, s + size)));
  }
  rng.shuffle(batches);
  return batches;
}

/** Rows of a dataset as a batch: inputs (B x d), one-hot targets scaled by `on`, labels. */
export function gatherBatch(ds: Dataset, idx: Int32Array, on = 1): { x: Float64Array; t: Float64Array; y: Int32Array } {
  const B = idx.length;
  const x = new Float64Array(B * ds.d);
  gatherRows(ds.x, ds.d, idx, 0, B, x);
  const y = new Int32Array(B);
  const t = new Float64Array(B * ds.classes);
  for (let b = 0; b < B; b++) {
    y[b] = ds.y[idx[b]];
    t[b * ds.classes + y[b]] = on;
  }
  return { x, t, y };
}

/** Accuracy of the network's arg-max output on (a subset of the classes of) a dataset, in batches. */
export function evaluate(net: PerturbableNetwork, ds: Dataset, opts: { classes?: readonly number[]; batch?: number } = {}): number {
  const keep: number[] = [];
  for (let i = 0; i < ds.n; i++) if (!opts.classes || opts.classes.includes(ds.y[i])) keep.push(i);
  const B = opts.batch ?? 250;
  let correct = 0;
  for (let s = 0; s < keep.length; s += B) {
    const idx = Int32Array.from(keep.slice(s, s + B));
    const { x, y } = gatherBatch(ds, idx);
    const out = net.forward(x, idx.length).output;
    correct += accuracy(out, y, ds.classes) * idx.length;
  }
  return keep.length ? correct / keep.length : NaN;
}

/** Mean and (sample) standard deviation. */
export function meanStd(v: readonly number[]): { mean: number; std: number } {
  const n = v.length;
  const mean = v.reduce((s, a) => s + a, 0) / n;
  const std = n > 1 ? Math.sqrt(v.reduce((s, a) => s + (a - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

export const COLORS: Record<string, string> = { bp: '#444444', np: '#1f77b4', loco: '#d62728' };

/** Where a run's images come from: a data set read from files (src/data/files.ts); absent: the shipped MNIST subset. */
export interface DataSource {
  name: DataName;
  dir?: string;
}

/**
 * The first `trainSize` training images and the first `testSize` test images (all when absent) of
 * `data`, or of the shared 8,000/2,000 MNIST split (seed 0) when `data` is absent.
 */
export function mnistData(trainSize: number, data?: DataSource, testSize?: number): { train: Dataset; test: Dataset } {
  const split = data ? loadDataset(data.name, data.dir) : mnistSplit(0);
  return { train: take(split.train, trainSize), test: testSize === undefined ? split.test : take(split.test, testSize) };
}

/**
 * `epochCheckpoints` for a network trained by NP, LOCO or BP: the checkpoint holds the weights and
 * biases, each LOCO projector's buffered directions and k-means centres (they carry over between
 * epochs), and the generators (perturbations, k-means seeding, SNN membrane noise, plus `rngs`, e.g.
 * the batch order). Plain gradient descent has no optimiser state. Loop
 * `for (let e = start; e <= epochs; e++) { ...; done(e); }`, restoring `extra` when start > 1.
 */
export function trainingCheckpoints<X>(
  ck: CheckpointSettings | undefined,
  run: { epochs: number; net: PerturbableNetwork; learner: NetworkLearner; rngs: Record<string, Rng>; settings: unknown; extra: () => X },
): { start: number; extra: X | undefined; done(epoch: number): void } {
  const { net } = run;
  const learner = run.learner instanceof PerturbationLearner ? run.learner : null; // BP keeps nothing but the weights
  const projectors = learner?.projectors ?? [];
  const packed = ck ? projectors.map((p) => p.saveState()) : []; // without checkpoints, arrays() is never called
  const rngs: Record<string, Rng> = { ...run.rngs };
  if (learner) rngs.perturbation = learner.rng;
  projectors.forEach((p, l) => (rngs[`loco${l + 1}`] = p.rng));
  if (net instanceof SnnNet) rngs.noise = net.noiseRng;
  const arrays = () => {
    const a: Record<string, Float64Array> = {};
    net.W.forEach((w, l) => (a[`W${l + 1}`] = w.data));
    if (net.bias) net.b.forEach((b, l) => (a[`b${l + 1}`] = b));
    projectors.forEach((p, l) => (a[`loco${l + 1}`] = p.saveState(packed[l])));
    for (const [k, v] of Object.entries(learner?.optimizerState() ?? {})) a[`opt.${k}`] = v;
    return a;
  };
  const ep = epochCheckpoints(ck, { epochs: run.epochs, arrays, rngs, settings: run.settings, extra: run.extra });
  if (ep.start > 1) projectors.forEach((p, l) => p.loadState(packed[l]));
  return ep;
}
