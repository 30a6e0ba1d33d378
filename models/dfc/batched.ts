/**
 * DFC's two phases for a whole minibatch as terms over one state layout, integrated by `solve`:
 * the batched counterpart of terms.ts (one sample), and what training runs (engine.ts calls it).
 *
 * Clock: the problem's time counts steps of the paper's Euler step cfg.dt (s = t/dt), so the
 * vector field is dt·f and Euler with step 1 is the paper's iteration operation for operation:
 * v + (dt/τ_v)(…) exactly as the former hand-written loop wrote it (bit for bit). A solver step h
 * (in these units) is dt0/cfg.dt; the run covers s ∈ [0, steps], i.e. t ∈ [0, steps·dt].
 *
 * Wake (forward) phase, eqs. (1), (4), (5), B samples as rows, weights frozen ("buffered"):
 *   blocks  v1 … vL (B x n_i), uInt (B x n_L), and when the update is accumulated:
 *           d1 (B x n_1) = ∫ w_b D_1 ds (the input layer: r_0 = x and W_1 are constant, so
 *           ∫ D_1 r_0ᵀ = (∫ D_1)ᵀ X is one product at the end) or dW1 (n_1 x n_0) when not hoisted,
 *           dW2 … dWL (n_i x n_{i−1}) = ∫ Σ_b w_b D_i,b r_{i−1,b}ᵀ ds
 *   field   R_i = φ(V_i),  E = R* − R_L,  U = U^int + k_p E,  C = U Qᵀ            (eq. 4)
 *           dV_i/ds = (dt/τ_v)(V^ff_i + C_i − V_i),  V^ff_i = R_{i−1} W_iᵀ           (eq. 1)
 *           dU^int/ds = (dt/τ_u)(E − α U^int)                                       (eq. 4)
 *           D_i = w_b (R_i − φ(V^ff_i));  dd1/ds = D_1,  ddW_i/ds = D_iᵀ R_{i−1}      (eq. 5)
 *   noise   σ > 0 (eq. 12 on the layers): dV_i += (σ √dt/τ_v) dB_i, an SDE (Euler–Maruyama).
 * The update in the paper's time is dW_i = dt·(the block), the form engine.ts returns. With Euler
 * (or Euler–Maruyama) the field is evaluated once per step, at the step's start, and the Euler
 * integral of the update blocks is the left-point sum Σ_steps h·D_iᵀ R_{i−1}: the state then has no
 * update blocks, and a reduction (`eulerSum`) adds each step's terms from that evaluation, K steps'
 * rank-B terms stacked into one product (the former loop's arithmetic, bit for bit, and without
 * the solver's passes over n_i·n_{i−1} update entries per step). Any other solver integrates the
 * blocks as state, at its own order.
 *
 * Sleep (feedback) phase, eqs. (12), (4), (13) with r* = r_L⁻ (the feedforward output):
 *   blocks  v1 … vL (B x n_i), vfb (B x N, the feedback compartments stacked), uInt (B x n_L),
 *           GQ (N x n_L) = ∫ Σ_b v^fb_b u_bᵀ ds
 *   field   dV_i/ds = (dt/τ_v)(V^ff_i + V^fb_i − V_i),  dV^fb/ds = (dt/τ_fb)(U Qᵀ − V^fb),
 *           dU^int/ds = (dt/τ_u)(E − α U^int),  dGQ/ds = V^fbᵀ U
 *   noise   dV^fb += (σ_fb √dt/τ_fb) dB (additive): an SDE, Euler–Maruyama by default.
 *
 * Both vector fields are batched: one evaluation does the products of the whole minibatch. They
 * run on a resident workspace (src/linalg/workspace.ts): W_i, Q and every intermediate stay in one
 * memory, the wasm one (`WasmWorkspace`) where WebAssembly is available, the backend allows it and
 * every φ is tanh or linear (the paper's networks), else its TypeScript twin (`TsWorkspace`). On
 * wasm the small products (k·n ≤ 4096, e.g. the toy network's) run unpacked (`mulRows`, W_iᵀ and
 * Qᵀ stored transposed), larger ones as packed products, and tanh is the SIMD kernel; on
 * TypeScript every product is the general kernels' and tanh the same operations (same bits). The
 * state lives in that memory too (the problem's `storage`: `solve`'s two state buffers are views
 * into it), and when every φ is tanh or linear both phases carry a fused Euler update
 * (`drift(…, { euler })`, used by 'euler' and the drift part of 'euler_maruyama'): the former
 * hand-written loop's step on the state in place, one `rateStep` kernel per layer (eq. 5
 * integrand, eq. 1/12 step and φ of the new v) and one `piStep` for the controller (eq. 4's
 * integral step, then E and U at the new state), the rates of a step's start reused from the previous
 * step's update (see `fusedWake`, `fusedSleep`), written once for both workspaces. vf serves every
 * other solver (copying the v blocks into the field's buffers when the state is not in its memory).
 * The two workspaces give the same states bit for bit; the products may differ in the last bits
 * through their order of sums.
 *
 * The noise of both phases is drawn from the caller's generator in the former loop's order (the
 * layers top-down for the wake phase, the stacked compartments for the sleep phase), by
 * `BlockNoise`, a Brownian path whose increments are zero outside the noisy blocks (the diffusion
 * is zero there).
 *
 * Divergence: after every step an entry of |u^int| or |v_L| above `divergenceThreshold` (1e8), or
 * a non-finite value, stops the run with status 'diverged' (step, time, sample, block).
 */
import '../../solvers/index'; // registers the built-in solvers by name
import type { BrownianPath } from '../../src/core/brownian';
import { Rng } from '../../src/core/random';
import { solve, type Reduction } from '../../src/core/solve';
import { defineState, matrix, type BlockSpec, type StateLayout } from '../../src/core/state';
import { stateSum } from '../../src/core/solver';
import { blockDiffusion, drift, odeProblem, sdeProblem, type EulerUpdate, type Problem } from '../../src/core/terms';
import { matMulTA, WasmWorkspace } from '../../src/linalg/kernels';
import { createWorkspace, TsWorkspace, type PiStepArgs, type RateStepArgs, type Workspace } from '../../src/linalg/workspace';
import { mat, type Mat } from '../../src/linalg/mat';
import type { SolverChoice } from '../../src/experiment/solver-options';
import type { ControllerConfig, FeedbackConfig } from './config';
import { compartmentField, controlOutput, integralField, integrand, rateField } from './equations';
import { applyPhi } from './fastmath';
import type { DfcNet, DfcParams } from './network';

export const divergenceThreshold = 1e8;

export interface Divergence {
  step: number;
  t: number;
  sample: number;
  block: string;
  value: number;
}

/** The integrator of a phase: 'euler' (wake) or 'euler_maruyama' (sleep, noisy wake) with the paper's dt by default. */
export type PhaseSolver = Partial<SolverChoice>;

/**
 * A Brownian path for a state whose noise enters some blocks only: increments √h·z with z drawn
 * from `rng` for the entries of `ranges` in the order given, zero elsewhere (where the diffusion is
 * zero, so they never matter). Fixed steps in time order, like BrownianIncrements.
 */
export class BlockNoise implements BrownianPath {
  readonly queryable = false;
  constructor(
    readonly dim: number,
    private readonly ranges: readonly (readonly [number, number])[],
    private readonly rng: Rng,
  ) {}

  increment(t0: number, t1: number, out: Float64Array): void {
    const sd = Math.sqrt(t1 - t0);
    const rng = this.rng;
    for (const [a, b] of this.ranges) rng.normals(out, a, b, sd);
  }
}

/** Thrown inside a solve by the divergence reduction; caught by the phase that runs it. */
class Diverged extends Error {
  constructor(
    readonly divergence: Divergence,
    readonly y: Float64Array,
  ) {
    super('diverged');
  }
}

/** Index of the first entry of x[from, from + n) with |x| > threshold or NaN, or −1. */
function firstBad(x: Float64Array, from: number, n: number): number {
  for (let k = 0; k < n; k++) {
    const v = x[from + k];
    if (!(v <= divergenceThreshold && v >= -divergenceThreshold)) return k;
  }
  return -1;
}

/** On the wasm kernels, products with k·n up to this many f64s (Bᵀ within L1) run unpacked (`mulRows`). */
const SMALL_PRODUCT = 4096;

/** A buffer of the field: its index in the workspace and its view. */
interface Buf {
  at: number;
  a: Float64Array;
}

export interface WakeOptions {
  /** Accumulate the eq. (5) update over the settling (DFC); false for DFC-SS (final state only). */
  accumulate: boolean;
  /** Noise generator when cfg.sigma > 0. */
  rng?: Rng;
  /** Optional per-layer, per-sample weights on the accumulated update (rowWeights[i−1][b]). */
  rowWeights?: readonly Float64Array[];
  /** Accumulate the input layer as d1 = ∫ D_1 (then one product with X), default true; false: dW1 every step. */
  hoistInput?: boolean;
  /** Use the wasm kernels when they apply (default true); false forces the TypeScript workspace (`TsWorkspace`). */
  resident?: boolean;
  /** Solver, step (paper time) and tolerances; default 'euler' (σ = 0) or 'euler_maruyama' with cfg.dt. */
  solver?: PhaseSolver;
}

export interface WakeResult {
  status: 'ok' | 'diverged';
  divergence?: Divergence;
  /** Steps taken. */
  steps: number;
  /** ∫ (φ(v_i) − φ(W_i r_{i−1})) r_{i−1}ᵀ dt summed over the batch (when accumulate). */
  dW?: Mat[];
  /** Final V_i, R_i (R[0] = X), U, U^int (B rows): views valid until the next call. */
  V: Mat[];
  R: Mat[];
  U: Mat;
  Uint: Mat;
  /** Vector-field evaluations. */
  nfe: number;
}

export interface SleepResult {
  status: 'ok' | 'diverged';
  divergence?: Divergence;
  /** Time- and batch-average of v_i^fb uᵀ (per layer n_i x n_L). */
  vfbU: Mat[];
  nfe: number;
}

/** A wake phase as a problem, with where its blocks are. */
export interface WakePhase {
  problem: Problem;
  y0: Float64Array;
  layout: StateLayout;
  /** The noise draws of the former loop (σ > 0), else undefined. */
  brownian?: BrownianPath;
  vOff: number[];
  uOff: number;
  /** Offsets of d1 (or dW1) and dW2 … dWL when the update is accumulated. */
  accOff: number[];
  B: number;
  hoist: boolean;
  /** With Euler: the reduction that sums eq. (5) and its result times dt (`total`, once, after the solve; the state has no update blocks then). */
  sum?: { reduction: Reduction; total: (dt: number) => Mat[] };
  /** The divergence check (a reduction that stops the run: |u^int| or |v_L| beyond the threshold). */
  check: Reduction;
}

/** A sleep phase as a problem. */
export interface SleepPhase {
  problem: Problem;
  y0: Float64Array;
  layout: StateLayout;
  brownian: BrownianPath;
  uOff: number;
  gqOff: number;
  B: number;
}

/** Solve options of a phase: step 1 in the problem's clock unless the choice says otherwise. */
function runOptions(choice: PhaseSolver | undefined, dt: number, steps: number, noisy: boolean): { name: string; opts: { t0: number; t1: number; dt0?: number; rtol?: number; atol?: number } } {
  const name = choice?.solver ?? (noisy ? 'euler_maruyama' : 'euler');
  const opts: { t0: number; t1: number; dt0?: number; rtol?: number; atol?: number } = { t0: 0, t1: steps, dt0: choice?.dt0 !== undefined ? choice.dt0 / dt : 1 };
  if (choice?.rtol !== undefined) opts.rtol = choice.rtol;
  if (choice?.atol !== undefined) opts.atol = choice.atol;
  return { name, opts };
}

// The equations' element-wise right-hand sides are equations.ts's (shared with the one-sample
// terms of terms.ts); the loops below are this file's own fused steps. Each is its own function:
// V8 optimises (and inlines) them far better than the same loops inside a long closure.

/** x[k] *= c, k < n. */
function scale(x: Float64Array, c: number, n: number): void {
  for (let k = 0; k < n; k++) x[k] *= c;
}

/** s[k] += d[k], k < n. */
function addInto(s: Float64Array, d: Float64Array, n: number): void {
  for (let k = 0; k < n; k++) s[k] += d[k];
}

/**
 * The controller's end of a fused step and the start of the next (eq. 4), one `piStep` kernel:
 * u^int(y1) = u + c (E − α u) with u = u^int(y0) (the Euler step of the integral part), then
 * E = R* − R_L and U = u^int + k_p E at the new state (R_L already the new rates), as the former
 * loop wrote it. Returns the sum of the new u^int entries and writes into bad[0] the first k whose
 * new u^int or (a.watch ≠ 0) v_L at a.watch + k is NaN or beyond the divergence threshold, or −1.
 */
function controllerEnd(ws: Workspace, a: PiStepArgs, n: number, bad: Int32Array): number {
  const s = ws.piStep(n, a);
  const h = ws.f64;
  if (h[a.peak] <= divergenceThreshold) bad[0] = -1;
  else {
    const bu = firstBad(h, a.u1, n);
    const bv = a.watch !== 0 ? firstBad(h, a.watch, n) : -1;
    bad[0] = bu < 0 ? bv : bv < 0 ? bu : Math.min(bu, bv);
  }
  return s;
}

/** Rows b of the B x n block at h[at …] times w[b]. */
function scaleRows(h: Float64Array, at: number, B: number, n: number, w: Float64Array): void {
  for (let b = 0; b < B; b++) {
    const wb = w[b];
    const o = at + b * n;
    for (let a = 0; a < n; a++) h[o + a] *= wb;
  }
}


/**
 * The batched fields of both phases for one network and up to maxBatch rows; buffers are laid out
 * once (wasm or TypeScript) and reused by every minibatch.
 */
export class DfcBatchedField {
  readonly ws: Workspace;
  /** The same workspace when it is the wasm one (its unpacked small products, `mulRows`), else null. */
  private readonly rows: WasmWorkspace | null;
  /** Every φ is tanh or linear, the nonlinearities of `rateStep`: the fused Euler updates apply. */
  private readonly fusable: boolean;
  private readonly L: number;
  private readonly sizes: readonly number[];
  private readonly N: number;
  private readonly nL: number;
  private readonly X: Buf;
  private readonly Rs: Buf;
  private readonly QT: Buf; // Qᵀ (n_L x N) when small, else Q stacked (N x n_L)
  private readonly Wm: Buf[]; // W_iᵀ (n_{i−1} x n_i) when small, else W_i
  private readonly V: Buf[];
  private readonly R: Buf[]; // R[0] = X
  private readonly Vff: Buf[];
  private readonly Phiff: Buf[];
  private readonly C: Buf;
  private readonly E: Buf;
  private readonly U: Buf;
  private readonly D: Buf[];
  private readonly P: Buf[];
  /** Steps whose rank-B updates are stacked into one product (the Euler sum of eq. 5). */
  readonly chunk: number;
  private readonly Dst: Buf[]; // Dst[i − 1]: K slots of B x n_i
  private readonly Rst: Buf[]; // Rst[i − 1]: K slots of B x n_{i−1}
  private readonly G: Buf[];
  private readonly Dsum1: Buf;
  private readonly scratch: { y: Float64Array | null; t: number; out: Float64Array | null } = { y: null, t: NaN, out: null };
  private readonly G1: Buf;
  private readonly Vfb: Buf;
  private readonly GQ: Buf;
  /** Workspace indices of the state buffers (two for a solve, two scratch) and their size. */
  private readonly stateSlots: number[];
  private readonly stateWords: number;
  /** Workspace index of the f64 where `piStep` stores its peak. */
  private readonly peakAt: number;

  constructor(private readonly net: DfcNet, readonly maxBatch: number, resident = true) {
    this.fusable = net.acts.every((a) => a.name === 'tanh' || a.name === 'linear');
    const ws = (this.ws = this.fusable && resident ? createWorkspace() : new TsWorkspace());
    this.rows = ws instanceof WasmWorkspace ? ws : null;
    const sz = (this.sizes = net.sizes);
    const L = (this.L = net.L);
    const N = (this.N = net.N);
    const nL = (this.nL = net.nOut);
    const B = maxBatch;
    const at: number[] = [];
    const lens: number[] = [];
    const a = (n: number): number => {
      at.push(ws.alloc(n));
      lens.push(n);
      return at.length - 1;
    };
    const iX = a(B * sz[0]);
    const iRs = a(B * nL);
    const iQT = a(N * nL);
    const iW = sz.slice(1).map((n, i) => a(n * sz[i]));
    const iV = sz.slice(1).map((n) => a(B * n));
    const iR = sz.slice(1).map((n) => a(B * n));
    const iVff = sz.slice(1).map((n) => a(B * n));
    const iPhi = sz.slice(1).map((n) => a(B * n));
    const iC = a(B * N);
    const iE = a(B * nL);
    const iU = a(B * nL);
    const iD = sz.slice(1).map((n) => a(B * n));
    const iP = sz.slice(1).map((n, i) => a(n * sz[i]));
    const iG1 = a(sz[1] * sz[0]);
    const K = (this.chunk = Math.max(1, Math.min(16, Math.ceil(512 / B))));
    const iDst = sz.slice(1).map((n) => a(K * B * n));
    const iRst = sz.slice(1).map((_n, i) => a((K + 1) * B * sz[i])); // K + 1 slots: the fused update's ring of rates
    const iG = sz.slice(1).map((n, i) => a(n * sz[i]));
    const iDsum1 = a(B * sz[1]);
    const iFb = a(B * N);
    const iGQ = a(N * nL);
    // the state of a phase where the kernels work on it in place (`storage`): two buffers for the
    // solve and two scratch (a redone update's y0 and y1), each as large as the larger phase's state with Euler
    const stateWords = Math.max(B * (N + nL), 2 * B * N + B * nL + N * nL);
    const iState = [a(stateWords), a(stateWords), a(stateWords), a(stateWords)];
    const iPeak = a(1); // `piStep`'s largest |u^int| (and |v_L|)
    for (let i = 1; i <= L; i++) {
      if (!this.small(sz[i - 1], sz[i])) ws.reserveGemm(B, sz[i], sz[i - 1]);
      ws.reserveGemm(sz[i], sz[i - 1], K * B);
    }
    if (!this.small(nL, N)) ws.reserveGemm(B, N, nL);
    ws.reserveGemm(N, nL, B);
    const h = ws.f64;
    const buf = (k: number): Buf => ({ at: at[k], a: h.subarray(at[k], at[k] + lens[k]) });
    this.X = buf(iX);
    this.Rs = buf(iRs);
    this.QT = buf(iQT);
    this.Wm = iW.map(buf);
    this.V = iV.map(buf);
    this.R = [this.X, ...iR.map(buf)];
    this.Vff = iVff.map(buf);
    this.Phiff = iPhi.map(buf);
    this.C = buf(iC);
    this.E = buf(iE);
    this.U = buf(iU);
    this.D = iD.map(buf);
    this.P = iP.map(buf);
    this.G1 = buf(iG1);
    this.Dst = iDst.map(buf);
    this.Rst = iRst.map(buf);
    this.G = iG.map(buf);
    this.Dsum1 = buf(iDsum1);
    this.Vfb = buf(iFb);
    this.GQ = buf(iGQ);
    this.stateSlots = iState.map((k) => at[k]);
    this.peakAt = at[iPeak];
    this.stateWords = stateWords;
  }

  /** The workspace index of the view x into this field's memory, or −1 when x lives elsewhere. */
  private indexOf(x: Float64Array): number {
    return x.buffer === this.ws.f64.buffer ? x.byteOffset / 8 : -1;
  }

  /**
   * A problem's `storage` (src/core/terms.ts): the solve's two state buffers are views into this
   * field's workspace (slots laid out by the constructor, so the memory never grows meanwhile).
   */
  private storage(): (n: number) => Float64Array {
    let k = 0;
    return (n) => {
      if (n > this.stateWords) return new Float64Array(n);
      const at = this.stateSlots[k++ % 2];
      return this.ws.f64.subarray(at, at + n);
    };
  }

  /**
   * Whether a product with inner size k and n output columns runs unpacked (`mulRows`, wasm); on
   * the TypeScript workspace every product is the general kernels' (`gemm`).
   */
  private small(k: number, n: number): boolean {
    return this.rows !== null && k * n <= SMALL_PRODUCT;
  }

  private checkBatch(p: DfcParams, X: Mat, what: string): void {
    this.net.checkParams(p);
    if (X.cols !== this.sizes[0]) throw new Error(`${what}: inputs are ${X.rows}x${X.cols} but the network's input width is ${this.sizes[0]}`);
    if (X.rows < 1 || X.rows > this.maxBatch) throw new Error(`${what}: batch of ${X.rows} rows but this engine was built for at most ${this.maxBatch}; build DfcEngine(net, ${X.rows})`);
  }

  /** Operands in: X, W_i (transposed when small), Q stacked (transposed when small). */
  private load(p: DfcParams, Xm: Mat, B: number): void {
    const sz = this.sizes;
    this.X.a.set(Xm.data.subarray(0, B * sz[0]));
    for (let i = 1; i <= this.L; i++) {
      const W = p.W[i - 1].data;
      const ni = sz[i];
      const np = sz[i - 1];
      const to = this.Wm[i - 1].a;
      if (this.small(np, ni)) {
        for (let r = 0; r < ni; r++) for (let c = 0; c < np; c++) to[c * ni + r] = W[r * np + c];
      } else to.set(W);
    }
    const N = this.N;
    const nL = this.nL;
    const smallC = this.small(nL, N);
    const QT = this.QT.a;
    for (let i = 1; i <= this.L; i++) {
      const Q = p.Q[i - 1].data;
      const off = this.net.offsets[i - 1];
      if (smallC) {
        for (let r = 0; r < sz[i]; r++) for (let k = 0; k < nL; k++) QT[k * N + off + r] = Q[r * nL + k];
      } else QT.set(Q, off * nL);
    }
  }

  /** Vff_i (B x n_i) = R_{i−1} W_iᵀ with R_{i−1} at workspace index rPrev (by default R[i − 1]). */
  private forward(i: number, B: number, rPrev = this.R[i - 1].at): void {
    const ni = this.sizes[i];
    const np = this.sizes[i - 1];
    const out = this.Vff[i - 1];
    if (this.small(np, ni)) this.rows!.mulRows(B, ni, np, rPrev, np, this.Wm[i - 1].at, ni, out.at, ni);
    else this.ws.gemm(B, ni, np, rPrev, np, 1, this.Wm[i - 1].at, 1, np, out.at, 1, 0);
  }

  /** C (B x N) = U Qᵀ. */
  private feedback(B: number): void {
    const N = this.N;
    const nL = this.nL;
    if (this.small(nL, N)) this.rows!.mulRows(B, N, nL, this.U.at, nL, this.QT.at, N, this.C.at, N);
    else this.ws.gemm(B, N, nL, this.U.at, nL, 1, this.QT.at, 1, nL, this.C.at, 1, 0);
  }

  /** out (m x n) = Aᵀ Bm for A (k x m), Bm (k x n) (k = batch rows). */
  private productTA(m: number, n: number, k: number, A: Buf, Bm: Buf, out: Buf): void {
    this.ws.gemm(m, n, k, A.at, 1, m, Bm.at, n, 1, out.at, 1, 0);
  }

  /**
   * y[at …] = Aᵀ Bm (m x n) written into a state-sized array: small products on the wasm kernels
   * through the buffer `via` and a copy, others by the general kernel straight into y (no copy).
   */
  private productTAInto(m: number, n: number, k: number, A: Buf, Bm: Buf, via: Buf, y: Float64Array, at: number): void {
    if (this.rows !== null && m * n <= SMALL_PRODUCT) {
      this.productTA(m, n, k, A, Bm, via);
      y.set(via.a, at);
    } else matMulTA(mat(k, m, A.a.subarray(0, k * m)), mat(k, n, Bm.a.subarray(0, k * n)), mat(m, n, y.subarray(at, at + m * n)), 1, 0);
  }

  /** R_i = φ(v_i) of the state's v blocks (copied into the field's V buffers first). */
  private rates(y: Float64Array, vOff: readonly number[], B: number): void {
    for (let i = 1; i <= this.L; i++) {
      const n = B * this.sizes[i];
      const V = this.V[i - 1];
      V.a.set(y.subarray(vOff[i - 1], vOff[i - 1] + n));
      this.phi(i, V, this.R[i], n);
    }
  }

  private phi(i: number, src: Buf, dst: Buf, n: number): void {
    const act = this.net.acts[i - 1];
    if (act.name === 'tanh') this.ws.tanh(src.at, dst.at, n);
    else applyPhi(act, src.a, dst.a, n);
  }

  /** The state's blocks of a batch of B rows; `extra` are appended after v1 … vL and uInt. */
  private layout(B: number, extra: Record<string, BlockSpec>): { layout: StateLayout; vOff: number[]; uOff: number } {
    const blocks: Record<string, BlockSpec> = {};
    for (let i = 1; i <= this.L; i++) blocks[`v${i}`] = matrix(B, this.sizes[i]);
    blocks.uInt = matrix(B, this.nL);
    Object.assign(blocks, extra);
    const layout = defineState(blocks);
    return { layout, vOff: this.sizes.slice(1).map((_n, i) => layout.block(`v${i + 1}`).offset), uOff: layout.block('uInt').offset };
  }

  /** Feedforward equilibrium (eq. 2) of the loaded batch into Vff/V/R, and into y's v blocks. */
  private feedforward(B: number, y: Float64Array, vOff: readonly number[]): void {
    for (let i = 1; i <= this.L; i++) {
      const n = B * this.sizes[i];
      this.forward(i, B);
      y.set(this.Vff[i - 1].a.subarray(0, n), vOff[i - 1]);
      this.V[i - 1].a.set(this.Vff[i - 1].a.subarray(0, n));
      this.phi(i, this.V[i - 1], this.R[i], n);
    }
  }

  /**
   * A reduction that stops the run (by throwing Diverged) when |u^int| or |v_L| (vLOff ≥ 0) passes
   * the threshold; `known` may give the index of the first such entry of u^int or v_L (−1: none)
   * from the pass that wrote y1, else (undefined) the blocks are scanned.
   */
  private divergenceCheck(uOff: number, vLOff: number, B: number, dt: number, known?: (t0: number, y0: Float64Array, y1: Float64Array) => number | undefined): Reduction {
    const n = B * this.nL;
    const nL = this.nL;
    const L = this.L;
    return {
      name: 'divergence',
      size: 1,
      inPlace: true, // reads y1 alone (y0 only by identity, in `known`)
      step(t0, y0, t1, y1) {
        const k0 = known?.(t0, y0, y1);
        if (k0 === -1) return;
        let bu: number;
        let bv: number;
        if (k0 === undefined) {
          bu = firstBad(y1, uOff, n);
          bv = bu < 0 && vLOff >= 0 ? firstBad(y1, vLOff, n) : -1;
          if (bu < 0 && bv < 0) return;
        } else {
          // the first sample row with a bad u^int or v_L entry: u^int's first, as the scan reports
          const u = y1[uOff + k0];
          bu = !(u <= divergenceThreshold && u >= -divergenceThreshold) ? k0 : firstBad(y1, uOff, n);
          bv = bu < 0 ? k0 : -1;
        }
        const k = bu >= 0 ? bu : bv;
        const step = Math.round(t1);
        throw new Diverged({ step, t: step * dt, sample: Math.floor(k / nL), block: bu >= 0 ? 'uInt' : `v${L}`, value: bu >= 0 ? y1[uOff + k] : y1[vLOff + k] }, y1.slice());
      },
    };
  }

  /** Run a phase's problem; a divergence (threshold or non-finite) comes back as a Divergence. */
  private run(problem: Problem, y0: Float64Array, choice: PhaseSolver | undefined, dt: number, steps: number, noisy: boolean, reductions: Reduction[], brownian: BrownianPath | undefined, layout: StateLayout, nL: number): { y: Float64Array; steps: number; nfe: number; divergence?: Divergence } {
    const { name, opts } = runOptions(choice, dt, steps, noisy);
    try {
      const sol = solve(problem, name, { ...opts, y0, reductions, brownian });
      if (sol.status === 'diverged') {
        const d = sol.diverged!;
        const step = Math.round(d.t);
        const rowLen = layout.block(d.block).spec.kind === 'matrix' ? (layout.block(d.block).spec as { cols: number }).cols : nL;
        return { y: sol.y, steps: step, nfe: sol.stats.nfe, divergence: { step, t: step * dt, sample: Math.floor(d.index / rowLen), block: d.block, value: d.value } };
      }
      if (sol.status !== 'ok') throw new Error(`DFC phase: ${sol.message}`);
      return { y: sol.y, steps: sol.stats.accepted, nfe: sol.stats.nfe };
    } catch (e) {
      if (!(e instanceof Diverged)) throw e;
      return { y: e.y, steps: e.divergence.step, nfe: NaN, divergence: e.divergence };
    }
  }

  /** The eq. (5) sums G_i times dt, as new matrices (each entry G·dt, one rounding, on the workspace). */
  private scaledSums(dt: number): Mat[] {
    const sz = this.sizes;
    const out: Mat[] = [];
    for (let j = 0; j < this.L; j++) {
      const g = this.G[j];
      const n = sz[j + 1] * sz[j];
      this.ws.scale(g.at, n, dt);
      out.push(mat(sz[j + 1], sz[j], g.a.slice(0, n)));
    }
    return out;
  }

  /**
   * The Euler sum of eq. (5): a reduction that, after each step, takes the integrand D_i and
   * R_{i−1} of the field's evaluation at the step's start (re-evaluating there if the last
   * evaluation was elsewhere) and adds Σ_b D_i,b r_{i−1,b}ᵀ; the rank-B terms of K steps are
   * stacked and added as one product, the input layer's Σ_t D_1 once as (Σ_t D_1)ᵀ X at the end
   * (each step's D weighted by its length h when h ≠ 1).
   * `total(dt)` returns the sums times dt (∫ … dt, from sums over steps).
   */
  private eulerSum(B: number, hoist: boolean, at: (t: number, y: Float64Array) => void): { reduction: Reduction; total: (dt: number) => Mat[] } {
    const sz = this.sizes;
    const L = this.L;
    const K = this.chunk;
    const first = hoist ? 2 : 1;
    for (const g of this.G) g.a.fill(0);
    const Dsum1 = this.Dsum1.a;
    Dsum1.fill(0);
    let cur = 0;
    const flush = (rows: number): void => {
      for (let i = first; i <= L; i++) {
        const ni = sz[i];
        const np = sz[i - 1];
        this.ws.gemm(ni, np, rows, this.Dst[i - 1].at, 1, ni, this.Rst[i - 1].at, np, 1, this.G[i - 1].at, 1, 1);
      }
    };
    const reduction: Reduction = {
      name: 'eq. (5) Euler sum',
      size: 1,
      step: (t0, y0, t1) => {
        at(t0, y0);
        const h = t1 - t0; // 1 at the paper's step (then no product, as in the former loop)
        if (h !== 1) for (let i = 1; i <= L; i++) scale(this.D[i - 1].a, h, B * sz[i]);
        if (hoist) addInto(Dsum1, this.D[0].a, B * sz[1]);
        for (let i = first; i <= L; i++) {
          const n = B * sz[i];
          const np = B * sz[i - 1];
          this.Dst[i - 1].a.set(this.D[i - 1].a.subarray(0, n), cur * n);
          this.Rst[i - 1].a.set(this.R[i - 1].a.subarray(0, np), cur * np);
        }
        if (++cur === K) {
          flush(K * B);
          cur = 0;
        }
      },
    };
    const total = (dt: number): Mat[] => {
      if (cur > 0) flush(cur * B);
      cur = 0;
      if (hoist) this.ws.gemm(sz[1], sz[0], B, this.Dsum1.at, 1, sz[1], this.X.at, sz[0], 1, this.G[0].at, 1, 1);
      return this.scaledSums(dt);
    };
    return { reduction, total };
  }

  /**
   * The wake phase's fused Euler update on the workspace's kernels, for Euler (or the drift of
   * Euler–Maruyama) at step 1, the paper's dt: the former hand-written loop's step operation for
   * operation, on the state where it lives (the problem's `storage` puts it in this field's
   * workspace). One step from y0 to y1:
   *   R_i = φ(V_i) of y0 into slot `cur` of a ring of K + 1 slots per hidden layer, E = R* − R_L,
   *   U = U^int + k_p E (all three kept from the previous update when y0 is its y1 and nothing
   *   changed them since: no noise, the step accepted, no evaluation of vf), C = U Qᵀ;
   *   for i = L … 1: V^ff_i = R_{i−1} W_iᵀ (layer 1's once per minibatch when hoisted), then one
   *   `rateStep` per layer: D_i = R_i − φ(V^ff_i) into slot `cur` of its stack (added into Σ_t D_1
   *   when hoisted), v_i(y1) = v_i + (dt/τ_v)(V^ff_i + C_i − v_i), and φ(v_i(y1)) into slot cur + 1;
   *   u^int(y1) = u^int + (dt/τ_u)(E − α u^int), then E and U at y1 (`controllerEnd`); returns Σ y1.
   * The eq. (5) sum is the reduction `sum`: after an accepted step it keeps the step's slot (when
   * the last update was that step's, else it redoes the update from y0 into a scratch buffer) and
   * adds K steps' rank-B terms as one product; total(dt) adds the rest and (Σ_t D_1)ᵀ X, times dt.
   * A state outside the workspace is copied into its scratch slots for the update; any other
   * step size takes vf and the combine pass.
   * Every read of y0 precedes the write of the same entries of y1, so `solve` runs the update in
   * place (`eulerInPlace`), without copying the v blocks from one state buffer to the other.
   */
  private fusedWake(o: {
    B: number; dim: number; vOff: number[]; uOff: number; accumulate: boolean; hoist: boolean; weights: readonly Float64Array[] | undefined;
    cV: number; cU: number; kp: number; alpha: number; noisy: boolean; dt: number; vf: (t: number, y: Float64Array, out: Float64Array) => void; cache: { valid: boolean };
  }): { euler: EulerUpdate; check: Reduction; sum?: { reduction: Reduction; total: (dt: number) => Mat[] } } {
    const ws = this.ws;
    const { B, dim, vOff, uOff, accumulate, hoist, weights, cV, cU, kp, alpha, noisy, dt, vf, cache } = o;
    const sz = this.sizes;
    const L = this.L;
    const K = accumulate ? this.chunk : 0;
    const N = this.N;
    const nL = this.nL;
    const nU = B * nL;
    const offsets = this.net.offsets;
    const first = hoist ? 2 : 1;
    const rs = this.Rs.a;
    const RL = this.R[L];
    const E = this.E.a;
    const U = this.U.a;
    // R_i of ring slot s: X, the hidden layers' rings (Rst[i] is the stack layer i + 1's product reads), R_L
    const rAt = (i: number, s: number): number => (i === 0 ? this.X.at : i === L ? RL.at : this.Rst[i].at + s * B * sz[i]);
    const args: RateStepArgs[] = sz.slice(1).map((_ni, j) => {
      const hoisted = j === 0 && hoist;
      return {
        v: 0, vff: this.Vff[j].at, phiff: hoisted ? this.Phiff[0].at : 0, inp: this.C.at + offsets[j], ldi: N, rin: 0, r: 0, c: cV,
        act: this.net.acts[j].name === 'tanh' ? 'tanh' : 'linear',
        mode: !accumulate ? 'none' : hoisted ? 'add' : 'store', d: !accumulate ? 0 : hoisted ? this.Dsum1.at : 0, noise: 0,
      };
    });
    if (accumulate) {
      for (const g of this.G) g.a.fill(0);
      this.Dsum1.a.fill(0);
      // the un-hoisted input layer's stack holds X in every slot
      if (!hoist) for (let s = 0; s < K; s++) this.Rst[0].a.set(this.X.a.subarray(0, B * sz[0]), s * B * sz[0]);
    }
    /** Ring slot of this step, where R(y1) of the last update lies, and that update's ends (a1: y1's workspace index, -1 outside it). */
    const st = { cur: 0, rNext: -1, y0: null as Float64Array | null, y1: null as Float64Array | null, a1: -1, t0: NaN, t1: NaN };
    const tmp = new Float64Array(dim);
    const bad = new Int32Array(1);
    const pi: PiStepArgs = { u0: 0, u1: 0, e: this.E.at, out: this.U.at, target: this.Rs.at, r: RL.at, c: cU, alpha, kp, watch: 0, peak: this.peakAt };
    const nV = B * N; // the v blocks lie at [0, B·N), u^int after them (no other blocks with Euler)
    if (vOff[0] !== 0 || uOff !== nV || dim !== nV + nU) throw new Error('DFC wake phase: the fused update needs the layout v1 … vL, uInt');
    /** The update from the state at workspace index a0 into a1 (step 1), time t0; fresh: recompute the rates. Returns Σ y1 (the v blocks' sums from `rateStep`'s own pass, Σ u^int from `controllerEnd`'s). */
    const update = (t0: number, a0: number, a1: number, fresh: boolean): number => {
      const h = ws.f64;
      const slot = st.cur;
      const next = accumulate ? slot + 1 : 0;
      if (fresh || noisy || !cache.valid || st.rNext !== slot) {
        for (let i = 1; i <= L; i++) {
          const n = B * sz[i];
          if (args[i - 1].act === 'tanh') ws.tanh(a0 + vOff[i - 1], rAt(i, slot), n);
          else h.copyWithin(rAt(i, slot), a0 + vOff[i - 1], a0 + vOff[i - 1] + n);
        }
        controlOutput(rs, RL.a, h, a0 + uOff, E, U, kp, nU); // eq. (4)
      }
      this.feedback(B); // C = U Qᵀ
      if (a1 !== a0) h.copyWithin(a1, a0, a0 + nV); // the v blocks, stepped in place below (y1 is y0 itself when `solve` updates in place)
      let vSum = 0;
      for (let i = L; i >= 1; i--) {
        const ni = sz[i];
        const a = args[i - 1];
        if (i > 1 || !hoist) this.forward(i, B, rAt(i - 1, slot));
        a.v = a1 + vOff[i - 1];
        a.rin = rAt(i, slot);
        a.r = rAt(i, next);
        if (accumulate && a.mode === 'store') a.d = this.Dst[i - 1].at + slot * B * ni;
        vSum += ws.rateStep(B, ni, a); // eqs. (5), (1), φ
        if (weights && a.mode === 'store') scaleRows(h, a.d, B, ni, weights[i - 1]);
      }
      pi.u0 = a0 + uOff;
      pi.u1 = a1 + uOff;
      pi.watch = a1 + vOff[L - 1];
      const uSum = controllerEnd(ws, pi, nU, bad); // eq. (4)
      st.rNext = next;
      cache.valid = true;
      st.t0 = t0;
      st.t1 = t0 + 1;
      return vSum + uSum;
    };
    const [, , scratch0, scratch1] = this.stateSlots;
    const euler: EulerUpdate = (t0, y0, h, y1) => {
      if (h !== 1) {
        vf(t0, y0, tmp);
        for (let k = 0; k < dim; k++) y1[k] = y0[k] + h * tmp[k];
        st.y1 = st.y0 = null;
        st.rNext = -1;
        return stateSum(y1, dim);
      }
      let a0 = y0 === st.y1 ? st.a1 : this.indexOf(y0);
      let a1 = y1 === y0 ? a0 : this.indexOf(y1);
      // a state outside the workspace is updated in its scratch slots and copied back (so the
      // eq. (5) sum still reads this step's update, also when y1 is y0 itself)
      const outside = a0 < 0 || a1 < 0;
      if (outside) {
        ws.f64.set(y0.subarray(0, dim), scratch0);
        a0 = scratch0;
        a1 = scratch1;
      }
      const sum = update(t0, a0, a1, outside || st.y1 !== y0 || st.t1 !== t0);
      if (outside) y1.set(ws.f64.subarray(scratch1, scratch1 + dim));
      st.y0 = y0;
      st.y1 = y1;
      st.a1 = outside ? -1 : a1;
      return sum;
    };
    // the divergence check from the update's own pass when this step's update wrote y1 (and no
    // noise was added after it), else a scan
    const check = this.divergenceCheck(uOff, vOff[L - 1], B, dt, (t0, y0, y1) => (!noisy && st.y0 === y0 && st.y1 === y1 && st.t0 === t0 ? bad[0] : undefined));
    if (!accumulate) return { euler, check };
    const flush = (rows: number): void => {
      for (let i = first; i <= L; i++) ws.gemm(sz[i], sz[i - 1], rows, this.Dst[i - 1].at, 1, sz[i], this.Rst[i - 1].at, sz[i - 1], 1, this.G[i - 1].at, 1, 1);
    };
    const reduction: Reduction = {
      name: 'eq. (5) Euler sum (fused)',
      size: 1,
      // reads nothing of y0 after a step whose update was the fused one (with Euler, every step's)
      inPlace: true,
      step: (t0, y0, t1, y1) => {
        if (t1 - t0 !== 1) throw new Error(`DFC wake phase: this phase was built for Euler steps of the paper's dt (1 in its clock) but took a step of ${t1 - t0}; build it with that step (solver dt0)`);
        if (!(st.y0 === y0 && st.y1 === y1 && st.t0 === t0)) {
          // the last update was not this step's (e.g. a re-step for output): redo it from y0
          let a0 = this.indexOf(y0);
          if (a0 < 0) {
            ws.f64.set(y0.subarray(0, dim), scratch0);
            a0 = scratch0;
          }
          update(t0, a0, scratch1, true);
          st.y0 = st.y1 = null;
        }
        if (++st.cur === K) {
          flush(K * B);
          const h = ws.f64;
          for (let i = 1; i < L; i++) h.copyWithin(rAt(i, 0), rAt(i, K), rAt(i, K) + B * sz[i]);
          st.cur = 0;
          if (st.rNext === K) st.rNext = 0;
        }
      },
    };
    const total = (dt: number): Mat[] => {
      if (st.cur > 0) flush(st.cur * B);
      st.cur = 0;
      st.rNext = -1;
      if (hoist) {
        if (weights) scaleRows(ws.f64, this.Dsum1.at, B, sz[1], weights[0]);
        ws.gemm(sz[1], sz[0], B, this.Dsum1.at, 1, sz[1], this.X.at, sz[0], 1, this.G[0].at, 1, 1);
      }
      return this.scaledSums(dt);
    };
    return { euler, check, sum: { reduction, total } };
  }

  /**
   * The sleep phase's fused Euler update on the workspace's kernels (the drift part of Euler–Maruyama; the
   * solver adds the noise of the compartments after it), on the state in place, for a step h = 1
   * (the paper's dt; any other h takes vf and the combine pass). From y0 to y1:
   *   R_i = φ(v_i) of y0, E = R* − R_L, U = U^int + k_p E (kept from the previous update when y0 is
   *   its y1 and vf has not run since: the noise enters v^fb only);
   *   GQ(y1) = GQ(y0) + V^fbᵀ U (eq. 13, one product added onto the copied block), C = U Qᵀ;
   *   for i = L … 1: V^ff_i = R_{i−1} W_iᵀ (layer 1's constant), then `rateStep`:
   *   v_i(y1) = v_i + (dt/τ_v)(V^ff_i + V^fb_i − v_i) and φ(v_i(y1)) (eq. 12);
   *   u^int(y1) = u^int + (dt/τ_u)(E − α u^int) with E and U at y1, v^fb(y1) = v^fb + (dt/τ_fb)(C − v^fb);
   *   returns Σ y1.
   */
  private fusedSleep(o: {
    B: number; dim: number; vOff: number[]; uOff: number; fbOff: number; gqOff: number;
    cV: number; cF: number; cU: number; kp: number; alpha: number; vf: (t: number, y: Float64Array, out: Float64Array) => void; cache: { valid: boolean };
  }): EulerUpdate {
    const ws = this.ws;
    const { B, dim, vOff, uOff, fbOff, gqOff, cV, cF, cU, kp, alpha, vf, cache } = o;
    const sz = this.sizes;
    const L = this.L;
    const N = this.N;
    const nL = this.nL;
    const nU = B * nL;
    const nV = B * N;
    if (vOff[0] !== 0 || uOff !== nV || fbOff !== nV + nU || gqOff !== fbOff + nV || dim !== gqOff + N * nL) throw new Error('DFC sleep phase: the fused update needs the layout v1 … vL, uInt, vfb, GQ');
    const rs = this.Rs.a;
    const RL = this.R[L].a;
    const E = this.E.a;
    const U = this.U.a;
    const C = this.C.a;
    const args: RateStepArgs[] = sz.slice(1).map((_ni, j) => ({
      v: 0, vff: this.Vff[j].at, phiff: 0, inp: 0, ldi: N, rin: this.R[j + 1].at, r: this.R[j + 1].at, c: cV,
      act: this.net.acts[j].name === 'tanh' ? 'tanh' : 'linear', mode: 'none', d: 0, noise: 0,
    }));
    const offsets = this.net.offsets;
    /** The last update's end and time: its rates φ(v(y1)) are in R. */
    const st = { y1: null as Float64Array | null, t1: NaN };
    const tmp = new Float64Array(dim);
    const bad = new Int32Array(1); // unused: the sleep phase's check scans u^int
    const pi: PiStepArgs = { u0: 0, u1: 0, e: this.E.at, out: this.U.at, target: this.Rs.at, r: this.R[L].at, c: cU, alpha, kp, watch: 0, peak: this.peakAt };
    return (t0, y0, h, y1) => {
      const a0 = this.indexOf(y0);
      const a1 = this.indexOf(y1);
      if (h !== 1 || a0 < 0 || a1 < 0) {
        vf(t0, y0, tmp);
        for (let k = 0; k < dim; k++) y1[k] = y0[k] + h * tmp[k];
        st.y1 = null;
        return stateSum(y1, dim);
      }
      const m = ws.f64;
      if (st.y1 !== y0 || st.t1 !== t0 || !cache.valid) {
        for (let i = 1; i <= L; i++) {
          const n = B * sz[i];
          if (args[i - 1].act === 'tanh') ws.tanh(a0 + vOff[i - 1], this.R[i].at, n);
          else m.copyWithin(this.R[i].at, a0 + vOff[i - 1], a0 + vOff[i - 1] + n);
        }
        controlOutput(rs, RL, m, a0 + uOff, E, U, kp, nU); // eq. (4)
      }
      m.copyWithin(a1 + gqOff, a0 + gqOff, a0 + gqOff + N * nL);
      ws.gemm(N, nL, B, a0 + fbOff, 1, N, this.U.at, nL, 1, a1 + gqOff, 1, 1); // eq. (13): + V^fbᵀ U
      this.feedback(B); // C = U Qᵀ
      m.copyWithin(a1, a0, a0 + nV); // the v blocks, stepped in place below
      let s = 0;
      for (let i = L; i >= 1; i--) {
        const a = args[i - 1];
        if (i > 1) this.forward(i, B);
        a.v = a1 + vOff[i - 1];
        a.inp = a0 + fbOff + offsets[i - 1];
        s += ws.rateStep(B, sz[i], a); // eq. (12), φ
      }
      pi.u0 = a0 + uOff;
      pi.u1 = a1 + uOff;
      s += controllerEnd(ws, pi, nU, bad); // eq. (4)
      for (let k = 0; k < nV; k++) {
        const f = m[a0 + fbOff + k];
        const f1 = f + cF * (C[k] - f); // eq. (12), the compartments' drift
        m[a1 + fbOff + k] = f1;
        s += f1;
      }
      for (let k = gqOff; k < dim; k++) s += y1[k];
      cache.valid = true;
      st.y1 = y1;
      st.t1 = t0 + 1;
      return s;
    };
  }

  /**
   * The wake phase of a minibatch as a problem: X (B x n_0), targets Rstar (B x n_L); y0 is the
   * feedforward equilibrium (eq. 2) with u^int = 0 and zero accumulators. The field reads the
   * operands loaded here until the next call on this object.
   */
  wakeProblem(p: DfcParams, Xm: Mat, Rstar: Mat, cfg: ControllerConfig, o: WakeOptions): WakePhase {
    this.checkBatch(p, Xm, 'wake phase');
    const B = Xm.rows;
    const L = this.L;
    const sz = this.sizes;
    const nL = this.nL;
    const N = this.N;
    if (Rstar.rows !== B || Rstar.cols !== nL) throw new Error(`wake phase: targets are ${Rstar.rows}x${Rstar.cols}, expected ${B}x${nL}`);
    const sigma = cfg.sigma ?? 0;
    if (sigma > 0 && !o.rng) throw new Error('wake phase: cfg.sigma > 0 needs opts.rng (a seeded Rng) for the noise');
    const weights = o.rowWeights;
    if (weights && (weights.length !== L || weights.some((w) => w.length !== B))) throw new Error(`wake phase: rowWeights must be ${L} arrays of length B = ${B}`);
    const accumulate = o.accumulate;
    const hoist = o.hoistInput !== false;
    // Euler (and Euler–Maruyama) evaluates the field once per step, at its start: the Euler
    // integral of the eq. (5) block is the left-point sum, accumulated by a reduction from that
    // evaluation (the former loop's K-stacked products); other solvers integrate state blocks.
    const solverName = o.solver?.solver ?? (sigma > 0 ? 'euler_maruyama' : 'euler');
    const summed = accumulate && (solverName === 'euler' || solverName === 'euler_maruyama');
    const extra: Record<string, BlockSpec> = {};
    if (accumulate && !summed) {
      if (hoist) extra.d1 = matrix(B, sz[1]);
      else extra.dW1 = matrix(sz[1], sz[0]);
      for (let i = 2; i <= L; i++) extra[`dW${i}`] = matrix(sz[i], sz[i - 1]);
    }
    const { layout, vOff, uOff } = this.layout(B, extra);
    const accOff = accumulate && !summed ? sz.slice(1).map((_n, j) => layout.block(j === 0 ? (hoist ? 'd1' : 'dW1') : `dW${j + 1}`).offset) : [];
    this.load(p, Xm, B);
    const rs = this.Rs.a;
    rs.set(Rstar.data.subarray(0, B * nL));
    const y0 = layout.create();
    this.feedforward(B, y0, vOff);
    // layer 1's V^ff and φ(V^ff) stay in Vff[0], Phiff[0] (the input does not change)
    this.phi(1, this.Vff[0], this.Phiff[0], B * sz[1]);
    const cV = cfg.dt / cfg.tauV;
    const cU = cfg.dt / cfg.tauU;
    const kp = cfg.kp;
    const alpha = cfg.alpha;
    const offsets = this.net.offsets;
    const E = this.E.a;
    const U = this.U.a;
    const C = this.C.a;
    const last = this.scratch;
    // the fused update's rates, E and U of its last y1 (any evaluation of vf overwrites them)
    const cache = { valid: false };
    const vf = (t: number, y: Float64Array, out: Float64Array): void => {
      cache.valid = false;
      last.y = y;
      last.t = t;
      this.rates(y, vOff, B);
      controlOutput(rs, this.R[L].a, y, uOff, E, U, kp, B * nL); // eq. (4)
      this.feedback(B); // C = U Qᵀ
      for (let i = L; i >= 1; i--) {
        const ni = sz[i];
        if (i > 1) {
          this.forward(i, B);
          if (accumulate) this.phi(i, this.Vff[i - 1], this.Phiff[i - 1], B * ni);
        }
        rateField(out, y, vOff[i - 1], this.Vff[i - 1].a, C, B, ni, N, offsets[i - 1], cV); // eq. (1)
        if (!accumulate) continue;
        // eq. (5) integrand: into D (summed by the reduction), d1, or D for the product with R_{i−1}
        if (summed) integrand(this.D[i - 1].a, 0, this.R[i].a, this.Phiff[i - 1].a, weights?.[i - 1], B, ni);
        else if (i === 1 && hoist) integrand(out, accOff[0], this.R[1].a, this.Phiff[0].a, weights?.[0], B, ni);
        else {
          integrand(this.D[i - 1].a, 0, this.R[i].a, this.Phiff[i - 1].a, weights?.[i - 1], B, ni);
          this.productTAInto(ni, sz[i - 1], B, this.D[i - 1], this.R[i - 1], this.P[i - 1], out, accOff[i - 1]);
        }
      }
      integralField(out, y, uOff, E, cU, alpha, B * nL); // eq. (4)
    };
    const dim = layout.size;
    // Euler at the paper's step (every φ tanh or linear): the fused update, on the state in place
    const stepOne = runOptions(o.solver, cfg.dt, cfg.steps, sigma > 0).opts.dt0 === 1;
    const fused =
      this.fusable && stepOne && (solverName === 'euler' || solverName === 'euler_maruyama') && dim <= this.stateWords
        ? this.fusedWake({ B, dim, vOff, uOff, accumulate, hoist, weights, cV, cU, kp, alpha, noisy: sigma > 0, dt: cfg.dt, vf, cache })
        : undefined;
    const term = drift(dim, vf, fused ? { euler: fused.euler, eulerInPlace: true } : {});
    const storage = fused ? this.storage() : undefined;
    let problem: Problem;
    let brownian: BrownianPath | undefined;
    if (sigma > 0) {
      const gv = (sigma * Math.sqrt(cfg.dt)) / cfg.tauV; // σ/τ_v per √(paper time) = σ√dt/τ_v per √step
      // the v blocks lie at [0, B·N): the noise acts on that block only
      problem = sdeProblem(term, blockDiffusion(dim, vOff[0], B * N, 'additive', gv), { layout, name: 'DFC wake phase (eqs. 1, 4, 5, 12), batched', storage });
      // the former loop's draw order: layer L first, then down to layer 1
      brownian = new BlockNoise(dim, vOff.map((at, i): [number, number] => [at, at + B * sz[i + 1]]).reverse(), o.rng!);
    } else problem = odeProblem(term, { layout, name: 'DFC wake phase (eqs. 1, 4, 5), batched', storage });
    const sum = fused
      ? fused.sum
      : summed
        ? this.eulerSum(B, hoist, (t, y) => {
            if (last.y === y && last.t === t) return;
            if (last.out === null || last.out.length !== dim) last.out = new Float64Array(dim);
            vf(t, y, last.out);
          })
        : undefined;
    return { problem, y0, layout, brownian, vOff, uOff, accOff, B, hoist, sum, check: fused?.check ?? this.divergenceCheck(uOff, vOff[L - 1], B, cfg.dt) };
  }

  /**
   * The wake phase of a minibatch: X (B x n_0), targets Rstar (B x n_L), from the feedforward
   * equilibrium with u^int = 0, over cfg.steps steps of cfg.dt (see the module comment).
   */
  wake(p: DfcParams, Xm: Mat, Rstar: Mat, cfg: ControllerConfig, o: WakeOptions): WakeResult {
    const { problem, y0, layout, brownian, vOff, uOff, accOff, B, hoist, sum, check } = this.wakeProblem(p, Xm, Rstar, cfg, o);
    const L = this.L;
    const sz = this.sizes;
    const nL = this.nL;
    const sigma = cfg.sigma ?? 0;
    const accumulate = o.accumulate;
    const rs = this.Rs.a;
    const U = this.U.a;
    const kp = cfg.kp;
    const run = this.run(problem, y0, o.solver, cfg.dt, cfg.steps, sigma > 0, sum ? [check, sum.reduction] : [check], brownian, layout, nL);
    const y = run.y;
    // final state: V_i, R_i, U
    this.rates(y, vOff, B);
    const RL = this.R[L].a;
    for (let k = 0; k < B * nL; k++) U[k] = y[uOff + k] + kp * (rs[k] - RL[k]);
    let dW: Mat[] | undefined;
    if (accumulate && run.divergence === undefined && sum) dW = sum.total(cfg.dt);
    else if (accumulate && run.divergence === undefined) {
      dW = sz.slice(1).map((ni, j) => {
        const np = sz[j];
        const g = mat(ni, np);
        if (j === 0 && hoist) {
          this.D[0].a.set(y.subarray(accOff[0], accOff[0] + B * ni));
          this.productTA(ni, np, B, this.D[0], this.X, this.G1);
          g.data.set(this.G1.a.subarray(0, ni * np));
        } else g.data.set(y.subarray(accOff[j], accOff[j] + ni * np));
        for (let k = 0; k < g.data.length; k++) g.data[k] *= cfg.dt;
        return g;
      });
    }
    // loops, not a mapped callback: V8 deoptimised `wake` at that callback in every early wake
    const V: Mat[] = [];
    const R = [Xm];
    for (let i = 1; i <= L; i++) {
      V.push(mat(B, sz[i], this.V[i - 1].a.subarray(0, B * sz[i])));
      R.push(mat(B, sz[i], this.R[i].a.subarray(0, B * sz[i])));
    }
    return {
      status: run.divergence ? 'diverged' : 'ok',
      divergence: run.divergence,
      steps: run.steps,
      dW,
      V,
      R,
      U: mat(B, nL, U.subarray(0, B * nL)),
      Uint: mat(B, nL, y.slice(uOff, uOff + B * nL)),
      nfe: run.nfe,
    };
  }
  /**
   * The sleep phase of a minibatch as an SDE (see the module comment): from the feedforward
   * equilibrium with r* = r_L⁻, u^int = 0, v^fb = 0; the noise drawn from `rng`.
   */
  sleepProblem(p: DfcParams, Xm: Mat, cfg: FeedbackConfig, rng: Rng): SleepPhase {
    this.checkBatch(p, Xm, 'sleep phase');
    const B = Xm.rows;
    const L = this.L;
    const sz = this.sizes;
    const nL = this.nL;
    const N = this.N;
    const { layout, vOff, uOff } = this.layout(B, { vfb: matrix(B, N), GQ: matrix(N, nL) });
    const fbOff = layout.block('vfb').offset;
    const gqOff = layout.block('GQ').offset;
    this.load(p, Xm, B);
    const y0 = layout.create();
    this.feedforward(B, y0, vOff);
    const rs = this.Rs.a;
    rs.set(this.R[L].a.subarray(0, B * nL)); // r* = r_L⁻
    const cV = cfg.dt / cfg.tauV;
    const cF = cfg.dt / cfg.tauFb;
    const cU = cfg.dt / cfg.tauU;
    const kp = cfg.kp;
    const alpha = cfg.alpha;
    const offsets = this.net.offsets;
    const E = this.E.a;
    const U = this.U.a;
    const C = this.C.a;
    const Vfb = this.Vfb;
    const cache = { valid: false }; // as in the wake phase
    const vf = (_t: number, y: Float64Array, out: Float64Array): void => {
      cache.valid = false;
      this.rates(y, vOff, B);
      controlOutput(rs, this.R[L].a, y, uOff, E, U, kp, B * nL); // eq. (4)
      // eq. (13) integrand: V^fbᵀ U
      Vfb.a.set(y.subarray(fbOff, fbOff + B * N));
      this.productTAInto(N, nL, B, Vfb, this.U, this.GQ, out, gqOff);
      this.feedback(B); // C = U Qᵀ
      for (let i = L; i >= 1; i--) {
        if (i > 1) this.forward(i, B);
        rateField(out, y, vOff[i - 1], this.Vff[i - 1].a, Vfb.a, B, sz[i], N, offsets[i - 1], cV); // eq. (12)
      }
      compartmentField(out, y, fbOff, C, cF, B * N);
      integralField(out, y, uOff, E, cU, alpha, B * nL); // eq. (4)
    };
    const dim = layout.size;
    const gFb = (cfg.sigma * Math.sqrt(cfg.dt)) / cfg.tauFb; // σ_fb/τ_fb per √(paper time), on the compartments only
    // every φ tanh or linear: the fused Euler update on the state in place (see `fusedSleep`)
    const fused = this.fusable && dim <= this.stateWords ? this.fusedSleep({ B, dim, vOff, uOff, fbOff, gqOff, cV, cF, cU, kp, alpha, vf, cache }) : undefined;
    const problem = sdeProblem(drift(dim, vf, fused ? { euler: fused } : {}), blockDiffusion(dim, fbOff, B * N, 'additive', gFb), {
      layout,
      name: 'DFC sleep phase (eqs. 12, 4, 13), batched',
      storage: fused ? this.storage() : undefined,
    });
    return { problem, y0, layout, brownian: new BlockNoise(dim, [[fbOff, fbOff + B * N]], rng), uOff, gqOff, B };
  }

  /** The sleep phase of a minibatch: the time- and batch-average of v^fb uᵀ (eq. 13), Euler–Maruyama with cfg.dt by default. */
  sleep(p: DfcParams, Xm: Mat, cfg: FeedbackConfig, rng: Rng, solver?: PhaseSolver): SleepResult {
    const { problem, y0, layout, brownian, uOff, gqOff, B } = this.sleepProblem(p, Xm, cfg, rng);
    const run = this.run(problem, y0, solver, cfg.dt, cfg.steps, true, [this.divergenceCheck(uOff, -1, B, cfg.dt)], brownian, layout, this.nL);
    const GQ = mat(this.N, this.nL, run.y.slice(gqOff, gqOff + this.N * this.nL));
    const scale = 1 / (cfg.steps * B);
    for (let k = 0; k < GQ.data.length; k++) GQ.data[k] *= scale;
    return { status: run.divergence ? 'diverged' : 'ok', divergence: run.divergence, vfbU: this.net.unstackQ(GQ), nfe: run.nfe };
  }
}
