/**
 * The DFC network: a multilayer network whose layers are dynamical (paper eq. 1), its feedforward
 * equilibrium (eq. 2), the output target (eq. 3), the network Jacobian J of Lemma 1 and the fixed
 * feedback initialisation Q_i = Π_{k>i} W_kᵀ of Section 6.
 *
 * Conventions (the paper's): layer sizes n_0 (input) … n_L (output); W_i is n_i x n_{i−1} and acts on
 * column vectors; Q_i is n_i x n_L (direct feedback from the controller to every layer, the output
 * layer included); arrays are 0-based, so `W[i − 1]` is the paper's W_i. The stacked feedback matrix
 * is Q = [Q_1; …; Q_L] (N x n_L with N = Σ_{i≥1} n_i) and J = [∂r_L/∂v_1, …, ∂r_L/∂v_L] is n_L x N.
 *
 * Choices where the paper is silent:
 * - no biases (eq. 1 has none); the BP and DFA baselines use the same bias-free networks;
 * - the L2 loss is L = ‖r_L − y‖² per sample, so that eq. (3) gives r* = (1 − 2λ) r_L⁻ + 2λ y as the
 *   paper states; cross-entropy is L = −Σ_k y_k log softmax(r_L)_k with ∂L/∂r_L = softmax(r_L) − y.
 */
import { Rng } from '../../src/core/random';
import { matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { activations, type Activation } from '../../src/nn/activations';

export type DfcLoss = 'mse' | 'cross-entropy';

export interface DfcNetSpec {
  /** Widths n_0 … n_L, input first, e.g. [15, 10, 10, 5]. */
  sizes: readonly number[];
  /** Hidden nonlinearity φ (a name in src/nn/activations: 'tanh', 'linear', 'relu', …). */
  hidden: string;
  /** Output nonlinearity (default 'linear'). */
  output?: string;
  /** Task loss (default 'mse'). */
  loss?: DfcLoss;
}

/** Forward and feedback weights: W[i−1] is W_i (n_i x n_{i−1}), Q[i−1] is Q_i (n_i x n_L). */
export interface DfcParams {
  W: Mat[];
  Q: Mat[];
}

export class DfcNet {
  readonly sizes: readonly number[];
  readonly L: number;
  readonly acts: Activation[];
  readonly loss: DfcLoss;
  /** N = Σ_{i=1..L} n_i, the number of controlled neurons. */
  readonly N: number;
  /** offsets[i−1] = Σ_{k<i} n_k (k ≥ 1): where layer i starts in the stacked vector v. */
  readonly offsets: number[];
  readonly nOut: number;

  constructor(readonly spec: DfcNetSpec) {
    const sizes = spec.sizes;
    if (!Array.isArray(sizes) || sizes.length < 2) {
      throw new Error(`DFC layer sizes need at least an input and an output width (got [${String(sizes)}]); e.g. sizes: [15, 10, 10, 5]`);
    }
    sizes.forEach((s, i) => {
      if (!Number.isInteger(s) || s < 1) throw new Error(`DFC layer size sizes[${i}] = ${s}; every width must be an integer >= 1`);
    });
    this.sizes = sizes.slice();
    this.L = sizes.length - 1;
    const loss = spec.loss ?? 'mse';
    if (loss !== 'mse' && loss !== 'cross-entropy') throw new Error(`DFC loss must be 'mse' or 'cross-entropy' (got '${String(loss)}')`);
    this.loss = loss;
    const hidden = activations.get(spec.hidden); // checked even when there is no hidden layer
    const output = activations.get(spec.output ?? 'linear');
    this.acts = Array.from({ length: this.L }, (_, i) => (i === this.L - 1 ? output : hidden));
    this.offsets = [];
    let off = 0;
    for (let i = 1; i <= this.L; i++) {
      this.offsets.push(off);
      off += sizes[i];
    }
    this.N = off;
    this.nOut = sizes[this.L];
  }

  /** Width n_i (i = 0 … L). */
  n(i: number): number {
    return this.sizes[i];
  }

  /** Throws a message naming the block when a weight has the wrong shape. */
  checkParams(p: DfcParams): void {
    if (p.W.length !== this.L || p.Q.length !== this.L) {
      throw new Error(`DFC parameters need ${this.L} forward and ${this.L} feedback matrices (got ${p.W.length} and ${p.Q.length})`);
    }
    for (let i = 1; i <= this.L; i++) {
      const W = p.W[i - 1];
      const Q = p.Q[i - 1];
      if (W.rows !== this.sizes[i] || W.cols !== this.sizes[i - 1]) {
        throw new Error(`W_${i} is ${W.rows}x${W.cols} but layer ${i} needs ${this.sizes[i]}x${this.sizes[i - 1]} (n_${i} x n_${i - 1})`);
      }
      if (Q.rows !== this.sizes[i] || Q.cols !== this.nOut) {
        throw new Error(`Q_${i} is ${Q.rows}x${Q.cols} but the feedback to layer ${i} must be n_${i} x n_L = ${this.sizes[i]}x${this.nOut}`);
      }
    }
  }

  /** Feedforward equilibrium (eq. 2) of one sample: v⁻_i and r⁻_i (r[0] = x). */
  feedforward(W: readonly Mat[], x: Float64Array): { v: Float64Array[]; r: Float64Array[] } {
    if (x.length !== this.sizes[0]) throw new Error(`input has ${x.length} entries but the network's input width is ${this.sizes[0]}`);
    const r: Float64Array[] = [x];
    const v: Float64Array[] = [];
    for (let i = 1; i <= this.L; i++) {
      const vi = new Float64Array(this.sizes[i]);
      const Wi = W[i - 1];
      const prev = r[i - 1];
      for (let a = 0; a < vi.length; a++) {
        let s = 0;
        for (let b = 0; b < prev.length; b++) s += Wi.data[a * Wi.cols + b] * prev[b];
        vi[a] = s;
      }
      v.push(vi);
      const ri = new Float64Array(vi.length);
      const f = this.acts[i - 1].f;
      for (let a = 0; a < vi.length; a++) ri[a] = f(vi[a]);
      r.push(ri);
    }
    return { v, r };
  }

  /** Batched feedforward: X is B x n_0 (rows are samples); returns V_i, R_i (R[0] = X). */
  feedforwardBatch(W: readonly Mat[], X: Mat): { V: Mat[]; R: Mat[] } {
    const R: Mat[] = [X];
    const V: Mat[] = [];
    for (let i = 1; i <= this.L; i++) {
      const Vi = mat(X.rows, this.sizes[i]);
      matMulTB(R[i - 1], W[i - 1], Vi);
      const Ri = mat(X.rows, this.sizes[i]);
      const f = this.acts[i - 1].f;
      for (let k = 0; k < Vi.data.length; k++) Ri.data[k] = f(Vi.data[k]);
      V.push(Vi);
      R.push(Ri);
    }
    return { V, R };
  }

  /** Per-sample loss L(r_L, y) and, when `grad` is given, ∂L/∂r_L written into it. */
  lossAndGrad(rL: Float64Array, y: Float64Array, grad?: Float64Array): number {
    const n = rL.length;
    if (this.loss === 'mse') {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const d = rL[k] - y[k];
        s += d * d;
        if (grad) grad[k] = 2 * d;
      }
      return s;
    }
    let m = -Infinity;
    for (let k = 0; k < n; k++) m = Math.max(m, rL[k]);
    let z = 0;
    for (let k = 0; k < n; k++) z += Math.exp(rL[k] - m);
    const logZ = m + Math.log(z);
    let s = 0;
    for (let k = 0; k < n; k++) {
      s -= y[k] * (rL[k] - logZ);
      if (grad) grad[k] = Math.exp(rL[k] - logZ) - y[k];
    }
    return s;
  }

  /** Output target (eq. 3): r* = r_L⁻ − λ ∂L/∂r_L at r_L⁻; returns r* and δ_L = r* − r_L⁻. */
  outputTarget(rL: Float64Array, y: Float64Array, lambda: number): { rStar: Float64Array; delta: Float64Array } {
    const g = new Float64Array(rL.length);
    this.lossAndGrad(rL, y, g);
    const delta = new Float64Array(rL.length);
    const rStar = new Float64Array(rL.length);
    for (let k = 0; k < rL.length; k++) {
      delta[k] = -lambda * g[k];
      rStar[k] = rL[k] + delta[k];
    }
    return { rStar, delta };
  }

  /**
   * The blocks J_i = ∂r_L/∂v_i (n_L x n_i) at the layer activations v (v[i−1] = v_i):
   * J_L = D_L, J_i = J_{i+1} W_{i+1} D_i with D_i = diag φ'(v_i).
   */
  jacobianBlocks(W: readonly Mat[], v: readonly Float64Array[]): Mat[] {
    const L = this.L;
    const J: Mat[] = new Array(L);
    const nL = this.nOut;
    const JL = mat(nL, nL);
    const dfL = this.acts[L - 1].df;
    for (let k = 0; k < nL; k++) JL.data[k * nL + k] = dfL(v[L - 1][k]);
    J[L - 1] = JL;
    for (let i = L - 1; i >= 1; i--) {
      const next = J[i]; // J_{i+1}, n_L x n_{i+1}
      const Wn = W[i]; // W_{i+1}, n_{i+1} x n_i
      const ni = this.sizes[i];
      const Ji = mat(nL, ni);
      for (let a = 0; a < nL; a++) {
        for (let c = 0; c < Wn.rows; c++) {
          const s = next.data[a * next.cols + c];
          if (s === 0) continue;
          for (let b = 0; b < ni; b++) Ji.data[a * ni + b] += s * Wn.data[c * ni + b];
        }
      }
      const df = this.acts[i - 1].df;
      for (let b = 0; b < ni; b++) {
        const d = df(v[i - 1][b]);
        for (let a = 0; a < nL; a++) Ji.data[a * ni + b] *= d;
      }
      J[i - 1] = Ji;
    }
    return J;
  }

  /** J = [J_1, …, J_L] as one n_L x N matrix. */
  jacobian(W: readonly Mat[], v: readonly Float64Array[]): Mat {
    return this.stackJ(this.jacobianBlocks(W, v));
  }

  stackJ(blocks: readonly Mat[]): Mat {
    const J = mat(this.nOut, this.N);
    for (let i = 0; i < this.L; i++) {
      const B = blocks[i];
      for (let a = 0; a < this.nOut; a++) for (let b = 0; b < B.cols; b++) J.data[a * this.N + this.offsets[i] + b] = B.data[a * B.cols + b];
    }
    return J;
  }

  /** Q = [Q_1; …; Q_L] as one N x n_L matrix. */
  stackQ(Q: readonly Mat[]): Mat {
    const S = mat(this.N, this.nOut);
    for (let i = 0; i < this.L; i++) S.data.set(Q[i].data, this.offsets[i] * this.nOut);
    return S;
  }

  /** Split an N x n_L matrix into the per-layer Q_i (copies). */
  unstackQ(S: Mat): Mat[] {
    if (S.rows !== this.N || S.cols !== this.nOut) throw new Error(`stacked Q must be ${this.N}x${this.nOut} (got ${S.rows}x${S.cols})`);
    return this.sizes.slice(1).map((n, i) => mat(n, this.nOut, S.data.slice(this.offsets[i] * this.nOut, (this.offsets[i] + n) * this.nOut)));
  }

  /** Split a stacked vector (length N) into per-layer views. */
  split(v: Float64Array): Float64Array[] {
    return this.sizes.slice(1).map((n, i) => v.subarray(this.offsets[i], this.offsets[i] + n));
  }
}

/** Forward weights with iid N(0, gain²/n_{i−1}) entries (LeCun scaling; gain 1 by default). */
export function initForwardWeights(net: DfcNet, rng: Rng, gain = 1): Mat[] {
  return net.sizes.slice(1).map((n, i) => {
    const W = mat(n, net.sizes[i]);
    rng.fillNormal(W.data, gain / Math.sqrt(net.sizes[i]));
    return W;
  });
}

/** The fixed feedback initialisation of Section 6: Q_L = I, Q_i = W_{i+1}ᵀ Q_{i+1} = Π_{k>i} W_kᵀ. */
export function productFeedback(net: DfcNet, W: readonly Mat[]): Mat[] {
  const L = net.L;
  const nL = net.nOut;
  const Q: Mat[] = new Array(L);
  const I = mat(nL, nL);
  for (let k = 0; k < nL; k++) I.data[k * nL + k] = 1;
  Q[L - 1] = I;
  for (let i = L - 1; i >= 1; i--) {
    const Wn = W[i]; // W_{i+1}: n_{i+1} x n_i
    const Qn = Q[i]; // Q_{i+1}: n_{i+1} x n_L
    const Qi = mat(net.sizes[i], nL);
    for (let c = 0; c < Wn.rows; c++) {
      for (let b = 0; b < Wn.cols; b++) {
        const w = Wn.data[c * Wn.cols + b];
        for (let a = 0; a < nL; a++) Qi.data[b * nL + a] += w * Qn.data[c * nL + a];
      }
    }
    Q[i - 1] = Qi;
  }
  return Q;
}

/** Feedback weights with iid N(0, scale²) entries (random feedback, e.g. DFA or Proposition 4). */
export function randomFeedback(net: DfcNet, rng: Rng, scale = 1): Mat[] {
  return net.sizes.slice(1).map((n) => {
    const Q = mat(n, net.nOut);
    rng.fillNormal(Q.data, scale);
    return Q;
  });
}

export function cloneParams(p: DfcParams): DfcParams {
  return { W: p.W.map((m) => mat(m.rows, m.cols, m.data.slice())), Q: p.Q.map((m) => mat(m.rows, m.cols, m.data.slice())) };
}
