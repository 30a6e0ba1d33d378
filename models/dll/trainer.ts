/**
 * Training loops for the DLL MLP (buffered, Algorithm 1; or coupled, no phases) and for the BP
 * baseline on the same network (src/nn/mlp.ts), with the same initial W, data order and optimiser.
 */
import '../../solvers/index'; // registers the built-in solvers by name
import { Rng } from '../../src/core/random';
import { solve } from '../../src/core/solve';
import { constantStep } from '../../src/core/controller';
import type { StateLayout } from '../../src/core/state';
import type { Problem } from '../../src/core/terms';
import { losses as lossTable } from '../../src/nn/losses';
import { Mlp, epochOrder, gatherRows, type MlpParams } from '../../src/nn/mlp';
import {
  ApicalRelaxer,
  DllMlp,
  coupledProblem,
  packCoupled,
  paramArrays,
  resetApical,
  unpackCoupled,
  type DllParams,
  type DllUpdates,
  type DllWorkspace,
  type RelaxOptions,
  type RelaxResult,
  type Timescales,
} from './mlp';
import { makeOptimizer, trainingArrays, type Optimizer, type OptimizerName } from '../../src/nn/optim';
import type { Mat } from '../../src/linalg/mat';

export type Method = 'dll' | 'dll-fa' | 'bp';

/**
 * How DLL learns Θ (`--theta-rule`). The paper and the authors' released code disagree:
 * - 'paper': eq. (9) as printed, gradient descent of ½‖ξ‖² in Θ: dΘ_i = −⟨e_i ξ_iᵀ⟩ (mlp.ts
 *   weightRates). At the equilibrium this is −⟨e eᵀ⟩Θ: it shrinks Θ along the error directions, so
 *   W never aligns with Θ. The default.
 * - 'code': the rule of the released code (Lvchangze/Dendritic-Localized-Learning, FC_layer.py and
 *   CNN_layer.py `update_theta`), ported to this inner-W network: the opposite sign, an extra f′
 *   factor on the lower layer, the batch sum times 2/σ² (σ = 1) clipped to ±50, and its own
 *   optimiser at `thetaLrScale` × the learning rate (their Adam at lr/10):
 *   dΘ_i = clip(2 Σ_b e_i,b (ξ_i,b ⊙ f′_i,b)ᵀ, ±50), applied as an ascent direction like dW.
 *   It has no fixed point: ‖Θ‖ grows.
 * - 'fixed': Θ is never updated. This is what the released MLP actually trains: model.py calls
 *   `update_theta` only for layer classes whose name contains "Dendritic", and the MLP's class is
 *   `DLL_FCLayer`. Identical to DLL-FA (same initial Θ).
 */
export type ThetaRule = 'paper' | 'code' | 'fixed';
export const THETA_RULES: readonly ThetaRule[] = ['paper', 'code', 'fixed'];

/** The authors' Θ update, ported (see ThetaRule 'code'): out[i − 1] ← clip(2 Σ_b e_i (ξ_i ⊙ f′_i)ᵀ, ±clip), i = 1..L−1. */
export function codeThetaUpdate(net: DllMlp, ws: DllWorkspace, out: readonly Mat[], clip = 50): void {
  const B = ws.batch;
  for (let i = 1; i < net.L; i++) {
    const e = ws.e[i].data; // B x n_{i+1}
    const xi = ws.xi[i].data; // B x n_i
    const fp = ws.fp[i - 1].data; // B x n_i: f′ of layer i's pre-activation
    const nUp = net.sizes[i + 1];
    const nLow = net.sizes[i];
    const o = out[i - 1].data; // n_{i+1} x n_i
    o.fill(0);
    for (let b = 0; b < B; b++) {
      for (let r = 0; r < nUp; r++) {
        const er = 2 * e[b * nUp + r];
        if (er === 0) continue;
        const row = r * nLow;
        for (let c = 0; c < nLow; c++) o[row + c] += er * xi[b * nLow + c] * fp[b * nLow + c];
      }
    }
    for (let k = 0; k < o.length; k++) o[k] = Math.max(-clip, Math.min(clip, o[k]));
  }
}

/** One buffered DLL step (Algorithm 1): present, relax to eq. (7), then update W, b, Θ once. */
export class DllTrainer {
  readonly ws: DllWorkspace;
  readonly relaxer: ApicalRelaxer;
  readonly updates: DllUpdates;
  /** The optimiser of W and b (and of Θ, except with the 'code' rule). */
  readonly optimizer: Optimizer;
  /** With the 'code' Θ rule: Θ's own optimiser, at thetaLrScale × lr. */
  readonly thetaOptimizer: Optimizer | null = null;
  private readonly arrays: Float64Array[];
  private readonly dirs: Float64Array[];
  private readonly thetaArrays: Float64Array[] = [];
  private readonly thetaDirs: Float64Array[] = [];
  readonly thetaRule: ThetaRule;
  lastRelax: RelaxResult | null = null;

  constructor(
    readonly net: DllMlp,
    readonly params: DllParams,
    batch: number,
    opts: { optimizer: OptimizerName; lr: number; relax?: RelaxOptions; relaxTime?: number; thetaRule?: ThetaRule; thetaLrScale?: number },
  ) {
    net.checkParams(params);
    this.ws = net.workspace(batch);
    this.relaxer = new ApicalRelaxer(net, this.ws, opts.relax);
    this.updates = net.zeroUpdates();
    this.thetaRule = opts.thetaRule ?? 'paper';
    if (this.thetaRule === 'fixed' && net.feedback !== 'fixed') throw new Error("theta rule 'fixed' needs a DllMlp with feedback: 'fixed' (Θ never updated)");
    if (this.thetaRule === 'code') {
      const all = paramArrays(params);
      const dirs = paramArrays(this.updates);
      const nTheta = params.Theta.length;
      this.arrays = all.slice(0, all.length - nTheta);
      this.dirs = dirs.slice(0, dirs.length - nTheta);
      this.thetaArrays = all.slice(all.length - nTheta);
      this.thetaDirs = dirs.slice(dirs.length - nTheta);
      const scale = opts.thetaLrScale ?? 0.1;
      this.thetaOptimizer = makeOptimizer(opts.optimizer, opts.lr * scale, this.thetaArrays.map((a) => a.length));
    } else {
      this.arrays = paramArrays(params);
      this.dirs = paramArrays(this.updates);
    }
    this.optimizer = makeOptimizer(opts.optimizer, opts.lr, this.arrays.map((a) => a.length));
    this.relaxTime = opts.relaxTime;
  }

  /** Parameters and optimiser moments, for checkpoints (Θ's optimiser under 'theta.' with the 'code' rule). */
  trainingState(): Record<string, Float64Array> {
    const out = trainingArrays(this.arrays, this.optimizer);
    if (this.thetaOptimizer) for (const [k, v] of Object.entries(trainingArrays(this.thetaArrays, this.thetaOptimizer))) out[`theta.${k}`] = v;
    return out;
  }
  private readonly relaxTime?: number;

  /** Returns the batch's output loss before the update. */
  step(input: ArrayLike<number>, target: ArrayLike<number>): number {
    const { net, ws } = this;
    net.present(this.params, ws, input, target);
    const loss = net.outputLoss(ws);
    this.lastRelax = this.relaxTime !== undefined ? this.relaxer.relaxFor(this.params, this.relaxTime) : this.relaxer.relax(this.params);
    net.weightRates(ws, this.updates);
    this.optimizer.step(this.arrays, this.dirs);
    if (this.thetaOptimizer) {
      codeThetaUpdate(net, ws, this.updates.Theta);
      this.thetaOptimizer.step(this.thetaArrays, this.thetaDirs);
    }
    for (const a of [...this.arrays, ...this.thetaArrays]) {
      for (let i = 0; i < a.length; i++) {
        if (!Number.isFinite(a[i])) throw new Error('DLL weights became non-finite; lower the learning rate');
      }
    }
    return loss;
  }
}

/**
 * The coupled flow trained presentation by presentation: each batch is shown for a time T during
 * which x, W, b and Θ move together (x starts at u when the batch arrives, eq. 4). With plain flows
 * (no optimiser) the learning rate per presentation is η = T/τ_W.
 */
export class CoupledTrainer {
  readonly ws: DllWorkspace;
  readonly problem: Problem;
  readonly layout: StateLayout;
  y: Float64Array;

  constructor(
    readonly net: DllMlp,
    params: DllParams,
    batch: number,
    readonly ts: Timescales,
    readonly opts: { T: number; solver?: string; dt?: number },
  ) {
    net.checkParams(params);
    this.ws = net.workspace(batch);
    const c = coupledProblem(net, this.ws, ts);
    this.problem = c.problem;
    this.layout = c.layout;
    this.y = packCoupled(net, this.layout, params);
  }

  present(input: ArrayLike<number>, target: ArrayLike<number>): void {
    this.net.setBatch(this.ws, input, target);
    resetApical(this.net, this.layout, this.ws, this.y);
    const solver = this.opts.solver ?? 'rk4';
    const fixed = solver === 'euler' || solver === 'heun' || solver === 'rk4';
    const sol = solve(this.problem, solver, {
      t0: 0,
      t1: this.opts.T,
      y0: this.y,
      dt0: this.opts.dt ?? 0.25 * this.ts.tauX,
      rtol: 1e-9,
      atol: 1e-12,
      maxSteps: 1e7,
      ...(fixed ? { controller: constantStep() } : {}),
    });
    if (sol.status !== 'ok') throw new Error(`coupled DLL flow stopped: ${sol.message}`);
    this.y = sol.y;
  }

  params(): DllParams {
    return unpackCoupled(this.net, this.layout, this.y);
  }
}

/** BP on the same MLP with the same optimiser (the baseline). */
export class BpTrainer {
  readonly mlp: Mlp;
  readonly optimizer: Optimizer;
  private readonly arrays: Float64Array[];

  constructor(
    sizes: readonly number[],
    hidden: string,
    readonly params: MlpParams,
    readonly loss: 'mse' | 'cross-entropy',
    opts: { optimizer: OptimizerName; lr: number },
  ) {
    this.mlp = new Mlp({ sizes, hidden, output: 'linear' });
    this.arrays = [...params.W.map((w) => w.data), ...params.b];
    this.optimizer = makeOptimizer(opts.optimizer, opts.lr, this.arrays.map((a) => a.length));
  }

  step(input: Float64Array, target: Float64Array, batch: number): number {
    const cache = this.mlp.forward(this.params, input, batch);
    const g = this.mlp.backward(this.params, cache, target, lossTable[this.loss]);
    const dirs = [...g.gW.map((w) => w.data), ...g.gb].map((d) => {
      for (let i = 0; i < d.length; i++) d[i] = -d[i];
      return d;
    });
    this.optimizer.step(this.arrays, dirs);
    return g.loss;
  }
}

/** Initial parameters shared by DLL, DLL-FA and BP for one seed: identical W (and b = 0); Θ drawn after W. */
export function initialParams(net: DllMlp, seed: number): DllParams {
  return net.init(new Rng(seed));
}

export function toMlpParams(p: DllParams): MlpParams {
  return { W: p.W.map((w) => ({ rows: w.rows, cols: w.cols, data: w.data.slice() })), b: p.b.map((b) => b.slice()) };
}

/** Output of a network with weights W, b on x (n x d), in chunks. */
export function predict(sizes: readonly number[], hidden: string, p: { W: MlpParams['W']; b: MlpParams['b'] }, x: Float64Array, n: number): Float64Array {
  const mlp = new Mlp({ sizes, hidden, output: 'linear' });
  const k = sizes[sizes.length - 1];
  const d = sizes[0];
  const out = new Float64Array(n * k);
  const chunk = 500;
  for (let s = 0; s < n; s += chunk) {
    const e = Math.min(n, s + chunk);
    out.set(mlp.predict({ W: p.W, b: p.b }, x.subarray(s * d, e * d), e - s), s * k);
  }
  return out;
}

/** Shuffled minibatches for one epoch: calls fn(input, target) for each full batch. */
export function forEachBatch(
  x: Float64Array,
  t: Float64Array,
  n: number,
  d: number,
  k: number,
  batch: number,
  rng: Rng,
  fn: (input: Float64Array, target: Float64Array) => void,
): void {
  const order = epochOrder(n, rng);
  const xb = new Float64Array(batch * d);
  const tb = new Float64Array(batch * k);
  for (let s = 0; s + batch <= n; s += batch) {
    gatherRows(x, d, order, s, s + batch, xb);
    gatherRows(t, k, order, s, s + batch, tb);
    fn(xb, tb);
  }
}
