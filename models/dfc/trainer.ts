/**
 * Training: minibatch loops for the DFC variants and the baselines, with wake-sleep alternation of
 * forward and feedback learning (Section 5-6).
 *
 * - Feedback 'fixed': Q_i = Π_{k>i} W_kᵀ of the initial W, never changed (the paper's "(fixed)").
 * - Feedback 'trained': Q starts random (Q_i ~ N(0, 2/(n_i + n_L)) for i < L, Q_L = I: our choice,
 *   the paper's code initialises randomly too), is pre-trained for `fbPretrainEpochs` epochs of the
 *   sleep phase, then each epoch is 1 forward epoch followed by `fbEpochsPerEpoch` feedback epochs.
 * - Optimiser (src/nn/optim.ts): Adam (the paper's) on the "gradient" −ΔW (and −ΔQ), or plain SGD W ← W + η ΔW.
 */
import { Rng } from '../../src/core/random';
import { mat, type Mat } from '../../src/linalg/mat';
import { epochOrder } from '../../src/nn/mlp';
import { makeOptimizer, type Optimizer } from '../../src/nn/optim';
import { checkControllerConfig, checkFeedbackConfig, type ControllerConfig, type FeedbackConfig } from './config';
import { DfcEngine } from './engine';
import { DfcNet, initForwardWeights, productFeedback, type DfcParams } from './network';
import type { PhaseSolver } from './batched';
import { dfaFeedback, feedbackUpdate, forwardUpdate, type Batch, type Method } from './rules';

export interface Data {
  /** n x n_0 inputs. */
  x: Float64Array;
  /** n x n_L targets. */
  y: Float64Array;
  n: number;
}

export interface TrainerOptions {
  method: Method;
  /** Feedback weights of the DFC variants (ignored by BP and DFA). */
  feedback: 'trained' | 'fixed';
  forward: ControllerConfig;
  sleep: FeedbackConfig;
  optimizer: 'adam' | 'sgd';
  lr: number;
  lrQ: number;
  batchSize: number;
  fbEpochsPerEpoch: number;
  seed: number;
  /** Integrator of the wake phase (default 'euler' with forward.dt); the sleep phase is Euler–Maruyama. */
  wakeSolver?: PhaseSolver;
}

/** Random trained-feedback initialisation (see the header). */
export function randomTrainedFeedback(net: DfcNet, rng: Rng): Mat[] {
  return net.sizes.slice(1).map((n, i) => {
    const Q = mat(n, net.nOut);
    if (i === net.L - 1) for (let k = 0; k < n; k++) Q.data[k * n + k] = 1;
    else rng.fillNormal(Q.data, Math.sqrt(2 / (n + net.nOut)));
    return Q;
  });
}

export function gatherBatch(data: Data, net: DfcNet, idx: Int32Array, start: number, end: number): Batch {
  const B = end - start;
  const d = net.sizes[0];
  const k = net.nOut;
  const X = mat(B, d);
  const Y = mat(B, k);
  for (let r = start; r < end; r++) {
    X.data.set(data.x.subarray(idx[r] * d, idx[r] * d + d), (r - start) * d);
    Y.data.set(data.y.subarray(idx[r] * k, idx[r] * k + k), (r - start) * k);
  }
  return { X, Y };
}

export interface BatchEvent {
  epoch: number;
  batch: number;
  loss: number;
  batchData: Batch;
}

export class DfcTrainer {
  readonly params: DfcParams;
  readonly engine: DfcEngine;
  private readonly rng: Rng;
  private readonly noiseRng: Rng;
  private readonly opt: Optimizer;
  private readonly optQ: Optimizer;
  private readonly dfaB: Mat[];

  constructor(readonly net: DfcNet, readonly opts: TrainerOptions, init?: DfcParams) {
    checkControllerConfig(opts.forward);
    checkFeedbackConfig(opts.sleep);
    if (!(opts.lr > 0)) throw new Error(`learning rate lr must be > 0 (got ${opts.lr})`);
    if (!(opts.lrQ > 0)) throw new Error(`feedback learning rate lrQ must be > 0 (got ${opts.lrQ})`);
    if (!(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) throw new Error(`batchSize must be an integer >= 1 (got ${opts.batchSize})`);
    if (opts.feedback !== 'trained' && opts.feedback !== 'fixed') throw new Error(`feedback must be 'trained' or 'fixed' (got '${String(opts.feedback)}')`);
    if (opts.optimizer !== 'adam' && opts.optimizer !== 'sgd') throw new Error(`optimizer must be 'adam' or 'sgd' (got '${String(opts.optimizer)}')`);
    this.rng = new Rng(opts.seed);
    const W = init ? init.W.map((m) => mat(m.rows, m.cols, m.data.slice())) : initForwardWeights(net, this.rng);
    const Q = init ? init.Q.map((m) => mat(m.rows, m.cols, m.data.slice())) : opts.feedback === 'fixed' ? productFeedback(net, W) : randomTrainedFeedback(net, this.rng);
    this.params = { W, Q };
    net.checkParams(this.params);
    this.noiseRng = this.rng.fork(1);
    this.dfaB = dfaFeedback(net, this.rng.fork(2));
    this.engine = new DfcEngine(net, opts.batchSize);
    this.opt = makeOptimizer(opts.optimizer, opts.lr, W.map((w) => w.data.length));
    this.optQ = makeOptimizer(opts.optimizer, opts.lrQ, Q.map((q) => q.data.length));
  }

  /** Everything the next minibatch reads, for checkpoints: weights, Adam moments (live arrays) and generators. */
  checkpointState(): { arrays: () => Record<string, Float64Array>; rngs: Record<string, Rng> } {
    return {
      arrays: () => {
        const out: Record<string, Float64Array> = {};
        for (const [name, a] of Object.entries(this.opt.state)) out[`W.${name}`] = a;
        for (const [name, a] of Object.entries(this.optQ.state)) out[`Q.${name}`] = a;
        this.params.W.forEach((w, i) => (out[`W${i}`] = w.data));
        this.params.Q.forEach((q, i) => (out[`Q${i}`] = q.data));
        return out;
      },
      rngs: { order: this.rng, noise: this.noiseRng },
    };
  }

  /** True when this method learns its feedback weights. */
  get learnsFeedback(): boolean {
    return this.opts.feedback === 'trained' && (this.opts.method === 'DFC' || this.opts.method === 'DFC-SS' || this.opts.method === 'DFC-SSA');
  }

  /** One forward step on a batch; returns the batch loss before the step. */
  forwardStep(batch: Batch): number {
    const { dW, loss } = forwardUpdate(this.opts.method, this.net, this.params, batch, this.opts.forward, {
      engine: this.engine,
      dfaB: this.dfaB,
      rng: this.noiseRng,
      solver: this.opts.wakeSolver,
    });
    this.opt.step(this.params.W.map((w) => w.data), dW.map((d) => d.data));
    return loss;
  }

  feedbackStep(X: Mat): void {
    const dQ = feedbackUpdate(this.net, this.params, X, this.opts.sleep, this.engine, this.noiseRng);
    this.optQ.step(this.params.Q.map((q) => q.data), dQ.map((d) => d.data));
  }

  /** One epoch of forward learning; `onBatch` sees each batch before its update. Returns the mean batch loss. */
  forwardEpoch(data: Data, epoch: number, onBatch?: (e: BatchEvent) => void): number {
    const idx = epochOrder(data.n, this.rng);
    let total = 0;
    let count = 0;
    for (let s = 0, b = 0; s < data.n; s += this.opts.batchSize, b++) {
      const batch = gatherBatch(data, this.net, idx, s, Math.min(data.n, s + this.opts.batchSize));
      onBatch?.({ epoch, batch: b, loss: NaN, batchData: batch });
      total += this.forwardStep(batch) * batch.X.rows;
      count += batch.X.rows;
    }
    return total / count;
  }

  /** One epoch of feedback learning (sleep phase) over the inputs. */
  feedbackEpoch(data: Data): void {
    if (!this.learnsFeedback) return;
    const idx = epochOrder(data.n, this.rng);
    for (let s = 0; s < data.n; s += this.opts.batchSize) {
      const batch = gatherBatch(data, this.net, idx, s, Math.min(data.n, s + this.opts.batchSize));
      this.feedbackStep(batch.X);
    }
  }

  /** Mean loss and (for classification) accuracy on a data set at the feedforward output. */
  evaluate(data: Data, classes = false): { loss: number; accuracy: number } {
    const chunk = 500;
    let loss = 0;
    let correct = 0;
    const k = this.net.nOut;
    for (let s = 0; s < data.n; s += chunk) {
      const e = Math.min(data.n, s + chunk);
      const X = mat(e - s, this.net.sizes[0], data.x.slice(s * this.net.sizes[0], e * this.net.sizes[0]));
      const { R } = this.net.feedforwardBatch(this.params.W, X);
      const out = R[this.net.L].data;
      for (let b = 0; b < e - s; b++) {
        const y = data.y.subarray((s + b) * k, (s + b + 1) * k);
        const o = out.subarray(b * k, (b + 1) * k);
        loss += this.net.lossAndGrad(o, y);
        if (classes) {
          let best = 0;
          let label = 0;
          for (let j = 1; j < k; j++) {
            if (o[j] > o[best]) best = j;
            if (y[j] > y[label]) label = j;
          }
          if (best === label) correct++;
        }
      }
    }
    return { loss: loss / data.n, accuracy: correct / data.n };
  }
}
