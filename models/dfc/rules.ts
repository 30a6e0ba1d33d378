/**
 * Forward-weight updates of the DFC variants and baselines for one minibatch, and the feedback
 * update of the sleep phase. Every forward update is returned as a descent direction ΔW_i
 * (W ← W + η ΔW for plain SGD), averaged over the minibatch:
 *
 * - 'DFC'     (Section 2.3, eq. 5 continuous): ΔW_i = (1/(T B)) Σ_b ∫_0^T (φ(v_i) − φ(W_i r_{i−1})) r_{i−1}ᵀ dt,
 *             the buffered Euler integral over the settling time T = steps·dt (weights frozen);
 * - 'DFC-SS'  (steady state): ΔW_i = (1/B) Σ_b (φ(v_i(T)) − φ(W_i r_{i−1}(T))) r_{i−1}(T)ᵀ;
 * - 'DFC-SSA' (Lemma 1, analytical; `ssaBatch` here, per sample diagnostics.ts `ssaUpdate`);
 * - 'BP'      the negative gradient of the mean loss;
 * - 'DFA'     direct feedback alignment (Nøkland 2016): ΔW_i = −(1/B) Σ_b (B_i ∂L/∂r_L ⊙ φ'(v_i⁻)) r_{i−1}⁻ᵀ
 *             with fixed random B_i (n_i x n_L), and B_L = I (the output layer gets its true gradient).
 *
 * The DFC updates are O(λ) (δ_L = −λ ∂L/∂r_L); with Adam (trainer.ts) the scale does not matter.
 *
 * Feedback (sleep) update, eq. (13) buffered over the sample as the paper's experiments do, in the
 * σ²-normalised form of the paper's code: ΔQ_i = −(⟨v_i^fb uᵀ⟩/σ² + β Q_i), the time- and
 * batch-average of the eq. (13) drift divided by σ² (so its size does not depend on the noise level).
 */
import { Rng } from '../../src/core/random';
import { mat, type Mat } from '../../src/linalg/mat';
import { matMul, matMulTA, matMulTB } from '../../src/linalg/kernels';
import { alphaTilde, checkControllerConfig, checkFeedbackConfig, type ControllerConfig, type FeedbackConfig } from './config';
import { maxRealEig, stabilityMatrix } from './diagnostics';
import type { Divergence, PhaseSolver } from './batched';
import { DfcEngine } from './engine';
import { feedbackRule } from './equations';
import type { DfcNet, DfcParams } from './network';

export const DFC_METHODS = ['DFC', 'DFC-SS', 'DFC-SSA'] as const;
export type DfcMethod = (typeof DFC_METHODS)[number];
export type Method = DfcMethod | 'BP' | 'DFA';
export const ALL_METHODS: readonly Method[] = ['DFC', 'DFC-SS', 'DFC-SSA', 'BP', 'DFA'];

export function checkMethod(m: string): Method {
  if (!(ALL_METHODS as readonly string[]).includes(m)) throw new Error(`unknown method '${m}'; valid methods: ${ALL_METHODS.join(', ')}`);
  return m as Method;
}

/** Thrown when the dynamics of a sample diverge: says where, and the largest eigenvalue there. */
export class DfcDivergenceError extends Error {
  constructor(
    readonly divergence: Divergence,
    /** Largest real part of the eigenvalues of the linearised network + controller at the feedforward state of the diverging sample. */
    readonly maxEigenvalue: number,
    phase: string,
  ) {
    super(
      `DFC ${phase} dynamics diverged at t = ${divergence.t.toPrecision(4)} (step ${divergence.step}, sample ${divergence.sample}, block '${divergence.block}' reached ${divergence.value.toPrecision(3)}); ` +
        `the linearised network + controller has largest eigenvalue real part ${maxEigenvalue.toPrecision(4)} (> 0: unstable). ` +
        `Make the feedback weights stable (train them, or raise alpha) or lower k_p / dt.`,
    );
    this.name = 'DfcDivergenceError';
  }
}

export interface Batch {
  /** B x n_0 inputs. */
  X: Mat;
  /** B x n_L targets (regression values or one-hot labels). */
  Y: Mat;
}

function row(M: Mat, b: number): Float64Array {
  return M.data.subarray(b * M.cols, (b + 1) * M.cols);
}

/** Output targets r* (eq. 3) for a batch, and the mean loss at the feedforward output. */
export function batchTargets(net: DfcNet, p: DfcParams, batch: Batch, lambda: number): { Rstar: Mat; loss: number } {
  const { R } = net.feedforwardBatch(p.W, batch.X);
  const B = batch.X.rows;
  const Rstar = mat(B, net.nOut);
  let loss = 0;
  const g = new Float64Array(net.nOut);
  for (let b = 0; b < B; b++) {
    const rL = row(R[net.L], b);
    loss += net.lossAndGrad(rL, row(batch.Y, b), g);
    for (let k = 0; k < net.nOut; k++) Rstar.data[b * net.nOut + k] = rL[k] - lambda * g[k];
  }
  return { Rstar, loss: loss / B };
}

/** Largest eigenvalue real part of the linearised forward system at sample b's feedforward state. */
export function eigenvalueAt(net: DfcNet, p: DfcParams, x: Float64Array, c: { tauV: number; tauU: number; kp: number; alpha: number }): number {
  const { v } = net.feedforward(p.W, x);
  return maxRealEig(stabilityMatrix(net, p, v, c));
}

export interface ForwardUpdate {
  dW: Mat[];
  /** Mean loss of the batch before the update. */
  loss: number;
}

/**
 * The forward update of `method` on one minibatch. `engine` must have been built for this network
 * and a batch at least this large (only the simulated variants use it). Throws DfcDivergenceError
 * when the simulation diverges.
 */
export function forwardUpdate(
  method: Method,
  net: DfcNet,
  p: DfcParams,
  batch: Batch,
  cfg: ControllerConfig,
  ctx: { engine?: DfcEngine; dfaB?: Mat[]; rng?: Rng; rowWeights?: Float64Array[]; solver?: PhaseSolver },
): ForwardUpdate {
  checkControllerConfig(cfg);
  const B = batch.X.rows;
  if (method === 'BP' || method === 'DFA') {
    const { loss } = batchTargets(net, p, batch, cfg.lambda);
    return { dW: method === 'BP' ? bpBatch(net, p, batch) : dfaBatch(net, p, batch, ctx.dfaB ?? []), loss };
  }
  const { Rstar, loss } = batchTargets(net, p, batch, cfg.lambda);
  if (method === 'DFC-SSA') return { dW: ssaBatch(net, p, batch, cfg, ctx.rowWeights), loss };
  const engine = ctx.engine;
  if (!engine) throw new Error(`method '${method}' simulates the dynamics: pass ctx.engine = new DfcEngine(net, batchSize)`);
  const res = engine.wake(p, batch.X, Rstar, cfg, { accumulate: method === 'DFC', rng: ctx.rng, rowWeights: ctx.rowWeights, solver: ctx.solver });
  if (res.status === 'diverged') {
    const d = res.divergence!;
    throw new DfcDivergenceError(d, eigenvalueAt(net, p, row(batch.X, d.sample), cfg), 'forward-phase');
  }
  if (method === 'DFC') {
    const T = cfg.steps * cfg.dt;
    const dW = res.dW!.map((g) => {
      const m = mat(g.rows, g.cols, g.data.slice());
      for (let k = 0; k < m.data.length; k++) m.data[k] /= T * B;
      return m;
    });
    return { dW, loss };
  }
  // DFC-SS: eq. (5) at the final state.
  const dW = steadyStateBatchUpdate(net, p, res.R, B, ctx.rowWeights);
  return { dW, loss };
}

/** (1/B) Σ_b w_b (φ(v_i) − φ(W_i r_{i−1})) r_{i−1}ᵀ at layer states R (R[0] = X, R[i] = φ(v_i)). */
export function steadyStateBatchUpdate(net: DfcNet, p: DfcParams, R: readonly Mat[], B: number, rowWeights?: readonly Float64Array[]): Mat[] {
  const dW: Mat[] = [];
  for (let i = 1; i <= net.L; i++) {
    const ni = net.sizes[i];
    const prev = rowsOf(R[i - 1], B);
    const D = mat(B, ni);
    matMulTB(prev, p.W[i - 1], D);
    const f = net.acts[i - 1].f;
    const ri = R[i].data;
    const w = rowWeights?.[i - 1];
    for (let b = 0; b < B; b++) {
      const wb = w ? w[b] : 1;
      for (let a = 0; a < ni; a++) D.data[b * ni + a] = wb * (ri[b * ni + a] - f(D.data[b * ni + a]));
    }
    const G = mat(ni, net.sizes[i - 1]);
    matMulTA(D, prev, G, 1 / B);
    dW.push(G);
  }
  return dW;
}

/** The first B rows of M as a matrix view. */
function rowsOf(M: Mat, B: number): Mat {
  return M.rows === B ? M : mat(B, M.cols, M.data.subarray(0, B * M.cols));
}

/** ∂L/∂r_L for every row of the batch (B x n_L), at the feedforward output. */
function outputGradients(net: DfcNet, out: Mat, Y: Mat): Mat {
  const G = mat(out.rows, out.cols);
  for (let b = 0; b < out.rows; b++) net.lossAndGrad(row(out, b), row(Y, b), row(G, b));
  return G;
}

/** Negative gradient of the mean loss (BP), by backpropagation on the batch. */
export function bpBatch(net: DfcNet, p: DfcParams, batch: Batch): Mat[] {
  const B = batch.X.rows;
  const { V, R } = net.feedforwardBatch(p.W, batch.X);
  let g = outputGradients(net, R[net.L], batch.Y); // ∂L/∂r_L
  const dW: Mat[] = new Array(net.L);
  for (let i = net.L; i >= 1; i--) {
    const df = net.acts[i - 1].df;
    const d = mat(B, net.sizes[i]);
    for (let k = 0; k < d.data.length; k++) d.data[k] = g.data[k] * df(V[i - 1].data[k]);
    dW[i - 1] = mat(net.sizes[i], net.sizes[i - 1]);
    matMulTA(d, R[i - 1], dW[i - 1], -1 / B);
    if (i > 1) {
      g = mat(B, net.sizes[i - 1]);
      matMul(d, p.W[i - 1], g);
    }
  }
  return dW;
}

/** Fixed random DFA feedback matrices B_i (n_i x n_L) with N(0, 1/n_L) entries; B_L = I. */
export function dfaFeedback(net: DfcNet, rng: Rng): Mat[] {
  return net.sizes.slice(1).map((n, i) => {
    const M = mat(n, net.nOut);
    if (i === net.L - 1) for (let k = 0; k < n; k++) M.data[k * n + k] = 1;
    else rng.fillNormal(M.data, 1 / Math.sqrt(net.nOut));
    return M;
  });
}

/** DFA update (descent direction): ΔW_i = −(1/B) ((G B_iᵀ) ⊙ φ'(V_i))ᵀ R_{i−1}, G = ∂L/∂r_L. */
export function dfaBatch(net: DfcNet, p: DfcParams, batch: Batch, Bfb: readonly Mat[]): Mat[] {
  if (Bfb.length !== net.L) throw new Error('DFA needs its fixed random feedback matrices: pass ctx.dfaB = dfaFeedback(net, rng)');
  const B = batch.X.rows;
  const { V, R } = net.feedforwardBatch(p.W, batch.X);
  const G = outputGradients(net, R[net.L], batch.Y);
  return net.sizes.slice(1).map((n, idx) => {
    const d = mat(B, n);
    matMulTB(G, Bfb[idx], d);
    const df = net.acts[idx].df;
    for (let k = 0; k < d.data.length; k++) d.data[k] *= df(V[idx].data[k]);
    const dW = mat(n, net.sizes[idx]);
    matMulTA(d, R[idx], dW, -1 / B);
    return dW;
  });
}

/**
 * DFC-SSA on a batch: per sample u = (JQ + α̃I)⁻¹δ_L (Lemma 1), with JQ = Σ_i M_i Q_i accumulated
 * backwards (M_L = D_L, M_i = M_{i+1} W_{i+1} D_i, never forming J); then for the whole batch the
 * sweep V_i = R_{i−1} W_iᵀ + U Q_iᵀ and ΔW_i = (1/B) (φ(V_i) − φ(R_{i−1} W_iᵀ))ᵀ R_{i−1}.
 * Same numbers as diagnostics.ts `ssaUpdate` averaged over the batch (test/dfc/variants.test.ts).
 */
export function ssaBatch(net: DfcNet, p: DfcParams, batch: Batch, cfg: ControllerConfig, rowWeights?: readonly Float64Array[]): Mat[] {
  const B = batch.X.rows;
  const nL = net.nOut;
  const { V: V0, R: R0 } = net.feedforwardBatch(p.W, batch.X);
  const U = mat(B, nL);
  const at = alphaTilde(cfg.alpha, cfg.kp);
  const g = new Float64Array(nL);
  for (let b = 0; b < B; b++) {
    // δ_L
    net.lossAndGrad(row(R0[net.L], b), row(batch.Y, b), g);
    const delta = Float64Array.from(g, (v) => -cfg.lambda * v);
    // JQ by backward accumulation
    let M = mat(nL, nL);
    const dfL = net.acts[net.L - 1].df;
    for (let k = 0; k < nL; k++) M.data[k * nL + k] = dfL(V0[net.L - 1].data[b * nL + k]);
    const JQ = mat(nL, nL);
    matMul(M, p.Q[net.L - 1], JQ, 1, 0);
    for (let i = net.L - 1; i >= 1; i--) {
      const ni = net.sizes[i];
      const Mi = mat(nL, ni);
      matMul(M, p.W[i], Mi);
      const df = net.acts[i - 1].df;
      const vi = V0[i - 1].data;
      for (let c = 0; c < ni; c++) {
        const d = df(vi[b * ni + c]);
        for (let a = 0; a < nL; a++) Mi.data[a * ni + c] *= d;
      }
      matMul(Mi, p.Q[i - 1], JQ, 1, 1);
      M = Mi;
    }
    for (let k = 0; k < nL; k++) JQ.data[k * nL + k] += at;
    U.data.set(solveSmall(JQ, delta), b * nL);
  }
  const dW: Mat[] = [];
  let prev = batch.X;
  for (let i = 1; i <= net.L; i++) {
    const ni = net.sizes[i];
    const Vff = mat(B, ni);
    matMulTB(prev, p.W[i - 1], Vff);
    const Vi = mat(B, ni);
    matMulTB(U, p.Q[i - 1], Vi);
    const f = net.acts[i - 1].f;
    const Ri = mat(B, ni);
    const D = mat(B, ni);
    const w = rowWeights?.[i - 1];
    for (let k = 0; k < Vi.data.length; k++) {
      const v = Vi.data[k] + Vff.data[k];
      Ri.data[k] = f(v);
      D.data[k] = (w ? w[Math.floor(k / ni)] : 1) * (Ri.data[k] - f(Vff.data[k]));
    }
    const G = mat(ni, net.sizes[i - 1]);
    matMulTA(D, prev, G, 1 / B);
    dW.push(G);
    prev = Ri;
  }
  return dW;
}

/** Solve the small dense system A x = b by Gaussian elimination with partial pivoting. */
export function solveSmall(A: Mat, b: Float64Array): Float64Array {
  const n = A.rows;
  const a = A.data.slice();
  const x = b.slice();
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
    if (a[piv * n + c] === 0) throw new Error('solveSmall: singular matrix (JQ + α̃I is not invertible; check the feedback weights)');
    if (piv !== c) {
      for (let k = 0; k < n; k++) [a[c * n + k], a[piv * n + k]] = [a[piv * n + k], a[c * n + k]];
      [x[c], x[piv]] = [x[piv], x[c]];
    }
    for (let r = c + 1; r < n; r++) {
      const m = a[r * n + c] / a[c * n + c];
      if (m === 0) continue;
      for (let k = c; k < n; k++) a[r * n + k] -= m * a[c * n + k];
      x[r] -= m * x[c];
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    let s = x[c];
    for (let k = c + 1; k < n; k++) s -= a[c * n + k] * x[k];
    x[c] = s / a[c * n + c];
  }
  return x;
}

/**
 * Sleep-phase update of the feedback weights on one minibatch: ΔQ_i = −(⟨v_i^fb uᵀ⟩/σ² + β Q_i).
 * Throws DfcDivergenceError when the noisy dynamics diverge.
 */
export function feedbackUpdate(net: DfcNet, p: DfcParams, X: Mat, cfg: FeedbackConfig, engine: DfcEngine, rng: Rng): Mat[] {
  checkFeedbackConfig(cfg);
  const res = engine.sleep(p, X, cfg, rng);
  if (res.status === 'diverged') {
    const d = res.divergence!;
    throw new DfcDivergenceError(d, eigenvalueAt(net, p, row(X, d.sample), cfg), 'feedback-phase');
  }
  const s2 = cfg.sigma * cfg.sigma;
  return res.vfbU.map((G, i) => {
    const out = mat(G.rows, G.cols);
    feedbackRule(out.data, 0, G.data, p.Q[i].data, 0, s2, cfg.beta, out.data.length); // eq. (13)
    return out;
  });
}
