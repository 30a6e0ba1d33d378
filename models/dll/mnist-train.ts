/**
 * One MNIST training run for DLL, DLL-FA or BP on the shared 8,000/2,000 split (src/data/mnist.ts):
 * the same initial W and data order for the three methods at a given seed.
 */
import { Rng } from '../../src/core/random';
import { mnistSplit, oneHot, take } from '../../src/data/mnist';
import { DATA_SHAPES, loadDataset, type DataName } from '../../src/data/files';
import { epochCheckpoints, type CheckpointSettings } from '../../src/io/checkpoint';
import { accuracy, losses as lossTable } from '../../src/nn/losses';
import { reportProgress } from '../../src/parallel/pool';
import { DllMlp, paramArrays, type RelaxOptions } from './mlp';
import { trainingArrays, type OptimizerName } from '../../src/nn/optim';
import { cosine } from './stats';
import { BpTrainer, DllTrainer, epochBatches, predict, toMlpParams, type Method, type ThetaRule } from './trainer';
import type { FlowSolver } from '../../src/experiment/minibatch-flow';

export interface MnistRunOptions {
  method: Method;
  sizes: readonly number[];
  epochs: number;
  batch: number;
  lr: number;
  optimizer: OptimizerName;
  loss: 'mse' | 'cross-entropy';
  seed: number;
  trainSize: number;
  relax: RelaxOptions;
  /**
   * The integrator of the slow W/Θ flow (flow.ts; default the paper's: euler, one step per
   * minibatch, i.e. the optimiser's own step). Adam runs only so; SGD with any ODE solver.
   */
  flow?: FlowSolver;
  /** DLL's Θ rule (trainer.ts ThetaRule; default 'paper'); ignored for BP and DLL-FA. */
  thetaRule?: ThetaRule;
  /** With the 'code' rule: Θ's learning rate as a multiple of lr (default 0.1, the released code's lr/10). */
  thetaLrScale?: number;
  /** Split seed (the shared split is seed 0). */
  splitSeed?: number;
  /** Data read from files (src/data/files.ts: IDX MNIST or Fashion-MNIST, CIFAR-10) instead of the shipped 8,000/2,000 subset. */
  data?: DataName;
  dataDir?: string;
  /** Test images used (the first ones of the test split); default the whole split. */
  testSize?: number;
  /** Epoch checkpoints (weights, Θ, optimiser state, data-order generator, curve so far): see runCheckpoint in src/experiment/sweep.ts. */
  checkpoint?: CheckpointSettings;
  onBatch?: () => void;
  onEpoch?: (row: MnistEpoch) => void;
}

export interface MnistEpoch {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  /** Mean relaxation steps per batch (DLL) and the largest final residual seen. */
  relaxSteps?: number;
  relaxResidual?: number;
}

export interface MnistRunResult {
  method: Method;
  seed: number;
  /** DLL's Θ rule, when not the default 'paper'. */
  thetaRule?: ThetaRule;
  testAccuracy: number;
  testLoss: number;
  curve: MnistEpoch[];
  /** ‖Θ‖_F at the end over the hidden layers (DLL, DLL-FA). */
  thetaNorm?: number;
  /** cos(Θ_i, W_i) at the end, i = 1..L−1 (DLL, DLL-FA): whether the learned feedback aligns with W. */
  thetaWCosine?: number[];
}

/**
 * One training run; a pure function of its options, so it also serves as a sweep task (it reports
 * one unit of progress per epoch). With `checkpoint`, a resumed run continues bit-identically.
 */
export function runMnist(o: MnistRunOptions): MnistRunResult {
  const shape = DATA_SHAPES[o.data ?? 'mnist'];
  if (o.sizes[0] !== shape.d || o.sizes[o.sizes.length - 1] !== shape.classes) {
    throw new Error(`${o.data ?? 'mnist'} needs ${shape.d} inputs and ${shape.classes} outputs; got sizes [${o.sizes.join(', ')}] (e.g. ${shape.d},256,128,${shape.classes}; the paper's MNIST MLP: 784,1024,512,256,10)`);
  }
  const split = o.data ? loadDataset(o.data, o.dataDir) : mnistSplit(o.splitSeed ?? 0);
  if (o.trainSize > split.train.n) throw new Error(`trainSize ${o.trainSize} is more than the ${split.train.n} training images of the data set`);
  const train = take(split.train, o.trainSize);
  if ((o.testSize ?? 0) > split.test.n) throw new Error(`testSize ${o.testSize} is more than the ${split.test.n} test images of the data set`);
  const test = o.testSize ? take(split.test, o.testSize) : split.test;
  const C = shape.classes;
  const tTrain = oneHot(train.y, C);
  const tTest = oneHot(test.y, C);
  const thetaRule = o.method === 'dll' ? (o.thetaRule ?? 'paper') : 'paper';
  const net = new DllMlp({ sizes: o.sizes, hidden: 'tanh', loss: o.loss, feedback: o.method === 'dll-fa' || thetaRule === 'fixed' ? 'fixed' : 'learned' });
  const p0 = net.init(new Rng(o.seed));
  const dataRng = new Rng(o.seed + 1000003);
  const lossFn = lossTable[o.loss];
  const curve: MnistEpoch[] = [];

  let trainer: DllTrainer | BpTrainer;
  let weights: () => { W: typeof p0.W; b: typeof p0.b };
  let state: () => Record<string, Float64Array>;
  let dll: DllTrainer | null = null;
  if (o.method === 'bp') {
    const bp = (trainer = new BpTrainer(o.sizes, 'tanh', toMlpParams(p0), o.loss, { optimizer: o.optimizer, lr: o.lr, flow: o.flow }));
    weights = () => bp.params;
    state = () => trainingArrays([...bp.params.W.map((w) => w.data), ...bp.params.b], bp.optimizer);
  } else {
    dll = trainer = new DllTrainer(net, p0, o.batch, { optimizer: o.optimizer, lr: o.lr, relax: o.relax, thetaRule, thetaLrScale: o.thetaLrScale, flow: o.flow });
    weights = () => p0;
    state = () => (thetaRule === 'code' ? dll!.trainingState() : trainingArrays(paramArrays(p0), dll!.optimizer));
  }
  const { epochs, checkpoint, onBatch, onEpoch, ...settings } = o;
  const ck = epochCheckpoints(checkpoint, { epochs, arrays: state, rngs: { data: dataRng }, settings, extra: () => ({ curve }) });
  if (ck.extra) curve.push(...ck.extra.curve);

  for (let epoch = ck.start; epoch <= o.epochs; epoch++) {
    // One integration of the slow flow per epoch: minibatch k of the epoch's shuffle on [k, k + 1).
    const batches = epochBatches(train.x, tTrain, train.n, train.d, C, o.batch, dataRng);
    if (dll) Object.assign(dll.relaxStats, { count: 0, steps: 0, nfe: 0, worstResidual: 0 });
    const sum = trainer.run(batches.count, batches.load, () => o.onBatch?.());
    const count = batches.count;
    const out = predict(o.sizes, 'tanh', weights(), test.x, test.n);
    const row: MnistEpoch = {
      epoch,
      trainLoss: sum / count,
      testLoss: lossFn.evaluate(out, tTest, test.n),
      testAccuracy: accuracy(out, test.y, C),
      ...(dll ? { relaxSteps: dll.relaxStats.steps / dll.relaxStats.count, relaxResidual: dll.relaxStats.worstResidual } : {}),
    };
    curve.push(row);
    o.onEpoch?.(row);
    ck.done(epoch);
    reportProgress(1, `${o.method} seed ${o.seed} epoch ${epoch}`);
  }
  const last = curve[curve.length - 1];
  let thetaNorm: number | undefined;
  let thetaWCosine: number[] | undefined;
  if (o.method !== 'bp') {
    thetaNorm = 0;
    for (const th of p0.Theta) for (const v of th.data) thetaNorm += v * v;
    thetaNorm = Math.sqrt(thetaNorm);
    thetaWCosine = p0.Theta.map((th, k) => cosine([th.data], [p0.W[k + 1].data]));
  }
  return { method: o.method, seed: o.seed, ...(thetaRule !== 'paper' ? { thetaRule } : {}), testAccuracy: last.testAccuracy, testLoss: last.testLoss, curve, thetaNorm, thetaWCosine };
}

/**
 * One point of a learning-rate sweep, where a diverging run is a result (dll-lr): its message
 * instead of a throw. A checkpoint that does not fit (other settings, corrupt) is still an error.
 */
export function runMnistPoint(o: MnistRunOptions): { result: MnistRunResult | null; status: string } {
  try {
    return { result: runMnist(o), status: 'ok' };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/checkpoint/.test(message)) throw e;
    return { result: null, status: message };
  }
}
