// @ts-nocheck — this file is AssemblyScript, not TypeScript (the comment keeps the project's tsc
// quiet about AssemblyScript types). It is compiled by `npx tsx src/linalg/wasm/build.ts`
// (AssemblyScript 0.28.20 via npx) into gemm-bytes.ts, which src/linalg/kernels.ts loads.
//
// f64 kernels with WebAssembly SIMD (f64x2): packed GEMM with a 4x4 register-blocked
// micro-kernel (gemm, gemmPacked) and matrix-vector products (gemv, gemvT); for callers whose
// operands stay in this memory (WasmWorkspace in kernels.ts), unpacked small products (mulRows),
// tanh (tanhArray) and a fused Euler step of a leaky rate layer (rateStep). No static data: the
// caller owns every byte of memory (the tanh table included).
//
// Entry point: gemm(), which packs, multiplies and writes C = alpha*op(A)op(B) + beta*C, all in
// this module's memory (the caller copies A, B, and C when beta != 0, in and C out).
//
// Packed layout (byte addresses derived from `work`):
//   pa: A packed in panels of MR rows:  panel r (rows r*MR .. r*MR+MR-1), for p in 0..k: MR values
//       -> address pa + (r*k + p)*MR*8.  Rows past m are zero.
//   pb: B packed in panels of NR cols:  panel s (cols s*NR ..), for p in 0..k: NR values
//       -> address pb + (s*k + p)*NR*8.  Columns past n are zero.
//   pc: padded product (mp x np, row-major, mp = ceil(m/MR)*MR, np = ceil(n/NR)*NR); overwritten with A*B.
//
// Loop order (BLIS-like): k-blocks of KC, then row blocks of MC, then B panels, then A panels,
// so one B panel slice (KC*NR*8 bytes) stays in L1 and an MC x KC block of A stays in L2.

const MR: i32 = 4;
const NR: i32 = 4;
const KC: i32 = 256;
const MC: i32 = 96;

function kernel4x4(a: usize, b: usize, c: usize, ldcBytes: usize, kc: i32, acc: bool): void {
  let c00 = f64x2.splat(0.0), c01 = f64x2.splat(0.0);
  let c10 = f64x2.splat(0.0), c11 = f64x2.splat(0.0);
  let c20 = f64x2.splat(0.0), c21 = f64x2.splat(0.0);
  let c30 = f64x2.splat(0.0), c31 = f64x2.splat(0.0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load64_splat(a);
    c00 = f64x2.add(c00, f64x2.mul(av, b0));
    c01 = f64x2.add(c01, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 8);
    c10 = f64x2.add(c10, f64x2.mul(av, b0));
    c11 = f64x2.add(c11, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 16);
    c20 = f64x2.add(c20, f64x2.mul(av, b0));
    c21 = f64x2.add(c21, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 24);
    c30 = f64x2.add(c30, f64x2.mul(av, b0));
    c31 = f64x2.add(c31, f64x2.mul(av, b1));
    a += 32;
    b += 32;
  }
  let r0 = c, r1 = c + ldcBytes, r2 = c + 2 * ldcBytes, r3 = c + 3 * ldcBytes;
  if (acc) {
    c00 = f64x2.add(c00, v128.load(r0)); c01 = f64x2.add(c01, v128.load(r0, 16));
    c10 = f64x2.add(c10, v128.load(r1)); c11 = f64x2.add(c11, v128.load(r1, 16));
    c20 = f64x2.add(c20, v128.load(r2)); c21 = f64x2.add(c21, v128.load(r2, 16));
    c30 = f64x2.add(c30, v128.load(r3)); c31 = f64x2.add(c31, v128.load(r3, 16));
  }
  v128.store(r0, c00); v128.store(r0, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
}

/** C (mp x np) = Apacked * Bpacked; mp, np multiples of 4; k >= 1. */
export function gemmPacked(mp: i32, np: i32, k: i32, pa: usize, pb: usize, pc: usize): void {
  const ldcBytes = <usize>np * 8;
  for (let pc0 = 0; pc0 < k; pc0 += KC) {
    const kc = min(KC, k - pc0);
    const acc = pc0 > 0;
    for (let ic = 0; ic < mp; ic += MC) {
      const mEnd = min(ic + MC, mp);
      for (let j = 0; j < np; j += NR) {
        const bp = pb + ((<usize>j * <usize>k + <usize>pc0 * NR) << 3);
        for (let i = ic; i < mEnd; i += MR) {
          const ap = pa + ((<usize>i * <usize>k + <usize>pc0 * MR) << 3);
          kernel4x4(ap, bp, pc + ((<usize>i * <usize>np + <usize>j) << 3), ldcBytes, kc, acc);
        }
      }
    }
  }
}

/**
 * C (m x n, row-major at byte address c) = alpha * opA * opB + beta * C, where
 * opA(i, p) = f64 at a + 8*(i*sai + p*sap)  (m x k) and opB(p, j) = f64 at b + 8*(p*sbp + j*sbj)
 * (k x n). `work` is the byte address of scratch space of
 * 8*(mp*k + np*k + mp*np) bytes, mp = ceil(m/4)*4, np = ceil(n/4)*4. Needs m, n, k >= 1.
 * With beta == 0 the old C is not read.
 */
export function gemm(
  m: i32, n: i32, k: i32,
  a: usize, sai: i32, sap: i32,
  b: usize, sbp: i32, sbj: i32,
  c: usize, alpha: f64, beta: f64,
  work: usize,
): void {
  const mp = (m + MR - 1) / MR * MR;
  const np = (n + NR - 1) / NR * NR;
  const pa = work;
  const pb = pa + ((<usize>mp * <usize>k) << 3);
  const pp = pb + ((<usize>np * <usize>k) << 3);
  // pack A into row panels of MR (zero-padded)
  for (let i0 = 0; i0 < mp; i0 += MR) {
    let d = pa + ((<usize>i0 * <usize>k) << 3);
    const rows = min(MR, m - i0);
    if (rows == MR) {
      const o0 = a + ((<usize>(i0 * sai)) << 3);
      const o1 = o0 + ((<usize>sai) << 3);
      const o2 = o1 + ((<usize>sai) << 3);
      const o3 = o2 + ((<usize>sai) << 3);
      const step = (<usize>sap) << 3;
      let op: usize = 0;
      for (let p = 0; p < k; p++) {
        store<f64>(d, load<f64>(o0 + op));
        store<f64>(d, load<f64>(o1 + op), 8);
        store<f64>(d, load<f64>(o2 + op), 16);
        store<f64>(d, load<f64>(o3 + op), 24);
        op += step;
        d += MR << 3;
      }
    } else {
      for (let p = 0; p < k; p++) {
        for (let ii = 0; ii < MR; ii++) {
          store<f64>(d + (<usize>ii << 3), ii < rows ? load<f64>(a + ((<usize>((i0 + ii) * sai + p * sap)) << 3)) : 0.0);
        }
        d += MR << 3;
      }
    }
  }
  // pack B into column panels of NR (zero-padded)
  for (let j0 = 0; j0 < np; j0 += NR) {
    let d = pb + ((<usize>j0 * <usize>k) << 3);
    const cols = min(NR, n - j0);
    if (cols == NR && sbj == 1) {
      let o = b + ((<usize>j0) << 3);
      const step = (<usize>sbp) << 3;
      for (let p = 0; p < k; p++) {
        v128.store(d, v128.load(o));
        v128.store(d, v128.load(o, 16), 16);
        o += step;
        d += NR << 3;
      }
    } else if (cols == NR) {
      const o0 = b + ((<usize>(j0 * sbj)) << 3);
      const o1 = o0 + ((<usize>sbj) << 3);
      const o2 = o1 + ((<usize>sbj) << 3);
      const o3 = o2 + ((<usize>sbj) << 3);
      const step = (<usize>sbp) << 3;
      let op: usize = 0;
      for (let p = 0; p < k; p++) {
        store<f64>(d, load<f64>(o0 + op));
        store<f64>(d, load<f64>(o1 + op), 8);
        store<f64>(d, load<f64>(o2 + op), 16);
        store<f64>(d, load<f64>(o3 + op), 24);
        op += step;
        d += NR << 3;
      }
    } else {
      for (let p = 0; p < k; p++) {
        for (let jj = 0; jj < NR; jj++) {
          store<f64>(d + (<usize>jj << 3), jj < cols ? load<f64>(b + ((<usize>(p * sbp + (j0 + jj) * sbj)) << 3)) : 0.0);
        }
        d += NR << 3;
      }
    }
  }
  gemmPacked(mp, np, k, pa, pb, pp);
  // C = alpha * product + beta * C
  for (let i = 0; i < m; i++) {
    const src = pp + ((<usize>i * <usize>np) << 3);
    const dst = c + ((<usize>i * <usize>n) << 3);
    if (beta == 0.0) {
      for (let j = 0; j < n; j++) {
        const o = <usize>j << 3;
        store<f64>(dst + o, alpha * load<f64>(src + o));
      }
    } else {
      for (let j = 0; j < n; j++) {
        const o = <usize>j << 3;
        store<f64>(dst + o, alpha * load<f64>(src + o) + beta * load<f64>(dst + o));
      }
    }
  }
}

/**
 * y = alpha * A x + beta * y, A (m x n, row-major at byte address a), x (n) at x, y (m) at y.
 * With beta == 0 the old y is not read.
 */
export function gemv(m: i32, n: i32, a: usize, x: usize, y: usize, alpha: f64, beta: f64): void {
  const rowBytes = <usize>n << 3;
  const n2 = n & ~1;
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const r0 = a + <usize>i * rowBytes;
    const r1 = r0 + rowBytes;
    const r2 = r1 + rowBytes;
    const r3 = r2 + rowBytes;
    let s0 = f64x2.splat(0.0), s1 = f64x2.splat(0.0), s2 = f64x2.splat(0.0), s3 = f64x2.splat(0.0);
    for (let j = 0; j < n2; j += 2) {
      const o = <usize>j << 3;
      const xv = v128.load(x + o);
      s0 = f64x2.add(s0, f64x2.mul(v128.load(r0 + o), xv));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(r1 + o), xv));
      s2 = f64x2.add(s2, f64x2.mul(v128.load(r2 + o), xv));
      s3 = f64x2.add(s3, f64x2.mul(v128.load(r3 + o), xv));
    }
    let t0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
    let t1 = f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
    let t2 = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
    let t3 = f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1);
    if (n2 < n) {
      const o = <usize>n2 << 3;
      const xv = load<f64>(x + o);
      t0 += load<f64>(r0 + o) * xv;
      t1 += load<f64>(r1 + o) * xv;
      t2 += load<f64>(r2 + o) * xv;
      t3 += load<f64>(r3 + o) * xv;
    }
    const yo = y + (<usize>i << 3);
    if (beta == 0.0) {
      store<f64>(yo, alpha * t0);
      store<f64>(yo, alpha * t1, 8);
      store<f64>(yo, alpha * t2, 16);
      store<f64>(yo, alpha * t3, 24);
    } else {
      store<f64>(yo, alpha * t0 + beta * load<f64>(yo));
      store<f64>(yo, alpha * t1 + beta * load<f64>(yo, 8), 8);
      store<f64>(yo, alpha * t2 + beta * load<f64>(yo, 16), 16);
      store<f64>(yo, alpha * t3 + beta * load<f64>(yo, 24), 24);
    }
  }
  for (; i < m; i++) {
    const r0 = a + <usize>i * rowBytes;
    let s0 = f64x2.splat(0.0);
    for (let j = 0; j < n2; j += 2) {
      const o = <usize>j << 3;
      s0 = f64x2.add(s0, f64x2.mul(v128.load(r0 + o), v128.load(x + o)));
    }
    let t0 = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
    if (n2 < n) t0 += load<f64>(r0 + (<usize>n2 << 3)) * load<f64>(x + (<usize>n2 << 3));
    const yo = y + (<usize>i << 3);
    store<f64>(yo, beta == 0.0 ? alpha * t0 : alpha * t0 + beta * load<f64>(yo));
  }
}

/**
 * y = alpha * Aᵀ x + beta * y, A (m x n, row-major at a), x (m) at x, y (n) at y.
 * With beta == 0 the old y is not read.
 */
export function gemvT(m: i32, n: i32, a: usize, x: usize, y: usize, alpha: f64, beta: f64): void {
  const rowBytes = <usize>n << 3;
  const n2 = n & ~1;
  if (beta == 0.0) memory.fill(y, 0, rowBytes);
  else if (beta != 1.0) for (let j = 0; j < n; j++) store<f64>(y + (<usize>j << 3), beta * load<f64>(y + (<usize>j << 3)));
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const r0 = a + <usize>i * rowBytes;
    const r1 = r0 + rowBytes;
    const r2 = r1 + rowBytes;
    const r3 = r2 + rowBytes;
    const xo = x + (<usize>i << 3);
    const x0 = alpha * load<f64>(xo), x1 = alpha * load<f64>(xo, 8), x2 = alpha * load<f64>(xo, 16), x3 = alpha * load<f64>(xo, 24);
    const v0 = f64x2.splat(x0), v1 = f64x2.splat(x1), v2 = f64x2.splat(x2), v3 = f64x2.splat(x3);
    for (let j = 0; j < n2; j += 2) {
      const o = <usize>j << 3;
      const s = f64x2.add(
        f64x2.add(f64x2.mul(v0, v128.load(r0 + o)), f64x2.mul(v1, v128.load(r1 + o))),
        f64x2.add(f64x2.mul(v2, v128.load(r2 + o)), f64x2.mul(v3, v128.load(r3 + o))),
      );
      v128.store(y + o, f64x2.add(v128.load(y + o), s));
    }
    if (n2 < n) {
      const o = <usize>n2 << 3;
      store<f64>(y + o, load<f64>(y + o) + ((x0 * load<f64>(r0 + o) + x1 * load<f64>(r1 + o)) + (x2 * load<f64>(r2 + o) + x3 * load<f64>(r3 + o))));
    }
  }
  for (; i < m; i++) {
    const r0 = a + <usize>i * rowBytes;
    const x0 = alpha * load<f64>(x + (<usize>i << 3));
    const v0 = f64x2.splat(x0);
    for (let j = 0; j < n2; j += 2) {
      const o = <usize>j << 3;
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(v0, v128.load(r0 + o))));
    }
    if (n2 < n) {
      const o = <usize>n2 << 3;
      store<f64>(y + o, load<f64>(y + o) + x0 * load<f64>(r0 + o));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Resident-operand kernels. A caller that keeps its operands in this module's memory for a whole
// loop (WasmWorkspace in kernels.ts: its own instance of this module) calls these with byte
// addresses and copies nothing per call. They serve small dense loops (a few tens of units, a
// batch of rows), where packing and copying would cost more than the arithmetic.

/**
 * C (m x n) = A (m x k) · Bt (k x n), or C += A · Bt when acc != 0. Row strides lda, ldb, ldc in
 * f64s. No packing: Bt should fit in L1 (k*n up to a few thousand). Every entry is summed in the
 * order p = 0 … k−1, then added to the old C when acc != 0. Columns in blocks of 8 (four f64x2
 * accumulators), then 2, then 1; rows in pairs where possible (one load of Bt serves two rows), a
 * last odd row alone.
 */
export function mulRows(m: i32, n: i32, k: i32, a: usize, lda: i32, bt: usize, ldb: i32, c: usize, ldc: i32, acc: i32): void {
  const ldaB = <usize>lda << 3;
  const ldbB = <usize>ldb << 3;
  const ldcB = <usize>ldc << 3;
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = a + <usize>i * ldaB;
    const a1 = a0 + ldaB;
    const c0 = c + <usize>i * ldcB;
    const c1 = c0 + ldcB;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const jo = <usize>j << 3;
      let s0 = f64x2.splat(0.0), s1 = f64x2.splat(0.0), s2 = f64x2.splat(0.0), s3 = f64x2.splat(0.0);
      let t0 = f64x2.splat(0.0), t1 = f64x2.splat(0.0), t2 = f64x2.splat(0.0), t3 = f64x2.splat(0.0);
      let bp = bt + jo;
      for (let p = 0; p < k; p++) {
        const po = <usize>p << 3;
        const x0 = v128.load64_splat(a0 + po);
        const x1 = v128.load64_splat(a1 + po);
        const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
        s0 = f64x2.add(s0, f64x2.mul(x0, b0)); s1 = f64x2.add(s1, f64x2.mul(x0, b1));
        s2 = f64x2.add(s2, f64x2.mul(x0, b2)); s3 = f64x2.add(s3, f64x2.mul(x0, b3));
        t0 = f64x2.add(t0, f64x2.mul(x1, b0)); t1 = f64x2.add(t1, f64x2.mul(x1, b1));
        t2 = f64x2.add(t2, f64x2.mul(x1, b2)); t3 = f64x2.add(t3, f64x2.mul(x1, b3));
        bp += ldbB;
      }
      const d0 = c0 + jo, d1 = c1 + jo;
      if (acc != 0) {
        s0 = f64x2.add(v128.load(d0), s0); s1 = f64x2.add(v128.load(d0, 16), s1);
        s2 = f64x2.add(v128.load(d0, 32), s2); s3 = f64x2.add(v128.load(d0, 48), s3);
        t0 = f64x2.add(v128.load(d1), t0); t1 = f64x2.add(v128.load(d1, 16), t1);
        t2 = f64x2.add(v128.load(d1, 32), t2); t3 = f64x2.add(v128.load(d1, 48), t3);
      }
      v128.store(d0, s0); v128.store(d0, s1, 16); v128.store(d0, s2, 32); v128.store(d0, s3, 48);
      v128.store(d1, t0); v128.store(d1, t1, 16); v128.store(d1, t2, 32); v128.store(d1, t3, 48);
    }
    for (; j + 2 <= n; j += 2) {
      const jo = <usize>j << 3;
      let s0 = f64x2.splat(0.0), t0 = f64x2.splat(0.0);
      let bp = bt + jo;
      for (let p = 0; p < k; p++) {
        const po = <usize>p << 3;
        const b0 = v128.load(bp);
        s0 = f64x2.add(s0, f64x2.mul(v128.load64_splat(a0 + po), b0));
        t0 = f64x2.add(t0, f64x2.mul(v128.load64_splat(a1 + po), b0));
        bp += ldbB;
      }
      const d0 = c0 + jo, d1 = c1 + jo;
      if (acc != 0) {
        s0 = f64x2.add(v128.load(d0), s0);
        t0 = f64x2.add(v128.load(d1), t0);
      }
      v128.store(d0, s0);
      v128.store(d1, t0);
    }
    if (j < n) {
      const jo = <usize>j << 3;
      let s0 = 0.0, t0 = 0.0;
      let bp = bt + jo;
      for (let p = 0; p < k; p++) {
        const po = <usize>p << 3;
        const b0 = load<f64>(bp);
        s0 += load<f64>(a0 + po) * b0;
        t0 += load<f64>(a1 + po) * b0;
        bp += ldbB;
      }
      const d0 = c0 + jo, d1 = c1 + jo;
      store<f64>(d0, acc != 0 ? load<f64>(d0) + s0 : s0);
      store<f64>(d1, acc != 0 ? load<f64>(d1) + t0 : t0);
    }
  }
  if (i < m) {
    const a0 = a + <usize>i * ldaB;
    const c0 = c + <usize>i * ldcB;
    let j = 0;
    // a last (or only) row: columns in blocks of 8 too (four independent sums in flight, each
    // entry still summed in the order p = 0 … k−1)
    for (; j + 8 <= n; j += 8) {
      const jo = <usize>j << 3;
      let s0 = f64x2.splat(0.0), s1 = f64x2.splat(0.0), s2 = f64x2.splat(0.0), s3 = f64x2.splat(0.0);
      let bp = bt + jo;
      for (let p = 0; p < k; p++) {
        const x0 = v128.load64_splat(a0 + (<usize>p << 3));
        s0 = f64x2.add(s0, f64x2.mul(x0, v128.load(bp))); s1 = f64x2.add(s1, f64x2.mul(x0, v128.load(bp, 16)));
        s2 = f64x2.add(s2, f64x2.mul(x0, v128.load(bp, 32))); s3 = f64x2.add(s3, f64x2.mul(x0, v128.load(bp, 48)));
        bp += ldbB;
      }
      const d0 = c0 + jo;
      if (acc != 0) {
        s0 = f64x2.add(v128.load(d0), s0); s1 = f64x2.add(v128.load(d0, 16), s1);
        s2 = f64x2.add(v128.load(d0, 32), s2); s3 = f64x2.add(v128.load(d0, 48), s3);
      }
      v128.store(d0, s0); v128.store(d0, s1, 16); v128.store(d0, s2, 32); v128.store(d0, s3, 48);
    }
    for (; j + 2 <= n; j += 2) {
      const jo = <usize>j << 3;
      let s0 = f64x2.splat(0.0);
      let bp = bt + jo;
      for (let p = 0; p < k; p++) {
        s0 = f64x2.add(s0, f64x2.mul(v128.load64_splat(a0 + (<usize>p << 3)), v128.load(bp)));
        bp += ldbB;
      }
      const d0 = c0 + jo;
      if (acc != 0) s0 = f64x2.add(v128.load(d0), s0);
      v128.store(d0, s0);
    }
    if (j < n) {
      const jo = <usize>j << 3;
      let s0 = 0.0;
      let bp = bt + jo;
      for (let p = 0; p < k; p++) {
        s0 += load<f64>(a0 + (<usize>p << 3)) * load<f64>(bp);
        bp += ldbB;
      }
      const d0 = c0 + jo;
      store<f64>(d0, acc != 0 ? load<f64>(d0) + s0 : s0);
    }
  }
}

// tanh(x) = 1 − 2/(e^{2x} + 1), the same operations in the same order as tanh1 in
// models/dfc/fastmath.ts (results equal bit for bit; test/kernels.test.ts checks it):
//   z = clamp(2x, ±ZMAX) (NaN stays NaN);
//   k = round(z/h), h = ln2/256, by the shifter trick: t = z/h + 1.5·2^52 holds k in its low
//       mantissa bits, kf = t − 1.5·2^52 exactly, k = bits(t) − bits(1.5·2^52) as an integer;
//   r = (z − kf·h_hi) − kf·h_lo (h split so that kf·h_hi is exact), |r| ≤ h/2;
//   e^z = 2^{k>>8} · T[k & 255] · p(r), T[j] = 2^{j/256} (256 f64 at `tab`, written by the
//       caller), the power of two added to T's exponent bits (exact), p the degree-4 Taylor polynomial.
const T_ZMAX: f64 = 38.2;
const T_SHIFT: f64 = 6755399441055744.0; // 1.5·2^52
const T_INV_H: f64 = 256.0 / Math.LN2;
const T_H: f64 = Math.LN2 / 256.0;
const T_H_HI: f64 = <f64>(<f32>T_H);
const T_H_LO: f64 = T_H - T_H_HI;
const T_C3: f64 = 0.16666666666666666;
const T_C4: f64 = 0.041666666666666664;

// @ts-ignore: decorator
@inline
function tanhS(x: f64, tab: usize): f64 {
  let z = 2.0 * x;
  z = z > T_ZMAX ? T_ZMAX : z;
  z = z < -T_ZMAX ? -T_ZMAX : z;
  const t = z * T_INV_H + T_SHIFT;
  const kf = t - T_SHIFT;
  const k = reinterpret<i64>(t) - reinterpret<i64>(T_SHIFT);
  const r = z - kf * T_H_HI - kf * T_H_LO;
  const r2 = r * r;
  const p = 1.0 + r + r2 * (0.5 + r * T_C3 + r2 * T_C4);
  const e = reinterpret<f64>(load<i64>(tab + (<usize>(k & 255) << 3)) + ((k >> 8) << 52));
  return 1.0 - 2.0 / (e * p + 1.0);
}

// @ts-ignore: decorator
@inline
function tanhV(x: v128, tab: usize): v128 {
  let z = f64x2.add(x, x);
  z = f64x2.pmin(z, f64x2.splat(T_ZMAX)); // ZMAX < z ? ZMAX : z (keeps NaN, like tanhS)
  z = f64x2.pmax(z, f64x2.splat(-T_ZMAX)); // z < −ZMAX ? −ZMAX : z
  const t = f64x2.add(f64x2.mul(z, f64x2.splat(T_INV_H)), f64x2.splat(T_SHIFT));
  const kf = f64x2.sub(t, f64x2.splat(T_SHIFT));
  const k = i64x2.sub(t, f64x2.splat(T_SHIFT));
  const r = f64x2.sub(f64x2.sub(z, f64x2.mul(kf, f64x2.splat(T_H_HI))), f64x2.mul(kf, f64x2.splat(T_H_LO)));
  const r2 = f64x2.mul(r, r);
  const one = f64x2.splat(1.0);
  const q = f64x2.add(f64x2.add(f64x2.splat(0.5), f64x2.mul(r, f64x2.splat(T_C3))), f64x2.mul(r2, f64x2.splat(T_C4)));
  const p = f64x2.add(f64x2.add(one, r), f64x2.mul(r2, q));
  const lo = v128.and(k, i64x2.splat(255));
  const tv = f64x2.replace_lane(
    f64x2.splat(load<f64>(tab + (<usize>i64x2.extract_lane(lo, 0) << 3))),
    1,
    load<f64>(tab + (<usize>i64x2.extract_lane(lo, 1) << 3)),
  );
  const e = i64x2.add(tv, i64x2.shl(i64x2.shr_s(k, 8), 52));
  return f64x2.sub(one, f64x2.div(f64x2.splat(2.0), f64x2.add(f64x2.mul(e, p), one)));
}

/** x[i] = x[i]·alpha for i < n (one rounding per entry, as the scalar product). */
export function scaleArray(x: usize, n: i32, alpha: f64): void {
  const a = f64x2.splat(alpha);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = x + (<usize>i << 3);
    v128.store(o, f64x2.mul(v128.load(o), a));
  }
  if (i < n) {
    const o = x + (<usize>i << 3);
    store<f64>(o, load<f64>(o) * alpha);
  }
}

/** dst[i] = tanh(src[i]) for i < n (dst may be src); table T at `tab` (see tanhS). */
export function tanhArray(src: usize, dst: usize, n: i32, tab: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    // two independent pairs per iteration: more work in flight across the division
    const o = <usize>i << 3;
    const a = tanhV(v128.load(src + o), tab);
    const b = tanhV(v128.load(src + o, 16), tab);
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(dst + o, tanhV(v128.load(src + o), tab));
  }
  if (i < n) {
    const o = <usize>i << 3;
    store<f64>(dst + o, tanhS(load<f64>(src + o), tab));
  }
}

/**
 * One forward-Euler step of a layer of leaky rate units, for m rows (samples) x n units, all
 * row-major with row stride n except the input (row stride ldi):
 *   mode 1: d = φ(v) − φ(vff) read before the step, i.e. d = rin − φ(vff) (stored); mode 2: d += …; mode 0: none
 *   v += c·((vff + inp) − v) (then + noise when noise != 0),  r = φ(v)
 * φ = tanh (act 1, table at tab) or the identity (act 0). phiff != 0: φ(vff) precomputed there.
 * rin holds the rates before the step (φ of the old v; may be r itself).
 */
export function rateStep(
  m: i32, n: i32,
  v: usize, vff: usize, phiff: usize, inp: usize, ldi: i32,
  rin: usize, r: usize, c: f64, act: i32, mode: i32, d: usize, noise: usize, tab: usize,
): f64 {
  const mn = m * n;
  const mn2 = mn & ~1;
  if (mode != 0) {
    let i = 0;
    if (phiff == 0 && act == 1) {
      for (; i + 4 <= mn; i += 4) {
        const o = <usize>i << 3;
        const f0 = tanhV(v128.load(vff + o), tab);
        const f1 = tanhV(v128.load(vff + o, 16), tab);
        let d0 = f64x2.sub(v128.load(rin + o), f0);
        let d1 = f64x2.sub(v128.load(rin + o, 16), f1);
        if (mode == 2) {
          d0 = f64x2.add(v128.load(d + o), d0);
          d1 = f64x2.add(v128.load(d + o, 16), d1);
        }
        v128.store(d + o, d0);
        v128.store(d + o, d1, 16);
      }
    }
    for (; i < mn2; i += 2) {
      const o = <usize>i << 3;
      const f = phiff != 0 ? v128.load(phiff + o) : act == 1 ? tanhV(v128.load(vff + o), tab) : v128.load(vff + o);
      let dv = f64x2.sub(v128.load(rin + o), f);
      if (mode == 2) dv = f64x2.add(v128.load(d + o), dv);
      v128.store(d + o, dv);
    }
    if (mn2 < mn) {
      const o = <usize>mn2 << 3;
      const f = phiff != 0 ? load<f64>(phiff + o) : act == 1 ? tanhS(load<f64>(vff + o), tab) : load<f64>(vff + o);
      let dv = load<f64>(rin + o) - f;
      if (mode == 2) dv = load<f64>(d + o) + dv;
      store<f64>(d + o, dv);
    }
  }
  const cv = f64x2.splat(c);
  const n2 = n & ~1;
  const ldiB = <usize>ldi << 3;
  // Σ of the new v (the caller's divergence check: NaN or ±∞ when an entry is), in the pass that writes it
  let acc = f64x2.splat(0);
  let tail: f64 = 0;
  for (let b = 0; b < m; b++) {
    const ro = <usize>(b * n) << 3;
    const io = inp + <usize>b * ldiB;
    for (let a = 0; a < n2; a += 2) {
      const o = ro + (<usize>a << 3);
      const vv = v128.load(v + o);
      const nv = f64x2.add(vv, f64x2.mul(cv, f64x2.sub(f64x2.add(v128.load(vff + o), v128.load(io + (<usize>a << 3))), vv)));
      v128.store(v + o, nv);
      acc = f64x2.add(acc, nv);
    }
    if (n2 < n) {
      const o = ro + (<usize>n2 << 3);
      const vv = load<f64>(v + o);
      const nv = vv + c * ((load<f64>(vff + o) + load<f64>(io + (<usize>n2 << 3))) - vv);
      store<f64>(v + o, nv);
      tail += nv;
    }
  }
  if (noise != 0) {
    tail = 0;
    for (let i = 0; i < mn; i++) {
      const o = <usize>i << 3;
      const nv = load<f64>(v + o) + load<f64>(noise + o);
      store<f64>(v + o, nv);
      tail += nv;
    }
    acc = f64x2.splat(0);
  }
  if (act == 1) tanhArray(v, r, mn, tab);
  else memory.copy(r, v, <usize>mn << 3);
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1) + tail;
}

/**
 * One forward-Euler step of n proportional-integral controllers (byte offsets):
 *   u1 = u0 + c·(e − α·u0)  (the integral part; u1 may be u0),
 *   then e = target − r and out = u1 + kp·e (the error and the output at the new state).
 * Returns Σ u1 (NaN or ±∞ when an entry is) and stores at `peak` the largest |u1| and, when
 * watch != 0, |watch| over the same n entries (NaN when any is NaN).
 */
export function piStep(
  n: i32, u0: usize, u1: usize, e: usize, out: usize, target: usize, r: usize,
  c: f64, alpha: f64, kp: f64, watch: usize, peak: usize,
): f64 {
  const cv = f64x2.splat(c);
  const av = f64x2.splat(alpha);
  const kv = f64x2.splat(kp);
  let acc = f64x2.splat(0);
  let mx = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    const u = v128.load(u0 + o);
    const nu = f64x2.add(u, f64x2.mul(cv, f64x2.sub(v128.load(e + o), f64x2.mul(av, u))));
    v128.store(u1 + o, nu);
    acc = f64x2.add(acc, nu);
    mx = f64x2.max(mx, f64x2.abs(nu));
    if (watch != 0) mx = f64x2.max(mx, f64x2.abs(v128.load(watch + o)));
    const ee = f64x2.sub(v128.load(target + o), v128.load(r + o));
    v128.store(e + o, ee);
    v128.store(out + o, f64x2.add(nu, f64x2.mul(kv, ee)));
  }
  let tail: f64 = 0;
  let tmx: f64 = 0;
  if (i < n) {
    const o = <usize>i << 3;
    const u = load<f64>(u0 + o);
    const nu = u + c * (load<f64>(e + o) - alpha * u);
    store<f64>(u1 + o, nu);
    tail = nu;
    tmx = abs<f64>(nu);
    if (watch != 0) tmx = max<f64>(tmx, abs<f64>(load<f64>(watch + o)));
    const ee = load<f64>(target + o) - load<f64>(r + o);
    store<f64>(e + o, ee);
    store<f64>(out + o, nu + kp * ee);
  }
  store<f64>(peak, max<f64>(max<f64>(f64x2.extract_lane(mx, 0), f64x2.extract_lane(mx, 1)), tmx));
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1) + tail;
}
