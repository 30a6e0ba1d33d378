import { afterEach, describe, expect, it } from 'vitest';
import { Matrix } from 'ml-matrix';
import { mat, type Mat } from '../src/linalg/mat';
import {
  axpy,
  batchOuterAcc,
  copy,
  dot,
  fill,
  frobenius,
  hadamard,
  matMul,
  matMulTA,
  matMulTB,
  matTVec,
  matVec,
  norm2,
  outerAcc,
  overlaps,
  scale,
  transpose,
  wasmAvailable,
  WasmWorkspace,
} from '../src/linalg/kernels';
import { createWorkspace, TsWorkspace, type RateStepArgs, type Workspace } from '../src/linalg/workspace';
import { blasAvailable, forceEngine, getBackend, setBackend, type Backend, type Engine } from '../src/linalg/backend';

// ---- helpers ---------------------------------------------------------------------------------

/** Tiny seeded LCG (Numerical Recipes constants); uniform in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function randVec(rng: () => number, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng();
  return v;
}

function randMat(rng: () => number, rows: number, cols: number): Mat {
  return mat(rows, cols, randVec(rng, rows * cols));
}

/**
 * A view into a bigger buffer at a nonzero (and odd, so not 16-byte aligned) offset, filled
 * with random values; the guard entries around it are NaN so stray reads/writes show up.
 */
function viewMat(rng: () => number, rows: number, cols: number, offset = 3): { m: Mat; backing: Float64Array } {
  const backing = new Float64Array(offset + rows * cols + 5).fill(NaN);
  const data = backing.subarray(offset, offset + rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng();
  return { m: mat(rows, cols, data), backing };
}

function toMl(A: Mat): Matrix {
  return Matrix.from1DArray(A.rows, A.cols, Array.from(A.data));
}

function mlData(M: Matrix): Float64Array {
  return Float64Array.from(M.to1DArray());
}

function colVec(x: Float64Array): Matrix {
  return Matrix.columnVector(Array.from(x));
}

/** max |got - want| / max(max |want|, 1e-300) */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  if (Number.isNaN(num)) return Infinity;
  return num / Math.max(den, 1e-300);
}

const TOL = 1e-12;

/** (m, k, n): odd sizes, tile remainders, k past the k-block (256), m past the row block (96). */
const GEMM_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 1],
  [3, 5, 7],
  [5, 3, 2],
  [4, 4, 4],
  [17, 31, 13],
  [31, 17, 29],
  [64, 64, 64],
  [100, 37, 53],
  [37, 100, 6],
  [101, 300, 35],
];

const ALPHA_BETA: [number, number][] = [
  [1, 0],
  [2.5, 0],
  [-0.75, 1],
  [1.25, -0.5],
  [0, 2],
];

/**
 * Every backend available here ('blas' where a system OpenBLAS is found: CI installs it), then each
 * engine forced for every size (so the wasm and packed TypeScript kernels also see the tiny shapes
 * and the BLAS calls see the shapes 'auto' keeps on wasm).
 */
const HAVE_BLAS = blasAvailable();
const BACKENDS: string[] = [
  'auto',
  ...(HAVE_BLAS ? ['blas'] : []),
  'wasm',
  'ts',
  ...(HAVE_BLAS ? ['engine blas'] : []),
  'engine wasm',
  'engine ts-packed',
  'engine ts-direct',
];

function useBackend(name: string): void {
  forceEngine(null);
  if (name.startsWith('engine ')) {
    setBackend('auto');
    forceEngine(name.slice('engine '.length) as Engine);
  } else setBackend(name as Backend);
}

afterEach(() => useBackend('auto'));

// ---- tests -----------------------------------------------------------------------------------

describe('wasm backend', () => {
  it('loads synchronously in this runtime', () => {
    expect(wasmAvailable()).toBe(true);
    expect(getBackend()).toBe('auto');
  });
});

type GemmFn = (A: Mat, B: Mat, C: Mat, alpha?: number, beta?: number) => void;

/** Reference C_new = alpha * opA(A) opB(B) + beta * C with ml-matrix. */
function gemmRef(kind: 'NN' | 'TA' | 'TB', A: Mat, B: Mat, C: Mat, alpha: number, beta: number): Float64Array {
  const a = kind === 'TA' ? toMl(A).transpose() : toMl(A);
  const b = kind === 'TB' ? toMl(B).transpose() : toMl(B);
  const prod = a.mmul(b).mul(alpha);
  if (beta !== 0) prod.add(toMl(C).mul(beta));
  return mlData(prod);
}

const GEMMS: { name: string; kind: 'NN' | 'TA' | 'TB'; fn: GemmFn; shapes: (m: number, k: number, n: number) => [number, number, number, number] }[] = [
  { name: 'matMul', kind: 'NN', fn: matMul, shapes: (m, k, n) => [m, k, k, n] },
  { name: 'matMulTA', kind: 'TA', fn: matMulTA, shapes: (m, k, n) => [k, m, k, n] },
  { name: 'matMulTB', kind: 'TB', fn: matMulTB, shapes: (m, k, n) => [m, k, n, k] },
];

for (const g of GEMMS) {
  describe(g.name, () => {
    for (const backend of BACKENDS) {
      it(`matches ml-matrix on odd shapes with alpha/beta variants (backend ${backend})`, () => {
        useBackend(backend);
        const rng = lcg(12345);
        for (const [m, k, n] of GEMM_SHAPES) {
          const [ar, ac, br, bc] = g.shapes(m, k, n);
          for (const [alpha, beta] of ALPHA_BETA) {
            const A = randMat(rng, ar, ac);
            const B = randMat(rng, br, bc);
            const C = randMat(rng, m, n);
            const want = gemmRef(g.kind, A, B, C, alpha, beta);
            g.fn(A, B, C, alpha, beta);
            const err = relErr(C.data, want);
            expect(err, `${g.name} ${m}x${k}x${n} alpha=${alpha} beta=${beta}`).toBeLessThanOrEqual(TOL);
          }
        }
      });

      it(`works on subarray views with a nonzero byteOffset, touching nothing else (backend ${backend})`, () => {
        useBackend(backend);
        const rng = lcg(777);
        for (const [m, k, n] of [
          [3, 5, 7],
          [17, 31, 13],
          [64, 64, 64],
          [100, 37, 53],
        ]) {
          const [ar, ac, br, bc] = g.shapes(m, k, n);
          const A = viewMat(rng, ar, ac, 3);
          const B = viewMat(rng, br, bc, 1);
          const C = viewMat(rng, m, n, 5);
          expect(A.m.data.byteOffset).toBeGreaterThan(0);
          const want = gemmRef(g.kind, A.m, B.m, C.m, 0.5, 2);
          g.fn(A.m, B.m, C.m, 0.5, 2);
          expect(relErr(C.m.data, want)).toBeLessThanOrEqual(TOL);
          // guard entries around the output view are untouched
          for (const i of [0, 1, 2, 5 + m * n, 6 + m * n, C.backing.length - 1]) expect(C.backing[i]).toBeNaN();
        }
      });
    }

    it('with beta = 0 ignores NaN already in C', () => {
      const rng = lcg(99);
      for (const backend of BACKENDS) {
        useBackend(backend);
        const [ar, ac, br, bc] = g.shapes(9, 6, 11);
        const A = randMat(rng, ar, ac);
        const B = randMat(rng, br, bc);
        const C = mat(9, 11, new Float64Array(99).fill(NaN));
        g.fn(A, B, C);
        expect(relErr(C.data, gemmRef(g.kind, A, B, mat(9, 11), 1, 0))).toBeLessThanOrEqual(TOL);
      }
    });

    it('handles empty inner dimension (C = beta C) and empty outputs', () => {
      for (const backend of BACKENDS) {
        useBackend(backend);
        const [ar, ac, br, bc] = g.shapes(2, 0, 3);
        const C = mat(2, 3, Float64Array.from([1, 2, 3, 4, 5, 6]));
        g.fn(mat(ar, ac), mat(br, bc), C, 1, 2);
        expect(Array.from(C.data)).toEqual([2, 4, 6, 8, 10, 12]);
        g.fn(mat(ar, ac), mat(br, bc), C);
        expect(Array.from(C.data)).toEqual([0, 0, 0, 0, 0, 0]);
        const [ar2, ac2, br2, bc2] = g.shapes(0, 4, 3);
        g.fn(mat(ar2, ac2), mat(br2, bc2), mat(0, 3));
      }
    });

    it('rejects an output that aliases an input (same array or overlapping views)', () => {
      const [ar, ac, br, bc] = g.shapes(4, 4, 4);
      const A = mat(ar, ac);
      const B = mat(br, bc);
      expect(() => g.fn(A, B, A)).toThrow(new RegExp(`${g.name}: output C overlaps input A \\(the same array\\)`));
      expect(() => g.fn(A, B, B)).toThrow(/output C overlaps input B \(the same array\)/);
      const state = new Float64Array(40);
      const A2 = mat(4, 4, state.subarray(0, 16));
      const B2 = mat(4, 4, state.subarray(24, 40));
      const Cover = mat(4, 4, state.subarray(10, 26)); // overlaps the end of A2 and the start of B2
      expect(() => g.fn(A2, B2, Cover)).toThrow(/output C overlaps input A \(views of the same buffer with overlapping ranges\)/);
      const Cok = mat(2, 4, state.subarray(16, 24)); // same buffer, disjoint range: fine
      const [sar, sac, sbr, sbc] = g.shapes(2, 4, 4);
      const Asmall = mat(sar, sac, state.subarray(0, 8));
      const Bsmall = mat(sbr, sbc, state.subarray(24, 40));
      expect(() => g.fn(Asmall, Bsmall, Cok)).not.toThrow();
    });
  });
}

describe('matrix-matrix shape errors', () => {
  it('matMul names the shapes and the fix', () => {
    expect(() => matMul(mat(3, 4), mat(5, 2), mat(3, 2))).toThrow(
      'matMul: A is 3x4 but B is 5x2; B must have A.cols = 4 rows',
    );
    expect(() => matMul(mat(3, 4), mat(4, 2), mat(2, 3))).toThrow(
      'matMul: A is 3x4 and B is 4x2 but C is 2x3; C must be 3x2',
    );
  });
  it('matMulTA names the shapes and the fix', () => {
    expect(() => matMulTA(mat(3, 4), mat(5, 2), mat(4, 2))).toThrow(
      'matMulTA: A is 3x4 but B is 5x2; Aᵀ B needs B to have A.rows = 3 rows',
    );
    expect(() => matMulTA(mat(3, 4), mat(3, 2), mat(3, 2))).toThrow(
      'matMulTA: A is 3x4 and B is 3x2 but C is 3x2; C = Aᵀ B must be 4x2',
    );
  });
  it('matMulTB names the shapes and the fix', () => {
    expect(() => matMulTB(mat(3, 4), mat(2, 5), mat(3, 2))).toThrow(
      'matMulTB: A is 3x4 but B is 2x5; A Bᵀ needs B to have A.cols = 4 columns',
    );
    expect(() => matMulTB(mat(3, 4), mat(2, 4), mat(2, 3))).toThrow(
      'matMulTB: A is 3x4 and B is 2x4 but C is 2x3; C = A Bᵀ must be 3x2',
    );
  });
  it('rejects a Mat whose data length does not match its shape', () => {
    const bad = { rows: 2, cols: 3, data: new Float64Array(5) };
    expect(() => matMul(bad, mat(3, 1), mat(2, 1))).toThrow(
      'matMul: A claims shape 2x3 but its data has 5 entries; a 2x3 matrix needs rows*cols = 6',
    );
  });
});

describe('scratch reuse', () => {
  it('stays correct across growing and shrinking sizes (wasm memory growth)', () => {
    const rng = lcg(4242);
    for (const n of [8, 200, 5, 150, 260, 12]) {
      const A = randMat(rng, n, n + 1);
      const B = randMat(rng, n + 1, n - 1);
      const C = mat(n, n - 1);
      matMul(A, B, C);
      expect(relErr(C.data, mlData(toMl(A).mmul(toMl(B))))).toBeLessThanOrEqual(TOL);
    }
  });
});

describe('matVec / matTVec', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [3, 5],
    [5, 3],
    [17, 31],
    [64, 64],
    [100, 37],
    [37, 100],
    [0, 4],
    [4, 0],
  ];
  it.each(BACKENDS)('matVec matches ml-matrix (alpha/beta variants, views; backend %s)', (backend) => {
    useBackend(backend);
    const rng = lcg(31337);
    for (const [m, n] of shapes) {
      for (const [alpha, beta] of ALPHA_BETA) {
        const A = viewMat(rng, m, n, 3).m;
        const x = randVec(rng, n + 2).subarray(1, n + 1);
        const y = randVec(rng, m);
        const want = toMl(A).mmul(colVec(x)).mul(alpha);
        if (beta !== 0) want.add(colVec(y).mul(beta));
        matVec(A, x, y, alpha, beta);
        expect(relErr(y, mlData(want)), `matVec ${m}x${n} ${alpha} ${beta}`).toBeLessThanOrEqual(TOL);
      }
    }
  });
  it.each(BACKENDS)('matTVec matches ml-matrix (alpha/beta variants, views; backend %s)', (backend) => {
    useBackend(backend);
    const rng = lcg(271828);
    for (const [m, n] of shapes) {
      for (const [alpha, beta] of ALPHA_BETA) {
        const A = viewMat(rng, m, n, 1).m;
        const x = randVec(rng, m + 3).subarray(3);
        const y = randVec(rng, n);
        const want = toMl(A).transpose().mmul(colVec(x)).mul(alpha);
        if (beta !== 0) want.add(colVec(y).mul(beta));
        matTVec(A, x, y, alpha, beta);
        expect(relErr(y, mlData(want)), `matTVec ${m}x${n} ${alpha} ${beta}`).toBeLessThanOrEqual(TOL);
      }
    }
  });
  it.each(BACKENDS)('beta = 0 ignores NaN in y (backend %s)', (backend) => {
    useBackend(backend);
    const rng = lcg(5);
    const A = randMat(rng, 6, 7);
    const y = new Float64Array(6).fill(NaN);
    matVec(A, randVec(rng, 7), y);
    expect(y.every(Number.isFinite)).toBe(true);
    const yt = new Float64Array(7).fill(NaN);
    matTVec(A, randVec(rng, 6), yt);
    expect(yt.every(Number.isFinite)).toBe(true);
  });
  it('shape errors name the shapes and the fix', () => {
    expect(() => matVec(mat(3, 4), new Float64Array(5), new Float64Array(3))).toThrow(
      'matVec: A is 3x4 but x has 5 entries; x must have A.cols = 4 entries',
    );
    expect(() => matVec(mat(3, 4), new Float64Array(4), new Float64Array(4))).toThrow(
      'matVec: A is 3x4 but y has 4 entries; y must have A.rows = 3 entries',
    );
    expect(() => matTVec(mat(3, 4), new Float64Array(4), new Float64Array(4))).toThrow(
      'matTVec: A is 3x4 but x has 4 entries; x must have A.rows = 3 entries',
    );
    expect(() => matTVec(mat(3, 4), new Float64Array(3), new Float64Array(3))).toThrow(
      'matTVec: A is 3x4 but y has 3 entries; y must have A.cols = 4 entries',
    );
  });
  it('aliasing errors', () => {
    const state = new Float64Array(20);
    const A = mat(3, 3, state.subarray(0, 9));
    expect(() => matVec(A, state.subarray(9, 12), state.subarray(8, 11))).toThrow(
      /matVec: output y overlaps input A \(views of the same buffer with overlapping ranges\)/,
    );
    const x = new Float64Array(3);
    expect(() => matVec(A, x, x)).toThrow(/matVec: output y overlaps input x \(the same array\)/);
    expect(() => matTVec(A, x, x)).toThrow(/matTVec: output y overlaps input x/);
    expect(() => matVec(A, state.subarray(9, 12), state.subarray(12, 15))).not.toThrow();
  });
});

describe('outerAcc / batchOuterAcc', () => {
  it.each(BACKENDS)('outerAcc matches ml-matrix (views; backend %s)', (backend) => {
    useBackend(backend);
    const rng = lcg(8);
    for (const [m, n] of [
      [1, 1],
      [3, 5],
      [17, 31],
      [100, 37],
      [70, 90],
    ]) {
      for (const alpha of [1, -0.3]) {
        const A = viewMat(rng, m, n, 7).m;
        const x = randVec(rng, m);
        const y = randVec(rng, n);
        const want = toMl(A).add(colVec(x).mmul(Matrix.rowVector(Array.from(y))).mul(alpha));
        outerAcc(A, x, y, alpha);
        expect(relErr(A.data, mlData(want))).toBeLessThanOrEqual(TOL);
      }
    }
  });
  it('batchOuterAcc = sum of per-sample outer products, matches ml-matrix', () => {
    const rng = lcg(9);
    for (const backend of BACKENDS) {
      useBackend(backend);
      for (const [batch, m, n] of [
        [1, 3, 5],
        [7, 17, 31],
        [32, 64, 64],
        [5, 100, 37],
        [300, 9, 10],
      ]) {
        const A = randMat(rng, m, n);
        const X = randMat(rng, batch, m);
        const Y = randMat(rng, batch, n);
        const want = toMl(A).add(toMl(X).transpose().mmul(toMl(Y)).mul(0.5));
        // same thing as explicit per-sample outer products
        const A2 = mat(m, n, A.data.slice());
        for (let b = 0; b < batch; b++) {
          outerAcc(A2, X.data.subarray(b * m, (b + 1) * m), Y.data.subarray(b * n, (b + 1) * n), 0.5);
        }
        batchOuterAcc(A, X, Y, 0.5);
        expect(relErr(A.data, mlData(want))).toBeLessThanOrEqual(TOL);
        expect(relErr(A.data, A2.data)).toBeLessThanOrEqual(TOL);
      }
    }
  });
  it('shape and aliasing errors', () => {
    expect(() => outerAcc(mat(3, 4), new Float64Array(4), new Float64Array(4))).toThrow(
      'outerAcc: A is 3x4 but x has 4 entries; x must have A.rows = 3 entries',
    );
    expect(() => outerAcc(mat(3, 4), new Float64Array(3), new Float64Array(3))).toThrow(
      'outerAcc: A is 3x4 but y has 3 entries; y must have A.cols = 4 entries',
    );
    const state = new Float64Array(16);
    expect(() => outerAcc(mat(3, 4, state.subarray(0, 12)), state.subarray(10, 13), new Float64Array(4))).toThrow(
      /outerAcc: output A overlaps input x/,
    );
    expect(() => batchOuterAcc(mat(3, 4), mat(2, 3), mat(5, 4))).toThrow(
      'batchOuterAcc: X is 2x3 but Y is 5x4; X and Y must have the same number of rows (the batch size)',
    );
    expect(() => batchOuterAcc(mat(3, 4), mat(2, 4), mat(2, 4))).toThrow(
      'batchOuterAcc: A is 3x4 but X is 2x4 and Y is 2x4; X must be batch x A.rows = 2x3 and Y batch x A.cols = 2x4',
    );
    const A = mat(3, 3);
    expect(() => batchOuterAcc(A, A, mat(3, 3))).toThrow(/batchOuterAcc: output A overlaps input X \(the same array\)/);
  });
});

describe('vector helpers', () => {
  const rng = lcg(2024);
  const x = randVec(rng, 37);
  const y = randVec(rng, 37);
  const mlx = Matrix.rowVector(Array.from(x));
  const mly = Matrix.rowVector(Array.from(y));

  it('dot and norm2 match ml-matrix', () => {
    expect(relErr([dot(x, y)], [mlx.dot(mly)])).toBeLessThanOrEqual(TOL);
    expect(relErr([norm2(x)], [mlx.norm('frobenius')])).toBeLessThanOrEqual(TOL);
    expect(dot(new Float64Array(0), new Float64Array(0))).toBe(0);
    expect(norm2(new Float64Array(0))).toBe(0);
  });
  it('norm2 does not overflow or underflow', () => {
    expect(norm2(Float64Array.from([3e200, 4e200]))).toBeCloseTo(5e200, -186);
    expect(relErr([norm2(Float64Array.from([3e200, 4e200]))], [5e200])).toBeLessThanOrEqual(TOL);
    expect(relErr([norm2(Float64Array.from([3e-200, 4e-200]))], [5e-200])).toBeLessThanOrEqual(TOL);
    expect(norm2(Float64Array.from([1, Infinity]))).toBe(Infinity);
    expect(norm2(Float64Array.from([1, NaN]))).toBeNaN();
  });
  it('axpy, scale, fill, copy, hadamard', () => {
    const z = y.slice();
    axpy(-1.5, x, z);
    expect(relErr(z, mlData(mly.clone().add(mlx.clone().mul(-1.5))))).toBeLessThanOrEqual(TOL);
    axpy(2, z, z); // exact self-alias is fine: z = 3 z
    const s = x.slice();
    scale(s, 0.25);
    expect(relErr(s, mlData(mlx.clone().mul(0.25)))).toBeLessThanOrEqual(TOL);
    fill(s, 7);
    expect(s.every((v) => v === 7)).toBe(true);
    copy(x, s);
    expect(Array.from(s)).toEqual(Array.from(x));
    const h = new Float64Array(37);
    hadamard(x, y, h);
    expect(relErr(h, mlData(mlx.clone().mul(mly)))).toBeLessThanOrEqual(TOL);
    const hx = x.slice();
    hadamard(hx, y, hx); // out === x allowed
    expect(relErr(hx, h)).toBeLessThanOrEqual(TOL);
  });
  it('copy between overlapping views behaves like memmove', () => {
    const buf = Float64Array.from([0, 1, 2, 3, 4, 5]);
    copy(buf.subarray(0, 4), buf.subarray(2, 6));
    expect(Array.from(buf)).toEqual([0, 1, 0, 1, 2, 3]);
  });
  it('length and partial-alias errors', () => {
    expect(() => axpy(1, new Float64Array(3), new Float64Array(4))).toThrow(
      'axpy: x has 3 entries but y has 4; they must have the same length',
    );
    expect(() => dot(new Float64Array(3), new Float64Array(2))).toThrow('dot: x has 3 entries but y has 2');
    expect(() => copy(new Float64Array(3), new Float64Array(2))).toThrow('copy: src has 3 entries but dst has 2');
    expect(() => hadamard(new Float64Array(3), new Float64Array(3), new Float64Array(2))).toThrow(
      'hadamard: x has 3 entries but out has 2',
    );
    const buf = new Float64Array(10);
    expect(() => axpy(1, buf.subarray(0, 5), buf.subarray(2, 7))).toThrow(
      /axpy: output y partially overlaps input x/,
    );
    expect(() => hadamard(buf.subarray(0, 5), buf.subarray(5, 10), buf.subarray(1, 6))).toThrow(
      /hadamard: output out partially overlaps input x/,
    );
  });
  it('overlaps() sees views of one buffer', () => {
    const buf = new Float64Array(10);
    expect(overlaps(buf.subarray(0, 5), buf.subarray(4, 6))).toBe(true);
    expect(overlaps(buf.subarray(0, 5), buf.subarray(5, 6))).toBe(false);
    expect(overlaps(buf, new Float64Array(10))).toBe(false);
    expect(overlaps(buf.subarray(3, 3), buf)).toBe(false);
  });
});

describe('transpose / frobenius', () => {
  it('transpose matches ml-matrix on odd shapes and views', () => {
    const rng = lcg(11);
    for (const [m, n] of [
      [1, 1],
      [3, 5],
      [17, 31],
      [64, 64],
      [100, 37],
    ]) {
      const A = viewMat(rng, m, n, 3).m;
      const out = viewMat(rng, n, m, 2).m;
      transpose(A, out);
      expect(Array.from(out.data)).toEqual(Array.from(mlData(toMl(A).transpose())));
    }
  });
  it('transpose errors', () => {
    expect(() => transpose(mat(3, 4), mat(3, 4))).toThrow('transpose: A is 3x4 but out is 3x4; out must be 4x3');
    const A = mat(3, 3);
    expect(() => transpose(A, A)).toThrow(/transpose: output out overlaps input A \(the same array\)/);
  });
  it('frobenius matches ml-matrix', () => {
    const rng = lcg(12);
    const A = randMat(rng, 17, 31);
    expect(relErr([frobenius(A)], [toMl(A).norm('frobenius')])).toBeLessThanOrEqual(TOL);
  });
});

/**
 * Random full-mantissa values in (−1, 1): the generator's are multiples of 2^-31, whose sums are
 * exact, so another order of additions would leave their bits unchanged.
 */
function roughVec(rng: () => number, n: number): Float64Array {
  return randVec(rng, n).map((u) => Math.sin(1000 * u));
}

/** Fills n f64s at `at` of a workspace with random full-mantissa values and returns a copy. */
function put(ws: Workspace, rng: () => number, at: number, n: number): Float64Array {
  const v = roughVec(rng, n);
  ws.f64.set(v, at);
  return v;
}

/**
 * gemm of a workspace on fresh regions of an m x n x k product: C = 0.5 A Bᵀ + 2 C, then
 * C = −Aᵀ B with A read as k x m (sai = 1) and B as k x n (sbj = 1), both against ml-matrix.
 */
function expectGemm(ws: Workspace, rng: () => number, [m, n, k]: readonly [number, number, number]): void {
  const a = ws.alloc(m * k);
  const b = ws.alloc(n * k);
  const c = ws.alloc(m * n);
  ws.reserveGemm(m, n, k);
  const A = mat(m, k, put(ws, rng, a, m * k));
  const B = mat(n, k, put(ws, rng, b, n * k));
  const C0 = put(ws, rng, c, m * n);
  ws.gemm(m, n, k, a, k, 1, b, 1, k, c, 0.5, 2);
  const want = toMl(A).mmul(toMl(B).transpose()).mul(0.5).add(new Matrix([...Array(m)].map((_, i) => Array.from(C0.subarray(i * n, (i + 1) * n)))).mul(2));
  expect(relErr(ws.f64.subarray(c, c + m * n), mlData(want))).toBeLessThanOrEqual(TOL);
  ws.gemm(m, n, k, a, 1, m, b, n, 1, c, -1, 0);
  const At = mat(k, m, ws.f64.slice(a, a + m * k));
  const Bn = mat(k, n, ws.f64.slice(b, b + n * k));
  expect(relErr(ws.f64.subarray(c, c + m * n), mlData(toMl(At).transpose().mmul(toMl(Bn)).mul(-1)))).toBeLessThanOrEqual(TOL);
}

/** Both resident workspaces (the wasm one on the 'wasm' backend). */
const WORKSPACES: [string, () => Workspace][] = [
  ['WasmWorkspace', () => WasmWorkspace.create()!],
  ['TsWorkspace', () => new TsWorkspace()],
];

describe.each(WORKSPACES)('%s: the kernels of a resident workspace', (name, create) => {
  it('scale: x·alpha in place equals the scalar product bit for bit on odd lengths, the entries after n untouched', () => {
    const ws = create();
    const rng = lcg(5);
    for (const n of [1, 2, 7, 64, 1001]) {
      const at = ws.alloc(n + 3);
      const x = put(ws, rng, at, n + 3);
      const alpha = 0.1 + rng();
      ws.scale(at, n, alpha);
      const h = ws.f64;
      for (let i = 0; i < n + 3; i++) expect(h[at + i]).toBe(i < n ? x[i] * alpha : x[i]);
    }
    expect(() => ws.scale(ws.size + 2, 4, 2)).toThrow(/outside the allocated regions/);
  });

  it('rateStep: one fused Euler step of a leaky tanh / linear layer, with the rate difference stored or added', () => {
    const ws = create();
    const rng = lcg(79);
    const [m, n, ldi] = [5, 7, 11];
    const R = { v: ws.alloc(m * n), vff: ws.alloc(m * n), phiff: ws.alloc(m * n), inp: ws.alloc(m * ldi), rin: ws.alloc(m * n), r: ws.alloc(m * n), d: ws.alloc(m * n), noise: ws.alloc(m * n) };
    const t = ws.alloc(1); // scratch for the reference tanh
    const tanh = (x: number) => {
      ws.f64[t] = x;
      ws.tanh(t, t, 1);
      return ws.f64[t];
    };
    for (const act of ['tanh', 'linear'] as const) {
      for (const mode of ['none', 'store', 'add'] as const) {
        for (const withPhiff of [false, true]) {
          for (const withNoise of [false, true]) {
            const v = put(ws, rng, R.v, m * n);
            const vff = put(ws, rng, R.vff, m * n);
            const phiff = put(ws, rng, R.phiff, m * n);
            const inp = put(ws, rng, R.inp, m * ldi);
            const rin = put(ws, rng, R.rin, m * n);
            const d0 = put(ws, rng, R.d, m * n);
            const noise = put(ws, rng, R.noise, m * n);
            ws.rateStep(m, n, { v: R.v, vff: R.vff, phiff: withPhiff ? R.phiff : 0, inp: R.inp, ldi, rin: R.rin, r: R.r, c: 0.025, act, mode, d: R.d, noise: withNoise ? R.noise : 0 });
            const got = { v: ws.f64.slice(R.v, R.v + m * n), r: ws.f64.slice(R.r, R.r + m * n), d: ws.f64.slice(R.d, R.d + m * n) };
            const phi = act === 'tanh' ? tanh : (x: number) => x;
            for (let b = 0; b < m; b++) {
              for (let j = 0; j < n; j++) {
                const k = b * n + j;
                let vn = v[k] + 0.025 * (vff[k] + inp[b * ldi + j] - v[k]);
                if (withNoise) vn += noise[k];
                expect(got.v[k]).toBe(vn);
                expect(got.r[k]).toBe(phi(vn));
                const diff = rin[k] - (withPhiff ? phiff[k] : phi(vff[k]));
                expect(got.d[k]).toBe(mode === 'none' ? d0[k] : mode === 'store' ? diff : d0[k] + diff);
              }
            }
          }
        }
      }
    }
  });

  it('piStep: one fused Euler step of PI controllers (u, then error and output at the new state), its sum and peak; in place; NaN reaches both', () => {
    const ws = create();
    const rng = lcg(83);
    for (const n of [1, 2, 7, 640]) {
      const R = { u0: ws.alloc(n), u1: ws.alloc(n), e: ws.alloc(n), out: ws.alloc(n), target: ws.alloc(n), r: ws.alloc(n), watch: ws.alloc(n), peak: ws.alloc(1) };
      for (const inPlace of [false, true]) {
        for (const withWatch of [false, true]) {
          const u0 = put(ws, rng, R.u0, n);
          const e0 = put(ws, rng, R.e, n);
          const target = put(ws, rng, R.target, n);
          const r = put(ws, rng, R.r, n);
          const watch = put(ws, rng, R.watch, n).map((x) => 3 * x); // larger than every |u1| at times
          ws.f64.set(watch, R.watch);
          const [c, alpha, kp] = [0.3, 0.05, 2.5];
          const u1At = inPlace ? R.u0 : R.u1;
          const sum = ws.piStep(n, { u0: R.u0, u1: u1At, e: R.e, out: R.out, target: R.target, r: R.r, c, alpha, kp, watch: withWatch ? R.watch : 0, peak: R.peak });
          let want = 0;
          let peak = 0;
          for (let k = 0; k < n; k++) {
            const u = u0[k] + c * (e0[k] - alpha * u0[k]);
            const e = target[k] - r[k];
            expect([ws.f64[u1At + k], ws.f64[R.e + k], ws.f64[R.out + k]]).toEqual([u, e, u + kp * e]);
            want += u;
            peak = Math.max(peak, Math.abs(u), withWatch ? Math.abs(watch[k]) : 0);
          }
          expect(ws.f64[R.peak]).toBe(peak);
          expect(Math.abs(sum - want)).toBeLessThanOrEqual(1e-14 * n);
        }
      }
      // a NaN in a watched entry reaches the peak only; one in u reaches the sum too
      const args = { u0: R.u0, u1: R.u1, e: R.e, out: R.out, target: R.target, r: R.r, c: 0.3, alpha: 0.05, kp: 2.5, watch: R.watch, peak: R.peak };
      put(ws, rng, R.u0, n);
      ws.f64[R.watch + n - 1] = NaN;
      expect(Number.isFinite(ws.piStep(n, args))).toBe(true);
      expect(ws.f64[R.peak]).toBeNaN();
      ws.f64[R.watch + n - 1] = 0;
      ws.f64[R.u0 + (n >> 1)] = NaN;
      expect(ws.piStep(n, args)).toBeNaN();
      expect(ws.f64[R.peak]).toBeNaN();
    }
    const a = ws.alloc(4);
    expect(() => ws.piStep(4, { u0: a, u1: a, e: a, out: a + 2, target: a, r: a, c: 1, alpha: 0, kp: 1, watch: 0, peak: a })).toThrow(new RegExp(`${name}.piStep: output \\[\\d+, \\d+\\) is outside the allocated regions`));
  });

  it('checks that outputs lie in allocated regions; alloc returns aligned, distinct, zeroed regions', () => {
    const ws = create();
    const a = ws.alloc(3);
    const b = ws.alloc(5);
    expect(a % 2).toBe(0);
    expect(b % 2).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 3);
    expect(Array.from(ws.f64.subarray(b, b + 5))).toEqual([0, 0, 0, 0, 0]);
    expect(() => ws.rateStep(2, 4, { v: b, vff: a, phiff: 0, inp: a, ldi: 4, rin: a, r: a + 6, c: 1, act: 'tanh', mode: 'none', d: 0, noise: 0 })).toThrow(new RegExp(`${name}.rateStep: output \\[\\d+, \\d+\\) is outside the allocated regions`));
    expect(() => ws.gemm(2, 4, 1, a, 1, 1, a, 4, 1, b + 2, 1, 0)).toThrow(/gemm: output .* is outside the allocated regions/);
    expect(() => ws.tanh(a, 0, 1)).toThrow(/outside the allocated regions/);
    expect(() => ws.alloc(-1)).toThrow(/words must be an integer >= 0/);
    ws.f64[b] = 7;
    const big = ws.alloc(200_000); // grows the memory: take the view again
    expect(ws.f64.length).toBeGreaterThanOrEqual(big + 200_000);
    expect(ws.f64[b]).toBe(7); // what was written before stays
    expect(ws.f64[big + 199_999]).toBe(0);
  });

  it('gemm: C = alpha·opA·opB + beta·C on strided operands matches ml-matrix (A Bᵀ and Aᵀ B)', () => {
    // the TypeScript workspace's products are the general kernels': on every backend and engine
    for (const backend of name === 'TsWorkspace' ? BACKENDS : ['wasm']) {
      useBackend(backend);
      const ws = create();
      const rng = lcg(81);
      for (const shape of [[13, 70, 65], [3, 2, 1], [128, 10, 10]] as const) expectGemm(ws, rng, shape);
    }
  });
});

describe('TsWorkspace: the TypeScript twin of WasmWorkspace', () => {
  it('gives the same bits for tanh (±∞, NaN, ±0, saturation), scale and rateStep (every mode, act, phiff, noise); the returned sums agree to rounding', () => {
    const wasm = WasmWorkspace.create()!;
    const ts = new TsWorkspace();
    const rng = lcg(82);
    const n = 4001; // odd: the wasm kernels' scalar tails too
    const at = [wasm, ts].map((ws) => ({ src: ws.alloc(n), dst: ws.alloc(n) }));
    const x = randVec(rng, n).map((v, i) => v * (i % 3 === 0 ? 40 : i % 3 === 1 ? 3 : 1e-3));
    x.set([Infinity, -Infinity, NaN, 0, -0, 19.2, -19.2, 1e-300]);
    [wasm, ts].forEach((ws, w) => {
      ws.f64.set(x, at[w].src);
      ws.tanh(at[w].src, at[w].dst, n);
      ws.scale(at[w].src, n - 8, 0.3); // the finite entries after the specials
    });
    const same = (a: Float64Array, b: Float64Array) => a.every((v, i) => Object.is(v, b[i]));
    expect(same(wasm.f64.slice(at[0].dst, at[0].dst + n), ts.f64.slice(at[1].dst, at[1].dst + n))).toBe(true);
    expect(same(wasm.f64.slice(at[0].src, at[0].src + n), ts.f64.slice(at[1].src, at[1].src + n))).toBe(true);
    const [m, cols, ldi] = [7, 9, 13];
    const regions = [wasm, ts].map((ws) => ({ v: ws.alloc(m * cols), vff: ws.alloc(m * cols), phiff: ws.alloc(m * cols), inp: ws.alloc(m * ldi), rin: ws.alloc(m * cols), r: ws.alloc(m * cols), d: ws.alloc(m * cols), noise: ws.alloc(m * cols) }));
    for (const act of ['tanh', 'linear'] as const) {
      for (const mode of ['none', 'store', 'add'] as const) {
        for (const withPhiff of [false, true]) {
          for (const withNoise of [false, true]) {
            const init = { v: roughVec(rng, m * cols), vff: roughVec(rng, m * cols), phiff: roughVec(rng, m * cols), inp: roughVec(rng, m * ldi), rin: roughVec(rng, m * cols), d: roughVec(rng, m * cols), noise: roughVec(rng, m * cols) };
            const run = (ws: Workspace, R: (typeof regions)[0]) => {
              for (const key of Object.keys(init) as (keyof typeof init)[]) ws.f64.set(init[key], R[key]);
              // c = 0.7: a step large enough that another order of the operations shows in the bits
              const args: RateStepArgs = { v: R.v, vff: R.vff, phiff: withPhiff ? R.phiff : 0, inp: R.inp, ldi, rin: R.rin, r: R.r, c: 0.7, act, mode, d: R.d, noise: withNoise ? R.noise : 0 };
              const sum = ws.rateStep(m, cols, args);
              return { sum, v: ws.f64.slice(R.v, R.v + m * cols), r: ws.f64.slice(R.r, R.r + m * cols), d: ws.f64.slice(R.d, R.d + m * cols) };
            };
            const a = run(wasm, regions[0]);
            const b = run(ts, regions[1]);
            expect(same(a.v, b.v) && same(a.r, b.r) && same(a.d, b.d)).toBe(true);
            expect(Math.abs(a.sum - b.sum)).toBeLessThanOrEqual(1e-14 * a.v.reduce((s, v) => s + Math.abs(v), 0));
          }
        }
      }
    }
  });

  it("createWorkspace: the wasm workspace where wasm may run, the TypeScript one with the 'ts' backend", () => {
    useBackend('ts');
    expect(createWorkspace()).toBeInstanceOf(TsWorkspace);
    useBackend('wasm');
    expect(createWorkspace()).toBeInstanceOf(WasmWorkspace);
  });
});

describe('WasmWorkspace (resident operands)', () => {
  it('mulRows: C = A·Bt (strided rows, accumulate) equals plain loops bit for bit on odd shapes', () => {
    const ws = WasmWorkspace.create()!;
    const rng = lcg(77);
    const shapes: [number, number, number][] = [[1, 1, 1], [2, 8, 3], [3, 9, 5], [5, 20, 5], [128, 10, 10], [7, 17, 1], [6, 3, 33], [1, 19, 7]];
    const regions = shapes.map(([m, n, k]) => ({ a: ws.alloc(m * (k + 3)), b: ws.alloc(k * (n + 1)), c: ws.alloc(m * (n + 2)) }));
    shapes.forEach(([m, n, k], s) => {
      const { a, b, c } = regions[s];
      const lda = k + 3;
      const ldb = n + 1;
      const ldc = n + 2;
      const A = put(ws, rng, a, m * lda);
      const Bt = put(ws, rng, b, k * ldb);
      for (const acc of [false, true]) {
        const C0 = put(ws, rng, c, m * ldc);
        ws.mulRows(m, n, k, a, lda, b, ldb, c, ldc, acc);
        const h = ws.f64;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < ldc; j++) {
            if (j >= n) {
              expect(h[c + i * ldc + j]).toBe(C0[i * ldc + j]); // padding untouched
              continue;
            }
            let want = 0;
            for (let p = 0; p < k; p++) want += A[i * lda + p] * Bt[p * ldb + j];
            if (acc) want = C0[i * ldc + j] + want;
            expect(h[c + i * ldc + j]).toBe(want); // same order of sums: equal bits
          }
        }
      }
    });
  });

  it.each(BACKENDS.filter((b) => b !== 'ts' && !b.startsWith('engine ts')))('gemm on resident operands matches ml-matrix and needs reserveGemm (backend %s)', (backend) => {
    useBackend(backend);
    const ws = WasmWorkspace.create()!;
    const rng = lcg(78);
    const [m, n, k] = [13, 70, 65];
    const a = ws.alloc(m * k);
    const b = ws.alloc(n * k);
    const c = ws.alloc(m * n);
    expect(() => ws.gemm(m, n, k, a, k, 1, b, 1, k, c, 1, 0)).toThrow(/needs reserveGemm\(13, 70, 65\) first/);
    expectGemm(ws, rng, [m, n, k]);
  });

  it("is not available with the 'ts' backend (createWorkspace gives the TypeScript twin then)", () => {
    useBackend('ts');
    expect(WasmWorkspace.create()).toBeNull();
    useBackend('wasm');
    expect(WasmWorkspace.create()).not.toBeNull();
  });
});
