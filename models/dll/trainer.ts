/**
 * Trainers for the DLL MLP (buffered, Algorithm 1; or coupled, no phases) and for the BP baseline
 * on the same network (src/nn/mlp.ts), with the same initial W, data order and optimiser. Every one
 * integrates its flow with `solve`: the buffered DLL and BP as minibatch flows (flow.ts, Euler with
 * one step per minibatch = the optimiser's step), the coupled flow per presentation.
 */
import '../../solvers/index'; // registers the built-in solvers by name
import { Rng } from '../../src/core/random';
import { solve } from '../../src/core/solve';
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
import { MinibatchFlow, PAPER_FLOW, arrayViews, checkOptimizerSolver, type FlowSolver, type OptimizerGroup } from '../../src/experiment/minibatch-flow';
import { SLOW_FLOW } from './flow';
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

/** A minibatch's data, as a trainer's `run` loads it. */
export interface Minibatch {
  input: ArrayLike<number>;
  target: ArrayLike<number>;
}

/**
 * A trainer whose parameters follow a minibatch flow through `solve` (flow.ts): `step` presents
 * one minibatch, `run` a schedule of them in one integration. Subclasses give the direction.
 */
abstract class FlowTrainer {
  protected flow!: MinibatchFlow;
  protected input: ArrayLike<number> = new Float64Array(0);
  protected target: ArrayLike<number> = new Float64Array(0);
  private loader: ((k: number) => Minibatch) | null = null;

  constructor(
    /** The live parameter arrays, in the flow's order. */
    protected readonly flowArrays: Float64Array[],
    /** The integrator of the slow flow (default: the paper's Euler, one step per minibatch). */
    readonly flowSolver: FlowSolver,
  ) {}

  protected makeFlow(name: string, dirs: Float64Array[], groups: OptimizerGroup[], direction: (theta: readonly Float64Array[]) => number): void {
    this.flow = new MinibatchFlow({
      name,
      sizes: this.flowArrays.map((a) => a.length),
      dirs,
      groups,
      direction,
      load: (k) => {
        if (!this.loader) return;
        const b = this.loader(k);
        this.input = b.input;
        this.target = b.target;
      },
    });
  }

  /** What to say when the parameters become non-finite. */
  protected abstract divergedMessage(): string;

  /**
   * Present minibatches 0..count−1 (`load(k)` gives minibatch k) in one integration of the slow
   * flow; returns the sum of their losses (each at the parameters before its first update).
   */
  run(count: number, load: (k: number) => Minibatch, onLoss?: (k: number, loss: number) => void): number {
    this.loader = load;
    try {
      const r = this.flow.run(this.flowArrays, count, this.flowSolver, { onLoss });
      if (r.solution.status === 'diverged') throw new Error(this.divergedMessage());
      if (r.solution.status !== 'ok') throw new Error(`the slow flow stopped: ${r.solution.message}`);
      return r.lossSum;
    } finally {
      this.loader = null;
    }
  }

  /** One minibatch; returns its loss before the update. */
  present(input: ArrayLike<number>, target: ArrayLike<number>): number {
    return this.run(1, () => ({ input, target }));
  }
}

/**
 * The buffered variant (Algorithm 1) as a flow: on each minibatch, relax the apical compartments to
 * eq. (7) at the current W, b, Θ (a nested solve), then move W, b, Θ along eqs. (8)-(9) through the
 * optimiser (flow.ts: 'euler' with one step per minibatch is the paper's SGD or Adam step).
 */
export class DllTrainer extends FlowTrainer {
  readonly ws: DllWorkspace;
  readonly relaxer: ApicalRelaxer;
  readonly updates: DllUpdates;
  /** The optimiser of W and b (and of Θ, except with the 'code' rule). */
  readonly optimizer: Optimizer;
  /** With the 'code' Θ rule: Θ's own optimiser, at thetaLrScale × lr. */
  readonly thetaOptimizer: Optimizer | null = null;
  private readonly arrays: Float64Array[];
  private readonly thetaArrays: Float64Array[] = [];
  readonly thetaRule: ThetaRule;
  lastRelax: RelaxResult | null = null;
  /** Relaxations run, their steps and vector-field evaluations in all, and the largest final residual (the flow may relax more than once per minibatch). */
  readonly relaxStats = { count: 0, steps: 0, nfe: 0, worstResidual: 0 };
  private readonly relaxTime?: number;

  constructor(
    readonly net: DllMlp,
    readonly params: DllParams,
    batch: number,
    opts: { optimizer: OptimizerName; lr: number; relax?: RelaxOptions; relaxTime?: number; thetaRule?: ThetaRule; thetaLrScale?: number; flow?: FlowSolver },
  ) {
    const all = paramArrays(params);
    super(all, opts.flow ?? PAPER_FLOW);
    net.checkParams(params);
    checkOptimizerSolver(opts.optimizer, this.flowSolver, { solver: 'flow solver', dt0: 'dt0', optimizer: 'optimizer', flow: SLOW_FLOW });
    this.ws = net.workspace(batch);
    this.relaxer = new ApicalRelaxer(net, this.ws, opts.relax);
    this.updates = net.zeroUpdates();
    this.thetaRule = opts.thetaRule ?? 'paper';
    if (this.thetaRule === 'fixed' && net.feedback !== 'fixed') throw new Error("theta rule 'fixed' needs a DllMlp with feedback: 'fixed' (Θ never updated)");
    const dirs = paramArrays(this.updates);
    const nTheta = params.Theta.length;
    const index = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
    const groups: OptimizerGroup[] = [];
    if (this.thetaRule === 'code') {
      this.arrays = all.slice(0, all.length - nTheta);
      this.thetaArrays = all.slice(all.length - nTheta);
      const scale = opts.thetaLrScale ?? 0.1;
      this.thetaOptimizer = makeOptimizer(opts.optimizer, opts.lr * scale, this.thetaArrays.map((a) => a.length));
      this.optimizer = makeOptimizer(opts.optimizer, opts.lr, this.arrays.map((a) => a.length));
      groups.push({ optimizer: this.optimizer, members: index(0, all.length - nTheta) }, { optimizer: this.thetaOptimizer, members: index(all.length - nTheta, all.length) });
    } else {
      this.arrays = all;
      this.optimizer = makeOptimizer(opts.optimizer, opts.lr, this.arrays.map((a) => a.length));
      groups.push({ optimizer: this.optimizer, members: index(0, all.length) });
    }
    this.relaxTime = opts.relaxTime;
    const views = arrayViews((theta) => dllParamViews(net, theta));
    this.makeFlow(`DLL slow flow (eqs. 8-9) [${net.sizes.join('-')}] x ${batch}`, dirs, groups, (theta) => this.direction(views(theta)));
  }

  /** Present the batch at p, relax to eq. (7), and leave eqs. (8)-(9) (and the 'code' Θ rule's direction) in `updates`. */
  private direction(p: DllParams): number {
    const { net, ws } = this;
    net.present(p, ws, this.input, this.target);
    const loss = net.outputLoss(ws);
    const r = (this.lastRelax = this.relaxTime !== undefined ? this.relaxer.relaxFor(p, this.relaxTime) : this.relaxer.relax(p));
    this.relaxStats.count++;
    this.relaxStats.steps += r.steps;
    this.relaxStats.nfe += r.nfe;
    this.relaxStats.worstResidual = Math.max(this.relaxStats.worstResidual, r.residual);
    net.weightRates(ws, this.updates);
    if (this.thetaOptimizer) codeThetaUpdate(net, ws, this.updates.Theta);
    return loss;
  }

  protected divergedMessage(): string {
    return 'DLL weights became non-finite; lower the learning rate';
  }

  /** Parameters and optimiser moments, for checkpoints (Θ's optimiser under 'theta.' with the 'code' rule). */
  trainingState(): Record<string, Float64Array> {
    const out = trainingArrays(this.arrays, this.optimizer);
    if (this.thetaOptimizer) for (const [k, v] of Object.entries(trainingArrays(this.thetaArrays, this.thetaOptimizer))) out[`theta.${k}`] = v;
    return out;
  }

  /** One minibatch (Algorithm 1: present, relax to eq. 7, update W, b, Θ once); returns its output loss before the update. */
  step(input: ArrayLike<number>, target: ArrayLike<number>): number {
    return this.present(input, target);
  }
}

/** DllParams viewing the flow's arrays (W..., b..., Θ..., paramArrays' order). */
function dllParamViews(net: DllMlp, theta: readonly Float64Array[]): DllParams {
  const L = net.L;
  const m = (rows: number, cols: number, data: Float64Array) => ({ rows, cols, data });
  return {
    W: Array.from({ length: L }, (_, i) => m(net.sizes[i + 1], net.sizes[i], theta[i])),
    b: Array.from({ length: L }, (_, i) => theta[L + i]),
    Theta: Array.from({ length: L - 1 }, (_, j) => m(net.sizes[j + 2], net.sizes[j + 1], theta[2 * L + j])),
  };
}

/**
 * The coupled flow trained presentation by presentation: each batch is shown for a time T during
 * which x, W, b and Θ move together (x starts at u when the batch arrives, eq. 4). With plain flows
 * (no optimiser) the learning rate per presentation is η = T/τ_W.
 *
 * One `solve` per presentation: the arrival of a batch resets the apical state (x ← u), a jump of
 * the state that the core's piecewise inputs (which change only the vector field) cannot express.
 * Any registered ODE solver: fixed steps of `dt` (default τ_x/4), or adaptive with rtol/atol
 * (default 1e-9, 1e-12).
 */
export class CoupledTrainer {
  readonly ws: DllWorkspace;
  readonly problem: Problem;
  readonly layout: StateLayout;
  y: Float64Array;
  /** Vector-field evaluations and accepted steps of the presentations so far (`solve`'s stats). */
  readonly stats = { nfe: 0, steps: 0 };

  constructor(
    readonly net: DllMlp,
    params: DllParams,
    batch: number,
    readonly ts: Timescales,
    readonly opts: { T: number; solver?: string; dt?: number; rtol?: number; atol?: number },
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
    // solve takes constant steps for fixed-step solvers, the PI controller for adaptive ones.
    const sol = solve(this.problem, this.opts.solver ?? 'rk4', {
      t0: 0,
      t1: this.opts.T,
      y0: this.y,
      dt0: this.opts.dt ?? 0.25 * this.ts.tauX,
      rtol: this.opts.rtol ?? 1e-9,
      atol: this.opts.atol ?? 1e-12,
      maxSteps: 1e7,
    });
    this.stats.nfe += sol.stats.nfe;
    this.stats.steps += sol.stats.accepted;
    if (sol.status !== 'ok') throw new Error(`coupled DLL flow stopped: ${sol.message}`);
    this.y = sol.y;
  }

  params(): DllParams {
    return unpackCoupled(this.net, this.layout, this.y);
  }
}

/**
 * BP on the same MLP with the same optimiser (the baseline), through the same minibatch flow:
 * dθ/dt = η (−∇ℓ_k(θ)), Euler with one step per minibatch being the optimiser's step.
 */
export class BpTrainer extends FlowTrainer {
  readonly mlp: Mlp;
  readonly optimizer: Optimizer;

  constructor(
    sizes: readonly number[],
    hidden: string,
    readonly params: MlpParams,
    readonly loss: 'mse' | 'cross-entropy',
    opts: { optimizer: OptimizerName; lr: number; flow?: FlowSolver },
  ) {
    const arrays = [...params.W.map((w) => w.data), ...params.b];
    super(arrays, opts.flow ?? PAPER_FLOW);
    checkOptimizerSolver(opts.optimizer, this.flowSolver, { solver: 'flow solver', dt0: 'dt0', optimizer: 'optimizer', flow: SLOW_FLOW });
    this.mlp = new Mlp({ sizes, hidden, output: 'linear' });
    this.optimizer = makeOptimizer(opts.optimizer, opts.lr, arrays.map((a) => a.length));
    const L = params.W.length;
    const dirs = arrays.map((a) => new Float64Array(a.length));
    const views = arrayViews((theta) => ({ W: params.W.map((w, i) => ({ rows: w.rows, cols: w.cols, data: theta[i] })), b: params.b.map((_, i) => theta[L + i]) }));
    const lossFn = lossTable[loss];
    this.makeFlow(`BP baseline [${sizes.join('-')}]`, dirs, [{ optimizer: this.optimizer, members: arrays.map((_, k) => k) }], (theta) => {
      const p = views(theta);
      const batch = this.input.length / sizes[0];
      const g = this.mlp.backward(p, this.mlp.forward(p, this.input as Float64Array, batch), this.target as Float64Array, lossFn);
      [...g.gW.map((w) => w.data), ...g.gb].forEach((d, k) => {
        const out = dirs[k];
        for (let i = 0; i < d.length; i++) out[i] = -d[i];
      });
      return g.loss;
    });
  }

  protected divergedMessage(): string {
    return 'BP weights became non-finite; lower the learning rate';
  }

  step(input: Float64Array, target: Float64Array, _batch: number): number {
    return this.present(input, target);
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

/**
 * One epoch's minibatches: a seeded shuffle drawn now, and `load(k)` gathering full batch k of it
 * (the last incomplete batch is dropped). The returned arrays are reused from batch to batch.
 */
export function epochBatches(x: Float64Array, t: Float64Array, n: number, d: number, k: number, batch: number, rng: Rng): { count: number; load: (b: number) => Minibatch } {
  const order = epochOrder(n, rng);
  const input = new Float64Array(batch * d);
  const target = new Float64Array(batch * k);
  return {
    count: Math.floor(n / batch),
    load: (b) => {
      gatherRows(x, d, order, b * batch, (b + 1) * batch, input);
      gatherRows(t, k, order, b * batch, (b + 1) * batch, target);
      return { input, target };
    },
  };
}
