/**
 * One run of the comparison: one rule on one task with one seed, a pure function of its arguments
 * (so runs go through src/parallel/pool.ts and give the same numbers in worker threads as in
 * series; only the wall times differ).
 *
 * Shared by every rule of a task, for a given seed:
 * - the initial forward weights W0 (iid N(0, 1/fan_in), src/nn/mlp.ts initMlp on Rng(seed).fork(1));
 * - the initial feedback weights B0 with the shapes of W (same law, fork(2)) — FA's B, URFB's R,
 *   DLL's Θ, and the W̄ of KP/WM/SAL all start from it;
 * - the data order (a seeded shuffle per epoch, fork(3)); minibatches of `batch` consecutive
 *   samples of the shuffle, the last incomplete one dropped (DLL's and the feedback-sweep learners'
 *   workspaces have a fixed batch size);
 * - the budget: `epochs` passes, the same η and integrator of the minibatch flow (learners.ts;
 *   default Euler, one step per minibatch: plain SGD), one loss (tasks.ts). A
 *   rule that diverges at η (non-finite update, DFC divergence, or test loss above 10x the initial
 *   one) is re-run from the same start at η/2, η/4, … (at most `maxHalvings` times): the largest
 *   rate of that sequence at which it trains is the one reported (`lr`, `halvings`).
 *
 * Measured:
 * - after every epoch: the test loss and accuracy, and the loss on the first ≤ 2,000 training samples;
 * - on `anglesPerEpoch` evenly spaced minibatches of each epoch: the angle between the rule's
 *   applied ΔW and −∇L of BP on the same minibatch at the same weights (src/nn/mlp.ts backward on
 *   the rule's own network: tanh, or ReLU for the SAL rows), over the hidden layers' weights
 *   W_1..W_{L−1} together, over all layers, and per layer;
 * - wall time of the learning itself per epoch (steps, sleep phases; not the BP reference or the
 *   evaluation), and the simulated time of the fast dynamics per epoch (learners.ts `simTime`).
 */
import * as path from 'node:path';
import { Rng } from '../../src/core/random';
import type { Mat } from '../../src/linalg/mat';
import { mse } from '../../src/nn/losses';
import { Mlp, epochOrder, initMlp } from '../../src/nn/mlp';
import { DfcDivergenceError } from '../dfc/rules';
import type { FlowSolver } from '../../src/experiment/minibatch-flow';
import { dfcLearners } from './dfc-adapter';
import { baseLearners, type Learner, type LearnerFactory, type LearnerSetup, type RuleSettings } from './learners';
import { perturbationLearners } from './perturbation';
import { RULES, type Family, type RuleName } from './rules';
import { salLearners } from './sal-adapter';
import { score, taskData, type Samples, type TaskData, type TaskSetup } from './tasks';
import { angleDegrees as blockAngle } from '../../src/analysis/similarity';

export const LEARNERS: Record<RuleName, LearnerFactory> = {
  ...(baseLearners as Record<'BP' | 'FA' | 'URFB' | 'DLL', LearnerFactory>),
  ...dfcLearners,
  ...perturbationLearners,
  ...salLearners,
};

export interface RunArgs {
  rule: RuleName;
  setup: TaskSetup;
  seed: number;
  epochs: number;
  batch: number;
  lr: number;
  anglesPerEpoch: number;
  settings: RuleSettings;
  /** Halvings of η allowed after a divergence (default 4). */
  maxHalvings?: number;
  /** A test loss above this multiple of the initial one counts as divergence (default 10). */
  blowUp?: number;
  /** The integrator of every rule's minibatch flow (learners.ts); absent: Euler, one step per minibatch (SGD). */
  solver?: FlowSolver;
}

export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  /** Mean angle (degrees) to the BP gradient over this epoch's measurements: hidden layers, all layers, per layer. */
  angleHidden: number;
  angleAll: number;
  angleLayers: number[];
  /** Learning wall time (s) and simulated fast-dynamics time of this epoch. */
  wallSeconds: number;
  simTime: number;
}

export interface RunResult {
  rule: RuleName;
  task: TaskSetup['task'];
  seed: number;
  family: Family;
  sizes: number[];
  /** The rate the reported run used, and how many times η was halved to get there. */
  lr: number;
  halvings: number;
  status: 'ok' | 'diverged';
  message?: string;
  /** Epoch 0 is the initial network. */
  curve: EpochPoint[];
  /** Before the first epoch (DFC: feedback pre-training): wall seconds and simulated time. */
  beginSeconds: number;
  beginSimTime: number;
  final: { testLoss: number; testAccuracy: number; angleHidden: number; angleAll: number; wallPerEpoch: number; simTimePerEpoch: number };
}

/** Shared initial weights of a seed: W0 (forward) and B0 (feedback), N(0, 1/fan_in). */
export function sharedInit(sizes: readonly number[], seed: number): { W0: Mat[]; B0: Mat[]; order: Rng; ruleSeed: number } {
  const rng = new Rng(seed);
  const W0 = initMlp({ sizes, hidden: 'tanh', bias: false }, rng.fork(1)).W;
  const B0 = initMlp({ sizes, hidden: 'tanh', bias: false }, rng.fork(2)).W;
  const order = rng.fork(3);
  const ruleSeed = rng.fork(4).nextUint32() % 1_000_000_007;
  return { W0, B0, order, ruleSeed };
}

function referenceMlp(sizes: readonly number[], family: Family): Mlp {
  return new Mlp({ sizes, hidden: family, output: 'linear', bias: false });
}

function zeroBiases(W: readonly Mat[]): Float64Array[] {
  return W.map((w) => new Float64Array(w.rows));
}

/** Mean loss and accuracy of weights W on samples (in chunks). */
export function evaluate(mlp: Mlp, W: Mat[], s: Samples, scoring: TaskData['scoring'], limit = Infinity): { loss: number; accuracy: number } {
  const n = Math.min(s.n, limit);
  const d = mlp.spec.sizes[0];
  const k = mlp.spec.sizes[mlp.spec.sizes.length - 1];
  const out = new Float64Array(n * k);
  const p = { W, b: zeroBiases(W) };
  let loss = 0;
  for (let start = 0; start < n; start += 500) {
    const B = Math.min(500, n - start);
    const y = mlp.predict(p, s.x.subarray(start * d, (start + B) * d), B);
    out.set(y, start * k);
    loss += B * mse.evaluate(y, s.t.subarray(start * k, (start + B) * k), B);
  }
  const sub: Samples = { x: s.x, t: s.t.subarray(0, n * k), labels: s.labels ? s.labels.subarray(0, n) : null, n };
  return { loss: loss / n, accuracy: score(scoring, out, sub) };
}

/** Angle in degrees between u and v over the given layers (NaN if either is zero). */
export function angleDegrees(u: readonly Mat[], v: readonly Mat[], layers: readonly number[]): number {
  return blockAngle(layers.map((l) => u[l].data), layers.map((l) => v[l].data));
}

function mean(xs: readonly number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}

export function checkRunArgs(a: RunArgs): void {
  if (!(a.rule in RULES)) throw new Error(`unknown rule '${a.rule}'; valid rules: ${Object.keys(RULES).join(', ')}`);
  if (!(Number.isInteger(a.epochs) && a.epochs >= 1)) throw new Error(`epochs must be an integer >= 1 (got ${a.epochs})`);
  if (!(Number.isInteger(a.batch) && a.batch >= 1)) throw new Error(`batch must be an integer >= 1 (got ${a.batch})`);
  if (!(a.lr > 0 && Number.isFinite(a.lr))) throw new Error(`the learning rate must be a finite number > 0 (got ${a.lr})`);
  if (!(Number.isInteger(a.anglesPerEpoch) && a.anglesPerEpoch >= 0)) throw new Error(`anglesPerEpoch must be an integer >= 0 (got ${a.anglesPerEpoch})`);
}

/**
 * Train one rule on one task with one seed (see the header). If the run diverges (a non-finite
 * update, a DFC divergence, or a test loss above `blowUp` times the initial one) it is repeated
 * from the same start with η halved, up to `maxHalvings` times: every rule gets the largest rate of
 * the sequence η, η/2, η/4, … at which it trains, and the result says which (`lr`, `halvings`).
 */
export function compareRun(a: RunArgs): RunResult {
  checkRunArgs(a);
  const data = taskData(a.setup);
  if (a.batch > data.train.n) throw new Error(`${a.setup.task}: batch ${a.batch} is larger than the training set (${data.train.n})`);
  const maxHalvings = a.maxHalvings ?? 4;
  let result: RunResult | null = null;
  for (let h = 0; h <= maxHalvings; h++) {
    result = trainOnce(a, data, a.lr / 2 ** h);
    result.halvings = h;
    if (result.status === 'ok') break;
  }
  return result!;
}

function trainOnce(a: RunArgs, data: TaskData, lr: number): RunResult {
  const sizes = data.sizes;
  const { W0, B0, order, ruleSeed } = sharedInit(sizes, a.seed);
  const setup: LearnerSetup = { rule: a.rule, data, W0, B0, lr, batch: a.batch, seed: ruleSeed, settings: a.settings, ...(a.solver ? { solver: a.solver } : {}) };
  const learner: Learner = LEARNERS[a.rule](setup);
  const ref = referenceMlp(sizes, learner.family);
  const L = sizes.length - 1;
  const hiddenLayers = Array.from({ length: L - 1 }, (_, l) => l);
  const allLayers = Array.from({ length: L }, (_, l) => l);
  const d = sizes[0];
  const k = sizes[L];
  const B = a.batch;
  const nb = Math.floor(data.train.n / B);
  const every = a.anglesPerEpoch > 0 ? Math.max(1, Math.floor(nb / a.anglesPerEpoch)) : Infinity;
  const xb = new Float64Array(B * d);
  const tb = new Float64Array(B * k);
  const lb = new Int32Array(B);
  const blowUp = a.blowUp ?? 10;

  const point = (epoch: number, angles: number[][], wall: number, sim: number): EpochPoint => {
    const W = learner.weights();
    const te = evaluate(ref, W, data.test, data.scoring);
    const tr = evaluate(ref, W, data.train, data.scoring, 2000);
    return {
      epoch,
      trainLoss: tr.loss,
      testLoss: te.loss,
      testAccuracy: te.accuracy,
      angleHidden: mean(angles.map((x) => x[0])),
      angleAll: mean(angles.map((x) => x[1])),
      angleLayers: allLayers.map((l) => mean(angles.map((x) => x[2 + l]))),
      wallSeconds: wall,
      simTime: sim,
    };
  };

  const result: RunResult = {
    rule: a.rule,
    task: a.setup.task,
    seed: a.seed,
    family: learner.family,
    sizes,
    lr,
    halvings: 0,
    status: 'ok',
    curve: [point(0, [], 0, 0)],
    beginSeconds: 0,
    beginSimTime: 0,
    final: { testLoss: NaN, testAccuracy: NaN, angleHidden: NaN, angleAll: NaN, wallPerEpoch: NaN, simTimePerEpoch: NaN },
  };
  const initialLoss = result.curve[0].testLoss;

  try {
    const t0 = performance.now();
    learner.begin?.();
    result.beginSeconds = (performance.now() - t0) / 1000;
    result.beginSimTime = learner.simTime();
    for (let epoch = 1; epoch <= a.epochs; epoch++) {
      const idx = epochOrder(data.train.n, order);
      const sim0 = learner.simTime();
      let wall = 0;
      const angles: number[][] = [];
      for (let b = 0; b < nb; b++) {
        for (let r = 0; r < B; r++) {
          const i = idx[b * B + r];
          xb.set(data.train.x.subarray(i * d, (i + 1) * d), r * d);
          tb.set(data.train.t.subarray(i * k, (i + 1) * k), r * k);
          lb[r] = data.train.labels ? data.train.labels[i] : 0;
        }
        let grad: Mat[] | null = null;
        if (b % every === 0) {
          const W = learner.weights();
          const p = { W, b: zeroBiases(W) };
          grad = ref.backward(p, ref.forward(p, xb, B), tb, mse).gW.map((g) => {
            for (let i = 0; i < g.data.length; i++) g.data[i] = -g.data[i];
            return g;
          });
        }
        const s0 = performance.now();
        const dW = learner.step(xb, tb, data.train.labels ? lb : null, B);
        wall += (performance.now() - s0) / 1000;
        for (const m of dW) {
          for (let i = 0; i < m.data.length; i++) {
            if (!Number.isFinite(m.data[i])) throw new Diverged(`non-finite update in epoch ${epoch}, minibatch ${b + 1}`);
          }
        }
        if (grad) angles.push([angleDegrees(dW, grad, hiddenLayers), angleDegrees(dW, grad, allLayers), ...allLayers.map((l) => angleDegrees(dW, grad!, [l]))]);
      }
      const s1 = performance.now();
      learner.endEpoch?.();
      wall += (performance.now() - s1) / 1000;
      const pt = point(epoch, angles, wall, learner.simTime() - sim0);
      result.curve.push(pt);
      if (!(pt.testLoss <= blowUp * initialLoss)) throw new Diverged(`test loss ${pt.testLoss.toPrecision(3)} after epoch ${epoch}, above ${blowUp}x the initial ${initialLoss.toPrecision(3)}`);
    }
  } catch (e) {
    if (!(e instanceof Diverged || e instanceof DfcDivergenceError || (e instanceof Error && /diverged|non-finite/.test(e.message)))) throw e;
    result.status = 'diverged';
    result.message = `η = ${lr}: ${e.message}`;
  }
  const done = result.curve.slice(1);
  const last = result.curve[result.curve.length - 1];
  result.final = {
    testLoss: result.status === 'ok' ? last.testLoss : NaN,
    testAccuracy: result.status === 'ok' ? last.testAccuracy : NaN,
    angleHidden: mean(done.map((p) => p.angleHidden)),
    angleAll: mean(done.map((p) => p.angleAll)),
    wallPerEpoch: mean(done.map((p) => p.wallSeconds)),
    simTimePerEpoch: mean(done.map((p) => p.simTime)),
  };
  return result;
}

class Diverged extends Error {}

/** The module path of `compareRun`, for worker threads. */
export const RUN_MODULE = path.join(__dirname, 'run.ts');
