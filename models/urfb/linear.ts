/**
 * The k-layer linear network of Amit, Section 5, as a flow on the weights W_i and the feedback
 * matrices R_i (eqs. 7-9).
 *
 * Network: output W_k ⋯ W_1 x, W_i ∈ ℝ^{n_i × n_{i−1}}; loss ½‖Y − W_k⋯W_1 X‖² on a data matrix X
 * (n_0 × N) with targets Y (n_k × N). The error signal is carried down by feedback matrices
 * R_i ∈ ℝ^{n_{i−1} × n_i} instead of W_iᵀ:
 *
 *   δ_k = Y − W_k⋯W_1 X,   δ_{i−1} = R_i δ_i,   dW_i/dt = δ_i h_{i−1}ᵀ  (h_i = W_i⋯W_1 X),
 *   dR_i/dt = ε (δ_i h_{i−1}ᵀ)ᵀ                                             (eq. 7 for k = 2)
 *
 * ε = 0 is fixed random feedback (FRFB, feedback alignment), ε = 1 updated random feedback (URFB);
 * back-propagation is the same flow with R_i replaced by W_iᵀ ('bp': no R blocks in the state).
 * With W(0) = 0 the R flow integrates to R_i(t) = R_i(0) + εW_i(t)ᵀ, which gives eq. (9).
 *
 * Sufficient statistics. Only T = Y Xᵀ (n_k × n_0) and Σ = X Xᵀ (n_0 × n_0) enter:
 *   δ_i h_{i−1}ᵀ = (R_{i+1}⋯R_k) (T − W_k⋯W_1 Σ) (W_{i−1}⋯W_1)ᵀ,
 * so the paper's case XXᵀ = I (Σ = I, E = T − W_k⋯W_1) and a general X cost the same per step,
 * independent of N.
 *
 * Cost. Every product is kept n_k wide (n_k is the narrowest layer in the paper's setting):
 *   Q_{i−1} = Q_i W_i (top-down forward products, Q_{k−1} = W_k, P = Q_0 = W_k⋯W_1),
 *   A_0 = E = T − PΣ,  A_i = A_{i−1} W_iᵀ  (= E (W_i⋯W_1)ᵀ),
 *   G_k = I, G_{i−1} = R_i G_i          (= R_i⋯R_k),
 *   dW_i = G_i A_{i−1},   dR_i = ε dW_iᵀ.
 * For 40-100-100-10 that is ≈ 5·10⁵ multiply-adds per evaluation instead of ≈ 1.3·10⁶ for the
 * n_0-wide chain.
 */
import { drift, odeProblem, type DriftTerm, type Problem } from '../../src/core/terms';
import { defineState, matrix, type MatrixSpec, type StateLayout } from '../../src/core/state';
import { Rng } from '../../src/core/random';
import { matMul, matMulTA, matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';

/** 'bp': feedback is W_iᵀ (back-propagation). 'feedback': separate R_i with dR/dt = ε·(dW/dt)ᵀ. */
export type LinearAlgorithm = 'bp' | 'feedback';

/** The data of the loss ½‖Y − W_k⋯W_1 X‖², reduced to its sufficient statistics. */
export interface LinearData {
  /** T = Y Xᵀ, n_k × n_0. */
  T: Mat;
  /** Σ = X Xᵀ, n_0 × n_0; null means Σ = I (the paper's assumption XXᵀ = I). */
  Sigma: Mat | null;
  /** tr(Y Yᵀ) = ‖Y‖², the loss at W = 0 times 2 (for Σ = I and X = I it is tr(TᵀT)). */
  trYY: number;
}

/** Data with XXᵀ = I (X = I_{n_0} in the paper's simulation): the target map T alone. */
export function teacherData(T: Mat): LinearData {
  let s = 0;
  for (let i = 0; i < T.data.length; i++) s += T.data[i] * T.data[i];
  return { T, Sigma: null, trYY: s };
}

/** Data from a data matrix X (n_0 × N) and targets Y (n_k × N). */
export function dataFromSamples(X: Mat, Y: Mat): LinearData {
  if (X.cols !== Y.cols) {
    throw new Error(`X has ${X.cols} samples (columns) but Y has ${Y.cols}; X must be n_0 x N and Y n_k x N with the same N`);
  }
  const T = mat(Y.rows, X.rows);
  matMulTB(Y, X, T);
  const Sigma = mat(X.rows, X.rows);
  matMulTB(X, X, Sigma);
  let s = 0;
  for (let i = 0; i < Y.data.length; i++) s += Y.data[i] * Y.data[i];
  return { T, Sigma, trYY: s };
}

export interface LinearNetSpec {
  /** Layer widths n_0, …, n_k (input first). */
  dims: readonly number[];
  algorithm: LinearAlgorithm;
  /** Feedback learning rate ε ≥ 0 (ignored for 'bp'). */
  epsilon: number;
}

type Blocks = Record<string, MatrixSpec>;

export function checkDims(dims: readonly number[]): void {
  if (dims.length < 3) throw new Error(`dims (--dims) must list at least 3 widths n_0, n_1, n_2 (a network with k >= 2 layers); got [${dims.join(", ")}]`);
  dims.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 1) throw new Error(`dims[${i}] = ${d}; every width must be an integer >= 1`);
  });
}

export function checkEpsilon(epsilon: number): void {
  if (!(Number.isFinite(epsilon) && epsilon >= 0)) {
    throw new Error(`epsilon = ${epsilon}; the feedback learning rate ε must be a finite number >= 0 (0 = FRFB, 1 = URFB)`);
  }
}

/** State layout: W1..Wk, then (for 'feedback') R1..Rk. Blocks are named as in the paper. */
export function linearLayout(dims: readonly number[], algorithm: LinearAlgorithm): StateLayout<Blocks> {
  checkDims(dims);
  const k = dims.length - 1;
  const specs: Blocks = {};
  for (let i = 1; i <= k; i++) specs[`W${i}`] = matrix(dims[i], dims[i - 1]);
  if (algorithm === 'feedback') for (let i = 1; i <= k; i++) specs[`R${i}`] = matrix(dims[i - 1], dims[i]);
  return defineState(specs);
}

/** Views W[1..k] and R[1..k] (index 0 unused) over a state vector. */
export interface LinearViews {
  W: Mat[];
  R: Mat[];
}

/**
 * The flow of eqs. (7)-(9) on one state layout, with its workspace. `vf` does not allocate.
 * After each `vf(y)` call, `lastError` holds E = T − W_k⋯W_1Σ at that y (used by the recorder of
 * the paper's iteration to record the error of every iterate without recomputing the products).
 */
export class LinearFlow {
  readonly k: number;
  readonly dims: readonly number[];
  readonly layout: StateLayout<Blocks>;
  readonly term: DriftTerm;
  readonly problem: Problem;
  /** E at the state of the last vf call (n_k × n_0). */
  readonly lastError: Mat;
  private readonly Q: Mat[];
  private readonly A: Mat[];
  private readonly G: Mat[];
  private readonly P: Mat;
  private readonly PS: Mat | null;
  private readonly T: Mat;
  private readonly Sigma: Mat | null;
  /** Views per state/derivative array (solvers reuse a few arrays, so this stops allocating after the first steps). */
  private readonly viewCache = new WeakMap<Float64Array, LinearViews>();

  constructor(readonly spec: LinearNetSpec, readonly data: LinearData) {
    checkDims(spec.dims);
    if (spec.algorithm !== 'bp' && spec.algorithm !== 'feedback') {
      throw new Error(`algorithm must be 'bp' or 'feedback' (got '${String(spec.algorithm)}')`);
    }
    if (spec.algorithm === 'feedback') checkEpsilon(spec.epsilon);
    const dims = (this.dims = spec.dims);
    const k = (this.k = dims.length - 1);
    const n0 = dims[0];
    const m = dims[k];
    if (data.T.rows !== m || data.T.cols !== n0) {
      throw new Error(`T is ${data.T.rows}x${data.T.cols} but dims [${dims.join(', ')}] need T to be n_k x n_0 = ${m}x${n0}`);
    }
    if (data.Sigma && (data.Sigma.rows !== n0 || data.Sigma.cols !== n0)) {
      throw new Error(`Σ = XXᵀ is ${data.Sigma.rows}x${data.Sigma.cols} but must be n_0 x n_0 = ${n0}x${n0}`);
    }
    this.T = data.T;
    this.Sigma = data.Sigma;
    this.layout = linearLayout(dims, spec.algorithm);
    // Q[i] = W_k⋯W_{i+1} (m × n_i), i = 0..k−2 (Q[k−1] is W_k itself).
    this.Q = dims.map((d) => mat(m, d));
    this.P = this.Q[0];
    this.PS = data.Sigma ? mat(m, n0) : null;
    // A[i] = E (W_i⋯W_1)ᵀ (m × n_i), i = 0..k−1 (A[0] = E).
    this.A = dims.map((d) => mat(m, d));
    this.lastError = this.A[0];
    // G[i] = R_{i+1}⋯R_k (n_i × m), i = 1..k−1 (G[k−1] = R_k itself).
    this.G = dims.map((d) => mat(d, m));
    this.updateCorrelation = new Float64Array(k);
    this.term = drift(this.layout.size, (_t, y, out) => this.vf(y, out));
    this.problem = odeProblem(this.term, { layout: this.layout, name: `linear ${spec.algorithm} [${dims.join('-')}]` });
  }

  /** Views W[1..k], R[1..k] over y (R empty for 'bp'). */
  views(y: Float64Array): LinearViews {
    const v = this.layout.view(y) as Record<string, Mat>;
    const W: Mat[] = [mat(0, 0)];
    const R: Mat[] = [mat(0, 0)];
    for (let i = 1; i <= this.k; i++) {
      W.push(v[`W${i}`]);
      if (this.spec.algorithm === 'feedback') R.push(v[`R${i}`]);
    }
    return { W, R };
  }

  private cachedViews(y: Float64Array): LinearViews {
    let v = this.viewCache.get(y);
    if (!v) {
      v = this.views(y);
      this.viewCache.set(y, v);
    }
    return v;
  }

  /** E = T − W_k⋯W_1Σ into lastError (and the forward products Q). */
  computeError(y: Float64Array): Mat {
    const { W } = this.cachedViews(y);
    const k = this.k;
    // Q_{k−1} = W_k; Q_{i−1} = Q_i W_i.
    let top: Mat = W[k];
    for (let i = k - 1; i >= 1; i--) {
      matMul(top, W[i], this.Q[i - 1]);
      top = this.Q[i - 1];
    }
    const E = this.A[0];
    let PS: Mat = top;
    if (this.Sigma) {
      matMul(top, this.Sigma, this.PS!);
      PS = this.PS!;
    }
    const t = this.T.data;
    const p = PS.data;
    const e = E.data;
    for (let j = 0; j < e.length; j++) e[j] = t[j] - p[j];
    return E;
  }

  /** out ← f(y), the right-hand side of eqs. (7)-(9). */
  vf(y: Float64Array, out: Float64Array): void {
    const dv = this.cachedViews(out);
    this.weightFlow(y, dv.W);
    // dR_i = ε dW_iᵀ.
    if (this.spec.algorithm === 'feedback') {
      const eps = this.spec.epsilon;
      for (let i = 1; i <= this.k; i++) transposeScaled(dv.W[i], dv.R[i], eps);
    }
  }

  /** dW[i] ← dW_i/dt = δ_i h_{i−1}ᵀ for i = 1..k (and lastError ← E). */
  weightFlow(y: Float64Array, dW: readonly Mat[]): void {
    const k = this.k;
    const { W, R } = this.cachedViews(y);
    this.computeError(y);
    const A = this.A;
    // A_i = A_{i−1} W_iᵀ, i = 1..k−1.
    for (let i = 1; i <= k - 1; i++) matMulTB(A[i - 1], W[i], A[i]);
    // dW_k = A_{k−1}.
    dW[k].data.set(A[k - 1].data);
    if (this.spec.algorithm === 'bp') {
      // G_i = (W_k⋯W_{i+1})ᵀ = Q_iᵀ: dW_i = Q_iᵀ A_{i−1}.
      for (let i = k - 1; i >= 1; i--) {
        const Qi = i === k - 1 ? W[k] : this.Q[i];
        matMulTA(Qi, A[i - 1], dW[i]);
      }
      return;
    }
    // G_{k−1} = R_k; G_{i−1} = R_i G_i; dW_i = G_i A_{i−1}.
    let G: Mat = R[k];
    for (let i = k - 1; i >= 1; i--) {
      matMul(G, A[i - 1], dW[i]);
      if (i > 1) {
        matMul(R[i], G, this.G[i - 1]);
        G = this.G[i - 1];
      }
    }
  }

  /**
   * The flow measured in iterations s = t/η: dy/ds = η f(y), so that forward Euler with step 1 is
   * the paper's iteration y ← y + η f(y) with the step exact (in t = sη the steps t_{s+1} − t_s
   * differ from η by rounding). Its vector field writes η dW_i and ηε dW_iᵀ; its fused Euler
   * update (the term's `euler`, used by the core's 'euler') copies y and adds h·η f(y) in place
   * in one pass per layer (`eulerUpdate`, the kernel of the paper's iteration), accumulating on
   * the way the sum of the new state (returned to `solve` as its divergence check) and the moments
   * of the Pearson correlation of the new W_i with the new R_iᵀ, so that neither the check nor
   * recording the correlations of every iterate costs an extra pass over the state
   * (`lastUpdate`). After each evaluation or update at y, `lastError` holds E at y and
   * `lastInput` is y.
   */
  iterationProblem(eta: number): Problem {
    if (!(eta > 0 && Number.isFinite(eta))) throw new Error(`the step η must be a finite number > 0 (got ${eta})`);
    const k = this.k;
    const he = eta * (this.spec.algorithm === 'feedback' ? this.spec.epsilon : 0);
    const dW = (this.stepDW ??= [mat(0, 0), ...this.dims.slice(1).map((d, j) => mat(d, this.dims[j]))]);
    const bp = this.spec.algorithm === 'bp';
    const vf = (_s: number, y: Float64Array, out: Float64Array): void => {
      this.weightFlow(y, dW);
      const o = this.cachedViews(out);
      for (let i = 1; i <= k; i++) {
        const d = dW[i].data;
        const w = o.W[i].data;
        for (let q = 0; q < d.length; q++) w[q] = eta * d[q];
        if (!bp) transposeScaled(dW[i], o.R[i], he);
      }
      this.lastInput = y;
      this.lastUpdate = null;
    };
    const corr = this.updateCorrelation;
    const euler = (_s: number, y0: Float64Array, h: number, y1: Float64Array): number => {
      this.weightFlow(y0, dW);
      // In place on a copy of y0: the strided R accesses then read and write the same cache lines.
      y1.set(y0);
      const b = this.cachedViews(y1);
      let sum = 0;
      for (let i = 1; i <= k; i++) sum += bp ? addScaled(b.W[i], h * eta, dW[i]) : eulerUpdate(dW[i], h * eta, h * he, b.W[i], b.R[i], corr, i - 1);
      if (bp) corr.fill(1);
      this.lastInput = y0;
      this.lastUpdate = y1;
      return sum;
    };
    const term = drift(this.layout.size, vf, { euler });
    return odeProblem(term, { layout: this.layout, name: `linear ${this.spec.algorithm} [${this.dims.join('-')}] in iterations of η = ${eta}` });
  }
  private stepDW: Mat[] | undefined;
  private readonly updateCorrelation: Float64Array;
  /** The state of the last evaluation or Euler update of an `iterationProblem` (null before any). */
  lastInput: Float64Array | null = null;
  /** The result of the last Euler update (null when the last call was an evaluation). */
  lastUpdate: Float64Array | null = null;

  /** The correlations of W_i with R_iᵀ (i = 1..k) of `lastUpdate`, accumulated by the update. */
  updateCorrelations(): Float64Array {
    return this.updateCorrelation;
  }

  /** Raw error ‖Y − W_k⋯W_1X‖² (= tr(EᵀE) when Σ = I). */
  error(y: Float64Array): number {
    this.computeError(y);
    return this.errorFromLast();
  }

  /** The raw error at the state of the last vf/computeError call. */
  errorFromLast(): number {
    const e = this.A[0].data;
    if (!this.Sigma) {
      let s = 0;
      for (let j = 0; j < e.length; j++) s += e[j] * e[j];
      return s;
    }
    // ‖Y − PX‖² = tr(YYᵀ) − 2⟨P, T⟩ + ⟨PΣ, P⟩ = tr(YYᵀ) − ⟨P, T⟩ − ⟨P, E⟩  (E = T − PΣ).
    const p = this.P.data;
    const t = this.T.data;
    let s = 0;
    for (let j = 0; j < e.length; j++) s += p[j] * (t[j] + e[j]);
    return Math.max(0, this.data.trYY - s);
  }

  /**
   * The correlations of W_i with R_iᵀ at y from raw moments, with the same arithmetic as the
   * Euler update of `iterationProblem` (so an iterate's correlation is the same number whichever
   * computed it); 1 for 'bp'.
   */
  momentCorrelations(y: Float64Array, out: Float64Array): void {
    const { W, R } = this.cachedViews(y);
    for (let i = 1; i <= this.k; i++) out[i - 1] = this.spec.algorithm === 'bp' ? 1 : momentCorrelation(W[i], R[i]);
  }

  /**
   * Pearson correlation of the entries of W_i and R_iᵀ for i = 1..k into out[0..k−1]
   * (1 for 'bp' by construction; NaN when either matrix is constant, e.g. W_i = 0).
   */
  correlations(y: Float64Array, out: Float64Array): void {
    const { W, R } = this.cachedViews(y);
    for (let i = 1; i <= this.k; i++) out[i - 1] = this.spec.algorithm === 'bp' ? 1 : transposeCorrelation(W[i], R[i]);
  }
}

/**
 * The Euler update of one layer in place: W += h·(η D) and R += h·(ηε Dᵀ) in one pass, writing
 * the Pearson correlation of the new W with the new Rᵀ from raw moments (NaN when either is
 * constant) into corr[at] and returning the sum of the new W's and R's entries (the divergence
 * check of `solve`: NaN or ±∞ when an entry is). Two rows of D at a time, so the R accesses are
 * pairs of neighbours and the moment sums form two independent chains each
 * (`momentCorrelation` reuses it on a state). Called with a = hη and b = hηε: with h = 1 the
 * arithmetic is that of the paper's iteration W += η D, R += ηε Dᵀ and of the core's Euler step
 * y + 1·(η f); for another h the increment is rounded as (hη)·D rather than h·(η D), an
 * ulp-level difference from the core's Euler step.
 */
function eulerUpdate(D: Mat, a: number, b: number, W: Mat, R: Mat, corr: Float64Array, at: number): number {
  const m = D.rows;
  const n = D.cols;
  const d = D.data;
  const w = W.data;
  const r = R.data;
  let sw0 = 0, sr0 = 0, sww0 = 0, srr0 = 0, swr0 = 0;
  let sw1 = 0, sr1 = 0, sww1 = 0, srr1 = 0, swr1 = 0;
  let i0 = 0;
  for (; i0 + 1 < m; i0 += 2) {
    const q0 = i0 * n;
    const q1 = q0 + n;
    for (let j = 0, p = i0; j < n; j++, p += m) {
      const d0 = d[q0 + j];
      const d1 = d[q1 + j];
      const w0 = w[q0 + j] + a * d0;
      const w1 = w[q1 + j] + a * d1;
      const r0 = r[p] + b * d0;
      const r1 = r[p + 1] + b * d1;
      w[q0 + j] = w0;
      w[q1 + j] = w1;
      r[p] = r0;
      r[p + 1] = r1;
      sw0 += w0;
      sw1 += w1;
      sr0 += r0;
      sr1 += r1;
      sww0 += w0 * w0;
      sww1 += w1 * w1;
      srr0 += r0 * r0;
      srr1 += r1 * r1;
      swr0 += w0 * r0;
      swr1 += w1 * r1;
    }
  }
  if (i0 < m) {
    const q0 = i0 * n;
    for (let j = 0, p = i0; j < n; j++, p += m) {
      const d0 = d[q0 + j];
      const w0 = w[q0 + j] + a * d0;
      const r0 = r[p] + b * d0;
      w[q0 + j] = w0;
      r[p] = r0;
      sw0 += w0;
      sr0 += r0;
      sww0 += w0 * w0;
      srr0 += r0 * r0;
      swr0 += w0 * r0;
    }
  }
  const sw = sw0 + sw1;
  const sr = sr0 + sr1;
  corr[at] = pearsonFromMoments(m * n, sw, sr, sww0 + sww1, srr0 + srr1, swr0 + swr1);
  return sw + sr;
}

/** W += a·D in place (the paper's BP iteration), returning the sum of the new W's entries (two partial sums). */
function addScaled(W: Mat, a: number, D: Mat): number {
  const w = W.data;
  const d = D.data;
  const n = w.length;
  let s0 = 0;
  let s1 = 0;
  let q = 0;
  for (; q + 1 < n; q += 2) {
    const w0 = w[q] + a * d[q];
    const w1 = w[q + 1] + a * d[q + 1];
    w[q] = w0;
    w[q + 1] = w1;
    s0 += w0;
    s1 += w1;
  }
  if (q < n) {
    const w0 = w[q] + a * d[q];
    w[q] = w0;
    s0 += w0;
  }
  return s0 + s1;
}

function pearsonFromMoments(N: number, sw: number, sr: number, sww: number, srr: number, swr: number): number {
  const vw = sww - (sw * sw) / N;
  const vr = srr - (sr * sr) / N;
  if (!(vw > 0 && vr > 0)) return NaN;
  return (swr - (sw * sr) / N) / Math.sqrt(vw * vr);
}

/**
 * The correlation of W with Rᵀ by the raw moments and summation order of `eulerUpdate`: that
 * kernel with a zero increment, on copies (w + 0·0 = w, so the sums are the same numbers).
 */
export function momentCorrelation(W: Mat, R: Mat): number {
  const zero = { rows: W.rows, cols: W.cols, data: new Float64Array(W.data.length) };
  const corr = new Float64Array(1);
  eulerUpdate(zero, 0, 0, { rows: W.rows, cols: W.cols, data: W.data.slice() }, { rows: R.rows, cols: R.cols, data: R.data.slice() }, corr, 0);
  return corr[0];
}

/** out = alpha · Aᵀ (8-row tiles, so the strided writes stay within a few cache lines). */
function transposeScaled(A: Mat, out: Mat, alpha: number): void {
  const m = A.rows;
  const n = A.cols;
  const a = A.data;
  const o = out.data;
  for (let i0 = 0; i0 < m; i0 += 8) {
    const i1 = Math.min(m, i0 + 8);
    for (let j = 0; j < n; j++) {
      const base = j * m;
      for (let i = i0; i < i1; i++) o[base + i] = alpha * a[i * n + j];
    }
  }
}

/**
 * Pearson correlation of vec(W) and vec(Rᵀ) (W is m × n, R is n × m): two passes (means, then
 * centred moments), with paired accumulators to shorten the floating-point dependency chains.
 */
export function transposeCorrelation(W: Mat, R: Mat): number {
  const m = W.rows;
  const n = W.cols;
  if (R.rows !== n || R.cols !== m) throw new Error(`R is ${R.rows}x${R.cols} but must be the shape of Wᵀ (${n}x${m})`);
  const w = W.data;
  const r = R.data;
  const N = m * n;
  let sw0 = 0;
  let sw1 = 0;
  let sr0 = 0;
  let sr1 = 0;
  let q = 0;
  for (; q + 1 < N; q += 2) {
    sw0 += w[q];
    sw1 += w[q + 1];
    sr0 += r[q];
    sr1 += r[q + 1];
  }
  if (q < N) {
    sw0 += w[q];
    sr0 += r[q];
  }
  const mw = (sw0 + sw1) / N;
  const mr = (sr0 + sr1) / N;
  let c0 = 0;
  let c1 = 0;
  let a0 = 0;
  let a1 = 0;
  let b0 = 0;
  let b1 = 0;
  for (let i = 0; i < m; i++) {
    const row = i * n;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const x0 = w[row + j] - mw;
      const x1 = w[row + j + 1] - mw;
      const y0 = r[j * m + i] - mr;
      const y1 = r[(j + 1) * m + i] - mr;
      c0 += x0 * y0;
      c1 += x1 * y1;
      a0 += x0 * x0;
      a1 += x1 * x1;
      b0 += y0 * y0;
      b1 += y1 * y1;
    }
    if (j < n) {
      const x0 = w[row + j] - mw;
      const y0 = r[j * m + i] - mr;
      c0 += x0 * y0;
      a0 += x0 * x0;
      b0 += y0 * y0;
    }
  }
  const vw = a0 + a1;
  const vr = b0 + b1;
  if (!(vw > 0 && vr > 0)) return NaN;
  return (c0 + c1) / Math.sqrt(vw * vr);
}

/** Matrices with iid N(0, sd²) entries. */
export function randomMatrix(rows: number, cols: number, sd: number, rng: Rng): Mat {
  const A = mat(rows, cols);
  rng.fillNormal(A.data, sd);
  return A;
}

/**
 * Initial state: W_i(0) given (zero when absent), R_i(0) given (for 'feedback').
 * Shapes are checked against the layout with messages naming the layer.
 */
export function initialState(flow: LinearFlow, W0: readonly Mat[] | null, R0: readonly Mat[] | null): Float64Array {
  const y = flow.layout.create();
  const v = flow.views(y);
  const k = flow.k;
  const put = (name: string, given: readonly Mat[], target: Mat[]) => {
    if (given.length !== k) throw new Error(`${name}(0) lists ${given.length} matrices but the network has k = ${k} layers; give ${name}1..${name}${k}`);
    for (let i = 1; i <= k; i++) {
      const g = given[i - 1];
      const t = target[i];
      if (g.rows !== t.rows || g.cols !== t.cols) {
        throw new Error(`${name}${i}(0) is ${g.rows}x${g.cols} but dims [${flow.dims.join(', ')}] need ${t.rows}x${t.cols}`);
      }
      t.data.set(g.data);
    }
  };
  if (W0) put('W', W0, v.W);
  if (R0) {
    if (flow.spec.algorithm !== 'feedback') throw new Error(`R(0) given for algorithm 'bp', which has no separate feedback matrices`);
    put('R', R0, v.R);
  } else if (flow.spec.algorithm === 'feedback') {
    throw new Error(`algorithm 'feedback' needs R(0); pass R1..R${k}`);
  }
  return y;
}
