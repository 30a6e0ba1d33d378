/**
 * Benchmark of the dense kernels in src/linalg/kernels.ts against ml-matrix.
 *
 *   npx tsx bench/kernels.ts          (prints a table)
 *
 * bench/run.ts imports benchKernels(). Each row is the median GFLOP/s over several repeats (each
 * repeat times enough calls to last ~40 ms, after a warm-up), with the min/max in the note. Flops counted as
 * 2n³ for an n x n matrix product and 2n² for a matrix-vector product.
 */
import { Matrix } from 'ml-matrix';
import { pathToFileURL } from 'node:url';
import { mat, type Mat } from '../src/linalg/mat';
import {
  getGemmBackend,
  matMul,
  matMulTA,
  matMulTB,
  matTVec,
  matVec,
  setGemmBackend,
  wasmAvailable,
  WasmWorkspace,
  type GemmBackend,
} from '../src/linalg/kernels';
import { type BenchRow } from './types';


const SIZES = [100, 256, 784];
const REPEATS = 7;
const TARGET_MS = 40;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function randMat(rng: () => number, n: number): Mat {
  const m = mat(n, n);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng();
  return m;
}

function randVec(rng: () => number, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng();
  return v;
}

/** Median/min/max GFLOP/s of fn, which does `flops` floating-point operations per call. */
function measure(name: string, size: string, flops: number, fn: () => void, repeats = REPEATS, note = ''): BenchRow {
  // warm up (JIT tiers, scratch growth) for >= 60 ms, then estimate the cost of one call
  let t0 = performance.now();
  let calls = 0;
  do {
    fn();
    calls++;
  } while (performance.now() - t0 < 60 || calls < 2);
  t0 = performance.now();
  calls = 0;
  do {
    fn();
    calls++;
  } while (performance.now() - t0 < 20);
  const perCall = (performance.now() - t0) / calls;
  const reps = Math.max(1, Math.round(TARGET_MS / Math.max(perCall, 1e-6)));
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const s = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const ms = (performance.now() - s) / reps;
    rates.push(flops / (ms * 1e6));
  }
  rates.sort((a, b) => a - b);
  const med = rates[Math.floor(rates.length / 2)];
  const spread = `min ${rates[0].toFixed(2)} / max ${rates[rates.length - 1].toFixed(2)} over ${repeats}x${reps} calls`;
  return { name, size, value: med, unit: 'GFLOP/s', note: note ? `${spread}; ${note}` : spread };
}

export async function benchKernels(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = lcg(20240601);
  const saved = getGemmBackend();
  const autoEngine = wasmAvailable() ? 'wasm simd' : 'ts packed (no wasm)';
  try {
    for (const n of SIZES) {
      const size = `${n}x${n}`;
      const A = randMat(rng, n);
      const B = randMat(rng, n);
      const C = mat(n, n);
      const x = randVec(rng, n);
      const y = new Float64Array(n);
      const mv = 2 * n * n;
      const mm = 2 * n * n * n;

      setGemmBackend('auto');
      const mvEngine = wasmAvailable() ? 'wasm simd, incl. copy in/out' : 'ts (no wasm)';
      rows.push(measure('matVec', size, mv, () => matVec(A, x, y), REPEATS, mvEngine));
      rows.push(measure('matTVec', size, mv, () => matTVec(A, x, y), REPEATS, mvEngine));
      setGemmBackend('ts-direct');
      rows.push(measure('matVec [ts]', size, mv, () => matVec(A, x, y), REPEATS, 'pure TS fallback'));
      setGemmBackend('auto');

      rows.push(measure('matMul', size, mm, () => matMul(A, B, C), REPEATS, autoEngine));
      rows.push(measure('matMulTA', size, mm, () => matMulTA(A, B, C), REPEATS, autoEngine));
      rows.push(measure('matMulTB', size, mm, () => matMulTB(A, B, C), REPEATS, autoEngine));
      const fallback: GemmBackend = 'ts-packed';
      setGemmBackend(fallback);
      rows.push(measure('matMul [ts-packed]', size, mm, () => matMul(A, B, C), REPEATS, 'TS 4x4 fallback'));
      setGemmBackend('auto');

      const mlA = new Matrix(Array.from({ length: n }, (_, i) => Array.from(A.data.subarray(i * n, (i + 1) * n))));
      const mlB = new Matrix(Array.from({ length: n }, (_, i) => Array.from(B.data.subarray(i * n, (i + 1) * n))));
      const mlx = Matrix.columnVector(Array.from(x));
      rows.push(measure('ml-matrix mmul', size, mm, () => void mlA.mmul(mlB), n >= 784 ? 3 : REPEATS, 'allocates'));
      rows.push(measure('ml-matrix mmul (vec)', size, mv, () => void mlA.mmul(mlx), REPEATS, 'allocates'));
    }
    rows.push(...smallProducts(rng));
  } finally {
    setGemmBackend(saved);
  }
  return rows;
}

/**
 * The small products of a DFC settling step (batch 128 rows times a 10x10 or 5x20 right operand):
 * matMulTB (copies both operands into wasm and packs them every call) against
 * WasmWorkspace.mulRows on operands that stay in wasm memory, plus its tanh (Gelem/s = 1e9
 * elements per second in the value column's unit).
 */
function smallProducts(rng: () => number): BenchRow[] {
  const rows: BenchRow[] = [];
  const ws = WasmWorkspace.create();
  for (const [m, n, k] of [
    [128, 10, 10],
    [128, 20, 5],
  ]) {
    const size = `${m}x${k} * (${n}x${k})ᵀ`;
    const A = mat(m, k);
    const B = mat(n, k);
    const C = mat(m, n);
    for (let i = 0; i < A.data.length; i++) A.data[i] = rng();
    for (let i = 0; i < B.data.length; i++) B.data[i] = rng();
    const flops = 2 * m * n * k;
    rows.push(measure('matMulTB (small)', size, flops, () => matMulTB(A, B, C), REPEATS, `${wasmAvailable() ? 'wasm simd' : 'ts'}, copy in/out + packing per call`));
    if (ws !== null) {
      const a = ws.alloc(m * k);
      const bt = ws.alloc(k * n);
      const c = ws.alloc(m * n);
      ws.f64.set(A.data, a);
      for (let i = 0; i < n; i++) for (let p = 0; p < k; p++) ws.f64[bt + p * n + i] = B.data[i * k + p];
      rows.push(measure('WasmWorkspace.mulRows', size, flops, () => ws.mulRows(m, n, k, a, k, bt, n, c, n), REPEATS, 'resident operands, unpacked'));
    }
  }
  if (ws !== null) {
    const n = 1280;
    const x = ws.alloc(n);
    for (let i = 0; i < n; i++) ws.f64[x + i] = 3 * rng();
    const y = ws.alloc(n);
    const row = measure('WasmWorkspace.tanh', `${n}`, n, () => ws.tanh(x, y, n), REPEATS, '1e9 tanh per second (f64x2 SIMD, |err| <= 4.5e-16)');
    rows.push({ ...row, unit: 'Gelem/s' });
  }
  return rows;
}

export function formatRows(rows: BenchRow[]): string {
  const w0 = Math.max(4, ...rows.map((r) => r.name.length));
  const w1 = Math.max(4, ...rows.map((r) => r.size.length));
  const lines = [`${'name'.padEnd(w0)}  ${'size'.padEnd(w1)}  ${'value'.padStart(8)}  unit      note`];
  for (const r of rows) {
    lines.push(`${r.name.padEnd(w0)}  ${r.size.padEnd(w1)}  ${r.value.toFixed(2).padStart(8)}  ${r.unit.padEnd(8)}  ${r.note ?? ''}`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchKernels().then(
    (rows) => console.log(formatRows(rows)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
