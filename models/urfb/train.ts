/**
 * Training the Section 3 network (nonlinear.ts) on the shared MNIST split (src/data/mnist.ts,
 * 8,000 train / 2,000 test) or a data set read from files (--data, --data-dir: full MNIST or
 * Fashion-MNIST IDX files, CIFAR-10's binary batches; src/data/files.ts), for `creditflow train urfb` and `creditflow reproduce urfb-mnist`.
 *
 * Per epoch: a seeded shuffle, then `solve` over the epoch's minibatches (nonlinear.ts
 * `FeedbackFlow`: time counted in minibatches, the minibatch a piecewise-constant input that
 * changes at every integer time; by default 'euler' with step 1, i.e. one SGD step of η per
 * minibatch), then the test error. The reported training loss and error are the means over the
 * epoch's minibatches, from the forward pass that precedes each update (as in the paper's training
 * curves; a core reduction, weighted by step length when a solver takes several steps per
 * minibatch); the test error is evaluated after the epoch. Inputs are the package's pixel values in [0, 1], not pre-processed (the paper
 * does no pre-processing).
 */
import { Rng } from '../../src/core/random';
import { constantStep } from '../../src/core/controller';
import { piecewiseInput, uniformJumps } from '../../src/core/input';
import { solve } from '../../src/core/solve';
import { solvers } from '../../solvers/index';
import { epochCheckpoints, type CheckpointSettings } from '../../src/io/checkpoint';
import { mnistSplit, take, type Dataset } from '../../src/data/mnist';
import { DATA_SHAPES, dataDescription, loadDataset, type DataName } from '../../src/data/files';
import { epochOrder, gatherRows } from '../../src/nn/mlp';
import { reportProgress } from '../../src/parallel/pool';
import { FeedbackNet, FeedbackFlow, type Minibatch, type Rule } from './nonlinear';

export interface TrainSettings {
  rule: Rule;
  hidden: number[];
  epochs: number;
  batch: number;
  lr: number;
  mu: number;
  sparsity: number;
  epsilon: number;
  seed: number;
  /** Use only the first n training / test samples (0 = all). */
  trainSize: number;
  testSize: number;
  /** The data set read from files (--data, --data-dir; src/data/files.ts); absent: the shipped MNIST 8,000/2,000 split. */
  data?: { name: DataName; dir?: string };
  /**
   * The integrator of the learning flow (default 'euler' with step 1: one SGD step per minibatch).
   * Time is counted in minibatches, so `dt0` is in minibatches.
   */
  solver?: string;
  dt0?: number;
  rtol?: number;
  atol?: number;
}

export const trainDefaults: Omit<TrainSettings, 'rule' | 'seed'> = {
  hidden: [256, 256],
  epochs: 10,
  batch: 50,
  lr: 0.1,
  mu: 0.2,
  sparsity: 0,
  epsilon: 1,
  trainSize: 0,
  testSize: 0,
};

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainError: number;
  testError: number;
  /** corr(W_l, R_lᵀ) for l = 2..L (1 for BP). */
  alignment: number[];
  seconds: number;
}

export interface TrainResult {
  settings: TrainSettings;
  sizes: number[];
  epochs: EpochRecord[];
  finalTestError: number;
}

export function checkTrainSettings(s: TrainSettings): void {
  if (!(Number.isInteger(s.epochs) && s.epochs >= 1)) throw new Error(`--epochs must be an integer >= 1 (got ${s.epochs})`);
  if (!(Number.isInteger(s.batch) && s.batch >= 1)) throw new Error(`--batch-size must be an integer >= 1 (got ${s.batch})`);
  if (!(s.lr > 0 && Number.isFinite(s.lr))) throw new Error(`--lr must be a finite number > 0 (got ${s.lr})`);
  if (s.hidden.length === 0 || s.hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new Error(`--hidden must list integer widths >= 1 (got ${s.hidden.join(',')})`);
  checkTrainSolver(s.solver ?? 'euler');
  if (s.dt0 !== undefined && !(s.dt0 > 0 && Number.isFinite(s.dt0))) throw new Error(`--dt0 must be a finite number > 0 minibatches (got ${s.dt0})`);
}

/** Solvers that can integrate the minibatch flow: ODE solvers that can stop at the minibatch boundaries (not a driver such as odex). */
export function trainSolvers(): string[] {
  return solvers.names().filter((n) => solvers.get(n).ode && solvers.get(n).kind !== 'driver');
}

/** Refuse a solver that cannot integrate the minibatch flow, naming those that can. */
export function checkTrainSolver(name: string): void {
  if (!solvers.has(name)) throw new Error(`--solver ${name} is not a registered solver; use --solver ${trainSolvers().join(' or ')}`);
  const s = solvers.get(name);
  if (!s.ode) throw new Error(`--solver ${name} handles SDEs only, but the minibatch learning flow is an ODE; use --solver ${trainSolvers().join(' or ')}`);
  if (s.kind === 'driver') throw new Error(`--solver ${name} chooses its own steps and cannot stop at the minibatch boundaries of the learning flow; use --solver ${trainSolvers().join(' or ')}`);
}

/**
 * What one training run holds, from its sizes: W and R with their masks, updates and the
 * checkpoint's copy (~8 arrays of every layer's weights), the minibatch activations and errors
 * (~6 per unit), and the 10,000-image MNIST split (~63 MB as float64) shared by the runs.
 */
export function trainFootprint(s: Pick<TrainSettings, 'hidden' | 'batch' | 'data'>): number {
  const shape = DATA_SHAPES[s.data?.name ?? 'mnist'];
  const sizes = [shape.d, ...s.hidden, shape.classes];
  let weights = 0;
  let units = 0;
  for (let l = 1; l < sizes.length; l++) {
    weights += sizes[l] * sizes[l - 1];
    units += sizes[l];
  }
  return 8 * (8 * weights + 6 * s.batch * units);
}

/**
 * The run's train and test images: the first `trainSize` / `testSize` (0 = all) of the shipped MNIST
 * split, or of the data set `data` names (its own full splits). Asking for more than there are is
 * refused, naming the options.
 */
export function loadData(s: Pick<TrainSettings, 'trainSize' | 'testSize' | 'data'>): { train: Dataset; test: Dataset } {
  const split = s.data ? loadDataset(s.data.name, s.data.dir) : mnistSplit(0);
  if (s.trainSize > split.train.n || s.testSize > split.test.n) {
    const what = s.data ? dataDescription(s.data.name, s.data.dir, split.train.n, split.test.n) : 'the shipped MNIST split (8,000/2,000)';
    throw new Error(`--train-size ${s.trainSize} / --test-size ${s.testSize}: ${what} has ${split.train.n.toLocaleString('en')} training and ${split.test.n.toLocaleString('en')} test images; ask for at most those, or 0 for all`);
  }
  return {
    train: s.trainSize > 0 ? take(split.train, s.trainSize) : split.train,
    test: s.testSize > 0 ? take(split.test, s.testSize) : split.test,
  };
}

/** The network's plastic state by name, for checkpoints. */
function netArrays(net: FeedbackNet): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  net.W.forEach((w, l) => (out[`W${l}`] = w.data));
  net.R.forEach((r, l) => (out[`R${l}`] = r.data));
  return out;
}

/**
 * Train one network. `onBatch` is called after every minibatch (progress), `onEpoch` after every
 * epoch. Throws if the loss or any weight becomes non-finite (with the epoch, the matrix and the
 * options to lower).
 * With `checkpoint`, the weights, feedback matrices, generator state and epoch records are saved
 * every `every` epochs; a resumed run continues bit-identically to an uninterrupted one (the masks
 * are rebuilt from the seed).
 */
export function trainNetwork(
  s: TrainSettings,
  data: { train: Dataset; test: Dataset },
  hooks: { onBatch?: () => void; onEpoch?: (r: EpochRecord) => void; checkpoint?: CheckpointSettings } = {},
): TrainResult {
  checkTrainSettings(s);
  const { train, test } = data;
  const sizes = [train.d, ...s.hidden, train.classes];
  const net = new FeedbackNet({ sizes, rule: s.rule, mu: s.mu, sparsity: s.sparsity, epsilon: s.epsilon }, s.seed);
  const rng = new Rng(s.seed).fork(7);
  const d = train.d;
  const mb: Minibatch = { x: new Float64Array(s.batch * d), labels: new Int32Array(s.batch), size: 0 };
  const nb = batchesPerEpoch(s, train.n);
  let order: Int32Array = new Int32Array(0);
  // Minibatch k of the epoch on [k, k + 1): the shuffled rows k·batch .. (k + 1)·batch − 1.
  const input = piecewiseInput(uniformJumps(0, nb, 1), (k) => {
    const start = k * s.batch;
    const end = Math.min(train.n, start + s.batch);
    gatherRows(train.x, d, order, start, end, mb.x);
    for (let r = start; r < end; r++) mb.labels[r - start] = train.y[order[r]];
    mb.size = end - start;
    hooks.onBatch?.();
  });
  const flow = new FeedbackFlow(net, s.lr, mb, input);
  const solver = solvers.get(s.solver ?? 'euler');
  const epochs: EpochRecord[] = [];
  const { epochs: total, ...settings } = s;
  const ck = epochCheckpoints(hooks.checkpoint, { epochs: total, arrays: () => netArrays(net), rngs: { order: rng }, settings, extra: () => ({ epochs }) });
  if (ck.extra) epochs.push(...ck.extra.epochs);
  const lower = `lower --lr (now ${s.lr})${s.rule === 'urfb' ? ` or --epsilon (now ${s.epsilon})` : ''}${s.rule === 'bp' ? '' : ` or --mu (now ${s.mu})`}`;
  for (let epoch = ck.start; epoch <= s.epochs; epoch++) {
    const t0 = performance.now();
    order = epochOrder(train.n, rng);
    const sol = solve(flow.problem, solver, {
      t0: 0,
      t1: nb,
      y0: net.y,
      dt0: s.dt0 ?? 1,
      controller: solver.adaptive ? undefined : constantStep(),
      rtol: s.rtol,
      atol: s.atol,
      reductions: [flow.statistics()],
    });
    if (sol.status === 'diverged') {
      throw new Error(`training diverged in epoch ${epoch} (${sol.diverged?.block ?? 'a weight'} not finite at minibatch ${Math.ceil(sol.diverged?.t ?? sol.t)} of ${nb}); ${lower}`);
    }
    if (sol.status !== 'ok') throw new Error(`training stopped in epoch ${epoch}: ${sol.message}`);
    net.y.set(sol.y);
    const [loss, errors] = sol.reductions[0];
    const te = net.evaluate(test.x, test.y, test.n);
    const rec: EpochRecord = { epoch, loss: loss / train.n, trainError: errors / train.n, testError: te.error, alignment: net.alignment(), seconds: (performance.now() - t0) / 1000 };
    // the weights are finite here: `solve` checked every step for divergence
    const blowup = rec.alignment.some((a) => !Number.isFinite(a)) ? 'the alignment corr(W_l, R_lᵀ) (weights too large to correlate)' : null;
    if (!Number.isFinite(rec.loss) || blowup) {
      throw new Error(`training diverged in epoch ${epoch} (loss ${rec.loss}${blowup ? `; ${blowup} not finite` : ''}); ${lower}`);
    }
    epochs.push(rec);
    hooks.onEpoch?.(rec);
    ck.done(epoch);
  }
  return { settings: s, sizes, epochs, finalTestError: epochs[epochs.length - 1].testError };
}

/** One run of `reproduce urfb-mnist` as a sweep task: loads its data, reports one unit of progress per epoch. */
export function trainTask(args: { settings: TrainSettings; checkpoint?: CheckpointSettings }): TrainResult {
  const s = args.settings;
  return trainNetwork(s, loadData(s), { checkpoint: args.checkpoint, onEpoch: (r) => reportProgress(1, `${s.rule} seed ${s.seed} epoch ${r.epoch}`) });
}

export function batchesPerEpoch(s: Pick<TrainSettings, 'batch'>, n: number): number {
  return Math.ceil(n / s.batch);
}
