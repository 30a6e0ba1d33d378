/**
 * The quantities of Section 3-4 and Fig. 3, each a function:
 *
 * - `condition1`: std of the layer norms ‖r_0‖ … ‖r_{L−1}‖ over their mean (0 ⇔ Condition 1, eq. 8);
 * - `condition2Ratio`: ‖P_row(J) Q‖_F / ‖Q‖_F (1 ⇔ Condition 2: col(Q) = row(J));
 * - reference updates for one sample, as lists of ΔW_i (ascent-free: all point downhill):
 *     `gnUpdate`  ΔW = J_θ^† δ_L (eq. 7; damped: J_θᵀ(J_θ J_θᵀ + γI)⁻¹δ_L), with J_θ J_θᵀ = Σ_i ‖r_{i−1}‖² J_i J_iᵀ,
 *     `mnUpdate`  the weighted minimum-norm solution of eq. (10):
 *                 ΔW_i = J_iᵀ (J Jᵀ)⁻¹ δ_L r_{i−1}ᵀ / ‖r_{i−1}‖²,
 *     `ssaUpdate` DFC-SSA: u = (JQ + α̃I)⁻¹ δ_L (Lemma 1), the layers set to v_i = W_i φ(v_{i−1}) + Q_i u
 *                 in one forward sweep, and eq. (5) evaluated there: ΔW_i = (φ(v_i) − φ(W_i r_{i−1})) r_{i−1}ᵀ,
 *     `bpUpdate`  the negative loss gradient −∂L/∂W_i = J_iᵀ(−∂L/∂r_L) r_{i−1}ᵀ;
 * - `angleDeg` between concatenated updates;
 * - `stabilityMatrix` / `maxRealEig`: the Jacobian of the network-plus-controller system (eqs. 1, 4)
 *   at a state, and its largest real eigenvalue part (negative ⇔ locally stable; Fig. 3E);
 * - `jqEigenvalues`: the eigenvalues of JQ of Condition 3 / Proposition 5.
 *
 * Reading of Theorem 3 used here: the steady-state update (9) with the layer rates η_i = η/‖r_{i−1}‖²
 * of Proposition 4 equals the solution of eq. (10) in the limit; with one common η it equals it up to
 * the factor ‖r_{i−1}‖² per layer, a common factor under Condition 1. Fig. 3B (`mn` angles) therefore
 * compares the DFC update accumulated with the per-sample weights 1/‖r_{i−1}‖².
 */
import { Matrix, solve as mlSolve } from 'ml-matrix';
import { eigenvalues, spectralAbscissa, toMl } from '../../src/linalg/decomp';
import { mat, type Mat } from '../../src/linalg/mat';
import { alphaTilde } from './config';
import type { DfcNet, DfcParams } from './network';
import { angleDegrees } from '../../src/analysis/similarity';

/** Everything about one sample at its feedforward equilibrium. */
export interface SampleInfo {
  x: Float64Array;
  v: Float64Array[];
  /** r[0] = x, r[i] = φ(v_i). */
  r: Float64Array[];
  /** J_i = ∂r_L/∂v_i (n_L x n_i). */
  Jb: Mat[];
  J: Mat;
  /** δ_L = r* − r_L⁻ (eq. 3). */
  delta: Float64Array;
  rStar: Float64Array;
  loss: number;
}

export function sampleInfo(net: DfcNet, W: readonly Mat[], x: Float64Array, y: Float64Array, lambda: number): SampleInfo {
  const { v, r } = net.feedforward(W, x);
  const Jb = net.jacobianBlocks(W, v);
  const { rStar, delta } = net.outputTarget(r[net.L], y, lambda);
  return { x, v, r, Jb, J: net.stackJ(Jb), delta, rStar, loss: net.lossAndGrad(r[net.L], y) };
}

// ---------------------------------------------------------------------------------------------
// small dense helpers (n_L-sized systems through ml-matrix)

function mmul(A: Mat, B: Mat): Mat {
  const C = mat(A.rows, B.cols);
  for (let i = 0; i < A.rows; i++)
    for (let k = 0; k < A.cols; k++) {
      const a = A.data[i * A.cols + k];
      if (a === 0) continue;
      for (let j = 0; j < B.cols; j++) C.data[i * B.cols + j] += a * B.data[k * B.cols + j];
    }
  return C;
}

/** A Aᵀ */
function gram(A: Mat): Mat {
  const G = mat(A.rows, A.rows);
  for (let i = 0; i < A.rows; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < A.cols; k++) s += A.data[i * A.cols + k] * A.data[j * A.cols + k];
      G.data[i * A.rows + j] = s;
      G.data[j * A.rows + i] = s;
    }
  return G;
}

function solveVec(A: Mat, b: Float64Array): Float64Array {
  const x = mlSolve(toMl(A), Matrix.columnVector(Array.from(b)));
  return Float64Array.from(x.getColumn(0));
}

function solveMat(A: Mat, B: Mat): Mat {
  const X = mlSolve(toMl(A), toMl(B));
  const out = mat(B.rows, B.cols);
  for (let i = 0; i < B.rows; i++) for (let j = 0; j < B.cols; j++) out.data[i * B.cols + j] = X.get(i, j);
  return out;
}

function matTVecSmall(A: Mat, x: Float64Array): Float64Array {
  const y = new Float64Array(A.cols);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) y[j] += A.data[i * A.cols + j] * x[i];
  return y;
}

function outer(a: Float64Array, b: Float64Array, scale = 1): Mat {
  const M = mat(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const s = scale * a[i];
    for (let j = 0; j < b.length; j++) M.data[i * b.length + j] = s * b[j];
  }
  return M;
}

function sqnorm(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** J Q = Σ_i J_i Q_i (n_L x n_L). */
export function jq(Jb: readonly Mat[], Q: readonly Mat[]): Mat {
  let M = mmul(Jb[0], Q[0]);
  for (let i = 1; i < Jb.length; i++) {
    const P = mmul(Jb[i], Q[i]);
    for (let k = 0; k < M.data.length; k++) M.data[k] += P.data[k];
  }
  return M;
}

// ---------------------------------------------------------------------------------------------
// conditions

/** Condition 1 statistic: std(‖r_0‖, …, ‖r_{L−1}‖) / mean (population std). */
export function condition1(r: readonly Float64Array[]): number {
  const norms = r.slice(0, r.length - 1).map((ri) => Math.sqrt(sqnorm(ri)));
  const mean = norms.reduce((s, v) => s + v, 0) / norms.length;
  const v = norms.reduce((s, x) => s + (x - mean) ** 2, 0) / norms.length;
  return Math.sqrt(v) / mean;
}

/** Condition 2 ratio ‖P_row(J) Q‖_F / ‖Q‖_F with P = Jᵀ(JJᵀ)⁻¹J: ‖PQ‖² = tr((JQ)ᵀ(JJᵀ)⁻¹(JQ)). */
export function condition2Ratio(Jb: readonly Mat[], Q: readonly Mat[]): number {
  const J = stackBlocks(Jb);
  const JQ = jq(Jb, Q);
  const M = solveMat(gram(J), JQ);
  let num = 0;
  for (let k = 0; k < JQ.data.length; k++) num += JQ.data[k] * M.data[k];
  let den = 0;
  for (const q of Q) den += sqnorm(q.data);
  return Math.sqrt(Math.max(0, num) / den);
}

function stackBlocks(Jb: readonly Mat[]): Mat {
  const rows = Jb[0].rows;
  const cols = Jb.reduce((s, b) => s + b.cols, 0);
  const J = mat(rows, cols);
  let off = 0;
  for (const b of Jb) {
    for (let a = 0; a < rows; a++) for (let c = 0; c < b.cols; c++) J.data[a * cols + off + c] = b.data[a * b.cols + c];
    off += b.cols;
  }
  return J;
}

// ---------------------------------------------------------------------------------------------
// reference updates (one sample)

/** GN update (eq. 7) for minibatch size 1, damped by γ ≥ 0. */
export function gnUpdate(s: SampleInfo, gamma = 0): Mat[] {
  const nL = s.delta.length;
  const M = mat(nL, nL);
  s.Jb.forEach((Ji, i) => {
    const G = gram(Ji);
    const w = sqnorm(s.r[i]);
    for (let k = 0; k < M.data.length; k++) M.data[k] += w * G.data[k];
  });
  for (let k = 0; k < nL; k++) M.data[k * nL + k] += gamma;
  const mu = solveVec(M, s.delta);
  return s.Jb.map((Ji, i) => outer(matTVecSmall(Ji, mu), s.r[i]));
}

/** Weighted MN update, the solution of eq. (10). */
export function mnUpdate(s: SampleInfo): Mat[] {
  const mu = solveVec(gram(s.J), s.delta);
  return s.Jb.map((Ji, i) => outer(matTVecSmall(Ji, mu), s.r[i], 1 / sqnorm(s.r[i])));
}

/** Negative loss gradient −∂L/∂W_i (BP). */
export function bpUpdate(net: DfcNet, s: SampleInfo, y: Float64Array): Mat[] {
  const g = new Float64Array(net.nOut);
  net.lossAndGrad(s.r[net.L], y, g);
  for (let k = 0; k < g.length; k++) g[k] = -g[k];
  return s.Jb.map((Ji, i) => outer(matTVecSmall(Ji, g), s.r[i]));
}

/** The linearised steady-state controller output of Lemma 1: u = (JQ + α̃I)⁻¹ δ_L. */
export function lemma1Control(s: SampleInfo, Q: readonly Mat[], alpha: number, kp: number): Float64Array {
  const M = jq(s.Jb, Q);
  const at = alphaTilde(alpha, kp);
  for (let k = 0; k < M.rows; k++) M.data[k * M.rows + k] += at;
  return solveVec(M, s.delta);
}

/** DFC-SSA update (see the header). Returns the update and the sweep's layer states. */
export function ssaUpdate(net: DfcNet, p: DfcParams, s: SampleInfo, alpha: number, kp: number): { dW: Mat[]; u: Float64Array; v: Float64Array[]; r: Float64Array[] } {
  const u = lemma1Control(s, p.Q, alpha, kp);
  const r: Float64Array[] = [s.x];
  const v: Float64Array[] = [];
  const dW: Mat[] = [];
  for (let i = 1; i <= net.L; i++) {
    const W = p.W[i - 1];
    const Q = p.Q[i - 1];
    const prev = r[i - 1];
    const f = net.acts[i - 1].f;
    const vi = new Float64Array(W.rows);
    const d = new Float64Array(W.rows);
    for (let a = 0; a < W.rows; a++) {
      let ff = 0;
      for (let b = 0; b < W.cols; b++) ff += W.data[a * W.cols + b] * prev[b];
      let fb = 0;
      for (let k = 0; k < u.length; k++) fb += Q.data[a * Q.cols + k] * u[k];
      vi[a] = ff + fb;
      d[a] = f(vi[a]) - f(ff);
    }
    dW.push(outer(d, prev));
    v.push(vi);
    r.push(Float64Array.from(vi, f));
  }
  return { dW, u, v, r };
}

/** The steady-state update of eq. (9): ΔW_i = η_i (v_i − W_i r_{i−1}) r_{i−1}ᵀ at a state v (r_0 = x). */
export function steadyStateUpdate(net: DfcNet, W: readonly Mat[], x: Float64Array, v: readonly Float64Array[], layerRates?: 'unit' | 'normalised'): Mat[] {
  const out: Mat[] = [];
  let prev = x;
  for (let i = 1; i <= net.L; i++) {
    const Wi = W[i - 1];
    const d = new Float64Array(Wi.rows);
    for (let a = 0; a < Wi.rows; a++) {
      let ff = 0;
      for (let b = 0; b < Wi.cols; b++) ff += Wi.data[a * Wi.cols + b] * prev[b];
      d[a] = v[i - 1][a] - ff;
    }
    out.push(outer(d, prev, layerRates === 'normalised' ? 1 / sqnorm(prev) : 1));
    const f = net.acts[i - 1].f;
    prev = Float64Array.from(v[i - 1], f);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// angles

export function dotUpdates(a: readonly Mat[], b: readonly Mat[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].data.length !== b[i].data.length) throw new Error(`updates differ in shape at layer ${i + 1}`);
    for (let k = 0; k < a[i].data.length; k++) s += a[i].data[k] * b[i].data[k];
  }
  return s;
}

/** Angle in degrees between two concatenated parameter updates. */
export function angleDeg(a: readonly Mat[], b: readonly Mat[]): number {
  return angleDegrees(a.map((m) => m.data), b.map((m) => m.data));
}

/** Σ of a list of per-sample updates, scaled. */
export function sumUpdates(list: readonly Mat[][], scale = 1): Mat[] {
  const out = list[0].map((m) => mat(m.rows, m.cols));
  for (const u of list) u.forEach((m, i) => {
    for (let k = 0; k < m.data.length; k++) out[i].data[k] += scale * m.data[k];
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// stability

/**
 * Jacobian of the network-plus-controller dynamics (eqs. 1 and 4, state (v_1 … v_L, u^int)) at the
 * layer state v:
 *   ∂(dv_i/dt)/∂v_i = −I/τ_v,  ∂(dv_i/dt)/∂v_{i−1} = W_i D_{i−1}/τ_v,  ∂(dv_i/dt)/∂v_L −= k_p Q_i D_L/τ_v,
 *   ∂(dv_i/dt)/∂u^int = Q_i/τ_v,  ∂(du^int/dt)/∂v_L = −D_L/τ_u,  ∂(du^int/dt)/∂u^int = −α I/τ_u.
 */
export function stabilityMatrix(
  net: DfcNet,
  p: DfcParams,
  v: readonly Float64Array[],
  c: { tauV: number; tauU: number; kp: number; alpha: number },
): Mat {
  const N = net.N;
  const nL = net.nOut;
  const n = N + nL;
  const A = mat(n, n);
  const set = (i: number, j: number, val: number) => (A.data[i * n + j] += val);
  const DL = Float64Array.from(v[net.L - 1], net.acts[net.L - 1].df);
  const offL = net.offsets[net.L - 1];
  for (let i = 1; i <= net.L; i++) {
    const oi = net.offsets[i - 1];
    const ni = net.sizes[i];
    const Q = p.Q[i - 1];
    for (let a = 0; a < ni; a++) {
      set(oi + a, oi + a, -1 / c.tauV);
      for (let k = 0; k < nL; k++) {
        set(oi + a, N + k, Q.data[a * nL + k] / c.tauV);
        set(oi + a, offL + k, (-c.kp * Q.data[a * nL + k] * DL[k]) / c.tauV);
      }
    }
    if (i >= 2) {
      const W = p.W[i - 1];
      const oPrev = net.offsets[i - 2];
      const dPrev = Float64Array.from(v[i - 2], net.acts[i - 2].df);
      for (let a = 0; a < ni; a++) for (let b = 0; b < W.cols; b++) set(oi + a, oPrev + b, (W.data[a * W.cols + b] * dPrev[b]) / c.tauV);
    }
  }
  for (let k = 0; k < nL; k++) {
    set(N + k, offL + k, -DL[k] / c.tauU);
    set(N + k, N + k, -c.alpha / c.tauU);
  }
  return A;
}

export function maxRealEig(A: Mat): number {
  return spectralAbscissa(A);
}

/** Eigenvalues of J Q (Condition 3: all real parts > −α). */
export function jqEigenvalues(Jb: readonly Mat[], Q: readonly Mat[]): { re: number[]; im: number[] } {
  return eigenvalues(jq(Jb, Q));
}
