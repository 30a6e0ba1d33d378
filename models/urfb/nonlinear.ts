/**
 * The nonlinear network of Amit, Section 3, trained by BP, fixed random feedback (FRFB) or updated
 * random feedback (URFB).
 *
 * Forward (eq. 1): h_l = W_l x_{l−1}, x_l = σ(h_l) with the saturated linearity
 * σ(h) = max(−1, min(1, h)) (remark 2, eq. 3), and a linear output layer x_L = h_L. No biases
 * (eq. 1 has none).
 *
 * Error signals (δ = −∂L/∂h, the "feedback activity"):
 *   top:    softmax cross-entropy (rule 'bp'):  δ_L = y − softmax(x_L)
 *           multi-class hinge loss, eqs. (4)-(6): δ_{L,c} = 1 if x_{L,c} ≤ 1 (c the class),
 *           δ_{L,i} = −μ if x_{L,i} ≥ −1 (i ≠ c), else 0
 *   down:   δ_{l−1} = σ'(h_{l−1}) ⊙ (B_l δ_l) with B_l = W_lᵀ (BP) or the feedback matrix R_l
 *           (FRFB, URFB); σ' = 1 on |h| < 1, else 0.
 *
 * Learning as a flow, one Euler step of size η per minibatch (plain SGD, no momentum, as in the paper):
 *   dW_l/dt = M_l ⊙ ⟨δ_l x_{l−1}ᵀ⟩,    dR_l/dt = ε · M^R_l ⊙ ⟨δ_l x_{l−1}ᵀ⟩ᵀ,
 * ⟨·⟩ the minibatch mean. The state is one vector (`FeedbackNet.layout`: blocks W1..WL, then
 * R2..RL for the feedback rules) and time is counted in minibatches (s = t/η): `FeedbackFlow` is
 * the term η·(the flow above) with the minibatch as a piecewise-constant input, so 'euler' with
 * step 1 is one SGD step per minibatch, and any solver integrates the same flow. ε = 0 for FRFB, ε = 1 for URFB (the same Hebbian increment as the
 * forward weight); M_l, M^R_l are the fixed 0/1 connectivity masks (all ones, or 50% random zeros
 * drawn separately for forward and feedback connections with `sparsity` = 0.5).
 *
 * Choices where the paper is silent: Glorot-uniform initial W_l and R_l (bound √(6/(n_in+n_out)),
 * the paper cites [6]) drawn independently, then masked; R_1 is not kept (it would carry an error to
 * the input, which nothing uses); with BP and `sparsity` > 0 only the forward mask applies and the
 * feedback is the masked W_lᵀ.
 */
import '../../solvers/index';
import { Rng } from '../../src/core/random';
import { constantStep } from '../../src/core/controller';
import type { InputSignal } from '../../src/core/input';
import { solve, type Reduction } from '../../src/core/solve';
import { defineState, matrix, type MatrixSpec, type StateLayout } from '../../src/core/state';
import { drift, odeProblem, type Problem } from '../../src/core/terms';
import { batchOuterAcc, matMul, matMulTB, matVec } from '../../src/linalg/kernels';
import { stateSum } from '../../src/core/solver';
import { mat, type Mat } from '../../src/linalg/mat';

export type Rule = 'bp' | 'bp-hinge' | 'frfb' | 'urfb';
export const RULES: readonly Rule[] = ['bp', 'bp-hinge', 'frfb', 'urfb'];

export interface NetSpec {
  /** Widths, input first, e.g. [784, 256, 256, 10]. */
  sizes: readonly number[];
  rule: Rule;
  /** Balancing factor μ of the hinge loss, eq. (4). */
  mu: number;
  /** Fraction of connections fixed at zero (0 or e.g. 0.5), forward and feedback separately. */
  sparsity: number;
  /** Feedback learning rate for 'urfb' (1 in the paper); 'frfb' uses 0. */
  epsilon?: number;
}

/** σ(h) = max(−1, min(1, h)). */
export function saturatedLinear(h: number): number {
  return h > 1 ? 1 : h < -1 ? -1 : h;
}

/**
 * The hinge loss of eq. (4) for one output row x (length C) of class c, writing δ of eq. (6) into
 * delta (δ = −∂L/∂x). Returns the loss.
 */
export function hingeLossDelta(x: Float64Array, off: number, C: number, c: number, mu: number, delta: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < C; i++) {
    const v = x[off + i];
    if (i === c) {
      loss += Math.max(1 - v, 0);
      delta[off + i] = v <= 1 ? 1 : 0;
    } else {
      loss += mu * Math.max(1 + v, 0);
      delta[off + i] = v >= -1 ? -mu : 0;
    }
  }
  return loss;
}

/** Softmax cross-entropy for one row; δ = y − p. Returns the loss. */
export function softmaxDelta(x: Float64Array, off: number, C: number, c: number, delta: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < C; i++) m = Math.max(m, x[off + i]);
  let z = 0;
  for (let i = 0; i < C; i++) z += Math.exp(x[off + i] - m);
  const logZ = m + Math.log(z);
  for (let i = 0; i < C; i++) delta[off + i] = (i === c ? 1 : 0) - Math.exp(x[off + i] - logZ);
  return logZ - x[off + c];
}

/** Columns of the matrix view in which `FeedbackNet.entrySum` reads a state. */
const SUM_COLS = 512;

function glorot(A: Mat, rng: Rng): Mat {
  const b = Math.sqrt(6 / (A.rows + A.cols));
  rng.fillUniform(A.data, -b, b);
  return A;
}

function mask(rows: number, cols: number, sparsity: number, rng: Rng): Float64Array | null {
  if (sparsity <= 0) return null;
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < sparsity ? 0 : 1;
  return m;
}

function applyMask(A: Mat, m: Float64Array | null): void {
  if (!m) return;
  const a = A.data;
  for (let i = 0; i < a.length; i++) a[i] *= m[i];
}

export function checkNetSpec(spec: NetSpec): void {
  if (!RULES.includes(spec.rule)) throw new Error(`rule must be one of ${RULES.join(', ')} (got '${spec.rule}')`);
  if (spec.sizes.length < 2 || spec.sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`layer sizes must be >= 2 integers >= 1 (got [${spec.sizes.join(', ')}])`);
  }
  if (!(spec.mu > 0 && Number.isFinite(spec.mu))) throw new Error(`mu must be a finite number > 0 (got ${spec.mu})`);
  if (!(spec.sparsity >= 0 && spec.sparsity < 1)) throw new Error(`sparsity must be in [0, 1) (got ${spec.sparsity})`);
  if (spec.epsilon !== undefined && !(spec.epsilon >= 0 && Number.isFinite(spec.epsilon))) throw new Error(`epsilon must be a finite number >= 0 (got ${spec.epsilon})`);
}

export interface BatchStats {
  loss: number;
  errors: number;
}

/** What `FeedbackNet.flow` returns: the batch's statistics and, for an Euler update, the sum of the new state. */
export interface FlowStats extends BatchStats {
  /** Σ of the entries of y + h·(flow) when `flow` wrote the Euler update (NaN or ±∞ when an entry is); NaN otherwise. */
  sum: number;
}

/** Weight views over one state vector (index as in FeedbackNet: W[1..L], R[2..L]). */
interface NetViews {
  W: Mat[];
  R: Mat[];
}

export class FeedbackNet {
  readonly L: number;
  /** The state layout: W1..WL, then R2..RL for 'frfb' and 'urfb'. */
  readonly layout: StateLayout<Record<string, MatrixSpec>>;
  /** The plastic state (W and R), which `W` and `R` view. */
  readonly y: Float64Array;
  /** W[l] for l = 1..L (index 0 unused): n_l × n_{l−1}. */
  readonly W: Mat[];
  /** R[l] for l = 2..L (0, 1 unused): n_{l−1} × n_l; empty for BP rules. */
  readonly R: Mat[];
  readonly maskW: (Float64Array | null)[];
  readonly maskR: (Float64Array | null)[];
  readonly epsilon: number;
  readonly feedback: boolean;
  private ws: { batch: number; h: Mat[]; x: Mat[]; d: Mat[] } | null = null;
  private readonly viewCache = new WeakMap<Float64Array, NetViews>();

  constructor(readonly spec: NetSpec, seed: number) {
    checkNetSpec(spec);
    const sizes = spec.sizes;
    const L = (this.L = sizes.length - 1);
    this.feedback = spec.rule === 'frfb' || spec.rule === 'urfb';
    this.epsilon = spec.rule === 'urfb' ? (spec.epsilon ?? 1) : 0;
    const blocks: Record<string, MatrixSpec> = {};
    for (let l = 1; l <= L; l++) blocks[`W${l}`] = matrix(sizes[l], sizes[l - 1]);
    if (this.feedback) for (let l = 2; l <= L; l++) blocks[`R${l}`] = matrix(sizes[l - 1], sizes[l]);
    this.layout = defineState(blocks);
    this.y = this.layout.create();
    ({ W: this.W, R: this.R } = this.views(this.y));
    const rng = new Rng(seed);
    const wRng = rng.fork(1);
    const rRng = rng.fork(2);
    const mRng = rng.fork(3);
    this.maskW = [null];
    this.maskR = [null, null];
    for (let l = 1; l <= L; l++) {
      const W = glorot(this.W[l], wRng);
      const m = mask(sizes[l], sizes[l - 1], spec.sparsity, mRng);
      applyMask(W, m);
      this.maskW.push(m);
    }
    if (this.feedback) {
      for (let l = 2; l <= L; l++) {
        const R = glorot(this.R[l], rRng);
        const m = mask(sizes[l - 1], sizes[l], spec.sparsity, mRng);
        applyMask(R, m);
        this.maskR.push(m);
      }
    }
  }

  /** Views W[1..L], R[2..L] over a state vector of the layout (cached per array). */
  views(y: Float64Array): NetViews {
    let v = this.viewCache.get(y);
    if (!v) {
      const b = this.layout.view(y) as Record<string, Mat>;
      const W: Mat[] = [mat(0, 0)];
      const R: Mat[] = [mat(0, 0), mat(0, 0)];
      for (let l = 1; l <= this.L; l++) W.push(b[`W${l}`]);
      if (this.feedback) for (let l = 2; l <= this.L; l++) R.push(b[`R${l}`]);
      v = { W, R };
      this.viewCache.set(y, v);
    }
    return v;
  }

  private workspace(batch: number) {
    if (this.ws && this.ws.batch === batch) return this.ws;
    const s = this.spec.sizes;
    this.ws = {
      batch,
      h: s.map((n) => mat(batch, n)),
      x: s.map((n) => mat(batch, n)),
      d: s.map((n) => mat(batch, n)),
    };
    return this.ws;
  }

  /** Forward pass of a batch (rows are samples) with the weights W (default: the network's); returns the output rows (batch × n_L). */
  forward(input: Float64Array, batch: number, W: readonly Mat[] = this.W): Mat {
    const ws = this.workspace(batch);
    const L = this.L;
    ws.x[0] = { rows: batch, cols: this.spec.sizes[0], data: input };
    for (let l = 1; l <= L; l++) {
      matMulTB(ws.x[l - 1], W[l], ws.h[l]);
      const h = ws.h[l].data;
      const x = ws.x[l].data;
      if (l < L) for (let i = 0; i < h.length; i++) x[i] = h[i] > 1 ? 1 : h[i] < -1 ? -1 : h[i];
      else x.set(h);
    }
    return ws.x[L];
  }

  /**
   * The minibatch flow times η at the state y: with `h` null, into out (same layout): out_W_l =
   * η M_l ⊙ ⟨δ_l x_{l−1}ᵀ⟩, out_R_l = ηε M^R_l ⊙ ⟨δ_l x_{l−1}ᵀ⟩ᵀ (zero for FRFB and BP); with a
   * number h, the fused Euler update out = y + h·(that) (the `euler` of `FeedbackFlow`'s term),
   * written as the in-place SGD step writes it: each block of y copied, then its product
   * accumulated onto it (masked: through a zeroed scratch block) by the same kernel with scale
   * h·η/B, so with h = 1 the bits are those of the SGD step y ← y + η·(flow) on every
   * linear-algebra backend; the sum of the new state is returned as `sum`, `solve`'s divergence
   * check: taken in the masked additions' own pass, or without masks by one pass over it all
   * (`entrySum`).
   * Returns the batch's summed loss and number of misclassified samples at y.
   */
  flow(y: Float64Array, out: Float64Array, input: Float64Array, labels: Int32Array, batch: number, eta: number, h: number | null = null): FlowStats {
    const { W, R } = this.views(y);
    const o = this.views(out);
    const outAct = this.forward(input, batch, W);
    const ws = this.ws!;
    const L = this.L;
    const C = this.spec.sizes[L];
    const dL = ws.d[L].data;
    let loss = 0;
    let errors = 0;
    const hinge = this.spec.rule !== 'bp';
    for (let b = 0; b < batch; b++) {
      const off = b * C;
      const c = labels[b];
      loss += hinge ? hingeLossDelta(outAct.data, off, C, c, this.spec.mu, dL) : softmaxDelta(outAct.data, off, C, c, dL);
      let best = 0;
      for (let i = 1; i < C; i++) if (outAct.data[off + i] > outAct.data[off + best]) best = i;
      if (best !== c) errors++;
    }
    // δ_{l−1} = σ'(h_{l−1}) ⊙ (δ_l B_lᵀ) in row form, B_l = W_lᵀ or R_l.
    for (let l = L; l >= 2; l--) {
      const dPrev = ws.d[l - 1];
      if (this.feedback) matMulTB(ws.d[l], R[l], dPrev);
      else matMul(ws.d[l], W[l], dPrev);
      const h = ws.h[l - 1].data;
      const d = dPrev.data;
      for (let i = 0; i < d.length; i++) if (!(h[i] > -1 && h[i] < 1)) d[i] = 0;
    }
    if (h === null) {
      const scale = eta / batch;
      for (let l = 1; l <= L; l++) {
        // W_l: (η/B) Σ_b δ_l,b x_{l−1,b}ᵀ, masked
        this.product(o.W[l], ws.d[l], ws.x[l - 1], scale, this.maskW[l]);
        // R_l: ε (η/B) Σ_b x_{l−1,b} δ_l,bᵀ, masked
        if (this.feedback && l >= 2) {
          if (this.epsilon !== 0) this.product(o.R[l], ws.x[l - 1], ws.d[l], this.epsilon * scale, this.maskR[l]);
          else o.R[l].data.fill(0);
        }
      }
      return { loss, errors, sum: NaN };
    }
    const scale = h * (eta / batch);
    // all blocks are masked or none are: masked, each block's sum comes from its addition's pass;
    // else the whole new state is summed in one pass at the end
    const masked = this.maskW[1] !== null;
    let sum = 0;
    for (let l = 1; l <= L; l++) {
      sum += this.accumulate(o.W[l], W[l], ws.d[l], ws.x[l - 1], scale, this.maskW[l], l);
      if (this.feedback && l >= 2) {
        if (this.epsilon !== 0) sum += this.accumulate(o.R[l], R[l], ws.x[l - 1], ws.d[l], this.epsilon * scale, this.maskR[l], -l);
        else {
          if (o.R[l].data !== R[l].data) o.R[l].data.set(R[l].data);
          if (masked) sum += stateSum(o.R[l].data);
        }
      }
    }
    return { loss, errors, sum: masked ? sum : this.entrySum(out) };
  }

  /** target ← mask ⊙ (alpha Σ_b X_bᵀ Y_b) (`batchOuterAcc` onto a zeroed target, then the mask). */
  private product(target: Mat, X: Mat, Y: Mat, alpha: number, m: Float64Array | null): void {
    const t = target.data;
    t.fill(0);
    batchOuterAcc(target, X, Y, alpha);
    if (m) for (let i = 0; i < t.length; i++) t[i] = m[i] * t[i];
  }

  /**
   * target ← start + mask ⊙ (alpha Σ_b X_bᵀ Y_b), by the kernel and order of operations of an
   * in-place SGD update (start copied, then `batchOuterAcc` onto it, or, masked, onto a zeroed
   * scratch block added under the mask). Returns, masked, the sum of the new entries (taken in
   * that addition's pass); unmasked 0 (the caller sums the whole new state in one pass).
   */
  private accumulate(target: Mat, start: Mat, X: Mat, Y: Mat, alpha: number, m: Float64Array | null, key: number): number {
    const t = target.data;
    if (t !== start.data) t.set(start.data); // the same block when the update runs in place
    if (!m) {
      batchOuterAcc(target, X, Y, alpha);
      return 0;
    }
    const upd = this.scratch(key, target.rows, target.cols);
    const u = upd.data;
    u.fill(0);
    batchOuterAcc(upd, X, Y, alpha);
    // t += m ⊙ u, summing the new entries in the same pass (two partial sums)
    const n = t.length;
    let s0 = 0;
    let s1 = 0;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const a = t[i] + m[i] * u[i];
      const b = t[i + 1] + m[i + 1] * u[i + 1];
      t[i] = a;
      t[i + 1] = b;
      s0 += a;
      s1 += b;
    }
    if (i < n) {
      const a = t[i] + m[i] * u[i];
      t[i] = a;
      s0 += a;
    }
    return s0 + s1;
  }

  /**
   * Σ of y's entries (NaN or ±∞ when an entry is), `solve`'s divergence check of the fused update:
   * y read as a matrix of SUM_COLS columns (a tail of fewer entries summed apart), its row sums by
   * the backend's matrix-vector product with ones, then their sum. One call reads the whole state
   * at memory speed; on BLAS, 784-256-256-10 (336,896 entries) takes ≈ 0.05 ms, against
   * 0.25-0.3 ms for `stateSum` in TypeScript, in a minibatch step of ≈ 2 ms.
   */
  private entrySum(y: Float64Array): number {
    const c = SUM_COLS;
    const rows = Math.floor(y.length / c);
    let sc = this.sumScratch;
    if (sc === null || sc.y !== y) {
      sc = this.sumScratch = { y, M: { rows, cols: c, data: y.subarray(0, rows * c) }, ones: new Float64Array(c).fill(1), rowSums: new Float64Array(rows), tail: y.subarray(rows * c) };
    }
    if (rows > 0) matVec(sc.M, sc.ones, sc.rowSums);
    return stateSum(sc.rowSums) + stateSum(sc.tail);
  }
  private sumScratch: { y: Float64Array; M: Mat; ones: Float64Array; rowSums: Float64Array; tail: Float64Array } | null = null;

  private scratchMats = new Map<number, Mat>();
  private scratch(key: number, rows: number, cols: number): Mat {
    let m = this.scratchMats.get(key);
    if (!m) {
      m = mat(rows, cols);
      this.scratchMats.set(key, m);
    }
    return m;
  }

  /**
   * One SGD step of size η on a minibatch: `solve` with 'euler' (the term's fused update) and step 1
   * over one minibatch of the flow (`FeedbackFlow`). Returns the batch's summed loss and number of misclassified samples
   * (before the update).
   */
  step(input: Float64Array, labels: Int32Array, batch: number, eta: number): BatchStats {
    const mb: Minibatch = { x: input, labels, size: batch };
    const f = new FeedbackFlow(this, eta, mb);
    const stats = f.statistics();
    const sol = solve(f.problem, 'euler', { t0: 0, t1: 1, y0: this.y, dt0: 1, controller: constantStep(), reductions: [stats] });
    this.y.set(sol.y);
    return { loss: sol.reductions[0][0], errors: sol.reductions[0][1] };
  }

  /** Classification error and mean loss (of the rule's loss) on a dataset, in batches. */
  evaluate(x: Float64Array, y: Int32Array, n: number, batch = 500): { error: number; loss: number } {
    const d = this.spec.sizes[0];
    const C = this.spec.sizes[this.L];
    const delta = new Float64Array(batch * C);
    let errors = 0;
    let loss = 0;
    for (let start = 0; start < n; start += batch) {
      const B = Math.min(batch, n - start);
      const out = this.forward(x.subarray(start * d, (start + B) * d), B);
      for (let b = 0; b < B; b++) {
        const off = b * C;
        const c = y[start + b];
        loss += this.spec.rule === 'bp' ? softmaxDelta(out.data, off, C, c, delta) : hingeLossDelta(out.data, off, C, c, this.spec.mu, delta);
        let best = 0;
        for (let i = 1; i < C; i++) if (out.data[off + i] > out.data[off + best]) best = i;
        if (best !== c) errors++;
      }
    }
    return { error: errors / n, loss: loss / n };
  }

  /** Pearson correlation of W_l with R_lᵀ for l = 2..L (the paper's alignment measure, Figs. 10-11). */
  alignment(): number[] {
    const out: number[] = [];
    for (let l = 2; l <= this.L; l++) {
      if (!this.feedback) {
        out.push(1);
        continue;
      }
      const W = this.W[l];
      const R = this.R[l];
      const m = W.rows;
      const n = W.cols;
      let sw = 0, sr = 0, sww = 0, srr = 0, swr = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const a = W.data[i * n + j];
          const b = R.data[j * m + i];
          sw += a;
          sr += b;
          sww += a * a;
          srr += b * b;
          swr += a * b;
        }
      }
      const N = m * n;
      out.push((swr - (sw * sr) / N) / Math.sqrt((sww - (sw * sw) / N) * (srr - (sr * sr) / N)));
    }
    return out;
  }
}

/** The minibatch the flow reads: rows x (size × n_0) and labels, loaded by the input's `enter`. */
export interface Minibatch {
  x: Float64Array;
  labels: Int32Array;
  size: number;
}

/**
 * The learning flow of a FeedbackNet (W and R in one state vector) on minibatches, in minibatch
 * time (s = t/η): the term
 * η·(dW/dt, dR/dt) at the current minibatch `mb` (FeedbackNet.flow), which a piecewise-constant
 * `input` (src/core/input.ts) swaps at the minibatch boundaries; its Euler update (one SGD step
 * for a step of one minibatch, the term's fused `euler`) is written by `FeedbackNet.flow`. After each
 * evaluation or update, `loss` and `errors` are those of the minibatch at the evaluated state, and
 * `lastInput` is that state. (The generic src/experiment/minibatch-flow.ts `MinibatchFlow` serves
 * networks whose weights are separate arrays with optimiser groups; URFB keeps its own because the
 * state is one vector that its fused BLAS update writes in place.)
 */
export class FeedbackFlow {
  readonly problem: Problem;
  loss = NaN;
  errors = NaN;
  lastInput: Float64Array | null = null;
  private scratch: Float64Array | null = null;

  constructor(
    readonly net: FeedbackNet,
    readonly eta: number,
    readonly mb: Minibatch,
    input?: InputSignal,
  ) {
    if (!(eta > 0 && Number.isFinite(eta))) throw new Error(`the learning rate η must be a finite number > 0 (got ${eta})`);
    const d = net.spec.sizes[0];
    const evaluate = (y: Float64Array, out: Float64Array, h: number | null): number => {
      const B = mb.size;
      const st = net.flow(y, out, mb.x.subarray(0, B * d), mb.labels.subarray(0, B), B, eta, h);
      this.loss = st.loss;
      this.errors = st.errors;
      this.lastInput = y;
      return st.sum;
    };
    // the forward and backward passes read y0 before any block is written: the update may run in place
    const term = drift(net.layout.size, (_s, y, out) => void evaluate(y, out, null), { euler: (_s, y0, h, y1) => evaluate(y0, y1, h), eulerInPlace: true });
    this.problem = odeProblem(term, { layout: net.layout, input, name: `${net.spec.rule} [${net.spec.sizes.join('-')}] in minibatches of η = ${eta}` });
  }

  /**
   * A reduction accumulating [Σ (s1 − s0)·loss, Σ (s1 − s0)·errors] at the start y_0 of every step
   * (the minibatch's summed loss and misclassifications before the update; with steps of one
   * minibatch, the sums over the minibatches). Read from the step's evaluation at y_0 when the
   * solver's last one was there (Euler), else evaluated afresh.
   */
  statistics(): Reduction {
    return {
      name: 'minibatch loss and errors',
      size: 2,
      // with Euler the step's own evaluation at y_0 is read (by identity), nothing of y_0 after it
      inPlace: true,
      step: (s0, y0, s1, _y1, acc) => {
        if (this.lastInput !== y0) {
          this.scratch ??= new Float64Array(y0.length);
          this.problem.drift.vf(s0, y0, this.scratch);
        }
        const w = s1 - s0;
        acc[0] += w * this.loss;
        acc[1] += w * this.errors;
      },
    };
  }
}
