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
 * Divergence: an Euler step that leaves a non-finite value or an entry of |u| or |v_L| above
 * `divergenceThreshold` (1e8) stops the run with status 'diverged' (step, time, sample, block); the
 * caller (rules.ts) adds the largest eigenvalue of the linearised system.
 */
import { Rng } from '../../src/core/random';
import { matMulTA, matMulTB } from '../../src/linalg/kernels';
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

/** Index of the first entry with |x| > threshold or NaN, or −1. */
function firstBad(x: Float64Array, n: number): number {
  for (let k = 0; k < n; k++) if (!(x[k] <= divergenceThreshold && x[k] >= -divergenceThreshold)) return k;
  return -1;
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
    const weights = opts.rowWeights;
    if (weights) {
      if (weights.length !== L || weights.some((w) => w.length !== B)) throw new Error(`wake phase: rowWeights must be ${L} arrays of length B = ${B}`);
    }
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
