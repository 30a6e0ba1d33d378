/**
 * Dense f64 linear-algebra kernels for the models' hot loops.
 *
 * Conventions
 * - Every kernel writes into a caller-provided output and allocates no buffers per call (the
 *   products keep one scratch arena that grows to the largest size seen and is then reused; the
 *   wasm path creates one transient subarray view object per call).
 * - Matrices are row-major `Mat` views (src/linalg/mat.ts); `data` may be a subarray of a bigger
 *   state vector, with any byteOffset.
 * - BLAS-style scaling: `y = alpha*op(A)x + beta*y`, `C = alpha*op(A)op(B) + beta*C`. When
 *   `beta === 0` the old contents of the output are not read (NaN/garbage there does not leak).
 * - Shapes are checked once per call (O(1)); a mismatch throws an Error naming the shapes and the
 *   fix. Outputs must not overlap their inputs (same buffer with overlapping byte ranges): that
 *   throws too, except for the element-wise helpers, which accept an output that is exactly one
 *   of the inputs.
 *
 * Engines (chosen per call by the backend, src/linalg/backend.ts: 'auto', 'blas', 'wasm', 'ts').
 * With a system BLAS (src/linalg/blas.ts) matrix-matrix, matrix-vector and rank-1 products above
 * measured sizes run as dgemm / dgemv / dger in place on the callers' arrays (no copies). Otherwise,
 * above a small size, the matrix products run as WebAssembly SIMD (f64x2; source in
 * src/linalg/wasm/gemm.as.ts, bytes in the generated gemm-bytes.ts, loaded synchronously on
 * first use). Wasm works on its own linear memory, so each call copies A and B (and C or y when
 * beta != 0) in and the result out: O(n²) memcpy next to O(n³) work for matrix-matrix, and even
 * for matrix-vector it measured ~2.5x faster than the TypeScript loops from ~20x20 up to 256x256
 * (about even at 784x784, where the copy streams from L3). Matrix-matrix products pack A and B
 * into 4-wide panels and run a 4x4 register-blocked micro-kernel (k-blocks of 256, row blocks of
 * 96). Small sizes, and any runtime without WebAssembly, use plain TypeScript loops (a packed
 * 4x4 TS twin of the wasm kernel for larger matrix products). `forceEngine` (backend.ts) forces an
 * engine for tests and benchmarks.
 *
 * Resident operands. For loops of many cheap steps on small matrices (a DFC settling: 1000 Euler
 * steps of products like 128x10 by 10x10), the per-call copy and packing above cost more than the
 * arithmetic. `WasmWorkspace` is a private instance of the same module whose memory holds the
 * caller's arrays for the whole loop: products on f64 offsets with nothing copied (`mulRows`
 * unpacked for small right operands, `gemm` packed, or BLAS on the same memory above a size), a SIMD
 * tanh, a fused leaky-rate-layer Euler step (`rateStep`) and a proportional-integral controller's
 * (`piStep`).
 */
import { BLAS_MIN_GEMM, BLAS_MIN_GER, BLAS_MIN_GEMV, BLAS_MIN_RESIDENT, blasFor, gemmEngine, gemvInWasm, wasmAllowed } from './backend';
import { CblasNoTrans, CblasRowMajor, CblasTrans, type Blas } from './blas';
import type { Mat } from './mat';
import { compiledWasm, loadWasm, wasmApi, type WasmGemm, type WasmResident } from './wasm/module';
import type { PiStepArgs, RateStepArgs, Workspace } from './workspace';

export { wasmAvailable } from './wasm/module';

// ---------------------------------------------------------------------------------------------
// checks

function shape(A: Mat): string {
  return `${A.rows}x${A.cols}`;
}

function checkMat(fn: string, name: string, A: Mat): void {
  if (A.data.length !== A.rows * A.cols) {
    throw new Error(
      `${fn}: ${name} claims shape ${shape(A)} but its data has ${A.data.length} entries; ` +
        `a ${shape(A)} matrix needs rows*cols = ${A.rows * A.cols}`,
    );
  }
}

/** True when the two arrays share memory (same buffer and overlapping byte ranges). */
export function overlaps(a: Float64Array, b: Float64Array): boolean {
  if (a.buffer !== b.buffer) return false;
  if (a.length === 0 || b.length === 0) return false;
  const a0 = a.byteOffset;
  const b0 = b.byteOffset;
  return a0 < b0 + b.byteLength && b0 < a0 + a.byteLength;
}

function noAlias(fn: string, outName: string, out: Float64Array, inName: string, inp: Float64Array): void {
  if (overlaps(out, inp)) {
    throw new Error(
      `${fn}: output ${outName} overlaps input ${inName} (${out === inp ? 'the same array' : 'views of the same buffer with overlapping ranges'}); ` +
        `write into a separate scratch array and copy it back`,
    );
  }
}

/** Element-wise outputs may be exactly an input (same buffer and offset) but not a shifted view. */
function noPartialAlias(fn: string, outName: string, out: Float64Array, inName: string, inp: Float64Array): void {
  if (overlaps(out, inp) && out.byteOffset !== inp.byteOffset) {
    throw new Error(
      `${fn}: output ${outName} partially overlaps input ${inName} (views of the same buffer at different offsets); ` +
        `use the very same array, or a separate one`,
    );
  }
}

function sameLength(fn: string, xName: string, x: Float64Array, yName: string, y: Float64Array): void {
  if (x.length !== y.length) {
    throw new Error(
      `${fn}: ${xName} has ${x.length} entries but ${yName} has ${y.length}; they must have the same length`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// vector helpers

/** y += alpha * x */
export function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  sameLength('axpy', 'x', x, 'y', y);
  noPartialAlias('axpy', 'y', y, 'x', x);
  const n = y.length;
  for (let i = 0; i < n; i++) y[i] += alpha * x[i];
}

/** x · y */
export function dot(x: Float64Array, y: Float64Array): number {
  sameLength('dot', 'x', x, 'y', y);
  const n = x.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += x[i] * y[i];
    s1 += x[i + 1] * y[i + 1];
    s2 += x[i + 2] * y[i + 2];
    s3 += x[i + 3] * y[i + 3];
  }
  for (; i < n; i++) s0 += x[i] * y[i];
  return s0 + s1 + (s2 + s3);
}

/** Euclidean norm ‖x‖₂ (rescaled when the plain sum of squares over/underflows). */
export function norm2(x: Float64Array): number {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  if (s < Infinity && s > 1e-280) return Math.sqrt(s);
  if (s !== s) return NaN;
  // the sum of squares overflowed or underflowed: rescale by the largest magnitude
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(x[i]);
    if (a > m) m = a;
  }
  if (m === 0 || m === Infinity) return m;
  let t = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i] / m;
    t += v * v;
  }
  return m * Math.sqrt(t);
}

/** x *= alpha */
export function scale(x: Float64Array, alpha: number): void {
  const n = x.length;
  for (let i = 0; i < n; i++) x[i] *= alpha;
}

/** x[:] = value */
export function fill(x: Float64Array, value: number): void {
  x.fill(value);
}

/** dst[:] = src (overlapping views are handled like memmove). */
export function copy(src: Float64Array, dst: Float64Array): void {
  sameLength('copy', 'src', src, 'dst', dst);
  dst.set(src);
}

/** out = x ∘ y (element-wise product); out may be x or y itself. */
export function hadamard(x: Float64Array, y: Float64Array, out: Float64Array): void {
  sameLength('hadamard', 'x', x, 'y', y);
  sameLength('hadamard', 'x', x, 'out', out);
  noPartialAlias('hadamard', 'out', out, 'x', x);
  noPartialAlias('hadamard', 'out', out, 'y', y);
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = x[i] * y[i];
}

// ---------------------------------------------------------------------------------------------
// matrix-vector

/** y = alpha * A x + beta * y   (A is m x n, x has n entries, y has m) */
export function matVec(A: Mat, x: Float64Array, y: Float64Array, alpha = 1, beta = 0): void {
  checkMat('matVec', 'A', A);
  const m = A.rows;
  const n = A.cols;
  if (x.length !== n) {
    throw new Error(`matVec: A is ${shape(A)} but x has ${x.length} entries; x must have A.cols = ${n} entries`);
  }
  if (y.length !== m) {
    throw new Error(`matVec: A is ${shape(A)} but y has ${y.length} entries; y must have A.rows = ${m} entries`);
  }
  noAlias('matVec', 'y', y, 'A', A.data);
  noAlias('matVec', 'y', y, 'x', x);
  if (m === 0) return;
  const blas = blasFor(m * n, BLAS_MIN_GEMV);
  if (blas !== null) {
    blasMatVec(blas, false, m, n, A.data, x, y, alpha, beta);
    return;
  }
  if (gemvInWasm(m * n)) {
    wasmMatVec(false, m, n, A.data, x, y, alpha, beta);
    return;
  }
  const a = A.data;
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < n; j++) {
      const xj = x[j];
      s0 += a[r0 + j] * xj;
      s1 += a[r1 + j] * xj;
      s2 += a[r2 + j] * xj;
      s3 += a[r3 + j] * xj;
    }
    if (beta === 0) {
      y[i] = alpha * s0;
      y[i + 1] = alpha * s1;
      y[i + 2] = alpha * s2;
      y[i + 3] = alpha * s3;
    } else {
      y[i] = alpha * s0 + beta * y[i];
      y[i + 1] = alpha * s1 + beta * y[i + 1];
      y[i + 2] = alpha * s2 + beta * y[i + 2];
      y[i + 3] = alpha * s3 + beta * y[i + 3];
    }
  }
  for (; i < m; i++) {
    const r0 = i * n;
    let s0 = 0;
    for (let j = 0; j < n; j++) s0 += a[r0 + j] * x[j];
    y[i] = beta === 0 ? alpha * s0 : alpha * s0 + beta * y[i];
  }
}

/** y = alpha * Aᵀ x + beta * y   (A is m x n, x has m entries, y has n) */
export function matTVec(A: Mat, x: Float64Array, y: Float64Array, alpha = 1, beta = 0): void {
  checkMat('matTVec', 'A', A);
  const m = A.rows;
  const n = A.cols;
  if (x.length !== m) {
    throw new Error(`matTVec: A is ${shape(A)} but x has ${x.length} entries; x must have A.rows = ${m} entries`);
  }
  if (y.length !== n) {
    throw new Error(`matTVec: A is ${shape(A)} but y has ${y.length} entries; y must have A.cols = ${n} entries`);
  }
  noAlias('matTVec', 'y', y, 'A', A.data);
  noAlias('matTVec', 'y', y, 'x', x);
  if (n === 0) return;
  const blas = blasFor(m * n, BLAS_MIN_GEMV);
  if (blas !== null) {
    blasMatVec(blas, true, m, n, A.data, x, y, alpha, beta);
    return;
  }
  if (gemvInWasm(m * n)) {
    wasmMatVec(true, m, n, A.data, x, y, alpha, beta);
    return;
  }
  const a = A.data;
  if (beta === 0) y.fill(0);
  else if (beta !== 1) for (let j = 0; j < n; j++) y[j] *= beta;
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const x0 = alpha * x[i];
    const x1 = alpha * x[i + 1];
    const x2 = alpha * x[i + 2];
    const x3 = alpha * x[i + 3];
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    for (let j = 0; j < n; j++) {
      y[j] += x0 * a[r0 + j] + x1 * a[r1 + j] + x2 * a[r2 + j] + x3 * a[r3 + j];
    }
  }
  for (; i < m; i++) {
    const x0 = alpha * x[i];
    const r0 = i * n;
    for (let j = 0; j < n; j++) y[j] += x0 * a[r0 + j];
  }
}

/**
 * y = alpha op(A) x + beta y by BLAS dgemv, in place (A is m x n row-major). With an empty
 * contraction (n = 0 for A x, m = 0 for Aᵀ x) BLAS returns without touching y: y = beta y here.
 */
function blasMatVec(
  blas: Blas,
  trans: boolean,
  m: number,
  n: number,
  a: Float64Array,
  x: Float64Array,
  y: Float64Array,
  alpha: number,
  beta: number,
): void {
  if ((trans ? m : n) === 0) {
    scaleOut(y, beta);
    return;
  }
  blas.dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, m, n, alpha, a, n, x, 1, beta, y, 1);
}

/** y = alpha op(A) x + beta y in wasm; A (m x n) and x, y are copied in, y copied out. */
function wasmMatVec(
  trans: boolean,
  m: number,
  n: number,
  a: Float64Array,
  x: Float64Array,
  y: Float64Array,
  alpha: number,
  beta: number,
): void {
  const offA = 0;
  const offX = offA + even(a.length);
  const offY = offX + even(x.length);
  const h = arena(true, offY + y.length);
  h.set(a, offA);
  h.set(x, offX);
  if (beta !== 0) h.set(y, offY);
  const w = loadWasm() as WasmGemm;
  if (trans) w.gemvT(m, n, offA * 8, offX * 8, offY * 8, alpha, beta);
  else w.gemv(m, n, offA * 8, offX * 8, offY * 8, alpha, beta);
  y.set(h.subarray(offY, offY + y.length));
}

/** A += alpha * x yᵀ   (rank-1 / Hebbian update; x has A.rows entries, y has A.cols) */
export function outerAcc(A: Mat, x: Float64Array, y: Float64Array, alpha = 1): void {
  checkMat('outerAcc', 'A', A);
  const m = A.rows;
  const n = A.cols;
  if (x.length !== m) {
    throw new Error(`outerAcc: A is ${shape(A)} but x has ${x.length} entries; x must have A.rows = ${m} entries`);
  }
  if (y.length !== n) {
    throw new Error(`outerAcc: A is ${shape(A)} but y has ${y.length} entries; y must have A.cols = ${n} entries`);
  }
  noAlias('outerAcc', 'A', A.data, 'x', x);
  noAlias('outerAcc', 'A', A.data, 'y', y);
  if (m === 0 || n === 0) return;
  const blas = blasFor(m * n, BLAS_MIN_GER);
  if (blas !== null) {
    blas.dger(CblasRowMajor, m, n, alpha, x, 1, y, 1, A.data, n);
    return;
  }
  const a = A.data;
  for (let i = 0; i < m; i++) {
    const s = alpha * x[i];
    const r = i * n;
    for (let j = 0; j < n; j++) a[r + j] += s * y[j];
  }
}

// ---------------------------------------------------------------------------------------------
// matrix-matrix: packed GEMM with a WebAssembly SIMD backend and a TypeScript fallback

// Scratch arenas, grown to the largest product seen and then reused. For the wasm backend it is the
// module's linear memory (raw copies of A, B, C, then packed A, packed B and the padded product);
// for the TS backend a growable Float64Array (packed A, packed B, padded product).
let tsArena = new Float64Array(0);
let wasmView = new Float64Array(0);

function arena(useWasm: boolean, words: number): Float64Array {
  if (!useWasm) {
    if (tsArena.length < words) tsArena = new Float64Array(Math.max(words, tsArena.length * 2));
    return tsArena;
  }
  const w = loadWasm() as WasmGemm;
  const bytes = words * 8;
  const have = w.memory.buffer.byteLength;
  if (have < bytes) {
    const pages = Math.ceil((Math.max(bytes, have * 2) - have) / 65536);
    w.memory.grow(pages);
  }
  if (wasmView.buffer !== w.memory.buffer) wasmView = new Float64Array(w.memory.buffer);
  return wasmView;
}

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 96;

/**
 * TypeScript twin of gemmPacked in wasm/gemm.as.ts: h[pc..] (mp x np) = packed A * packed B.
 * pa, pb, pc are f64 indices into h.
 */
function gemmPackedTS(h: Float64Array, mp: number, np: number, k: number, pa: number, pb: number, pc: number): void {
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    const acc = p0 > 0;
    for (let ic = 0; ic < mp; ic += MC) {
      const mEnd = Math.min(ic + MC, mp);
      for (let j = 0; j < np; j += NR) {
        const bp = pb + j * k + p0 * NR;
        for (let i = ic; i < mEnd; i += MR) {
          let a = pa + i * k + p0 * MR;
          let b = bp;
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
          let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
          let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          for (let p = 0; p < kc; p++) {
            const b0 = h[b];
            const b1 = h[b + 1];
            const b2 = h[b + 2];
            const b3 = h[b + 3];
            let av = h[a];
            c00 += av * b0; c01 += av * b1; c02 += av * b2; c03 += av * b3;
            av = h[a + 1];
            c10 += av * b0; c11 += av * b1; c12 += av * b2; c13 += av * b3;
            av = h[a + 2];
            c20 += av * b0; c21 += av * b1; c22 += av * b2; c23 += av * b3;
            av = h[a + 3];
            c30 += av * b0; c31 += av * b1; c32 += av * b2; c33 += av * b3;
            a += 4;
            b += 4;
          }
          const r0 = pc + i * np + j;
          const r1 = r0 + np;
          const r2 = r1 + np;
          const r3 = r2 + np;
          if (acc) {
            h[r0] += c00; h[r0 + 1] += c01; h[r0 + 2] += c02; h[r0 + 3] += c03;
            h[r1] += c10; h[r1 + 1] += c11; h[r1 + 2] += c12; h[r1 + 3] += c13;
            h[r2] += c20; h[r2 + 1] += c21; h[r2 + 2] += c22; h[r2 + 3] += c23;
            h[r3] += c30; h[r3 + 1] += c31; h[r3 + 2] += c32; h[r3 + 3] += c33;
          } else {
            h[r0] = c00; h[r0 + 1] = c01; h[r0 + 2] = c02; h[r0 + 3] = c03;
            h[r1] = c10; h[r1 + 1] = c11; h[r1 + 2] = c12; h[r1 + 3] = c13;
            h[r2] = c20; h[r2 + 1] = c21; h[r2 + 2] = c22; h[r2 + 3] = c23;
            h[r3] = c30; h[r3 + 1] = c31; h[r3 + 2] = c32; h[r3 + 3] = c33;
          }
        }
      }
    }
  }
}

/**
 * C (m x n) = alpha * opA * opB + beta * C, where opA(i, p) = a[i*sai + p*sap] (m x k) and
 * opB(p, j) = b[p*sbp + j*sbj] (k x n): the product every matMul* runs, on the engine the backend
 * picks for its size. Shapes and aliasing are the caller's to check (the matMul* check them); the
 * views a and b should end where their operands end (the wasm engine copies them whole).
 */
export function gemmStrided(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  sai: number,
  sap: number,
  b: Float64Array,
  sbp: number,
  sbj: number,
  c: Float64Array,
  alpha: number,
  beta: number,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    scaleOut(c, beta);
    return;
  }
  const blas = blasFor(m * n * k, BLAS_MIN_GEMM);
  if (blas !== null && blasGemm(blas, m, n, k, a, sai, sap, b, sbp, sbj, c, alpha, beta)) return;
  const be = gemmEngine(m * n * k);
  if (be === 'ts-direct') {
    gemmDirect(m, n, k, a, sai, sap, b, sbp, sbj, c, alpha, beta);
    return;
  }
  const mp = Math.ceil(m / MR) * MR;
  const np = Math.ceil(n / NR) * NR;
  if (be === 'wasm') {
    // copy A, B (and C when beta != 0) into wasm memory; the module packs, multiplies, scales
    const offA = 0;
    const offB = offA + even(a.length);
    const offC = offB + even(b.length);
    const work = offC + even(m * n);
    const h = arena(true, work + mp * k + np * k + mp * np);
    h.set(a, offA);
    h.set(b, offB);
    if (beta !== 0) h.set(c, offC);
    (loadWasm() as WasmGemm).gemm(m, n, k, offA * 8, sai, sap, offB * 8, sbp, sbj, offC * 8, alpha, beta, work * 8);
    c.set(h.subarray(offC, offC + m * n));
    return;
  }
  // TypeScript fallback: same packing and loop nest as the wasm module, in a JS scratch arena
  const pa = 0;
  const pb = pa + mp * k;
  const pc = pb + np * k;
  const h = arena(false, pc + mp * np);

  // pack A into row panels of MR: h[pa + (i0*k + p*MR) + ii] = opA(i0 + ii, p), zero-padded
  for (let i0 = 0; i0 < mp; i0 += MR) {
    const base = pa + i0 * k;
    const rows = Math.min(MR, m - i0);
    if (rows === MR) {
      const o0 = i0 * sai;
      const o1 = o0 + sai;
      const o2 = o1 + sai;
      const o3 = o2 + sai;
      for (let p = 0, d = base, op = 0; p < k; p++, d += MR, op += sap) {
        h[d] = a[o0 + op];
        h[d + 1] = a[o1 + op];
        h[d + 2] = a[o2 + op];
        h[d + 3] = a[o3 + op];
      }
    } else {
      for (let p = 0, d = base; p < k; p++, d += MR) {
        for (let ii = 0; ii < MR; ii++) h[d + ii] = ii < rows ? a[(i0 + ii) * sai + p * sap] : 0;
      }
    }
  }
  // pack B into column panels of NR: h[pb + (j0*k + p*NR) + jj] = opB(p, j0 + jj), zero-padded
  for (let j0 = 0; j0 < np; j0 += NR) {
    const base = pb + j0 * k;
    const cols = Math.min(NR, n - j0);
    if (cols === NR) {
      const o0 = j0 * sbj;
      const o1 = o0 + sbj;
      const o2 = o1 + sbj;
      const o3 = o2 + sbj;
      for (let p = 0, d = base, op = 0; p < k; p++, d += NR, op += sbp) {
        h[d] = b[o0 + op];
        h[d + 1] = b[o1 + op];
        h[d + 2] = b[o2 + op];
        h[d + 3] = b[o3 + op];
      }
    } else {
      for (let p = 0, d = base; p < k; p++, d += NR) {
        for (let jj = 0; jj < NR; jj++) h[d + jj] = jj < cols ? b[p * sbp + (j0 + jj) * sbj] : 0;
      }
    }
  }

  gemmPackedTS(h, mp, np, k, pa, pb, pc);

  // C = alpha * product + beta * C
  for (let i = 0; i < m; i++) {
    const src = pc + i * np;
    const dst = i * n;
    if (beta === 0) {
      if (alpha === 1) for (let j = 0; j < n; j++) c[dst + j] = h[src + j];
      else for (let j = 0; j < n; j++) c[dst + j] = alpha * h[src + j];
    } else {
      for (let j = 0; j < n; j++) c[dst + j] = alpha * h[src + j] + beta * c[dst + j];
    }
  }
}

/**
 * How BLAS sees a strided operand op(i, p) = x[i·sRow + p·sCol] (rows x cols): row-major as stored
 * (sCol = 1) or transposed (sRow = 1), with its leading dimension; null when neither stride is 1
 * (not reachable through the public kernels). A single row or column takes any leading dimension
 * >= its length, as CBLAS requires.
 */
function blasOperand(rows: number, cols: number, sRow: number, sCol: number): [number, number] | null {
  if (sCol === 1 && (rows <= 1 || sRow >= cols)) return [CblasNoTrans, rows <= 1 ? Math.max(cols, 1) : sRow];
  if (sRow === 1 && (cols <= 1 || sCol >= rows)) return [CblasTrans, cols <= 1 ? Math.max(rows, 1) : sCol];
  return null;
}

/**
 * C (m x n, contiguous) = alpha opA opB + beta C by BLAS dgemm, in place on the callers' arrays
 * (views start at the operands' first elements); false when a stride pattern is not expressible.
 */
function blasGemm(
  blas: Blas,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  sai: number,
  sap: number,
  b: Float64Array,
  sbp: number,
  sbj: number,
  c: Float64Array,
  alpha: number,
  beta: number,
): boolean {
  const opA = blasOperand(m, k, sai, sap);
  const opB = blasOperand(k, n, sbp, sbj);
  if (opA === null || opB === null) return false;
  blas.dgemm(CblasRowMajor, opA[0], opB[0], m, n, k, alpha, a, opA[1], b, opB[1], beta, c, n);
  return true;
}

/** Round up to an even number of f64s (16-byte alignment for the SIMD loads; the TypeScript workspace lays out alike). @internal */
export function even(x: number): number {
  return x + (x & 1);
}

function scaleOut(c: Float64Array, beta: number): void {
  if (beta === 0) c.fill(0);
  else if (beta !== 1) scale(c, beta);
}

/** Plain loops for small products (no packing); also the reference-style path in tests. */
function gemmDirect(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  sai: number,
  sap: number,
  b: Float64Array,
  sbp: number,
  sbj: number,
  c: Float64Array,
  alpha: number,
  beta: number,
): void {
  if (sbj === 1) {
    // rows of opB are contiguous: C[i,:] = beta*C[i,:] + sum_p (alpha*opA(i,p)) * opB(p,:)
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      if (beta === 0) for (let j = 0; j < n; j++) c[ci + j] = 0;
      else if (beta !== 1) for (let j = 0; j < n; j++) c[ci + j] *= beta;
      const ai = i * sai;
      let p = 0;
      for (; p + 1 < k; p += 2) {
        const a0 = alpha * a[ai + p * sap];
        const a1 = alpha * a[ai + (p + 1) * sap];
        const b0 = p * sbp;
        const b1 = b0 + sbp;
        for (let j = 0; j < n; j++) c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j];
      }
      if (p < k) {
        const a0 = alpha * a[ai + p * sap];
        const b0 = p * sbp;
        for (let j = 0; j < n; j++) c[ci + j] += a0 * b[b0 + j];
      }
    }
  } else {
    // general strides (used for A Bᵀ, where opB(:, j) is contiguous): dot products
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      const ai = i * sai;
      for (let j = 0; j < n; j++) {
        const bj = j * sbj;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p * sap] * b[bj + p * sbp];
        c[ci + j] = beta === 0 ? alpha * s : alpha * s + beta * c[ci + j];
      }
    }
  }
}

function checkGemmAlias(fn: string, A: Mat, B: Mat, C: Mat): void {
  noAlias(fn, 'C', C.data, 'A', A.data);
  noAlias(fn, 'C', C.data, 'B', B.data);
}

/** C = alpha * A B + beta * C   (A m x k, B k x n, C m x n) */
export function matMul(A: Mat, B: Mat, C: Mat, alpha = 1, beta = 0): void {
  const fn = 'matMul';
  checkMat(fn, 'A', A);
  checkMat(fn, 'B', B);
  checkMat(fn, 'C', C);
  if (A.cols !== B.rows) {
    throw new Error(`${fn}: A is ${shape(A)} but B is ${shape(B)}; B must have A.cols = ${A.cols} rows`);
  }
  if (C.rows !== A.rows || C.cols !== B.cols) {
    throw new Error(`${fn}: A is ${shape(A)} and B is ${shape(B)} but C is ${shape(C)}; C must be ${A.rows}x${B.cols}`);
  }
  checkGemmAlias(fn, A, B, C);
  const k = A.cols;
  const n = B.cols;
  gemmStrided(A.rows, n, k, A.data, k, 1, B.data, n, 1, C.data, alpha, beta);
}

/** C = alpha * Aᵀ B + beta * C   (A k x m, B k x n, C m x n) */
export function matMulTA(A: Mat, B: Mat, C: Mat, alpha = 1, beta = 0): void {
  const fn = 'matMulTA';
  checkMat(fn, 'A', A);
  checkMat(fn, 'B', B);
  checkMat(fn, 'C', C);
  if (A.rows !== B.rows) {
    throw new Error(`${fn}: A is ${shape(A)} but B is ${shape(B)}; Aᵀ B needs B to have A.rows = ${A.rows} rows`);
  }
  if (C.rows !== A.cols || C.cols !== B.cols) {
    throw new Error(`${fn}: A is ${shape(A)} and B is ${shape(B)} but C is ${shape(C)}; C = Aᵀ B must be ${A.cols}x${B.cols}`);
  }
  checkGemmAlias(fn, A, B, C);
  const m = A.cols;
  const n = B.cols;
  gemmStrided(m, n, A.rows, A.data, 1, m, B.data, n, 1, C.data, alpha, beta);
}

/** C = alpha * A Bᵀ + beta * C   (A m x k, B n x k, C m x n) */
export function matMulTB(A: Mat, B: Mat, C: Mat, alpha = 1, beta = 0): void {
  const fn = 'matMulTB';
  checkMat(fn, 'A', A);
  checkMat(fn, 'B', B);
  checkMat(fn, 'C', C);
  if (A.cols !== B.cols) {
    throw new Error(`${fn}: A is ${shape(A)} but B is ${shape(B)}; A Bᵀ needs B to have A.cols = ${A.cols} columns`);
  }
  if (C.rows !== A.rows || C.cols !== B.rows) {
    throw new Error(`${fn}: A is ${shape(A)} and B is ${shape(B)} but C is ${shape(C)}; C = A Bᵀ must be ${A.rows}x${B.rows}`);
  }
  checkGemmAlias(fn, A, B, C);
  const k = A.cols;
  gemmStrided(A.rows, B.rows, k, A.data, k, 1, B.data, 1, k, C.data, alpha, beta);
}

/**
 * A += alpha * Xᵀ Y = alpha * Σ_b x_b y_bᵀ   (X is batch x A.rows, Y is batch x A.cols):
 * the summed per-sample outer products of a mini-batch.
 */
export function batchOuterAcc(A: Mat, X: Mat, Y: Mat, alpha = 1): void {
  const fn = 'batchOuterAcc';
  checkMat(fn, 'A', A);
  checkMat(fn, 'X', X);
  checkMat(fn, 'Y', Y);
  if (X.rows !== Y.rows) {
    throw new Error(`${fn}: X is ${shape(X)} but Y is ${shape(Y)}; X and Y must have the same number of rows (the batch size)`);
  }
  if (X.cols !== A.rows || Y.cols !== A.cols) {
    throw new Error(
      `${fn}: A is ${shape(A)} but X is ${shape(X)} and Y is ${shape(Y)}; X must be batch x A.rows = ${X.rows}x${A.rows} and Y batch x A.cols = ${Y.rows}x${A.cols}`,
    );
  }
  noAlias(fn, 'A', A.data, 'X', X.data);
  noAlias(fn, 'A', A.data, 'Y', Y.data);
  gemmStrided(A.rows, A.cols, X.rows, X.data, 1, A.rows, Y.data, A.cols, 1, A.data, alpha, 1);
}

// ---------------------------------------------------------------------------------------------
// whole-matrix helpers

/** out = Aᵀ   (out must be A.cols x A.rows and must not overlap A) */
export function transpose(A: Mat, out: Mat): void {
  checkMat('transpose', 'A', A);
  checkMat('transpose', 'out', out);
  if (out.rows !== A.cols || out.cols !== A.rows) {
    throw new Error(`transpose: A is ${shape(A)} but out is ${shape(out)}; out must be ${A.cols}x${A.rows}`);
  }
  noAlias('transpose', 'out', out.data, 'A', A.data);
  const m = A.rows;
  const n = A.cols;
  const a = A.data;
  const o = out.data;
  const T = 32;
  for (let i0 = 0; i0 < m; i0 += T) {
    const i1 = Math.min(i0 + T, m);
    for (let j0 = 0; j0 < n; j0 += T) {
      const j1 = Math.min(j0 + T, n);
      for (let i = i0; i < i1; i++) {
        const r = i * n;
        for (let j = j0; j < j1; j++) o[j * m + i] = a[r + j];
      }
    }
  }
}

/** Frobenius norm ‖A‖_F */
export function frobenius(A: Mat): number {
  checkMat('frobenius', 'A', A);
  return norm2(A.data);
}

// ---------------------------------------------------------------------------------------------
// resident operands: a private wasm instance for small dense loops

/**
 * 2^{j/256}, j = 0 … 255: the table of the tanh of `WasmWorkspace.tanh` / `rateStep` (and of
 * workspace.ts's `tanh1`, which computes tanh with the same operations, bit for bit).
 */
export function exp2Table256(): Float64Array {
  const t = new Float64Array(256);
  for (let j = 0; j < 256; j++) t[j] = Math.pow(2, j / 256);
  return t;
}

/**
 * A private instance of the wasm module whose linear memory holds a caller's operands for a whole
 * loop: no copy in or out per call, and small products without packing (`mulRows`). For loops of
 * many cheap steps on small matrices (a few tens of columns), where the copy-and-pack of the
 * general products costs more than the arithmetic. The `Workspace` of workspace.ts, whose
 * `TsWorkspace` runs the same kernels as TypeScript loops (`createWorkspace` picks one).
 *
 * Usage: `alloc` every region first (sizes in f64s; it returns an f64 index, 16-byte aligned, and
 * may grow the memory, which detaches views taken earlier), call `reserveGemm` for every packed
 * product, then take the view `f64` once and write operands through it. Kernels take f64 indices
 * into that view; each call checks in O(1) that what it writes lies inside the allocated regions
 * (reads are the caller's responsibility, as with raw offsets anywhere). Index 0 is never
 * allocated, so 0 means "none" in optional arguments.
 *
 * The tanh (`tanh`, `rateStep` with act 'tanh') is 1 − 2/(e^{2x} + 1) with e^z = 2^{k/256}·p(r),
 * |r| ≤ ln2/512, a degree-4 polynomial p and a table of 2^{j/256}: absolute error ≤ 5e-16 against
 * Math.tanh (test/kernels.test.ts), saturating at ±1 beyond |x| = 19.1, NaN in gives NaN out.
 */
export class WasmWorkspace implements Workspace {
  private top = 2;
  private workAt = 0;
  private workWords = 0;
  private view: Float64Array;
  private readonly tab: number;

  private constructor(private readonly ex: WasmResident) {
    this.view = new Float64Array(ex.memory.buffer);
    this.tab = this.alloc(256);
    this.f64.set(exp2Table256(), this.tab);
  }

  /** A new workspace, or null when WebAssembly SIMD is not available (use TypeScript loops then). */
  static create(): WasmWorkspace | null {
    const module = wasmAllowed() ? compiledWasm() : null;
    if (module === null) return null;
    const inst = new (wasmApi().Instance)(module, {});
    return new WasmWorkspace(inst.exports as unknown as WasmResident);
  }

  /** Reserves `words` f64s (zeroed) and returns the f64 index of the first. Detaches older views. */
  alloc(words: number): number {
    if (!(Number.isInteger(words) && words >= 0)) throw new Error(`WasmWorkspace.alloc: words must be an integer >= 0 (got ${words})`);
    const at = this.top;
    this.top = at + even(words);
    const bytes = this.top * 8;
    const mem = this.ex.memory;
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    if (this.view.buffer !== mem.buffer) this.view = new Float64Array(mem.buffer);
    return at;
  }

  /** The memory as f64s (valid until the next alloc/reserveGemm). */
  get f64(): Float64Array {
    return this.view;
  }

  /** f64s allocated so far. */
  get size(): number {
    return this.top;
  }

  /** Makes room for the packing scratch of `gemm` with these sizes (allocate before taking views). */
  reserveGemm(m: number, n: number, k: number): void {
    const words = Math.ceil(m / MR) * MR * k + Math.ceil(n / NR) * NR * k + Math.ceil(m / MR) * MR * Math.ceil(n / NR) * NR;
    if (words > this.workWords) {
      this.workAt = this.alloc(words);
      this.workWords = words;
    }
  }

  private out(fn: string, at: number, words: number): void {
    if (!(at >= 2 && at + words <= this.top)) {
      throw new Error(`WasmWorkspace.${fn}: output [${at}, ${at + words}) is outside the allocated regions [2, ${this.top}); alloc it first`);
    }
  }

  /** C (m x n, row stride ldc) = A (m x k, row stride lda) · Bt (k x n, row stride ldb), or C += A·Bt when accumulate. */
  mulRows(m: number, n: number, k: number, a: number, lda: number, bt: number, ldb: number, c: number, ldc: number, accumulate = false): void {
    if (m === 0 || n === 0) return;
    this.out('mulRows', c, (m - 1) * ldc + n);
    this.ex.mulRows(m, n, k, a * 8, lda, bt * 8, ldb, c * 8, ldc, accumulate ? 1 : 0);
  }

  /**
   * Packed product on resident operands, as the general kernels' gemm: C (m x n, contiguous) =
   * alpha·opA·opB + beta·C with opA(i, p) = f64[a + i·sai + p·sap], opB(p, j) = f64[b + p·sbp + j·sbj].
   * Needs reserveGemm(m, n, k) (or larger) beforehand; m, n, k >= 1. Runs on BLAS, in place on
   * this memory, under the 'blas' backend and under 'auto' from BLAS_MIN_RESIDENT multiply-adds.
   */
  gemm(m: number, n: number, k: number, a: number, sai: number, sap: number, b: number, sbp: number, sbj: number, c: number, alpha: number, beta: number): void {
    this.out('gemm', c, m * n);
    const need = Math.ceil(m / MR) * MR * k + Math.ceil(n / NR) * NR * k + Math.ceil(m / MR) * MR * Math.ceil(n / NR) * NR;
    if (need > this.workWords) throw new Error(`WasmWorkspace.gemm: a ${m}x${k} by ${k}x${n} product needs reserveGemm(${m}, ${n}, ${k}) first`);
    if (m === 0 || n === 0 || k === 0) throw new Error(`WasmWorkspace.gemm: sizes must be >= 1 (got ${m}, ${n}, ${k})`);
    const blas = blasFor(m * n * k, BLAS_MIN_RESIDENT);
    const v = this.view;
    if (blas !== null && blasGemm(blas, m, n, k, v.subarray(a), sai, sap, v.subarray(b), sbp, sbj, v.subarray(c, c + m * n), alpha, beta)) return;
    this.ex.gemm(m, n, k, a * 8, sai, sap, b * 8, sbp, sbj, c * 8, alpha, beta, this.workAt * 8);
  }

  /** x[i] = x[i]·alpha, i < n (bit for bit the scalar product of each entry). */
  scale(x: number, n: number, alpha: number): void {
    this.out('scale', x, n);
    this.ex.scaleArray(x * 8, n, alpha);
  }

  /** dst[i] = tanh(src[i]), i < n (dst may be src). */
  tanh(src: number, dst: number, n: number): void {
    this.out('tanh', dst, n);
    this.ex.tanhArray(src * 8, dst * 8, n, this.tab * 8);
  }

  /**
   * One forward-Euler step of a layer of leaky rate units, m rows (samples) x n units, row-major
   * with row stride n except the input `inp` (row stride ldi), fused into one call:
   *   first (mode 'store' / 'add'): d = φ(v) − φ(vff) = rin − φ(vff), stored or added into d (φ(vff) read from phiff when phiff != 0);
   *   v += c·((vff + inp) − v), then v += noise when noise != 0;  r = φ(v).
   * Returns Σ of the new v (in the pass that writes it; NaN or ±∞ when an entry is), for the
   * caller's divergence check.
   * rin holds the rates before the step (φ of the old v); it may be r itself, or another buffer
   * (a caller that keeps a history of rates). φ is tanh or the identity. Indices are f64
   * indices; 0 for unused optional arrays.
   */
  rateStep(m: number, n: number, a: RateStepArgs): number {
    this.out('rateStep', a.v, m * n);
    this.out('rateStep', a.r, m * n);
    if (a.mode !== 'none') this.out('rateStep', a.d, m * n);
    const mode = a.mode === 'none' ? 0 : a.mode === 'store' ? 1 : 2;
    return this.ex.rateStep(m, n, a.v * 8, a.vff * 8, a.phiff * 8, a.inp * 8, a.ldi, a.rin * 8, a.r * 8, a.c, a.act === 'tanh' ? 1 : 0, mode, a.d * 8, a.noise * 8, this.tab * 8);
  }

  /** See `Workspace.piStep` (workspace.ts). */
  piStep(n: number, a: PiStepArgs): number {
    this.out('piStep', a.u1, n);
    this.out('piStep', a.e, n);
    this.out('piStep', a.out, n);
    this.out('piStep', a.peak, 1);
    return this.ex.piStep(n, a.u0 * 8, a.u1 * 8, a.e * 8, a.out * 8, a.target * 8, a.r * 8, a.c, a.alpha, a.kp, a.watch * 8, a.peak * 8);
  }
}
