// @ts-nocheck — this file is AssemblyScript, not TypeScript (the comment keeps the project's tsc
// quiet about AssemblyScript types). It is compiled by `npx tsx src/linalg/wasm/build.ts`
// (AssemblyScript 0.28.20 via npx) into gemm-bytes.ts, which src/linalg/kernels.ts loads.
//
// f64 kernels with WebAssembly SIMD (f64x2): packed GEMM with a 4x4 register-blocked
// micro-kernel (gemm, gemmPacked) and matrix-vector products (gemv, gemvT).
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
