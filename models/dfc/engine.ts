/**
 * The batched DFC simulation: the same equations as terms.ts (eqs. 1, 4, 5 in the forward phase;
 * 12, 4, 13 in the feedback phase), integrated by forward Euler (Euler–Maruyama with noise) for a
 * whole minibatch at once, written directly on the dense kernels with the batch as rows. This is
 * the hot loop of training and of bench/dfc.ts; test/dfc/engine.test.ts checks it against
 * `solve(dfcSystem(...), 'euler')` step for step.
 *
 * One forward-phase Euler step, for all samples b (rows) at once (weights frozen, "buffered"):
 *   E = R* − R_L,  U = U^int + k_p E,  C = U Qᵀ                           (eq. 4; Q stacked N x n_L)
 *   for i = L … 1 (top-down, so every layer reads the old r_{i−1}):
 *     V_i^ff = R_{i−1} W_iᵀ,  D_i = φ(V_i) − φ(V_i^ff)                     (eq. 5 integrand)
 *     G_i += D_iᵀ R_{i−1}                                                  (buffered ∫ dt, summed over b)
 *     V_i += (dt/τ_v)(−V_i + V_i^ff + C_i)  [+ σ √dt/τ_v ξ]                 (eq. 1 / 12)
 *   U^int += (dt/τ_u)(E − α U^int)
 * so dW_i = dt·Σ_steps G_i is the Euler integral of eq. (5) with τ_W = 1, summed over the batch.
 *
 * Work saved without changing the result (up to rounding):
 * - r_0 = x does not change during a sample and W_1 is frozen, so V_1^ff = X W_1ᵀ and φ(V_1^ff) are
 *   computed once per minibatch, and Σ_t D_1(t)ᵀ X = (Σ_t D_1(t))ᵀ X is one product at the end;
 * - the rank-B updates G_i += D_iᵀ R_{i−1} are stacked over K steps and applied as one product with
 *   K·B rows (fewer, larger products; the same sum in another order).
 *
 * Two implementations of the same step. Where WebAssembly is available and every φ is tanh or
 * linear (the paper's networks), the wake phase runs on a WasmWorkspace (src/linalg/kernels.ts): all
 * of its state, W_iᵀ and Qᵀ stay in one wasm memory for the whole settling, the small products
 * (k·n ≤ 4096, e.g. the toy network's) run without copying or packing (`mulRows`), larger ones as
 * packed products on the resident operands, and each layer's update is one fused call (`rateStep`:
 * eq. 5 integrand, eq. 1 step and the tanh, f64x2 SIMD). Otherwise (or with `resident: false`) the
 * TypeScript loop below runs (fastmath.ts). Both compute the same tanh bit for bit; they may differ
 * in the last bits through the order of sums in products.
 *
 * Divergence: an Euler step that leaves a non-finite value or an entry of |u| or |v_L| above
 * `divergenceThreshold` (1e8) stops the run with status 'diverged' (step, time, sample, block); the
 * caller (rules.ts) adds the largest eigenvalue of the linearised system.
 */
import { Rng } from '../../src/core/random';
import { matMulTA, matMulTB, WasmWorkspace, type RateStepArgs } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import type { ControllerConfig, FeedbackConfig } from './config';
import { applyPhi, fusedLayer } from './fastmath';
import type { DfcNet, DfcParams } from './network';

export const divergenceThreshold = 1e8;

export interface Divergence {
  step: number;
  t: number;
  sample: number;
  block: string;
  value: number;
}

export interface WakeOptions {
  /** Accumulate the eq. (5) update over the settling (DFC); false for DFC-SS (final state only). */
  accumulate: boolean;
  /** Noise generator when cfg.sigma > 0. */
  rng?: Rng;
  /** Optional per-layer, per-sample weights on the accumulated update (rowWeights[i−1][b]). */
  rowWeights?: readonly Float64Array[];
  /**
   * Compute the input layer's V_1^ff = X W_1ᵀ once and its update as (Σ_t D_1)ᵀ X (default true).
   * false redoes both every step, as a plain loop would (same result up to rounding; benchmarks).
   */
  hoistInput?: boolean;
  /** Use the wasm-resident implementation when it applies (default true); false forces the TypeScript loop. */
  resident?: boolean;
}

export interface WakeResult {
  status: 'ok' | 'diverged';
  divergence?: Divergence;
  /** Steps taken. */
  steps: number;
  /** ∫ (φ(v_i) − φ(W_i r_{i−1})) r_{i−1}ᵀ dt summed over the batch (when accumulate). */
  dW?: Mat[];
  /** Final V_i, R_i (R[0] = X), U (B x n_L): views into the engine's buffers, valid until the next call. */
  V: Mat[];
  R: Mat[];
  U: Mat;
  Uint: Mat;
}

export interface SleepResult {
  status: 'ok' | 'diverged';
  divergence?: Divergence;
  /** Time- and batch-average of v_i^fb uᵀ (per layer n_i x n_L). */
  vfbU: Mat[];
}

/** Growable view of a buffer as a B x n matrix. */
function view(buf: Float64Array, rows: number, cols: number): Mat {
  return mat(rows, cols, buf.subarray(0, rows * cols));
}

// Small element-wise loops as their own functions: V8 optimises (and inlines) them far better than
// the same loops written inside the long step loop.

/** E = R* − R_L, U = U^int + k_p E. */
function controlOutput(rs: Float64Array, RL: Float64Array, ui: Float64Array, E: Float64Array, U: Float64Array, kp: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const e = rs[k] - RL[k];
    E[k] = e;
    U[k] = ui[k] + kp * e;
  }
}

/** u^int += c (E − α u^int). */
function integralStep(ui: Float64Array, E: Float64Array, c: number, alpha: number, n: number): void {
  for (let k = 0; k < n; k++) ui[k] += c * (E[k] - alpha * ui[k]);
}

/**
 * The controller's end of one step and the start of the next, fused in one pass (resident wake):
 * u^int += c (E − α u^int); then E = R* − R_L, U = u^int + k_p E at the new state. Returns the
 * index of the first u^int or v_L entry that is NaN or beyond the divergence threshold, or −1.
 */
function controllerStep(
  ui: Float64Array, E: Float64Array, U: Float64Array, rs: Float64Array, RL: Float64Array, VL: Float64Array,
  c: number, alpha: number, kp: number, n: number,
): number {
  let bad = -1;
  for (let k = 0; k < n; k++) {
    const u = ui[k] + c * (E[k] - alpha * ui[k]);
    ui[k] = u;
    const e = rs[k] - RL[k];
    E[k] = e;
    U[k] = u + kp * e;
    const v = VL[k];
    if (!(u <= divergenceThreshold && u >= -divergenceThreshold && v <= divergenceThreshold && v >= -divergenceThreshold) && bad < 0) bad = k;
  }
  return bad;
}

/** Index of the first entry with |x| > threshold or NaN, or −1. */
function firstBad(x: Float64Array, n: number): number {
  for (let k = 0; k < n; k++) if (!(x[k] <= divergenceThreshold && x[k] >= -divergenceThreshold)) return k;
  return -1;
}

/** Products with k·n up to this many f64s (Bᵀ within L1) run unpacked (`mulRows`). */
const SMALL_PRODUCT = 4096;

/**
 * The wake phase on a WasmWorkspace: the same Euler step as DfcEngine.wake's TypeScript loop (see
 * the top of this file), with every array resident in one wasm memory (regions are f64 indices),
 * laid out once for maxBatch rows (the un-hoisted input layer's stacks on first use).
 *
 * The rates of the hidden layers live in their stacks: R_i for step t of a chunk is slot t of the
 * stack that G_{i+1} += D_{i+1}ᵀ R_i reads (K + 1 slots), so a step writes the new R_i into the
 * next slot instead of copying the old one aside; after a chunk's flush the last slot moves to
 * slot 0. Without accumulation slot 0 is the only one used.
 */
class ResidentWake {
  readonly ws: WasmWorkspace | null;
  private readonly L: number;
  private readonly sizes: readonly number[];
  private readonly K: number;
  // regions (f64 indices into ws.f64)
  private readonly X: number;
  private readonly Rs: number;
  private readonly QT: number; // Qᵀ (n_L x N) when small, else Q (N x n_L)
  private readonly Wm: number[]; // W_iᵀ (n_{i−1} x n_i) when small, else W_i (n_i x n_{i−1})
  private readonly V: number[]; // V[i − 1] = V_i
  private readonly Rring: number[]; // Rring[i] (1 ≤ i < L): K + 1 slots of B x n_i; [0], [L] unused
  private readonly RL: number;
  private readonly Vff: number[];
  private readonly Phiff1: number;
  private readonly C: number;
  private readonly E: number;
  private readonly U: number;
  private readonly Uint: number;
  private readonly Dst: number[]; // Dst[i − 1]: K slots of B x n_i (i ≥ 2)
  private readonly G: number[];
  private readonly Dsum1: number;
  private readonly noise: number;
  private input: { D: number; R: number } | null = null;

  constructor(private readonly net: DfcNet, private readonly maxBatch: number, chunk: number) {
    this.ws = WasmWorkspace.create();
    this.L = net.L;
    this.sizes = net.sizes;
    this.K = chunk;
    const ws = this.ws;
    const a = (n: number) => (ws === null ? 0 : ws.alloc(n));
    const B = maxBatch;
    const sz = net.sizes;
    const L = net.L;
    const N = net.N;
    const nL = net.nOut;
    this.X = a(B * sz[0]);
    this.Rs = a(B * nL);
    this.QT = a(N * nL);
    this.Wm = sz.slice(1).map((n, i) => a(n * sz[i]));
    this.V = sz.slice(1).map((n) => a(B * n));
    this.Rring = sz.map((n, i) => (i === 0 || i === L ? 0 : a((chunk + 1) * B * n)));
    this.RL = a(B * nL);
    this.Vff = sz.slice(1).map((n) => a(B * n));
    this.Phiff1 = a(B * sz[1]);
    this.C = a(B * N);
    this.E = a(B * nL);
    this.U = a(B * nL);
    this.Uint = a(B * nL);
    this.Dst = sz.slice(1).map((n, i) => (i === 0 ? 0 : a(chunk * B * n)));
    this.G = sz.slice(1).map((n, i) => a(n * sz[i]));
    this.Dsum1 = a(B * sz[1]);
    this.noise = a(B * Math.max(...sz.slice(1)));
    if (ws !== null) {
      for (let i = 1; i <= L; i++) {
        if (!this.small(sz[i - 1], sz[i])) ws.reserveGemm(B, sz[i], sz[i - 1]);
        ws.reserveGemm(sz[i], sz[i - 1], chunk * B);
      }
      if (!this.small(nL, N)) ws.reserveGemm(B, N, nL);
      ws.reserveGemm(sz[1], sz[0], B);
    }
  }

  /** Whether a product with inner size k and n output columns runs unpacked. */
  private small(k: number, n: number): boolean {
    return k * n <= SMALL_PRODUCT;
  }

  /** The un-hoisted input layer's stacks (allocated on first use; this detaches earlier views). */
  private inputStacks(): { D: number; R: number } {
    if (this.input === null) {
      const ws = this.ws as WasmWorkspace;
      const n0 = this.sizes[0];
      const n1 = this.sizes[1];
      this.input = { D: ws.alloc(this.K * this.maxBatch * n1), R: ws.alloc(this.K * this.maxBatch * n0) };
    }
    return this.input;
  }

  /** out (B x n_i) = R_{i−1} W_iᵀ on the resident copies, R_{i−1} at rPrev. */
  private forward(i: number, B: number, rPrev: number, out: number): void {
    const ws = this.ws as WasmWorkspace;
    const ni = this.sizes[i];
    const np = this.sizes[i - 1];
    if (this.small(np, ni)) ws.mulRows(B, ni, np, rPrev, np, this.Wm[i - 1], ni, out, ni);
    else ws.gemm(B, ni, np, rPrev, np, 1, this.Wm[i - 1], 1, np, out, 1, 0);
  }

  wake(p: DfcParams, Xm: Mat, Rstar: Mat, cfg: ControllerConfig, opts: WakeOptions): WakeResult {
    const ws = this.ws as WasmWorkspace;
    const B = Xm.rows;
    const L = this.L;
    const sz = this.sizes;
    const nL = this.net.nOut;
    const N = this.net.N;
    const offsets = this.net.offsets;
    const accumulate = opts.accumulate;
    const hoist = opts.hoistInput !== false;
    const K = this.K;
    const inStacks = accumulate && !hoist ? this.inputStacks() : null;
    const h = ws.f64; // after every allocation
    const sub = (at: number, n: number) => h.subarray(at, at + n);
    // operands in: X, r*, W_i (transposed when small), Q (transposed when small)
    h.set(Xm.data.subarray(0, B * sz[0]), this.X);
    h.set(Rstar.data.subarray(0, B * nL), this.Rs);
    for (let i = 1; i <= L; i++) {
      const W = p.W[i - 1].data;
      const ni = sz[i];
      const np = sz[i - 1];
      const at = this.Wm[i - 1];
      if (this.small(np, ni)) {
        for (let a = 0; a < ni; a++) for (let b = 0; b < np; b++) h[at + b * ni + a] = W[a * np + b];
      } else h.set(W, at);
    }
    const smallC = this.small(nL, N);
    for (let i = 1; i <= L; i++) {
      const Q = p.Q[i - 1].data;
      const ni = sz[i];
      const off = offsets[i - 1];
      if (smallC) {
        for (let a = 0; a < ni; a++) for (let k = 0; k < nL; k++) h[this.QT + k * N + off + a] = Q[a * nL + k];
      } else h.set(Q, this.QT + off * nL);
    }
    if (inStacks !== null) for (let s = 0; s < K; s++) h.copyWithin(inStacks.R + s * B * sz[0], this.X, this.X + B * sz[0]);
    // R_i of the current step: slot `cur` of its ring (hidden layers), X, R_L
    const rAt = (i: number, cur: number) => (i === 0 ? this.X : i === L ? this.RL : this.Rring[i] + cur * B * sz[i]);
    // feedforward equilibrium (eq. 2)
    const acts = this.net.acts.map((a) => (a.name === 'tanh' ? 'tanh' : 'linear') as 'tanh' | 'linear');
    for (let i = 1; i <= L; i++) {
      const n = B * sz[i];
      this.forward(i, B, rAt(i - 1, 0), this.Vff[i - 1]);
      h.copyWithin(this.V[i - 1], this.Vff[i - 1], this.Vff[i - 1] + n);
      if (acts[i - 1] === 'tanh') ws.tanh(this.V[i - 1], rAt(i, 0), n);
      else h.copyWithin(rAt(i, 0), this.V[i - 1], this.V[i - 1] + n);
    }
    h.copyWithin(this.Phiff1, rAt(1, 0), rAt(1, 0) + B * sz[1]);
    const ui = sub(this.Uint, B * nL);
    ui.fill(0);
    const rs = sub(this.Rs, B * nL);
    const RL = sub(this.RL, B * nL);
    const VL = sub(this.V[L - 1], B * nL);
    const E = sub(this.E, B * nL);
    const Uv = sub(this.U, B * nL);
    if (accumulate) {
      h.fill(0, this.Dsum1, this.Dsum1 + B * sz[1]);
      for (let i = 1; i <= L; i++) h.fill(0, this.G[i - 1], this.G[i - 1] + sz[i] * sz[i - 1]);
    }
    const weights = opts.rowWeights;
    const sigma = cfg.sigma ?? 0;
    const cV = cfg.dt / cfg.tauV;
    const cU = cfg.dt / cfg.tauU;
    const noiseV = (sigma * Math.sqrt(cfg.dt)) / cfg.tauV;
    const kp = cfg.kp;
    const alpha = cfg.alpha;
    const noiseArr = noiseV > 0 ? sub(this.noise, B * Math.max(...sz.slice(1))) : null;
    const Dst = (i: number) => (i === 1 ? (inStacks as { D: number }).D : this.Dst[i - 1]);
    const Rst = (i: number) => (i === 1 ? (inStacks as { R: number }).R : this.Rring[i - 1]);
    // one argument object per layer, reused every step (rin, r, d change)
    const args: RateStepArgs[] = sz.slice(1).map((_ni, j) => {
      const i = j + 1;
      const hoisted = i === 1 && hoist;
      return {
        v: this.V[j],
        vff: this.Vff[j],
        phiff: hoisted ? this.Phiff1 : 0,
        inp: this.C + offsets[j],
        ldi: N,
        rin: rAt(i, 0),
        r: rAt(i, 0),
        c: cV,
        act: acts[j],
        mode: !accumulate ? 'none' : hoisted ? 'add' : 'store',
        d: !accumulate ? 0 : hoisted ? this.Dsum1 : Dst(i),
        noise: noiseArr === null ? 0 : this.noise,
      };
    });
    const flush = (rows: number) => {
      for (let i = hoist ? 2 : 1; i <= L; i++) ws.gemm(sz[i], sz[i - 1], rows, Dst(i), 1, sz[i], Rst(i), sz[i - 1], 1, this.G[i - 1], 1, 1);
    };
    let cur = 0; // slot of the current step within the chunk (always 0 without accumulation)
    let status: WakeResult['status'] = 'ok';
    let divergence: Divergence | undefined;
    let step = 0;
    // controller output (eq. 4) at the initial state; later steps get it from controllerStep
    controlOutput(rs, RL, ui, E, Uv, kp, B * nL);
    for (; step < cfg.steps; step++) {
      // feedback C = U Qᵀ
      if (smallC) ws.mulRows(B, N, nL, this.U, nL, this.QT, N, this.C, N);
      else ws.gemm(B, N, nL, this.U, nL, 1, this.QT, 1, nL, this.C, 1, 0);
      const next = accumulate ? cur + 1 : 0;
      for (let i = L; i >= 1; i--) {
        const ni = sz[i];
        const hoisted = i === 1 && hoist;
        if (!hoisted) this.forward(i, B, rAt(i - 1, cur), this.Vff[i - 1]);
        const a = args[i - 1];
        a.rin = rAt(i, cur);
        a.r = rAt(i, next);
        if (accumulate && !hoisted) a.d = Dst(i) + cur * B * ni;
        if (noiseArr !== null) {
          const rng = opts.rng!;
          for (let k = 0; k < B * ni; k++) noiseArr[k] = noiseV * rng.normal();
        }
        ws.rateStep(B, ni, a);
        if (weights && accumulate && !hoisted) scaleRows(h, a.d, B, ni, weights[i - 1]);
      }
      // integral part of eq. (4), the divergence check (the output layer and the controller carry
      // any unstable mode) and the controller output at the new state
      const bad = controllerStep(ui, E, Uv, rs, RL, VL, cU, alpha, kp, B * nL);
      cur = next;
      if (cur === K) {
        flush(K * B);
        for (let i = 1; i < L; i++) h.copyWithin(rAt(i, 0), rAt(i, K), rAt(i, K) + B * sz[i]);
        cur = 0;
      }
      if (bad >= 0) {
        const badU = firstBad(ui, B * nL);
        const k = badU >= 0 ? badU : firstBad(VL, B * nL);
        status = 'diverged';
        divergence = { step: step + 1, t: (step + 1) * cfg.dt, sample: Math.floor(k / nL), block: badU >= 0 ? 'uInt' : `v${L}`, value: badU >= 0 ? ui[k] : VL[k] };
        step++;
        break;
      }
    }
    let dW: Mat[] | undefined;
    if (accumulate && status === 'ok') {
      if (cur > 0) flush(cur * B);
      if (hoist) {
        if (weights) scaleRows(h, this.Dsum1, B, sz[1], weights[0]);
        ws.gemm(sz[1], sz[0], B, this.Dsum1, 1, sz[1], this.X, sz[0], 1, this.G[0], 1, 1);
      }
      dW = sz.slice(1).map((ni, j) => {
        const g = mat(ni, sz[j], h.slice(this.G[j], this.G[j] + ni * sz[j]));
        for (let k = 0; k < g.data.length; k++) g.data[k] *= cfg.dt;
        return g;
      });
    }
    const V = sz.slice(1).map((ni, j) => mat(B, ni, sub(this.V[j], B * ni)));
    const R = [Xm, ...sz.slice(1).map((ni, j) => mat(B, ni, sub(rAt(j + 1, cur), B * ni)))];
    return { status, divergence, steps: step, dW, V, R, U: mat(B, nL, Uv), Uint: mat(B, nL, ui) };
  }
}

/** Rows b of the B x n block at h[at …] times w[b]. */
function scaleRows(h: Float64Array, at: number, B: number, n: number, w: Float64Array): void {
  for (let b = 0; b < B; b++) {
    const wb = w[b];
    const o = at + b * n;
    for (let a = 0; a < n; a++) h[o + a] *= wb;
  }
}

export class DfcEngine {
  private readonly L: number;
  private readonly sizes: readonly number[];
  // Buffers sized for maxBatch rows (and K·maxBatch for the stacks).
  private readonly bufV: Float64Array[];
  private readonly bufR: Float64Array[];
  private readonly bufVff: Float64Array[];
  private readonly bufPhiff: Float64Array[];
  private readonly bufDstack: Float64Array[];
  private readonly bufRstack: Float64Array[];
  private readonly bufC: Float64Array;
  private readonly bufE: Float64Array;
  private readonly bufU: Float64Array;
  private readonly bufUint: Float64Array;
  private readonly bufVfb: Float64Array;
  private readonly bufDsum1: Float64Array;
  private readonly bufQs: Float64Array;
  readonly chunk: number;
  /** Every φ is one the wasm kernels have (tanh, linear). */
  private readonly residentOk: boolean;
  private resident: ResidentWake | undefined;

  constructor(readonly net: DfcNet, readonly maxBatch: number, opts: { chunk?: number } = {}) {
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) throw new Error(`DfcEngine: maxBatch must be an integer >= 1 (got ${maxBatch})`);
    this.L = net.L;
    this.sizes = net.sizes;
    const B = maxBatch;
    this.chunk = opts.chunk ?? Math.max(1, Math.min(16, Math.ceil(512 / B)));
    const K = this.chunk;
    const n = (i: number) => net.sizes[i];
    this.bufV = net.sizes.slice(1).map((s) => new Float64Array(B * s));
    this.bufR = net.sizes.slice(1).map((s) => new Float64Array(B * s));
    this.bufVff = net.sizes.slice(1).map((s) => new Float64Array(B * s));
    this.bufPhiff = net.sizes.slice(1).map((s) => new Float64Array(B * s));
    // layer 1's stacks are only used without input hoisting; allocated on first use
    this.bufDstack = net.sizes.slice(1).map((s, i) => new Float64Array(i === 0 ? 0 : K * B * s));
    this.bufRstack = net.sizes.slice(1).map((_s, i) => new Float64Array(i === 0 ? 0 : K * B * n(i)));
    this.bufC = new Float64Array(B * net.N);
    this.bufE = new Float64Array(B * net.nOut);
    this.bufU = new Float64Array(B * net.nOut);
    this.bufUint = new Float64Array(B * net.nOut);
    this.bufVfb = new Float64Array(B * net.N);
    this.bufDsum1 = new Float64Array(B * net.sizes[1]);
    this.bufQs = new Float64Array(net.N * net.nOut);
    this.residentOk = net.acts.every((a) => a.name === 'tanh' || a.name === 'linear');
  }

  private stackQ(Q: readonly Mat[]): Mat {
    const Qs = mat(this.net.N, this.net.nOut, this.bufQs);
    for (let i = 0; i < this.L; i++) this.bufQs.set(Q[i].data, this.net.offsets[i] * this.net.nOut);
    return Qs;
  }

  /** Feedforward equilibrium (eq. 2) into the V, R buffers; V^ff_1, φ(V^ff_1) as well. */
  private initFeedforward(p: DfcParams, X: Mat): { V: Mat[]; R: Mat[]; Vff: Mat[]; Phiff: Mat[] } {
    const B = X.rows;
    const V: Mat[] = [];
    const R: Mat[] = [X];
    const Vff: Mat[] = [];
    const Phiff: Mat[] = [];
    for (let i = 1; i <= this.L; i++) {
      const ni = this.sizes[i];
      const Vi = view(this.bufV[i - 1], B, ni);
      const Ri = view(this.bufR[i - 1], B, ni);
      const Vffi = view(this.bufVff[i - 1], B, ni);
      const Phi = view(this.bufPhiff[i - 1], B, ni);
      matMulTB(R[i - 1], p.W[i - 1], Vffi);
      Vi.data.set(Vffi.data);
      applyPhi(this.net.acts[i - 1], Vi.data, Ri.data);
      Phi.data.set(Ri.data);
      V.push(Vi);
      R.push(Ri);
      Vff.push(Vffi);
      Phiff.push(Phi);
    }
    return { V, R, Vff, Phiff };
  }

  private checkBatch(p: DfcParams, X: Mat, what: string): void {
    this.net.checkParams(p);
    if (X.cols !== this.sizes[0]) throw new Error(`${what}: inputs are ${X.rows}x${X.cols} but the network's input width is ${this.sizes[0]}`);
    if (X.rows < 1 || X.rows > this.maxBatch) throw new Error(`${what}: batch of ${X.rows} rows but this engine was built for at most ${this.maxBatch}; build DfcEngine(net, ${X.rows})`);
  }

  /**
   * Forward (wake) phase for a minibatch: X (B x n_0), targets Rstar (B x n_L). Starts at the
   * feedforward equilibrium with u^int = 0 and takes cfg.steps Euler steps.
   */
  wake(p: DfcParams, X: Mat, Rstar: Mat, cfg: ControllerConfig, opts: WakeOptions): WakeResult {
    this.checkBatch(p, X, 'wake phase');
    const B = X.rows;
    const L = this.L;
    const nL = this.net.nOut;
    const N = this.net.N;
    if (Rstar.rows !== B || Rstar.cols !== nL) throw new Error(`wake phase: targets are ${Rstar.rows}x${Rstar.cols}, expected ${B}x${nL}`);
    const sigma = cfg.sigma ?? 0;
    if (sigma > 0 && !opts.rng) throw new Error('wake phase: cfg.sigma > 0 needs opts.rng (a seeded Rng) for the noise');
    const weights = opts.rowWeights;
    if (weights) {
      if (weights.length !== L || weights.some((w) => w.length !== B)) throw new Error(`wake phase: rowWeights must be ${L} arrays of length B = ${B}`);
    }
    if (opts.resident !== false && this.residentOk) {
      this.resident ??= new ResidentWake(this.net, this.maxBatch, this.chunk);
      if (this.resident.ws !== null) return this.resident.wake(p, X, Rstar, cfg, opts);
    }
    const { V, R, Vff, Phiff } = this.initFeedforward(p, X);
    const acts = this.net.acts;
    const offsets = this.net.offsets;
    const Qs = this.stackQ(p.Q);
    const C = view(this.bufC, B, N);
    const U = view(this.bufU, B, nL);
    const Uint = view(this.bufUint, B, nL);
    Uint.data.fill(0, 0, B * nL);
    const accumulate = opts.accumulate;
    const hoist = opts.hoistInput !== false;
    const K = this.chunk;
    if (!hoist && accumulate && this.bufDstack[0].length === 0) {
      this.bufDstack[0] = new Float64Array(K * this.maxBatch * this.sizes[1]);
      this.bufRstack[0] = new Float64Array(K * this.maxBatch * this.sizes[0]);
    }
    const Dsum1 = this.bufDsum1;
    if (accumulate) Dsum1.fill(0, 0, B * this.sizes[1]);
    const G: Mat[] = accumulate ? this.sizes.slice(1).map((s, i) => mat(s, this.sizes[i])) : [];
    const cV = cfg.dt / cfg.tauV;
    const cU = cfg.dt / cfg.tauU;
    const noiseV = sigma * Math.sqrt(cfg.dt) / cfg.tauV;
    const kp = cfg.kp;
    const alpha = cfg.alpha;
    const rs = Rstar.data;
    const E = this.bufE;
    let slot = 0;
    const flush = (rows: number) => {
      for (let i = hoist ? 2 : 1; i <= L; i++) {
        const ni = this.sizes[i];
        const np = this.sizes[i - 1];
        matMulTA(view(this.bufDstack[i - 1], rows, ni), view(this.bufRstack[i - 1], rows, np), G[i - 1], 1, 1);
      }
    };
    let status: WakeResult['status'] = 'ok';
    let divergence: Divergence | undefined;
    let step = 0;
    const noiseBuf = noiseV > 0 ? new Float64Array(B * Math.max(...this.sizes.slice(1))) : null;
    const w0: (Float64Array | null)[] = this.sizes.slice(1).map((_s, i) => weights?.[i] ?? null);
    for (; step < cfg.steps; step++) {
      // Controller output (eq. 4) and feedback C = U Qᵀ.
      controlOutput(rs, R[L].data, Uint.data, E, U.data, kp, B * nL);
      matMulTB(U, Qs, C);
      const cd = C.data;
      for (let i = L; i >= 1; i--) {
        const ni = this.sizes[i];
        const act = acts[i - 1];
        const vi = V[i - 1].data;
        const ri = R[i].data;
        const vffi = Vff[i - 1].data;
        const hoisted = i === 1 && hoist;
        if (!hoisted) matMulTB(R[i - 1], p.W[i - 1], Vff[i - 1]);
        if (accumulate && !hoisted) this.bufRstack[i - 1].set(R[i - 1].data.subarray(0, B * this.sizes[i - 1]), slot * B * this.sizes[i - 1]);
        if (noiseBuf !== null) {
          const rng = opts.rng!;
          for (let k = 0; k < B * ni; k++) noiseBuf[k] = noiseV * rng.normal();
        }
        const mode = !accumulate ? 0 : hoisted ? 2 : 1;
        fusedLayer(act, {
          v: vi,
          r: ri,
          vff: vffi,
          phiff: hoisted ? Phiff[0].data : null,
          C: cd,
          B,
          ni,
          N,
          off: offsets[i - 1],
          c: cV,
          mode,
          dOut: hoisted ? Dsum1 : this.bufDstack[i - 1],
          dBase: slot * B * ni,
          w: w0[i - 1],
          noise: noiseBuf,
        });
      }
      integralStep(Uint.data, E, cU, alpha, B * nL);
      if (accumulate) {
        slot++;
        if (slot === K) {
          flush(K * B);
          slot = 0;
        }
      }
      // Divergence: the output layer and the controller carry any unstable mode.
      const badU = firstBad(Uint.data, B * nL);
      const badV = badU < 0 ? firstBad(V[L - 1].data, B * nL) : -1;
      if (badU >= 0 || badV >= 0) {
        const k = badU >= 0 ? badU : badV;
        status = 'diverged';
        divergence = { step: step + 1, t: (step + 1) * cfg.dt, sample: Math.floor(k / nL), block: badU >= 0 ? 'uInt' : `v${L}`, value: badU >= 0 ? Uint.data[k] : V[L - 1].data[k] };
        step++;
        break;
      }
    }
    // final controller output at the last state
    {
      const RL = R[L].data;
      for (let k = 0; k < B * nL; k++) U.data[k] = Uint.data[k] + kp * (rs[k] - RL[k]);
    }
    let dW: Mat[] | undefined;
    if (accumulate && status === 'ok') {
      if (slot > 0) flush(slot * B);
      if (hoist) matMulTA(view(Dsum1, B, this.sizes[1]), X, G[0], 1, 1);
      for (const g of G) for (let k = 0; k < g.data.length; k++) g.data[k] *= cfg.dt;
      dW = G;
    }
    return { status, divergence, steps: step, dW, V, R, U, Uint };
  }

  /**
   * Feedback (sleep) phase for a minibatch: eqs. (12), (4) with r* = r_L⁻ and the feedback
   * compartment driven by white noise (see terms.ts), Euler–Maruyama, returning the time- and
   * batch-averaged v^fb uᵀ that drives eq. (13).
   */
  sleep(p: DfcParams, X: Mat, cfg: FeedbackConfig, rng: Rng): SleepResult {
    this.checkBatch(p, X, 'sleep phase');
    const B = X.rows;
    const L = this.L;
    const nL = this.net.nOut;
    const N = this.net.N;
    const { V, R, Vff } = this.initFeedforward(p, X);
    const acts = this.net.acts;
    const offsets = this.net.offsets;
    const Rstar = new Float64Array(R[L].data.subarray(0, B * nL));
    const Qs = this.stackQ(p.Q);
    const C = view(this.bufC, B, N);
    const Vfb = view(this.bufVfb, B, N);
    Vfb.data.fill(0);
    const E = this.bufE;
    const U = view(this.bufU, B, nL);
    const Uint = view(this.bufUint, B, nL);
    Uint.data.fill(0, 0, B * nL);
    const GQ = mat(N, nL);
    const cV = cfg.dt / cfg.tauV;
    const cF = cfg.dt / cfg.tauFb;
    const cU = cfg.dt / cfg.tauU;
    const noiseFb = (cfg.sigma * Math.sqrt(cfg.dt)) / cfg.tauFb;
    let status: SleepResult['status'] = 'ok';
    let divergence: Divergence | undefined;
    for (let step = 0; step < cfg.steps; step++) {
      const RL = R[L].data;
      for (let k = 0; k < B * nL; k++) {
        const e = Rstar[k] - RL[k];
        E[k] = e;
        U.data[k] = Uint.data[k] + cfg.kp * e;
      }
      // eq. (13) integrand at the current state: Σ_b v^fb_b u_bᵀ
      matMulTA(Vfb, U, GQ, 1, 1);
      matMulTB(U, Qs, C);
      const fb = Vfb.data;
      for (let i = L; i >= 1; i--) {
        const ni = this.sizes[i];
        if (i >= 2) matMulTB(R[i - 1], p.W[i - 1], Vff[i - 1]);
        const vi = V[i - 1].data;
        const vffi = Vff[i - 1].data;
        const off = offsets[i - 1];
        for (let b = 0; b < B; b++) {
          const o = b * ni;
          const of = b * N + off;
          for (let a = 0; a < ni; a++) vi[o + a] += cV * (vffi[o + a] + fb[of + a] - vi[o + a]);
        }
        applyPhi(acts[i - 1], vi, R[i].data, B * ni);
      }
      const cd = C.data;
      for (let k = 0; k < B * N; k++) fb[k] += cF * (cd[k] - fb[k]) + noiseFb * rng.normal();
      for (let k = 0; k < B * nL; k++) Uint.data[k] += cU * (E[k] - cfg.alpha * Uint.data[k]);
      for (let k = 0; k < B * nL; k++) {
        if (!(Math.abs(Uint.data[k]) <= divergenceThreshold)) {
          status = 'diverged';
          divergence = { step: step + 1, t: (step + 1) * cfg.dt, sample: Math.floor(k / nL), block: 'uInt', value: Uint.data[k] };
          break;
        }
      }
      if (status === 'diverged') break;
    }
    const scale = 1 / (cfg.steps * B);
    for (let k = 0; k < GQ.data.length; k++) GQ.data[k] *= scale;
    const vfbU = this.net.unstackQ(GQ);
    return { status, divergence, vfbU };
  }
}
