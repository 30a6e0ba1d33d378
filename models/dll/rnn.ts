/**
 * DLL for a recurrent network (Lv et al., Appendix B, eqs. 10-30), with the BPTT baseline it is
 * compared against.
 *
 * Time steps i = 1..n, batch of B sequences (each B x width, row-major), h_0^s = 0:
 *
 *   sensory (basal)   h_i^s = f(W_h h_{i−1}^s + W_x x_i + b_h) = f(a_i)                  (eq. 10)
 *   output            y_i = W_y h_i^s + b_y  (g linear)                                  (eq. 12)
 *   output error      ξ_i^y = t_i − y_i  (MSE, eq. 13); t_i − softmax(y_i) for cross-entropy
 *   apical            h_i^p, started at h_i^s;  ξ_i^h = h_i^p − h_i^s                    (eq. 11)
 *   relaxation        τ_h dh_i^p/dt = −ξ_i^h + Θ_yᵀ ξ_i^y + Θ_hᵀ[ξ_{i+1}^h ⊙ f′(a_{i+1})]   (eq. 17; i = n: eq. 18)
 *   equilibrium       ξ_i^h = Θ_yᵀ ξ_i^y + Θ_hᵀ[ξ_{i+1}^h ⊙ f′(a_{i+1})],  ξ_n^h = Θ_yᵀ ξ_n^y   (eqs. 19-20)
 *   updates           ΔW_y = Σ_i ξ_i^y h_iᵀ                                           (eqs. 21-22)
 *                     ΔW_x = Σ_i [ξ_i^h ⊙ f′(a_i)] x_iᵀ                               (eqs. 23-24)
 *                     ΔW_h = Σ_i [ξ_i^h ⊙ f′(a_i)] h_{i−1}ᵀ                           (eqs. 25-26)
 *                     ΔΘ_y = −Σ_i ξ_i^y ξ_i^hᵀ                                        (eqs. 27-28, transposed)
 *                     ΔΘ_h = −Σ_{i<n} [ξ_{i+1}^h ⊙ f′(a_{i+1})] ξ_i^hᵀ                (eqs. 29-30, transposed)
 *
 * Choices where the appendix is silent or inconsistent: eq. (17) evaluates f′ at W_h h_i^p + W_x x_{i+1},
 * eq. (19) at W_h h_i^s + W_x x_{i+1}; the basal (feed-forward) value is used, as in the MLP's eq. (7),
 * so the relaxation is linear and its equilibrium is eqs. (19)-(20). Biases b_h, b_y follow the rules of
 * W_x and W_y with input 1. Updates are summed over time and averaged over the batch. As for the MLP,
 * every rule descends E = ½Σ_i(‖ξ_i^h‖² + ‖ξ_i^y‖²) (the paper's eq. 14 with its minus sign removed),
 * and with Θ = W the equilibrium errors are the negative BPTT errors and ΔW the negative BPTT
 * gradient (`rnnBpttMatch`). DLL-FA-RNN: `feedback: 'fixed'` (Θ_h, Θ_y random, never updated).
 * The authors' released DLL-RNN uses the same sign for Θ, summed over the batch and clipped to ±50
 * (`RNN_CODE_THETA`, `updates(…, theta)`; `--theta-rule code` on dll-rnn).
 * The relaxation is an ODE on the apical states of all n steps at once (each step's h^p a B x n_h
 * block), integrated by any registered solver; `closed` assigns eqs. (19)-(20) directly, which the
 * paper itself does ("we can directly assign the value of ξ_i^h").
 */
import '../../solvers/index'; // registers the built-in solvers by name
import type { Rng } from '../../src/core/random';
import { defineState, matrix, type StateLayout } from '../../src/core/state';
import { steadyState } from '../../src/core/steady';
import { drift, odeProblem, timeScaled, type Problem } from '../../src/core/terms';
import { matMul, matMulTA, matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { activations, type Activation } from '../../src/nn/activations';
import type { Feedback, OutputLoss, RelaxOptions, RelaxResult } from './mlp';
import { viewCache } from '../../src/experiment/minibatch-flow';

export interface DllRnnSpec {
  nIn: number;
  nHidden: number;
  nOut: number;
  hidden?: string;
  loss?: OutputLoss;
  feedback?: Feedback;
}

export interface RnnParams {
  Wx: Mat;
  Wh: Mat;
  bh: Float64Array;
  Wy: Mat;
  by: Float64Array;
  /** Θ_h (n_h x n_h, the shape of W_h) and Θ_y (n_out x n_h, the shape of W_y). */
  ThetaH: Mat;
  ThetaY: Mat;
}

export interface RnnWorkspace {
  batch: number;
  steps: number;
  /** Index i = 0..n−1 holds time step i + 1. */
  x: Mat[];
  t: Mat[];
  /** h[0] = h_0 = 0; h[i] = h_i^s for i = 1..n. */
  h: Mat[];
  a: Mat[];
  fp: Mat[];
  y: Mat[];
  xiY: Mat[];
  xiH: Mat[];
  e: Mat[];
  hp: Mat[];
}

export class DllRnn {
  readonly act: Activation;
  readonly loss: OutputLoss;
  readonly feedback: Feedback;

  constructor(readonly spec: DllRnnSpec) {
    for (const k of ['nIn', 'nHidden', 'nOut'] as const) {
      if (!(Number.isInteger(spec[k]) && spec[k] >= 1)) throw new Error(`DLL-RNN ${k} must be an integer >= 1 (got ${spec[k]})`);
    }
    this.act = activations.get(spec.hidden ?? 'tanh');
    this.loss = spec.loss ?? 'mse';
    if (this.loss !== 'mse' && this.loss !== 'cross-entropy') throw new Error(`DLL-RNN loss must be 'mse' or 'cross-entropy' (got '${String(spec.loss)}')`);
    this.feedback = spec.feedback ?? 'learned';
    if (this.feedback !== 'learned' && this.feedback !== 'fixed') throw new Error(`DLL-RNN feedback must be 'learned' or 'fixed' (got '${String(spec.feedback)}')`);
  }

  /** W_x, W_y, Θ_y ~ N(0, 1/fan_in); W_h, Θ_h ~ N(0, g²/n_h) with g = 0.9 (below the chaotic edge); biases 0. */
  init(rng: Rng): RnnParams {
    const { nIn, nHidden: nh, nOut } = this.spec;
    const m = (r: number, c: number, std: number) => {
      const w = mat(r, c);
      rng.fillNormal(w.data, std);
      return w;
    };
    const Wx = m(nh, nIn, 1 / Math.sqrt(nIn));
    const Wh = m(nh, nh, 0.9 / Math.sqrt(nh));
    const Wy = m(nOut, nh, 1 / Math.sqrt(nh));
    const ThetaH = m(nh, nh, 0.9 / Math.sqrt(nh));
    const ThetaY = m(nOut, nh, 1 / Math.sqrt(nh));
    return { Wx, Wh, bh: new Float64Array(nh), Wy, by: new Float64Array(nOut), ThetaH, ThetaY };
  }

  checkParams(p: RnnParams): void {
    const { nIn, nHidden: nh, nOut } = this.spec;
    const want: [string, Mat, number, number, string][] = [
      ['W_x', p.Wx, nh, nIn, ''],
      ['W_h', p.Wh, nh, nh, ''],
      ['W_y', p.Wy, nOut, nh, ''],
      ['Θ_h', p.ThetaH, nh, nh, ' (the shape of W_h)'],
      ['Θ_y', p.ThetaY, nOut, nh, ' (the shape of W_y; Θ_yᵀ carries output errors to the hidden layer)'],
    ];
    for (const [name, m, r, c, why] of want) {
      if (m.rows !== r || m.cols !== c || m.data.length !== r * c) throw new Error(`${name} is ${m.rows}x${m.cols} but must be ${r}x${c}${why}`);
    }
    if (p.bh.length !== nh) throw new Error(`b_h has ${p.bh.length} entries but the hidden layer has ${nh}`);
    if (p.by.length !== nOut) throw new Error(`b_y has ${p.by.length} entries but the output has ${nOut}`);
  }

  workspace(batch: number, steps: number): RnnWorkspace {
    if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`a sequence needs at least one time step (got ${steps}); give inputs for steps 1..n with n >= 1`);
    if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`batch size must be an integer >= 1 (got ${batch})`);
    const { nIn, nHidden: nh, nOut } = this.spec;
    const many = (k: number, c: number) => Array.from({ length: k }, () => mat(batch, c));
    return {
      batch,
      steps,
      x: many(steps, nIn),
      t: many(steps, nOut),
      h: many(steps + 1, nh),
      a: many(steps, nh),
      fp: many(steps, nh),
      y: many(steps, nOut),
      xiY: many(steps, nOut),
      xiH: many(steps, nh),
      e: many(steps, nh),
      hp: many(steps, nh),
    };
  }

  /**
   * Load a batch of sequences, time-major: inputs[(i·B + b)·n_in + j] for step i (0-based), sequence b;
   * targets likewise with n_out. Checks sizes and finiteness.
   */
  setBatch(ws: RnnWorkspace, inputs: ArrayLike<number>, targets: ArrayLike<number>): void {
    const { nIn, nOut } = this.spec;
    const B = ws.batch;
    if (inputs.length === 0) throw new Error('the input sequence is empty; give at least one time step');
    if (inputs.length !== ws.steps * B * nIn) {
      throw new Error(`inputs have ${inputs.length} values but ${ws.steps} steps x batch ${B} x ${nIn} inputs need ${ws.steps * B * nIn} (time-major)`);
    }
    if (targets.length !== ws.steps * B * nOut) {
      throw new Error(`targets have ${targets.length} values but ${ws.steps} steps x batch ${B} x ${nOut} outputs need ${ws.steps * B * nOut} (time-major)`);
    }
    for (let k = 0; k < inputs.length; k++) if (!Number.isFinite(inputs[k])) throw new Error(`input entry ${k} is ${inputs[k]}; inputs must be finite numbers`);
    for (let k = 0; k < targets.length; k++) {
      if (!Number.isFinite(targets[k])) throw new Error(`target entry ${k} (step ${Math.floor(k / (B * nOut)) + 1}) is ${targets[k]}; targets must be finite numbers`);
    }
    for (let i = 0; i < ws.steps; i++) {
      const x = ws.x[i].data;
      const t = ws.t[i].data;
      for (let k = 0; k < x.length; k++) x[k] = inputs[i * B * nIn + k];
      for (let k = 0; k < t.length; k++) t[k] = targets[i * B * nOut + k];
    }
  }

  /** The sensory pass (eqs. 10, 12) and the output errors ξ^y (eq. 13). */
  forward(p: RnnParams, ws: RnnWorkspace): void {
    const B = ws.batch;
    const { nHidden: nh, nOut } = this.spec;
    ws.h[0].data.fill(0);
    const f = this.act.f;
    const df = this.act.df;
    for (let i = 0; i < ws.steps; i++) {
      const a = ws.a[i];
      matMulTB(ws.x[i], p.Wx, a);
      matMulTB(ws.h[i], p.Wh, a, 1, 1);
      for (let r = 0; r < B; r++) for (let j = 0; j < nh; j++) a.data[r * nh + j] += p.bh[j];
      const h = ws.h[i + 1].data;
      const fp = ws.fp[i].data;
      for (let k = 0; k < a.data.length; k++) {
        h[k] = f(a.data[k]);
        fp[k] = df(a.data[k]);
      }
      const y = ws.y[i];
      matMulTB(ws.h[i + 1], p.Wy, y);
      for (let r = 0; r < B; r++) for (let j = 0; j < nOut; j++) y.data[r * nOut + j] += p.by[j];
      outputError(this.loss, y.data, ws.t[i].data, ws.xiY[i].data, B, nOut);
    }
  }

  /** Mean over the batch of the loss summed over time. */
  sequenceLoss(ws: RnnWorkspace): number {
    let s = 0;
    for (let i = 0; i < ws.steps; i++) s += lossValue(this.loss, ws.y[i].data, ws.t[i].data, ws.batch, this.spec.nOut);
    return s / ws.batch;
  }

  present(p: RnnParams, ws: RnnWorkspace, inputs: ArrayLike<number>, targets: ArrayLike<number>): void {
    this.setBatch(ws, inputs, targets);
    this.forward(p, ws);
  }

  /** ξ^h_i = h^p_i − h^s_i and e_i = ξ^h_i ⊙ f′(a_i) from apical values hp. */
  errors(ws: RnnWorkspace, hp: readonly Mat[]): void {
    for (let i = 0; i < ws.steps; i++) {
      const xi = ws.xiH[i].data;
      const e = ws.e[i].data;
      const fp = ws.fp[i].data;
      const hpd = hp[i].data;
      const h = ws.h[i + 1].data;
      for (let k = 0; k < xi.length; k++) {
        xi[k] = hpd[k] - h[k];
        e[k] = xi[k] * fp[k];
      }
    }
  }

  /** τ_h dh^p_i/dt = −ξ^h_i + Θ_yᵀ ξ^y_i + Θ_hᵀ e_{i+1} (eqs. 17-18), into out[i]. */
  apicalRate(p: RnnParams, ws: RnnWorkspace, out: readonly Mat[]): void {
    for (let i = 0; i < ws.steps; i++) {
      const o = out[i];
      matMul(ws.xiY[i], p.ThetaY, o);
      if (i + 1 < ws.steps) matMul(ws.e[i + 1], p.ThetaH, o, 1, 1);
      const xi = ws.xiH[i].data;
      for (let k = 0; k < o.data.length; k++) o.data[k] -= xi[k];
    }
  }

  /** Eqs. (19)-(20) assigned backward in time; also sets h^p = h^s + ξ^h. */
  closedForm(p: RnnParams, ws: RnnWorkspace): void {
    for (let i = ws.steps - 1; i >= 0; i--) {
      const xi = ws.xiH[i];
      matMul(ws.xiY[i], p.ThetaY, xi);
      if (i + 1 < ws.steps) matMul(ws.e[i + 1], p.ThetaH, xi, 1, 1);
      const e = ws.e[i].data;
      const fp = ws.fp[i].data;
      const hp = ws.hp[i].data;
      const h = ws.h[i + 1].data;
      for (let k = 0; k < e.length; k++) {
        e[k] = xi.data[k] * fp[k];
        hp[k] = h[k] + xi.data[k];
      }
    }
  }

  /**
   * The update directions of eqs. (21)-(30) at the current errors, batch-mean, summed over time.
   * `theta` changes Θ's directions only: their batch weight (default −1/B, the batch mean of
   * eqs. 27-30; the released code's −1 sums over the batch) and a clip of each entry to ±clip
   * after the sum over time and batch (default none; the released code's 50): RNN_CODE_THETA.
   */
  updates(ws: RnnWorkspace, out: RnnParams, theta: { scale?: number; clip?: number } = {}): void {
    const B = ws.batch;
    const s = 1 / B;
    const thetaScale = theta.scale ?? -s;
    const { nHidden: nh, nOut } = this.spec;
    for (const m of [out.Wx, out.Wh, out.Wy, out.ThetaH, out.ThetaY]) m.data.fill(0);
    out.bh.fill(0);
    out.by.fill(0);
    for (let i = 0; i < ws.steps; i++) {
      matMulTA(ws.xiY[i], ws.h[i + 1], out.Wy, s, 1);
      matMulTA(ws.e[i], ws.x[i], out.Wx, s, 1);
      if (i > 0) matMulTA(ws.e[i], ws.h[i], out.Wh, s, 1);
      const e = ws.e[i].data;
      const xy = ws.xiY[i].data;
      for (let r = 0; r < B; r++) {
        for (let j = 0; j < nh; j++) out.bh[j] += s * e[r * nh + j];
        for (let j = 0; j < nOut; j++) out.by[j] += s * xy[r * nOut + j];
      }
      if (this.feedback === 'learned') {
        matMulTA(ws.xiY[i], ws.xiH[i], out.ThetaY, thetaScale, 1);
        if (i + 1 < ws.steps) matMulTA(ws.e[i + 1], ws.xiH[i], out.ThetaH, thetaScale, 1);
      }
    }
    const clip = theta.clip;
    if (clip !== undefined) for (const m of [out.ThetaY.data, out.ThetaH.data]) for (let k = 0; k < m.length; k++) m[k] = Math.max(-clip, Math.min(clip, m[k]));
  }

  zeroParams(): RnnParams {
    const { nIn, nHidden: nh, nOut } = this.spec;
    return { Wx: mat(nh, nIn), Wh: mat(nh, nh), bh: new Float64Array(nh), Wy: mat(nOut, nh), by: new Float64Array(nOut), ThetaH: mat(nh, nh), ThetaY: mat(nOut, nh) };
  }

  /** The relaxation of eqs. (17)-(18) as an ODE on all apical states h^p_1..h^p_n (τ_h = 1). */
  apicalProblem(p: () => RnnParams, ws: RnnWorkspace): { problem: Problem; layout: StateLayout } {
    const layout = defineState({ hp: matrix(ws.steps * ws.batch, this.spec.nHidden, { tau: 1 }) });
    const per = ws.batch * this.spec.nHidden;
    const split = (y: Float64Array) => Array.from({ length: ws.steps }, (_, i) => mat(ws.batch, this.spec.nHidden, y.subarray(i * per, (i + 1) * per)));
    const views = viewCache(split);
    const term = drift(layout.size, (_t, y, out) => {
      this.errors(ws, views(y));
      this.apicalRate(p(), ws, views(out));
    });
    return { problem: odeProblem(timeScaled(layout, term), { layout, name: `DLL-RNN apical relaxation (${ws.steps} steps)` }), layout };
  }
}

/**
 * Θ's update in the authors' released DLL-RNN (Lvchangze/Dendritic-Localized-Learning, model.py
 * `DLL_RNN_Model.update_weights`): the sign of eqs. (27)-(30) (unlike their MLP/CNN layers, whose
 * `update_theta` ascends), summed over the batch instead of averaged, each entry clipped to ±50.
 * `--theta-rule code` on dll-rnn; the learning rate is `theta_update_discount`'s (default 1: W's).
 */
export const RNN_CODE_THETA = { scale: -1, clip: 50 } as const;

/** Relaxes the DLL-RNN apical states with a registered solver (or assigns eqs. 19-20 with 'closed'). */
export class RnnRelaxer {
  private params: RnnParams | null = null;
  private readonly problem: Problem;
  private readonly y0: Float64Array;

  constructor(readonly net: DllRnn, readonly ws: RnnWorkspace, readonly opts: RelaxOptions & { closed?: boolean } = {}) {
    this.problem = net.apicalProblem(() => this.params!, ws).problem;
    this.y0 = new Float64Array(ws.steps * ws.batch * net.spec.nHidden);
  }

  relax(p: RnnParams): RelaxResult {
    const { net, ws } = this;
    if (this.opts.closed) {
      net.closedForm(p, ws);
      return { reason: 'none', residual: 0, t: 0, steps: 0, nfe: 0 };
    }
    this.params = p;
    const per = ws.batch * net.spec.nHidden;
    for (let i = 0; i < ws.steps; i++) this.y0.set(ws.h[i + 1].data, i * per);
    const o = this.opts;
    const r = steadyState(this.problem, o.solver ?? 'euler', {
      t0: 0,
      tMax: o.tMax ?? 10 * ws.steps + 60,
      y0: this.y0,
      dt0: o.dt ?? 1,
      tol: o.tol ?? 1e-8,
      rtol: o.rtol ?? 1e-10,
      atol: o.atol ?? 1e-12,
      maxSteps: 1e6,
    });
    if (r.reason === 'diverged') throw new Error(`the DLL-RNN apical relaxation diverged: ${r.solution.message}; use a smaller relaxation step`);
    for (let i = 0; i < ws.steps; i++) ws.hp[i].data.set(r.y.subarray(i * per, (i + 1) * per));
    net.errors(ws, ws.hp);
    return { reason: r.reason, residual: r.residual, t: r.t, steps: r.solution.stats.accepted, nfe: r.solution.stats.nfe };
  }
}

function outputError(loss: OutputLoss, y: Float64Array, t: Float64Array, xi: Float64Array, B: number, k: number): void {
  if (loss === 'mse') {
    for (let i = 0; i < y.length; i++) xi[i] = t[i] - y[i];
    return;
  }
  for (let r = 0; r < B; r++) {
    const o = r * k;
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, y[o + j]);
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(y[o + j] - m);
    for (let j = 0; j < k; j++) xi[o + j] = t[o + j] - Math.exp(y[o + j] - m) / z;
  }
}

function lossValue(loss: OutputLoss, y: Float64Array, t: Float64Array, B: number, k: number): number {
  let s = 0;
  if (loss === 'mse') {
    for (let i = 0; i < y.length; i++) s += 0.5 * (y[i] - t[i]) ** 2;
    return s;
  }
  for (let r = 0; r < B; r++) {
    const o = r * k;
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, y[o + j]);
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(y[o + j] - m);
    const logZ = m + Math.log(z);
    for (let j = 0; j < k; j++) s -= t[o + j] * (y[o + j] - logZ);
  }
  return s;
}

/**
 * BPTT on the same network (the baseline): gradients of the batch-mean, time-summed loss, returned
 * as negative gradients (so they compare with and are applied like DLL's update directions).
 * Uses the sensory pass already in `ws` (call `forward` first).
 */
export function bpttDirections(net: DllRnn, p: RnnParams, ws: RnnWorkspace, out: RnnParams): void {
  const B = ws.batch;
  const { nHidden: nh, nOut } = net.spec;
  const gy = mat(B, nOut);
  const dh = mat(B, nh);
  const delta = Array.from({ length: ws.steps }, () => mat(B, nh));
  for (const m of [out.Wx, out.Wh, out.Wy, out.ThetaH, out.ThetaY]) m.data.fill(0);
  out.bh.fill(0);
  out.by.fill(0);
  for (let i = ws.steps - 1; i >= 0; i--) {
    // ∂ℓ/∂y_i (batch mean): −ξ^y_i / B.
    for (let k = 0; k < gy.data.length; k++) gy.data[k] = -ws.xiY[i].data[k] / B;
    matMul(gy, p.Wy, dh);
    if (i + 1 < ws.steps) matMul(delta[i + 1], p.Wh, dh, 1, 1);
    const d = delta[i].data;
    for (let k = 0; k < d.length; k++) d[k] = dh.data[k] * ws.fp[i].data[k];
    matMulTA(gy, ws.h[i + 1], out.Wy, -1, 1);
    matMulTA(delta[i], ws.x[i], out.Wx, -1, 1);
    if (i > 0) matMulTA(delta[i], ws.h[i], out.Wh, -1, 1);
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < nh; j++) out.bh[j] -= d[r * nh + j];
      for (let j = 0; j < nOut; j++) out.by[j] -= gy.data[r * nOut + j];
    }
  }
}

export function rnnParamArrays(p: RnnParams, withTheta = true): Float64Array[] {
  const a = [p.Wx.data, p.Wh.data, p.bh, p.Wy.data, p.by];
  return withTheta ? [...a, p.ThetaH.data, p.ThetaY.data] : a;
}

/** RnnParams viewing arrays in rnnParamArrays' order (W_x, W_h, b_h, W_y, b_y, Θ_h, Θ_y), shaped like `like`. */
export function rnnParamViews(like: RnnParams, a: readonly Float64Array[]): RnnParams {
  const m = (s: Mat, data: Float64Array) => ({ rows: s.rows, cols: s.cols, data });
  return { Wx: m(like.Wx, a[0]), Wh: m(like.Wh, a[1]), bh: a[2], Wy: m(like.Wy, a[3]), by: a[4], ThetaH: m(like.ThetaH, a[5]), ThetaY: m(like.ThetaY, a[6]) };
}

export function cloneRnnParams(p: RnnParams): RnnParams {
  const c = (m: Mat) => ({ rows: m.rows, cols: m.cols, data: m.data.slice() });
  return { Wx: c(p.Wx), Wh: c(p.Wh), bh: p.bh.slice(), Wy: c(p.Wy), by: p.by.slice(), ThetaH: c(p.ThetaH), ThetaY: c(p.ThetaY) };
}
