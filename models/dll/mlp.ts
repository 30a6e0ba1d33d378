/**
 * Dendritic Localized Learning (DLL) for a multilayer perceptron: three-compartment neurons whose
 * apical compartments relax under a continuous-time flow while the forward weights W and the
 * feedback weights Θ learn as slow flows. Lv et al., ICML 2025, Section 3, Algorithm 1.
 *
 * Layers 0..L with widths n_0..n_L; W_i is (n_{i+1} x n_i), b_i is n_{i+1}, Θ_i has the shape of W_i.
 * Per layer and per sample (the code holds a batch of B samples as B x n_i row-major matrices):
 *
 *   basal compartment    u_0 = input,  u_{i+1} = f_i(W_i u_i + b_i)                       (eq. 4)
 *   apical compartment   x_i (the "expected value"); x_0 = u_0 (so ξ_0 = 0);
 *                        x_L clamped to the target (MSE) or nudged (cross-entropy, below)
 *   soma                 ξ_i = x_i − u_i                                                   (eq. 2)
 *   relaxation           τ_x dx_i/dt = −ξ_i + Θ_iᵀ[ξ_{i+1} ⊙ f_i′(W_i u_i + b_i)],  i = 1..L−1   (eqs. 5-6)
 *   equilibrium          ξ_i = Θ_iᵀ[ξ_{i+1} ⊙ f_i′(W_i u_i + b_i)]                          (eq. 7)
 *   forward weights      τ_W dW_i/dt = ⟨[ξ_{i+1} ⊙ f_i′] u_iᵀ⟩,  τ_W db_i/dt = ⟨ξ_{i+1} ⊙ f_i′⟩  (eq. 8)
 *   feedback weights     τ_Θ dΘ_i/dt = −⟨[ξ_{i+1} ⊙ f_i′] ξ_iᵀ⟩                              (eq. 9)
 *
 * ⟨·⟩ is the mean over the batch. With Euler steps of size dt these are the paper's iterations with
 * η_x = dt/τ_x, η_W = dt/τ_W, η_Θ = dt/τ_Θ.
 *
 * Signs (the paper writes its "loss" as L = −½Σ‖ξ_i‖², eq. 3, and ascends it). Here every flow is a
 * descent of the non-negative energy E = ½ Σ_i ‖ξ_i‖², which is the same thing:
 * - relaxation: dx_i/dt = −∂E/∂x_i with the forward weights in the chain-rule term replaced by Θ
 *   (eq. 6). Because u does not depend on x (the basal input is the feed-forward value), the flow is
 *   linear and block-triangular in ξ with every eigenvalue −1/τ_x, so it converges from any start to
 *   the unique equilibrium of eq. (7), computed layer by layer from the clamped output downward
 *   (`closedForm`). Forward Euler with dt = τ_x (η_x = 1) is exactly that layer-by-layer sweep and
 *   reaches eq. (7) in L − 1 steps.
 * - W: −∂E/∂W_i = [ξ_{i+1} ⊙ f_i′] u_iᵀ (u_{i+1} depends on W_i), the paper's eq. (8) with its sign.
 *   With Θ = W the equilibrium gives ξ_i = −∂ℓ/∂u_i (ℓ the output loss) and eq. (8) is the negative
 *   backprop gradient (checked in checks.ts).
 * - Θ: −∂E/∂Θ_i with ξ_i = Θ_iᵀ e_{i+1} (its equilibrium value), eq. (9) with its sign. At the
 *   equilibrium this is −e eᵀ Θ_i: the paper's rule shrinks Θ along the directions the errors take.
 *
 * Output (Algorithm 1: ξ_L = −∇_{u_L} ℓ): MSE, ℓ = ½‖u_L − t‖², gives ξ_L = t − u_L, i.e. x_L = t (clamped);
 * cross-entropy on logits u_L gives ξ_L = t − softmax(u_L), i.e. x_L = u_L + t − softmax(u_L) (nudged).
 *
 * Choices where the paper is silent: biases (same rule as W with input 1; `bias: false` drops them);
 * Θ_0 is not kept (ξ_0 = 0, so Θ_0 is never read and its update is zero); Θ is initialised
 * independently of W with the same distribution N(0, 1/n_i); the output layer is linear; the output
 * error is per sample (unscaled) and the weight rates are batch means.
 *
 * DLL-FA (Table 3's ablation) is `feedback: 'fixed'`: Θ random and never updated.
 */
import '../../solvers/index'; // registers the built-in solvers by name
import type { Rng } from '../../src/core/random';
import { defineState, matrix, vector, type BlockSpec, type StateLayout } from '../../src/core/state';
import { steadyState, type SteadyStateResult } from '../../src/core/steady';
import { solve } from '../../src/core/solve';
import { drift, odeProblem, timeScaled, type Problem } from '../../src/core/terms';
import { matMul, matMulTA, matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { activations, type Activation } from '../../src/nn/activations';
import { checkSizes } from '../../src/nn/mlp';
import { viewCache } from '../../src/experiment/minibatch-flow';

export type OutputLoss = 'mse' | 'cross-entropy';
export type Feedback = 'learned' | 'fixed';

export interface DllMlpSpec {
  /** Widths, input first, e.g. [784, 256, 128, 10]. */
  sizes: readonly number[];
  /** Hidden activation (default 'tanh', as in the paper). */
  hidden?: string;
  /** Output activation (default 'linear'). */
  output?: string;
  /** Output loss: 'mse' clamps x_L to the target, 'cross-entropy' nudges it (default 'mse'). */
  loss?: OutputLoss;
  /** Biases (default true). */
  bias?: boolean;
  /** 'learned': DLL (Θ follows eq. 9); 'fixed': DLL-FA (Θ random, never updated). Default 'learned'. */
  feedback?: Feedback;
}

/** Parameters. `Theta[i − 1]` is Θ_i (i = 1..L−1), with the shape of W_i. */
export interface DllParams {
  W: Mat[];
  b: Float64Array[];
  Theta: Mat[];
}

/** Update directions (the paper's ΔW, Δb, ΔΘ): each is −∂E/∂(parameter), an ascent direction of the paper's L. */
export interface DllUpdates {
  W: Mat[];
  b: Float64Array[];
  Theta: Mat[];
}

/** Time constants of the coupled flow: τ_x (apical), τ_W (W and b), τ_Θ (Θ). */
export interface Timescales {
  tauX: number;
  tauW: number;
  tauTheta: number;
}

export interface RelaxOptions {
  /** A registered solver name (default 'euler'). */
  solver?: string;
  /** Step (fixed-step solvers) or first step (adaptive), in units of τ_x = 1 (default 0.5). */
  dt?: number;
  /** Give up at this time (default 60). */
  tMax?: number;
  /** Steady-state residual tolerance max|τ_x dx/dt| / max(1, |x|) (default 1e-8). */
  tol?: number;
  /** Tolerances of an adaptive solver (default 1e-10, 1e-12). */
  rtol?: number;
  atol?: number;
}

export interface RelaxResult {
  reason: SteadyStateResult['reason'] | 'none';
  residual: number;
  t: number;
  steps: number;
  /** Vector-field evaluations of the relaxation (`solve`'s stats.nfe). */
  nfe: number;
}

/** Per-batch buffers: basal values, pre-activations, derivatives, local errors, apical values. */
export interface DllWorkspace {
  batch: number;
  /** u[i]: B x n_i, i = 0..L (u[0] is the input). */
  u: Mat[];
  /** a[i]: B x n_{i+1}, pre-activation W_i u_i + b_i. */
  a: Mat[];
  /** fp[i] = f_i′(a[i]). */
  fp: Mat[];
  /** xi[i] = x_i − u_i, i = 0..L (xi[0] stays 0). */
  xi: Mat[];
  /** e[i] = xi[i+1] ⊙ fp[i], i = 0..L−1. */
  e: Mat[];
  /** x[i]: apical values of the hidden layers i = 1..L−1 (x[0], x[L] unused: use u[0] and u[L] + xi[L]). */
  x: Mat[];
  /** Target (B x n_L). */
  target: Float64Array;
}

export class DllMlp {
  readonly sizes: readonly number[];
  readonly L: number;
  readonly acts: Activation[];
  readonly loss: OutputLoss;
  readonly bias: boolean;
  readonly feedback: Feedback;

  constructor(spec: DllMlpSpec) {
    checkSizes(spec.sizes, 'DLL layer sizes');
    this.sizes = spec.sizes.slice();
    this.L = spec.sizes.length - 1;
    const hidden = spec.hidden ?? 'tanh';
    this.acts = Array.from({ length: this.L }, (_, l) => activations.get(l === this.L - 1 ? (spec.output ?? 'linear') : hidden));
    this.loss = spec.loss ?? 'mse';
    if (this.loss !== 'mse' && this.loss !== 'cross-entropy') {
      throw new Error(`DLL loss must be 'mse' or 'cross-entropy' (got '${String(spec.loss)}')`);
    }
    this.bias = spec.bias ?? true;
    this.feedback = spec.feedback ?? 'learned';
    if (this.feedback !== 'learned' && this.feedback !== 'fixed') {
      throw new Error(`DLL feedback must be 'learned' (DLL) or 'fixed' (DLL-FA) (got '${String(spec.feedback)}')`);
    }
  }

  /** W, Θ ~ N(0, 1/n_i) independently (Algorithm 1: "initialize W, Θ randomly"), b = 0. */
  init(rng: Rng): DllParams {
    const W: Mat[] = [];
    const b: Float64Array[] = [];
    const Theta: Mat[] = [];
    for (let i = 0; i < this.L; i++) {
      const w = mat(this.sizes[i + 1], this.sizes[i]);
      rng.fillNormal(w.data, 1 / Math.sqrt(this.sizes[i]));
      W.push(w);
      b.push(new Float64Array(this.sizes[i + 1]));
    }
    for (let i = 1; i < this.L; i++) {
      const th = mat(this.sizes[i + 1], this.sizes[i]);
      rng.fillNormal(th.data, 1 / Math.sqrt(this.sizes[i]));
      Theta.push(th);
    }
    return { W, b, Theta };
  }

  /** Throws with the expected shapes when a parameter set does not fit this network. */
  checkParams(p: DllParams): void {
    if (p.W.length !== this.L || p.b.length !== this.L) {
      throw new Error(`DLL parameters have ${p.W.length} weight matrices and ${p.b.length} biases; a network with sizes [${this.sizes.join(', ')}] needs ${this.L} of each`);
    }
    if (p.Theta.length !== this.L - 1) {
      throw new Error(`DLL parameters have ${p.Theta.length} feedback matrices Θ; sizes [${this.sizes.join(', ')}] need ${this.L - 1} (Θ_1..Θ_${this.L - 1}, Theta[i-1] = Θ_i)`);
    }
    for (let i = 0; i < this.L; i++) {
      const want = `${this.sizes[i + 1]}x${this.sizes[i]}`;
      if (p.W[i].rows !== this.sizes[i + 1] || p.W[i].cols !== this.sizes[i] || p.W[i].data.length !== this.sizes[i + 1] * this.sizes[i]) {
        throw new Error(`W_${i} is ${p.W[i].rows}x${p.W[i].cols} but layer ${i} -> ${i + 1} needs ${want}`);
      }
      if (p.b[i].length !== this.sizes[i + 1]) throw new Error(`b_${i} has ${p.b[i].length} entries but layer ${i + 1} has ${this.sizes[i + 1]} neurons`);
      if (i >= 1) {
        const th = p.Theta[i - 1];
        if (th.rows !== this.sizes[i + 1] || th.cols !== this.sizes[i] || th.data.length !== this.sizes[i + 1] * this.sizes[i]) {
          throw new Error(`Θ_${i} is ${th.rows}x${th.cols} but it must have the shape of W_${i}, ${want} (Θ_${i}ᵀ carries errors from layer ${i + 1} to layer ${i})`);
        }
      }
    }
  }

  workspace(batch: number): DllWorkspace {
    if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`batch size must be an integer >= 1 (got ${batch})`);
    const n = this.sizes;
    const L = this.L;
    return {
      batch,
      u: n.map((w) => mat(batch, w)),
      a: n.slice(1).map((w) => mat(batch, w)),
      fp: n.slice(1).map((w) => mat(batch, w)),
      xi: n.map((w) => mat(batch, w)),
      e: n.slice(1).map((w) => mat(batch, w)),
      x: n.map((w, i) => (i >= 1 && i < L ? mat(batch, w) : mat(0, 0))),
      target: new Float64Array(batch * n[L]),
    };
  }

  /** Load a batch (B x n_0 inputs, B x n_L targets) into the workspace, checking sizes and finiteness. */
  setBatch(ws: DllWorkspace, input: ArrayLike<number>, target: ArrayLike<number>): void {
    const B = ws.batch;
    const n0 = this.sizes[0];
    const nL = this.sizes[this.L];
    if (input.length !== B * n0) throw new Error(`input has ${input.length} values but batch ${B} x width ${n0} needs ${B * n0}`);
    if (target.length !== B * nL) throw new Error(`target has ${target.length} values but batch ${B} x ${nL} outputs needs ${B * nL}`);
    for (let k = 0; k < input.length; k++) {
      if (!Number.isFinite(input[k])) throw new Error(`input entry ${k} is ${input[k]}; inputs must be finite numbers`);
    }
    for (let k = 0; k < target.length; k++) {
      if (!Number.isFinite(target[k])) throw new Error(`target entry ${k} is ${target[k]}; targets must be finite numbers (clean or drop that sample)`);
    }
    ws.u[0].data.set(input);
    ws.target.set(target);
  }

  /** Basal pass u_{i+1} = f_i(W_i u_i + b_i) (eq. 4), with f_i′ kept for the apical flow. */
  forward(p: DllParams, ws: DllWorkspace): void {
    const B = ws.batch;
    for (let i = 0; i < this.L; i++) {
      const a = ws.a[i];
      matMulTB(ws.u[i], p.W[i], a);
      const n = this.sizes[i + 1];
      if (this.bias) {
        const b = p.b[i];
        for (let r = 0; r < B; r++) for (let j = 0; j < n; j++) a.data[r * n + j] += b[j];
      }
      const f = this.acts[i].f;
      const df = this.acts[i].df;
      const u = ws.u[i + 1].data;
      const fp = ws.fp[i].data;
      for (let k = 0; k < a.data.length; k++) {
        u[k] = f(a.data[k]);
        fp[k] = df(a.data[k]);
      }
    }
  }

  /** ξ_L = −∇_{u_L} ℓ per sample: t − u_L (MSE, clamped) or t − softmax(u_L) (cross-entropy, nudged). */
  outputError(ws: DllWorkspace): void {
    const B = ws.batch;
    const k = this.sizes[this.L];
    const out = ws.u[this.L].data;
    const xi = ws.xi[this.L].data;
    const t = ws.target;
    if (this.loss === 'mse') {
      for (let i = 0; i < xi.length; i++) xi[i] = t[i] - out[i];
      return;
    }
    for (let r = 0; r < B; r++) {
      const o = r * k;
      let m = -Infinity;
      for (let j = 0; j < k; j++) m = Math.max(m, out[o + j]);
      let z = 0;
      for (let j = 0; j < k; j++) z += Math.exp(out[o + j] - m);
      for (let j = 0; j < k; j++) xi[o + j] = t[o + j] - Math.exp(out[o + j] - m) / z;
    }
  }

  /** Mean output loss of the current basal output (MSE: ½‖u_L − t‖²; cross-entropy on logits). */
  outputLoss(ws: DllWorkspace): number {
    const B = ws.batch;
    const k = this.sizes[this.L];
    const out = ws.u[this.L].data;
    const t = ws.target;
    let s = 0;
    if (this.loss === 'mse') {
      for (let i = 0; i < out.length; i++) s += 0.5 * (out[i] - t[i]) ** 2;
      return s / B;
    }
    for (let r = 0; r < B; r++) {
      const o = r * k;
      let m = -Infinity;
      for (let j = 0; j < k; j++) m = Math.max(m, out[o + j]);
      let z = 0;
      for (let j = 0; j < k; j++) z += Math.exp(out[o + j] - m);
      const logZ = m + Math.log(z);
      for (let j = 0; j < k; j++) s -= t[o + j] * (out[o + j] - logZ);
    }
    return s / B;
  }

  /** Load a batch, run the basal pass and set the output error. */
  present(p: DllParams, ws: DllWorkspace, input: ArrayLike<number>, target: ArrayLike<number>): void {
    this.setBatch(ws, input, target);
    this.forward(p, ws);
    this.outputError(ws);
  }

  /** ξ_i = x_i − u_i for the hidden layers (x given per layer), then e_i = ξ_{i+1} ⊙ f_i′ for all layers. */
  errors(ws: DllWorkspace, x: readonly Mat[]): void {
    for (let i = 1; i < this.L; i++) {
      const xi = ws.xi[i].data;
      const xd = x[i].data;
      const u = ws.u[i].data;
      for (let k = 0; k < xi.length; k++) xi[k] = xd[k] - u[k];
    }
    this.projectErrors(ws);
  }

  /** e_i = ξ_{i+1} ⊙ f_i′(a_i), i = 0..L−1. */
  projectErrors(ws: DllWorkspace): void {
    for (let i = 0; i < this.L; i++) {
      const e = ws.e[i].data;
      const xi = ws.xi[i + 1].data;
      const fp = ws.fp[i].data;
      for (let k = 0; k < e.length; k++) e[k] = xi[k] * fp[k];
    }
  }

  /** τ_x dx_i/dt = −ξ_i + Θ_iᵀ e_i (eq. 6), written into out[i] for i = 1..L−1 (needs `errors` first). */
  apicalRate(p: DllParams, ws: DllWorkspace, out: readonly Mat[]): void {
    for (let i = 1; i < this.L; i++) {
      const o = out[i];
      matMul(ws.e[i], p.Theta[i - 1], o); // rows: e_b Θ_i = (Θ_iᵀ e_b)ᵀ
      const xi = ws.xi[i].data;
      for (let k = 0; k < o.data.length; k++) o.data[k] -= xi[k];
    }
  }

  /**
   * The equilibrium of eq. (7) computed layer by layer from the output down: ξ_i = Θ_iᵀ e_i,
   * e_{i−1} = ξ_i ⊙ f′_{i−1}. Writes ξ, e and x = u + ξ into the workspace.
   */
  closedForm(p: DllParams, ws: DllWorkspace): void {
    for (let i = this.L - 1; i >= 0; i--) {
      const e = ws.e[i].data;
      const xi1 = ws.xi[i + 1].data;
      const fp = ws.fp[i].data;
      for (let k = 0; k < e.length; k++) e[k] = xi1[k] * fp[k];
      if (i >= 1) {
        matMul(ws.e[i], p.Theta[i - 1], ws.xi[i]);
        const x = ws.x[i].data;
        const u = ws.u[i].data;
        const xi = ws.xi[i].data;
        for (let k = 0; k < x.length; k++) x[k] = u[k] + xi[k];
      }
    }
  }

  /**
   * The slow-flow rates at the current errors (needs `errors` or `closedForm` first):
   * dW_i = ⟨e_i u_iᵀ⟩ (eq. 8), db_i = ⟨e_i⟩, dΘ_i = −⟨e_i ξ_iᵀ⟩ (eq. 9; zero for DLL-FA).
   * `scaleW`, `scaleTheta` multiply them (1/τ for the flows).
   */
  weightRates(ws: DllWorkspace, out: DllUpdates, scaleW = 1, scaleTheta = 1): void {
    const B = ws.batch;
    for (let i = 0; i < this.L; i++) {
      matMulTA(ws.e[i], ws.u[i], out.W[i], scaleW / B);
      const db = out.b[i];
      db.fill(0);
      if (this.bias) {
        const n = this.sizes[i + 1];
        const e = ws.e[i].data;
        for (let r = 0; r < B; r++) for (let j = 0; j < n; j++) db[j] += e[r * n + j];
        for (let j = 0; j < n; j++) db[j] *= scaleW / B;
      }
      if (i >= 1) {
        if (this.feedback === 'learned') matMulTA(ws.e[i], ws.xi[i], out.Theta[i - 1], -scaleTheta / B);
        else out.Theta[i - 1].data.fill(0);
      }
    }
  }

  zeroUpdates(): DllUpdates {
    return {
      W: this.sizes.slice(1).map((n, i) => mat(n, this.sizes[i])),
      b: this.sizes.slice(1).map((n) => new Float64Array(n)),
      Theta: this.sizes.slice(2).map((n, k) => mat(n, this.sizes[k + 1])),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The apical flow alone (buffered variant: weights fixed while x relaxes)

  /** Layout of the apical state: one B x n_i block per hidden layer, τ_x = 1. */
  apicalLayout(batch: number): StateLayout {
    const specs: Record<string, BlockSpec> = {};
    for (let i = 1; i < this.L; i++) specs[`x${i}`] = matrix(batch, this.sizes[i], { tau: 1 });
    return defineState(specs);
  }

  /**
   * The relaxation of eqs. (5)-(6) as an ODE problem on the apical state, with the weights, the
   * basal values and the output error taken from `p` and `ws` when the vector field is called.
   */
  apicalProblem(p: () => DllParams, ws: DllWorkspace): Problem {
    if (this.L < 2) throw new Error('a network without hidden layers has no apical state to relax; give at least one hidden layer');
    const layout = this.apicalLayout(ws.batch);
    const rate = new Array<Mat>(this.L).fill(mat(0, 0));
    const views = viewCache((y) => this.hiddenViews(layout, y));
    const term = drift(layout.size, (_t, y, out) => {
      const xs = views(y);
      this.errors(ws, xs);
      const os = views(out);
      for (let i = 1; i < this.L; i++) rate[i] = os[i];
      this.apicalRate(p(), ws, rate);
    });
    return odeProblem(timeScaled(layout, term), { layout, name: `DLL apical relaxation [${this.sizes.join('-')}] x ${ws.batch}` });
  }

  private hiddenViews(layout: StateLayout, y: Float64Array): Mat[] {
    const out: Mat[] = [mat(0, 0)];
    for (let i = 1; i < this.L; i++) {
      const b = layout.block(`x${i}`);
      out.push({ rows: (b.spec as { rows: number }).rows, cols: this.sizes[i], data: y.subarray(b.offset, b.offset + b.size) });
    }
    return out;
  }

  /** Apical initial value x_i = u_i (Algorithm 1, eq. 4) as a flat apical state. */
  apicalInitial(ws: DllWorkspace): Float64Array {
    let size = 0;
    for (let i = 1; i < this.L; i++) size += ws.u[i].data.length;
    const y = new Float64Array(size);
    let off = 0;
    for (let i = 1; i < this.L; i++) {
      y.set(ws.u[i].data, off);
      off += ws.u[i].data.length;
    }
    return y;
  }

  /** Copy a flat apical state into ws.x and recompute ξ and e from it. */
  loadApical(ws: DllWorkspace, y: Float64Array): void {
    let off = 0;
    for (let i = 1; i < this.L; i++) {
      const n = ws.x[i].data.length;
      ws.x[i].data.set(y.subarray(off, off + n));
      off += n;
    }
    this.errors(ws, ws.x);
  }
}

/**
 * The buffered variant (Algorithm 1) for one batch, with a reusable relaxation problem: present the
 * batch, start the apical compartments at x = u, integrate the apical flow with a registered solver
 * until the steady-state residual is below `tol` (eq. 7), and leave the equilibrium errors in the
 * workspace for `weightRates`.
 */
export class ApicalRelaxer {
  private params: DllParams | null = null;
  readonly problem: Problem | null;

  constructor(readonly net: DllMlp, readonly ws: DllWorkspace, readonly opts: RelaxOptions = {}) {
    this.problem = net.L >= 2 ? net.apicalProblem(() => this.params!, ws) : null;
    const dt = opts.dt ?? 0.5;
    if (!(dt > 0)) throw new Error(`relaxation step dt must be > 0 (got ${dt})`);
  }

  /** A network without hidden layers has nothing to relax: its errors are projected directly. */
  private noHiddenLayers(p: DllParams): RelaxResult | null {
    this.params = p;
    if (this.problem) return null;
    this.net.projectErrors(this.ws);
    return { reason: 'none', residual: 0, t: 0, steps: 0, nfe: 0 };
  }

  relax(p: DllParams): RelaxResult {
    const none = this.noHiddenLayers(p);
    if (none) return none;
    const net = this.net;
    const ws = this.ws;
    const o = this.opts;
    const solver = o.solver ?? 'euler';
    const r = steadyState(this.problem!, solver, {
      t0: 0,
      tMax: o.tMax ?? 60,
      y0: net.apicalInitial(ws),
      dt0: o.dt ?? 0.5,
      tol: o.tol ?? 1e-8,
      rtol: o.rtol ?? 1e-10,
      atol: o.atol ?? 1e-12,
      maxSteps: 1e6,
    });
    if (r.reason === 'diverged') throw new Error(`the apical relaxation diverged: ${r.solution.message}; use a smaller relaxation step (dt < 2 for euler)`);
    net.loadApical(ws, r.y);
    return { reason: r.reason, residual: r.residual, t: r.t, steps: r.solution.stats.accepted, nfe: r.solution.stats.nfe };
  }

  /** Integrate the apical flow over a fixed time [0, T] (the paper's fixed number of iterations). */
  relaxFor(p: DllParams, T: number): RelaxResult {
    const none = this.noHiddenLayers(p);
    if (none) return none;
    const net = this.net;
    const ws = this.ws;
    const o = this.opts;
    // solve picks constant steps for fixed-step solvers and the PI controller for adaptive ones.
    const sol = solve(this.problem!, o.solver ?? 'euler', {
      t0: 0,
      t1: T,
      y0: net.apicalInitial(ws),
      dt0: o.dt ?? 0.5,
      rtol: o.rtol ?? 1e-10,
      atol: o.atol ?? 1e-12,
    });
    if (sol.status !== 'ok') throw new Error(`the apical relaxation stopped: ${sol.message}`);
    net.loadApical(ws, sol.y);
    return { reason: 'timeLimit', residual: NaN, t: T, steps: sol.stats.accepted, nfe: sol.stats.nfe };
  }
}

// ---------------------------------------------------------------------------------------------
// The coupled flow: apical relaxation and learning at the same time (criterion C3, no phases)

/** Full state: apical x_i (τ_x), W_i and b_i (τ_W), Θ_i (τ_Θ). */
export function coupledLayout(net: DllMlp, batch: number, ts: Timescales): StateLayout {
  const specs: Record<string, BlockSpec> = {};
  for (let i = 1; i < net.L; i++) specs[`x${i}`] = matrix(batch, net.sizes[i], { tau: ts.tauX });
  for (let i = 0; i < net.L; i++) specs[`W${i}`] = matrix(net.sizes[i + 1], net.sizes[i], { tau: ts.tauW });
  if (net.bias) for (let i = 0; i < net.L; i++) specs[`b${i}`] = vector(net.sizes[i + 1], { tau: ts.tauW });
  for (let i = 1; i < net.L; i++) specs[`Theta${i}`] = matrix(net.sizes[i + 1], net.sizes[i], { tau: ts.tauTheta });
  return defineState(specs);
}

interface CoupledView {
  x: Mat[];
  p: DllParams;
}

function coupledViews(net: DllMlp, layout: StateLayout, y: Float64Array): CoupledView {
  const v = layout.view(y) as Record<string, Mat | Float64Array>;
  const x: Mat[] = [mat(0, 0)];
  for (let i = 1; i < net.L; i++) x.push(v[`x${i}`] as Mat);
  const W: Mat[] = [];
  const b: Float64Array[] = [];
  const Theta: Mat[] = [];
  for (let i = 0; i < net.L; i++) {
    W.push(v[`W${i}`] as Mat);
    b.push(net.bias ? (v[`b${i}`] as Float64Array) : new Float64Array(net.sizes[i + 1]));
  }
  for (let i = 1; i < net.L; i++) Theta.push(v[`Theta${i}`] as Mat);
  return { x, p: { W, b, Theta } };
}

/**
 * The coupled DLL flow for one presented batch (already loaded with `setBatch`): in every vector-field
 * call the basal pass is recomputed from the current W (the basal compartment has no lag), the
 * output error is set, the apical compartments move by eq. (6) and W, b, Θ by eqs. (8)-(9), all at
 * once. Divided by the block time constants (τ_x, τ_W, τ_Θ).
 */
export function coupledProblem(net: DllMlp, ws: DllWorkspace, ts: Timescales): { problem: Problem; layout: StateLayout } {
  for (const [k, v] of Object.entries(ts)) if (!(v > 0 && Number.isFinite(v))) throw new Error(`${k} must be a finite number > 0 (got ${v})`);
  const layout = coupledLayout(net, ws.batch, ts);
  const views = viewCache((y) => coupledViews(net, layout, y));
  const term = drift(layout.size, (_t, y, out) => {
    const s = views(y);
    const o = views(out);
    net.forward(s.p, ws);
    net.outputError(ws);
    net.errors(ws, s.x);
    net.apicalRate(s.p, ws, o.x);
    net.weightRates(ws, o.p);
  });
  return { problem: odeProblem(timeScaled(layout, term), { layout, name: `DLL coupled flow [${net.sizes.join('-')}]` }), layout };
}

/** Pack parameters (and apical values) into a coupled state vector. */
export function packCoupled(net: DllMlp, layout: StateLayout, p: DllParams, x?: readonly Mat[]): Float64Array {
  const y = layout.create();
  const s = coupledViews(net, layout, y);
  for (let i = 0; i < net.L; i++) {
    s.p.W[i].data.set(p.W[i].data);
    if (net.bias) s.p.b[i].set(p.b[i]);
  }
  for (let i = 1; i < net.L; i++) {
    s.p.Theta[i - 1].data.set(p.Theta[i - 1].data);
    if (x) s.x[i].data.set(x[i].data);
  }
  return y;
}

/** Copy the parameters out of a coupled state vector. */
export function unpackCoupled(net: DllMlp, layout: StateLayout, y: Float64Array): DllParams {
  const s = coupledViews(net, layout, y);
  return {
    W: s.p.W.map((w) => ({ rows: w.rows, cols: w.cols, data: w.data.slice() })),
    b: s.p.b.map((b) => b.slice()),
    Theta: s.p.Theta.map((w) => ({ rows: w.rows, cols: w.cols, data: w.data.slice() })),
  };
}

/** Deep copy of a parameter set. */
export function cloneParams(p: DllParams): DllParams {
  return {
    W: p.W.map((w) => ({ rows: w.rows, cols: w.cols, data: w.data.slice() })),
    b: p.b.map((b) => b.slice()),
    Theta: p.Theta.map((w) => ({ rows: w.rows, cols: w.cols, data: w.data.slice() })),
  };
}

/** Flat list of the parameter arrays in a fixed order (W..., b..., Θ...), for optimisers and norms. */
export function paramArrays(p: { W: Mat[]; b: Float64Array[]; Theta: Mat[] }): Float64Array[] {
  return [...p.W.map((w) => w.data), ...p.b, ...p.Theta.map((t) => t.data)];
}

/** At the arrival of a new batch: basal pass with the state's current W and x_i ← u_i (eq. 4). */
export function resetApical(net: DllMlp, layout: StateLayout, ws: DllWorkspace, y: Float64Array): void {
  const s = coupledViews(net, layout, y);
  net.forward(s.p, ws);
  for (let i = 1; i < net.L; i++) s.x[i].data.set(ws.u[i].data);
}
