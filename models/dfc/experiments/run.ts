/**
 * One training run of one method (a pure function of its arguments, so the experiments can run
 * several in worker threads with src/parallel/pool.ts and get the same numbers as in series):
 * optional feedback pre-training, then epochs of forward learning alternated with feedback learning
 * (wake-sleep), with the Fig. 3 measurements (alignment.ts) on every `logEvery`-th minibatch.
 */
import { opt, type ParsedOf } from '../../../src/experiment/options';
import { batchSizeOption, epochsOption, lrOption, seedsOption, singleSeed } from '../../../src/experiment/groups';
import { solverChoice, solverOptions } from '../../../src/experiment/solver-options';
import type { PhaseSolver } from '../batched';
import { epochCheckpoints, type CheckpointSettings } from '../../../src/io/checkpoint';
import { reportProgress } from '../../../src/parallel/pool';
import { FIG3_FEEDBACK, type ControllerConfig, type FeedbackConfig } from '../config';
import { measureAlignment, type Alignment } from '../alignment';
import { DfcNet, type DfcLoss, type DfcParams } from '../network';
import { DfcDivergenceError, type Method } from '../rules';
import { DfcTrainer, type Data } from '../trainer';

export interface RunArgs {
  label: string;
  method: Method;
  feedback: 'trained' | 'fixed';
  sizes: number[];
  hidden: string;
  loss: DfcLoss;
  train: Data;
  test: Data;
  classes: boolean;
  forward: ControllerConfig;
  sleep: FeedbackConfig;
  optimizer: 'adam' | 'sgd';
  lr: number;
  lrQ: number;
  batchSize: number;
  epochs: number;
  fbPretrainEpochs: number;
  fbEpochsPerEpoch: number;
  seed: number;
  /** Measure alignment every this many minibatches (0: never). */
  logEvery: number;
  /** Start from these weights (e.g. feedback pre-trained once for a sweep) instead of a fresh initialisation. */
  init?: DfcParams;
  /** Checkpoint after forward epochs (weights, Adam moments, generators, records) and resume from one. */
  checkpoint?: CheckpointSettings;
  /** Integrator of the wake phase (--solver, --dt0, --rtol, --atol); default 'euler' with the paper's dt. */
  wakeSolver?: PhaseSolver;
}

/**
 * The options every DFC reproduction shares, with each experiment's defaults: `--seeds` (one seed:
 * each row is one network), the training group (`--epochs` of forward learning, `--batch-size`,
 * `--lr` of the forward weights), `--lr-q` of the feedback weights, feedback pre-training, and the
 * wake phase's integrator (`--solver`, `--dt0`, `--rtol`, `--atol`).
 */
export function sharedRunOptions(d: { epochs: number; lrQ: number; fbPretrainEpochs: number; seed: string; fbPretrain: string }) {
  return [
    seedsOption({ description: d.seed, single: 'each DFC reproduction trains one network per row, with its curves and claims', several: (v) => `run the command once per seed, e.g. --seeds ${v[0]}` }),
    epochsOption(d.epochs, 'forward-learning epochs'),
    batchSizeOption(32),
    lrOption(1e-3, 'Adam learning rate, forward weights'),
    opt.number('lr-q', 'Adam learning rate, feedback weights', { default: d.lrQ, min: 0 }),
    opt.integer('fb-pretrain-epochs', d.fbPretrain, { default: d.fbPretrainEpochs, min: 0 }),
    ...solverOptions({ solver: 'euler', dt0: "the paper's Euler step dt of the wake phase (Fig. 3: 0.005 τ_u; MNIST: --dt); the sleep phase keeps Euler–Maruyama" }),
  ] as const;
}

/** The controller's settings (eqs. 1-4: target step λ, leak α, proportional gain k_p) with their defaults from `forward`, and the feedback epochs per forward epoch. */
export function controllerOptions(forward: { lambda: number; alpha: number; kp: number }) {
  return [
    opt.number('lambda', 'target step size λ', { default: forward.lambda, min: 0 }),
    opt.number('alpha', 'controller leak α', { default: forward.alpha, min: 0 }),
    opt.number('kp', 'proportional gain k_p', { default: forward.kp, min: 0 }),
    opt.integer('fb-epochs', 'feedback epochs after each forward epoch', { default: 1, min: 0 }),
  ] as const;
}

/** The parsed shared options (every DFC reproduction's options include them). */
export type DfcRunOptions = ParsedOf<ReturnType<typeof sharedRunOptions>>;

/**
 * The RunArgs fields every DFC experiment fills from its options in the same way: Adam on the
 * forward and feedback weights, the Fig. 3 sleep phase, minibatch size, epochs and seed.
 */
export function sharedRunArgs(opts: DfcRunOptions): Pick<RunArgs, 'sleep' | 'optimizer' | 'lr' | 'lrQ' | 'batchSize' | 'epochs' | 'seed' | 'wakeSolver'> {
  return { sleep: FIG3_FEEDBACK, optimizer: 'adam', lr: opts.lr, lrQ: opts.lrQ, batchSize: opts.batchSize, epochs: opts.epochs, seed: runSeed(opts), wakeSolver: wakeSolverChoice(opts) };
}

/** The run's one seed (`--seeds` with a single value; a list is refused when the options are parsed). */
export function runSeed(opts: { seeds: readonly number[] }): number {
  return singleSeed(opts);
}

/**
 * The wake phase's integrator from --solver/--dt0/--rtol/--atol, refused before any work when it
 * cannot integrate an ODE. The choice: --solver applies to the wake phase (eqs. 1, 4, 5, an ODE:
 * the learning dynamics of the forward weights); the sleep phase (eqs. 12, 13, an SDE) keeps
 * Euler–Maruyama with the paper's dt, as does any noisy wake phase (σ > 0).
 */
export function wakeSolverChoice(opts: DfcRunOptions): PhaseSolver {
  return solverChoice(opts, { what: 'the DFC wake phase (eqs. 1, 4, 5)', sde: false });
}

/** The trainer of a run (method and feedback overridable, e.g. for feedback pre-training). */
function makeTrainer(a: RunArgs, net: DfcNet, over: Partial<Pick<RunArgs, 'method' | 'feedback'>> = {}, init?: DfcParams): DfcTrainer {
  return new DfcTrainer(net, {
    method: over.method ?? a.method,
    feedback: over.feedback ?? a.feedback,
    forward: a.forward,
    sleep: a.sleep,
    optimizer: a.optimizer,
    lr: a.lr,
    lrQ: a.lrQ,
    batchSize: a.batchSize,
    fbEpochsPerEpoch: a.fbEpochsPerEpoch,
    seed: a.seed,
    wakeSolver: a.wakeSolver,
  }, init);
}

export interface SeriesPoint extends Alignment {
  epoch: number;
  batch: number;
  iteration: number;
  loss: number;
}

export interface RunResult {
  label: string;
  method: Method;
  feedback: 'trained' | 'fixed';
  status: 'ok' | 'diverged';
  message?: string;
  maxEigenvalue?: number;
  series: SeriesPoint[];
  epochs: { epoch: number; trainLoss: number; testLoss: number; testAccuracy: number }[];
  initialTestLoss: number;
  seconds: number;
}

/**
 * Train one run; reports one unit of progress per forward epoch. With `a.checkpoint`, everything the
 * next epoch reads is saved after forward epochs, and a resumed run (feedback pre-training included
 * in the checkpoint) continues bit-identically.
 */
export function trainRun(a: RunArgs): RunResult {
  const t0 = performance.now();
  const net = new DfcNet({ sizes: a.sizes, hidden: a.hidden, loss: a.loss });
  const trainer = makeTrainer(a, net, {}, a.init);
  let result: RunResult = {
    label: a.label,
    method: a.method,
    feedback: a.feedback,
    status: 'ok',
    series: [],
    epochs: [],
    initialTestLoss: trainer.evaluate(a.test, a.classes).loss,
    seconds: 0,
  };
  const { checkpoint: _where, train, test, init: _w, epochs: _n, ...rest } = a;
  const settings = { ...rest, data: [train.n, test.n] };
  const ck = epochCheckpoints(a.checkpoint, { epochs: a.epochs, ...trainer.checkpointState(), settings, extra: () => ({ ...result, seconds: (performance.now() - t0) / 1000 + result.seconds }) });
  if (ck.extra) result = ck.extra;
  const secondsBefore = result.seconds;
  const isDfc = a.method === 'DFC' || a.method === 'DFC-SS' || a.method === 'DFC-SSA';
  const perEpoch = Math.ceil(a.train.n / a.batchSize);
  reportProgress(ck.start - 1, `${a.label}: resumed after epoch ${ck.start - 1}`);
  try {
    if (trainer.learnsFeedback && ck.start === 1) for (let e = 0; e < a.fbPretrainEpochs; e++) trainer.feedbackEpoch(a.train);
    for (let epoch = ck.start - 1; epoch < a.epochs; epoch++) {
      const trainLoss = trainer.forwardEpoch(a.train, epoch, (ev) => {
        if (!isDfc || a.logEvery <= 0 || ev.batch % a.logEvery !== 0) return;
        const al = measureAlignment(a.method as 'DFC', net, trainer.params, ev.batchData, a.forward, trainer.engine, { solver: a.wakeSolver });
        const loss = trainer.evaluate({ x: ev.batchData.X.data, y: ev.batchData.Y.data, n: ev.batchData.X.rows }).loss;
        result.series.push({ epoch, batch: ev.batch, iteration: epoch * perEpoch + ev.batch, loss, ...al });
      });
      for (let k = 0; k < a.fbEpochsPerEpoch; k++) trainer.feedbackEpoch(a.train);
      const ev = trainer.evaluate(a.test, a.classes);
      result.epochs.push({ epoch, trainLoss, testLoss: ev.loss, testAccuracy: ev.accuracy });
      ck.done(epoch + 1);
      reportProgress(1, `${a.label} epoch ${epoch + 1}: test loss ${ev.loss.toPrecision(4)}`);
    }
  } catch (e) {
    if (!(e instanceof DfcDivergenceError)) throw e;
    result.status = 'diverged';
    result.message = e.message;
    result.maxEigenvalue = e.maxEigenvalue;
  }
  result.seconds = secondsBefore + (performance.now() - t0) / 1000;
  return result;
}

/**
 * Feedback pre-training on its own (for sweeps that share it): a fresh trained-feedback
 * initialisation, `epochs` sleep-phase epochs, and the resulting weights.
 */
export function pretrainFeedback(a: RunArgs): DfcParams {
  const net = new DfcNet({ sizes: a.sizes, hidden: a.hidden, loss: a.loss });
  const trainer = makeTrainer(a, net, { method: 'DFC', feedback: 'trained' });
  for (let e = 0; e < a.fbPretrainEpochs; e++) trainer.feedbackEpoch(a.train);
  return trainer.params;
}

/** Moving average over `w` points (shorter at the start), for the window-averaged curves of Fig. 3. */
export function movingAverage(xs: readonly number[], w: number): number[] {
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i];
    if (i >= w) s -= xs[i - w];
    out.push(s / Math.min(i + 1, w));
  }
  return out;
}
