/**
 * Training DLL-RNN, DLL-FA-RNN and BPTT on a sequence stream (one-step-ahead prediction): random
 * training windows of `steps` time steps starting from h_0 = 0, evaluation on consecutive
 * non-overlapping windows of the held-out part.
 */
import { Rng } from '../../src/core/random';
import { epochCheckpoints, type CheckpointSettings } from '../../src/io/checkpoint';
import { reportProgress } from '../../src/parallel/pool';
import { DllRnn, RNN_CODE_THETA, RnnRelaxer, bpttDirections, rnnParamArrays, rnnParamViews, type RnnParams } from './rnn';
import { MinibatchFlow, PAPER_FLOW, arrayViews, checkOptimizerSolver, type FlowSolver, type OptimizerGroup } from '../../src/experiment/minibatch-flow';
import { SLOW_FLOW } from './flow';
import type { ThetaRule } from './trainer';
import type { RelaxOptions } from './mlp';
import { makeOptimizer, trainingArrays, type OptimizerName } from '../../src/nn/optim';
import { cosine } from './stats';
import { grammarText, multivariateSeries, type SeriesTask, type TextTask } from './data/tasks';

export type RnnMethod = 'dll' | 'dll-fa' | 'bptt';

/** A stream of (input, target) vectors: position t predicts t + 1. */
export interface SequenceSource {
  nIn: number;
  nOut: number;
  /** Positions usable for training are [0, trainEnd); for testing [trainEnd, end). */
  trainEnd: number;
  end: number;
  kind: 'classification' | 'regression';
  /** Write input and target of position t into the given arrays at offsets. */
  fill(t: number, input: Float64Array, inOff: number, target: Float64Array, outOff: number): void;
}

export function textSource(task: TextTask, trainFraction = 0.8): SequenceSource {
  const V = task.alphabet.length;
  const end = task.codes.length - 1;
  return {
    nIn: V,
    nOut: V,
    trainEnd: Math.floor(trainFraction * end),
    end,
    kind: 'classification',
    fill(t, input, io, target, to) {
      input.fill(0, io, io + V);
      target.fill(0, to, to + V);
      input[io + task.codes[t]] = 1;
      target[to + task.codes[t + 1]] = 1;
    },
  };
}

export function seriesSource(task: SeriesTask): SequenceSource {
  const D = task.channels;
  return {
    nIn: D,
    nOut: D,
    trainEnd: task.trainLength - 1,
    end: task.length - 1,
    kind: 'regression',
    fill(t, input, io, target, to) {
      for (let c = 0; c < D; c++) {
        input[io + c] = task.values[t * D + c];
        target[to + c] = task.values[(t + 1) * D + c];
      }
    },
  };
}

export interface RnnRunOptions {
  method: RnnMethod;
  hidden: number;
  steps: number;
  batch: number;
  iterations: number;
  lr: number;
  optimizer: OptimizerName;
  seed: number;
  /** 'closed': assign eqs. (19)-(20) (the paper's own shortcut); otherwise relax with `relax`. */
  relaxMode: 'closed' | 'flow';
  relax?: RelaxOptions;
  /** The integrator of the slow flow (flow.ts; default the paper's: euler, one step per iteration). Adam runs only so. */
  flow?: FlowSolver;
  /**
   * DLL's Θ rule (ignored for DLL-FA and BPTT): 'paper' eqs. (27)-(30) (default); 'code' the
   * released DLL-RNN's (rnn.ts RNN_CODE_THETA: the paper's sign, batch sum, clip ±50) with Θ in
   * its own optimiser at `thetaLrScale` × lr; 'fixed' Θ never updated (= DLL-FA-RNN).
   */
  thetaRule?: ThetaRule;
  /** With the 'code' rule: Θ's learning rate as a multiple of lr (default 1, the released code's theta_update_discount = 1). */
  thetaLrScale?: number;
  /** Evaluate every this many iterations (0: only at the end). */
  evalEvery?: number;
  /**
   * Checkpoints every `checkpoint.every` iterations (weights, Θ, optimiser state, window generator,
   * evaluations so far): see runCheckpoint in src/experiment/sweep.ts.
   */
  checkpoint?: CheckpointSettings;
  /** What the data were made from (e.g. a SequenceData); a resumed run must match it. */
  data?: unknown;
  onEval?: (row: RnnEval & { iteration: number }) => void;
  onIteration?: () => void;
}

export interface RnnEval {
  loss: number;
  accuracy?: number;
  mse?: number;
  mae?: number;
}

export interface RnnRunResult extends RnnEval {
  method: RnnMethod;
  seed: number;
  /** DLL's Θ rule, when not the default 'paper'. */
  thetaRule?: ThetaRule;
  trainLoss: number;
  curve: (RnnEval & { iteration: number })[];
  thetaNorm: number;
  /** cos(Θ_h, W_h) and cos(Θ_y, W_y) at the end: whether the feedback aligns with the forward weights. */
  thetaWCosine: { h: number; y: number };
}

/** Fill a time-major batch from window starts. */
function fillBatch(src: SequenceSource, starts: ArrayLike<number>, steps: number, inputs: Float64Array, targets: Float64Array): void {
  const B = starts.length;
  for (let i = 0; i < steps; i++) for (let b = 0; b < B; b++) src.fill(starts[b] + i, inputs, (i * B + b) * src.nIn, targets, (i * B + b) * src.nOut);
}

export function evaluateRnn(net: DllRnn, p: RnnParams, src: SequenceSource, steps: number, batch: number): RnnEval {
  const starts: number[] = [];
  for (let s = src.trainEnd; s + steps <= src.end; s += steps) starts.push(s);
  if (starts.length === 0) throw new Error(`the test part (${src.end - src.trainEnd} positions) is shorter than one window of ${steps} steps`);
  let loss = 0;
  let correct = 0;
  let se = 0;
  let ae = 0;
  let count = 0;
  const k = src.nOut;
  for (let s0 = 0; s0 < starts.length; s0 += batch) {
    const chunk = starts.slice(s0, s0 + batch);
    const B = chunk.length;
    const ws = net.workspace(B, steps);
    const inputs = new Float64Array(steps * B * src.nIn);
    const targets = new Float64Array(steps * B * k);
    fillBatch(src, chunk, steps, inputs, targets);
    net.present(p, ws, inputs, targets);
    loss += net.sequenceLoss(ws) * B;
    for (let i = 0; i < steps; i++) {
      const y = ws.y[i].data;
      const t = ws.t[i].data;
      for (let b = 0; b < B; b++) {
        if (src.kind === 'classification') {
          let best = 0;
          let tb = 0;
          for (let j = 1; j < k; j++) {
            if (y[b * k + j] > y[b * k + best]) best = j;
            if (t[b * k + j] > t[b * k + tb]) tb = j;
          }
          if (best === tb) correct++;
        } else {
          for (let j = 0; j < k; j++) {
            const d = y[b * k + j] - t[b * k + j];
            se += d * d;
            ae += Math.abs(d);
          }
        }
        count++;
      }
    }
  }
  const n = starts.length;
  return src.kind === 'classification'
    ? { loss: loss / n / steps, accuracy: correct / count }
    : { loss: loss / n / steps, mse: se / (count * k), mae: ae / (count * k) };
}

/** What a generated sequence task is made from (models/dll/data/tasks.ts). */
export interface SequenceData {
  task: 'text' | 'series';
  /** Characters of text, or time steps of the series. */
  length: number;
  /** Channels of the series. */
  channels: number;
  seed: number;
}

export function sequenceSource(d: SequenceData): SequenceSource {
  return d.task === 'text' ? textSource(grammarText(d.length, d.seed)) : seriesSource(multivariateSeries(d.length, d.channels, d.seed));
}

/** One run of `reproduce dll-rnn` as a sweep task: the data are generated here (≈20 ms) from `data`. */
export function rnnTask(args: { data: SequenceData; run: RnnRunOptions; checkpoint?: CheckpointSettings }): RnnRunResult {
  return trainRnn(sequenceSource(args.data), { ...args.run, data: args.data, checkpoint: args.checkpoint });
}

/**
 * Train one network; it reports one unit of progress per iteration (in a sweep). With
 * `o.checkpoint`, a resumed run continues bit-identically to an uninterrupted one.
 */
export function trainRnn(src: SequenceSource, o: RnnRunOptions): RnnRunResult {
  const rng = new Rng(o.seed);
  const loss = src.kind === 'classification' ? 'cross-entropy' : 'mse';
  const thetaRule = o.method === 'dll' ? (o.thetaRule ?? 'paper') : 'paper';
  const net = new DllRnn({ nIn: src.nIn, nHidden: o.hidden, nOut: src.nOut, loss, feedback: o.method === 'dll-fa' || thetaRule === 'fixed' ? 'fixed' : 'learned' });
  const p = net.init(rng.fork(1));
  const ws = net.workspace(o.batch, o.steps);
  const relaxer = new RnnRelaxer(net, ws, { ...o.relax, closed: o.relaxMode === 'closed' });
  const dirs = net.zeroParams();
  const arrays = rnnParamArrays(p);
  // With the 'code' Θ rule, Θ_h and Θ_y (the last two arrays) have their own optimiser at thetaLrScale × lr.
  const nW = thetaRule === 'code' ? arrays.length - 2 : arrays.length;
  const opt = makeOptimizer(o.optimizer, o.lr, arrays.slice(0, nW).map((a) => a.length));
  const thetaOpt = nW < arrays.length ? makeOptimizer(o.optimizer, o.lr * (o.thetaLrScale ?? 1), arrays.slice(nW).map((a) => a.length)) : null;
  const groups: OptimizerGroup[] = [{ optimizer: opt, members: arrays.slice(0, nW).map((_, k) => k) }];
  if (thetaOpt) groups.push({ optimizer: thetaOpt, members: arrays.slice(nW).map((_, k) => nW + k) });
  checkOptimizerSolver(o.optimizer, o.flow ?? PAPER_FLOW, { solver: 'flow solver', dt0: 'dt0', optimizer: 'optimizer', flow: SLOW_FLOW });
  const inputs = new Float64Array(o.steps * o.batch * src.nIn);
  const targets = new Float64Array(o.steps * o.batch * src.nOut);
  const starts = new Int32Array(o.batch);
  const maxStart = src.trainEnd - o.steps;
  if (maxStart < 1) throw new Error(`the training part (${src.trainEnd} positions) is shorter than one window of ${o.steps} steps`);
  const data = rng.fork(2);
  const views = arrayViews((theta) => rnnParamViews(p, theta));
  // The slow flow (flow.ts): iteration it's windows on one unit of time; Euler with one step per
  // iteration is the optimiser's step (the update directions of eqs. 21-30, or BPTT's).
  const flow = new MinibatchFlow({
    name: `DLL-RNN slow flow (eqs. 21-30), ${o.method}`,
    sizes: arrays.map((a) => a.length),
    dirs: rnnParamArrays(dirs),
    groups,
    load: () => {
      for (let b = 0; b < o.batch; b++) starts[b] = data.int(maxStart + 1);
      fillBatch(src, starts, o.steps, inputs, targets);
    },
    direction: (theta) => {
      const q = views(theta);
      net.present(q, ws, inputs, targets);
      const l = net.sequenceLoss(ws) / o.steps;
      if (o.method === 'bptt') bpttDirections(net, q, ws, dirs);
      else {
        relaxer.relax(q);
        net.updates(ws, dirs, thetaRule === 'code' ? RNN_CODE_THETA : undefined);
      }
      return l;
    },
  });
  let curve: (RnnEval & { iteration: number })[] = [];
  const avg = new Float64Array(1); // running mean of the batch losses (trainLoss)
  const { iterations, checkpoint, onEval, onIteration, ...settings } = o;
  const state = () => {
    const out: Record<string, Float64Array> = { ...trainingArrays(arrays.slice(0, nW), opt), avg };
    if (thetaOpt) for (const [k, v] of Object.entries(trainingArrays(arrays.slice(nW), thetaOpt))) out[`theta.${k}`] = v;
    return out;
  };
  const ck = epochCheckpoints(checkpoint, { epochs: iterations, arrays: state, rngs: { data }, settings, extra: () => ({ curve }) });
  if (ck.extra) curve = ck.extra.curve;
  // One integration per stretch of iterations between evaluations and checkpoints.
  const every = [o.evalEvery ?? 0, checkpoint?.every ?? 0].filter((e) => e > 0);
  for (let it0 = ck.start; it0 <= o.iterations; ) {
    let end = o.iterations;
    for (const e of every) end = Math.min(end, Math.ceil(it0 / e) * e);
    const r = flow.run(arrays, end - it0 + 1, o.flow ?? PAPER_FLOW, {
      offset: it0,
      onLoss: (it, l) => {
        avg[0] = it === 1 ? l : 0.98 * avg[0] + 0.02 * l;
        o.onIteration?.();
        reportProgress(1, `${o.method} seed ${o.seed}`);
      },
    });
    if (r.solution.status === 'diverged') throw new Error(`${o.method} RNN weights became non-finite at iteration ${it0 + Math.ceil(r.solution.diverged!.t) - 1}; lower the learning rate`);
    if (r.solution.status !== 'ok') throw new Error(`the ${o.method} RNN's slow flow stopped: ${r.solution.message}`);
    if (o.evalEvery && end % o.evalEvery === 0 && end < o.iterations) {
      const row = { iteration: end, ...evaluateRnn(net, p, src, o.steps, 64) };
      curve.push(row);
      o.onEval?.(row);
    }
    ck.done(end);
    it0 = end + 1;
  }
  const trainLoss = avg[0];
  const final = evaluateRnn(net, p, src, o.steps, 64);
  const row = { iteration: o.iterations, ...final };
  curve.push(row);
  o.onEval?.(row);
  let thetaNorm = 0;
  for (const a of [p.ThetaH.data, p.ThetaY.data]) for (const v of a) thetaNorm += v * v;
  const thetaWCosine = { h: cosine([p.ThetaH.data], [p.Wh.data]), y: cosine([p.ThetaY.data], [p.Wy.data]) };
  return { method: o.method, seed: o.seed, ...(thetaRule !== 'paper' ? { thetaRule } : {}), ...final, trainLoss, curve, thetaNorm: Math.sqrt(thetaNorm), thetaWCosine };
}
