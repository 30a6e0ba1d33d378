/**
 * Resident workspaces: one memory that holds a loop's operands for the whole loop, and kernels
 * that take f64 indices into it, so that a step of many small operations copies nothing in or out.
 * One contract (`Workspace`), two implementations:
 * - `WasmWorkspace` (kernels.ts): a private instance of the wasm module, SIMD kernels, unpacked
 *   small products (`mulRows`), BLAS on the same memory above a size;
 * - `TsWorkspace` (here): the same kernels as TypeScript loops over a Float64Array, for runtimes
 *   without WebAssembly SIMD and the 'ts' backend.
 * `tanh`, `rateStep`, `piStep` and `scale` give the same bits in both (the same operations in the
 * same order; tested; the sums they return may differ in their order of additions); `gemm` is
 * each one's product (here the general kernels' `gemmStrided`, whose order of sums depends on the
 * size and the backend, as for any product).
 *
 * The tanh of both is 1 − 2/(e^{2x} + 1) with z = 2x clamped to ±38.2 (where tanh is ±1 in double
 * precision), k = round(z/h), h = ln2/256 (by adding and subtracting 1.5·2^52), r = z − k·h
 * (|r| ≤ h/2, h split in two parts so that k·h_hi is exact) and e^z = 2^{k>>8}·T[k & 255]·p(r): a
 * power of two times an entry of the table T[j] = 2^{j/256} (`exp2Table256`, exact), and p the
 * degree-4 Taylor polynomial (truncation < 4e-17 relative). Absolute error ≤ 4.5e-16 against
 * Math.tanh on the whole line; ±∞ give ±1, NaN gives NaN. `Math.tanh` costs ~20 ns an element here
 * (a call into the C library per element), this one a few.
 */
import { even, exp2Table256, gemmStrided, WasmWorkspace } from './kernels';

/** Arguments of `Workspace.rateStep` (f64 indices; 0 for unused optional arrays). */
export interface RateStepArgs {
  v: number;
  vff: number;
  phiff: number;
  inp: number;
  ldi: number;
  rin: number;
  r: number;
  c: number;
  act: 'tanh' | 'linear';
  mode: 'none' | 'store' | 'add';
  d: number;
  noise: number;
}

/** Arguments of `Workspace.piStep` (f64 indices; watch 0 for none). */
export interface PiStepArgs {
  /** The integral states before the step, and where the new ones go (may be u0). */
  u0: number;
  u1: number;
  /** The errors: read as the step's, overwritten with the new state's target − r. */
  e: number;
  /** The outputs u1 + kp·e at the new state. */
  out: number;
  target: number;
  r: number;
  c: number;
  alpha: number;
  kp: number;
  /** Entries whose |x| also enter `peak` (0: none). */
  watch: number;
  /** Where the largest |u1| (and |watch|) is stored: one f64. */
  peak: number;
}

/**
 * What a resident loop needs of its memory and kernels. `alloc` every region first (sizes in
 * f64s; it returns an f64 index, 16-byte aligned, and may grow the memory, which detaches views
 * taken earlier), call `reserveGemm` for every product, then take the view `f64` once and write
 * operands through it. Kernels take f64 indices into that view; each call checks in O(1) that what
 * it writes lies inside the allocated regions. Index 0 is never allocated, so 0 means "none" in
 * optional arguments.
 */
export interface Workspace {
  /** Reserves `words` f64s (zeroed) and returns the f64 index of the first. Detaches older views. */
  alloc(words: number): number;
  /** The memory as f64s (valid until the next alloc/reserveGemm). */
  readonly f64: Float64Array;
  /** f64s allocated so far. */
  readonly size: number;
  /** Makes room for the scratch of `gemm` with these sizes (allocate before taking views). */
  reserveGemm(m: number, n: number, k: number): void;
  /**
   * C (m x n, contiguous) = alpha·opA·opB + beta·C with opA(i, p) = f64[a + i·sai + p·sap],
   * opB(p, j) = f64[b + p·sbp + j·sbj]; m, n, k >= 1; C must not overlap A or B.
   */
  gemm(m: number, n: number, k: number, a: number, sai: number, sap: number, b: number, sbp: number, sbj: number, c: number, alpha: number, beta: number): void;
  /** x[i] = x[i]·alpha, i < n (bit for bit the scalar product of each entry). */
  scale(x: number, n: number, alpha: number): void;
  /** dst[i] = tanh(src[i]), i < n (dst may be src). */
  tanh(src: number, dst: number, n: number): void;
  /**
   * One forward-Euler step of a layer of leaky rate units, m rows (samples) x n units, row-major
   * with row stride n except the input `inp` (row stride ldi), fused into one call:
   *   first (mode 'store' / 'add'): d = φ(v) − φ(vff) = rin − φ(vff), stored or added into d (φ(vff) read from phiff when phiff != 0);
   *   v += c·((vff + inp) − v), then v += noise when noise != 0;  r = φ(v).
   * Returns Σ of the new v (in the pass that writes it, in the implementation's order of
   * additions; NaN or ±∞ when an entry is), for the caller's divergence check.
   * rin holds the rates before the step (φ of the old v); it may be r itself, or another buffer
   * (a caller that keeps a history of rates). φ is tanh or the identity.
   */
  rateStep(m: number, n: number, a: RateStepArgs): number;
  /**
   * One forward-Euler step of n proportional-integral controllers, fused into one call:
   *   u1 = u0 + c·(e − α·u0) (the integral part; u1 may be u0), then e = target − r and
   *   out = u1 + kp·e (the error and the output at the new state).
   * Returns Σ u1 (NaN or ±∞ when an entry is) and stores at `peak` the largest |u1|, and of
   * |watch| when watch != 0 (NaN when any is NaN), for the caller's divergence check.
   */
  piStep(n: number, a: PiStepArgs): number;
}

/** A workspace on the wasm kernels when they may run (WebAssembly SIMD, not the 'ts' backend), else on the TypeScript ones. */
export function createWorkspace(): Workspace {
  return WasmWorkspace.create() ?? new TsWorkspace();
}

const ZMAX = 38.2; // |2x| beyond which tanh(x) rounds to ±1
const SHIFT = 6755399441055744; // 1.5·2^52: z/h + SHIFT rounds z/h to an integer
const T = exp2Table256();
/** 2^{j−64}, j = 0 … 127: the power-of-two factor 2^{k>>8} (|k>>8| ≤ 57). */
const P2 = new Float64Array(128);
for (let j = 0; j < 128; j++) P2[j] = Math.pow(2, j - 64);
const INV_H = 256 / Math.LN2;
const H = Math.LN2 / 256;
const H_HI = Math.fround(H);
const H_LO = H - H_HI;

/** tanh of one value, as the module comment says (V8 inlines it into the loops of this module only). */
export function tanh1(x: number): number {
  let z = 2 * x;
  z = z > ZMAX ? ZMAX : z;
  z = z < -ZMAX ? -ZMAX : z;
  const kf = z * INV_H + SHIFT - SHIFT; // round(z/h), exactly an integer, |kf| ≤ 14109
  const k = kf | 0; // NaN gives 0 (the result is NaN through r)
  const r = z - kf * H_HI - kf * H_LO;
  const r2 = r * r;
  const p = 1 + r + r2 * (0.5 + r * 0.16666666666666666 + r2 * 0.041666666666666664);
  const e = T[k & 255] * P2[(k >> 8) + 64];
  return 1 - 2 / (e * p + 1);
}

/** dst[i] = tanh(src[i]) for i < n (dst may be src). NaN propagates; ±∞ give ±1. */
export function tanhInto(src: Float64Array, dst: Float64Array, n = src.length): void {
  for (let i = 0; i < n; i++) dst[i] = tanh1(src[i]);
}

/** Entries a strided r x c operand spans from its first: (r − 1)·sr + (c − 1)·sc + 1. */
function span(r: number, c: number, sr: number, sc: number): number {
  return (r - 1) * sr + (c - 1) * sc + 1;
}

/** The kernels of `Workspace` as TypeScript loops over one growable Float64Array. */
export class TsWorkspace implements Workspace {
  private top = 2;
  private view = new Float64Array(256);

  alloc(words: number): number {
    if (!(Number.isInteger(words) && words >= 0)) throw new Error(`TsWorkspace.alloc: words must be an integer >= 0 (got ${words})`);
    const at = this.top;
    this.top = at + even(words);
    if (this.top > this.view.length) {
      const grown = new Float64Array(Math.max(this.top, 2 * this.view.length));
      grown.set(this.view);
      this.view = grown;
    }
    return at;
  }

  get f64(): Float64Array {
    return this.view;
  }

  get size(): number {
    return this.top;
  }

  /** Nothing to reserve: the general kernels keep their own scratch. */
  reserveGemm(_m: number, _n: number, _k: number): void {}

  private out(fn: string, at: number, words: number): void {
    if (!(at >= 2 && at + words <= this.top)) {
      throw new Error(`TsWorkspace.${fn}: output [${at}, ${at + words}) is outside the allocated regions [2, ${this.top}); alloc it first`);
    }
  }

  gemm(m: number, n: number, k: number, a: number, sai: number, sap: number, b: number, sbp: number, sbj: number, c: number, alpha: number, beta: number): void {
    this.out('gemm', c, m * n);
    if (m === 0 || n === 0 || k === 0) throw new Error(`TsWorkspace.gemm: sizes must be >= 1 (got ${m}, ${n}, ${k})`);
    const v = this.view;
    gemmStrided(m, n, k, v.subarray(a, a + span(m, k, sai, sap)), sai, sap, v.subarray(b, b + span(k, n, sbp, sbj)), sbp, sbj, v.subarray(c, c + m * n), alpha, beta);
  }

  scale(x: number, n: number, alpha: number): void {
    this.out('scale', x, n);
    const v = this.view;
    for (let i = x; i < x + n; i++) v[i] *= alpha;
  }

  tanh(src: number, dst: number, n: number): void {
    this.out('tanh', dst, n);
    const v = this.view;
    for (let i = 0; i < n; i++) v[dst + i] = tanh1(v[src + i]);
  }

  rateStep(m: number, n: number, a: RateStepArgs): number {
    this.out('rateStep', a.v, m * n);
    this.out('rateStep', a.r, m * n);
    if (a.mode !== 'none') this.out('rateStep', a.d, m * n);
    const h = this.view;
    const mn = m * n;
    const tanh = a.act === 'tanh';
    const { v, vff, phiff, inp, ldi, rin, r, c, d, noise } = a;
    if (a.mode !== 'none') {
      const add = a.mode === 'add';
      for (let k = 0; k < mn; k++) {
        const f = phiff !== 0 ? h[phiff + k] : tanh ? tanh1(h[vff + k]) : h[vff + k];
        const dv = h[rin + k] - f;
        h[d + k] = add ? h[d + k] + dv : dv;
      }
    }
    let s = 0;
    for (let b = 0; b < m; b++) {
      const o = v + b * n;
      const f = vff + b * n;
      const i = inp + b * ldi;
      for (let j = 0; j < n; j++) {
        const vv = h[o + j];
        const nv = vv + c * ((h[f + j] + h[i + j]) - vv);
        h[o + j] = nv;
        s += nv;
      }
    }
    if (noise !== 0) {
      s = 0;
      for (let k = 0; k < mn; k++) {
        const nv = h[v + k] + h[noise + k];
        h[v + k] = nv;
        s += nv;
      }
    }
    if (tanh) for (let k = 0; k < mn; k++) h[r + k] = tanh1(h[v + k]);
    else h.copyWithin(r, v, v + mn);
    return s;
  }

  piStep(n: number, a: PiStepArgs): number {
    this.out('piStep', a.u1, n);
    this.out('piStep', a.e, n);
    this.out('piStep', a.out, n);
    this.out('piStep', a.peak, 1);
    const h = this.view;
    const { u0, u1, e, out, target, r, c, alpha, kp, watch } = a;
    let s = 0;
    let peak = 0;
    for (let k = 0; k < n; k++) {
      const u = h[u0 + k];
      const nu = u + c * (h[e + k] - alpha * u);
      h[u1 + k] = nu;
      s += nu;
      peak = Math.max(peak, Math.abs(nu)); // NaN when either is, as WebAssembly's f64.max
      if (watch !== 0) peak = Math.max(peak, Math.abs(h[watch + k]));
      const ee = h[target + k] - h[r + k];
      h[e + k] = ee;
      h[out + k] = nu + kp * ee;
    }
    h[a.peak] = peak;
    return s;
  }
}
