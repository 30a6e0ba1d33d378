/**
 * Benchmark of the dense kernels in src/linalg/kernels.ts on every backend (src/linalg/backend.ts:
 * 'auto', 'blas' where a system OpenBLAS is found, 'wasm', 'ts') and against ml-matrix.
 *
 *   npx tsx bench/kernels.ts          (prints a table; --quick for fewer rounds)
 *
 * bench/run.ts imports benchKernels(). Backends are measured side by side: each round times a
 * block of calls (long enough to last ~40 ms) on every backend in turn, and each row is the median
 * over the rounds, with the min and max and the 1-minute load average in the note (the machine may
 * be shared: spread and load say how much). Flops counted as 2mnk for a matrix product and 2mn for
 * a matrix-vector product.
 *
 * The "auto crossover" rows time the same call on the wasm (or TypeScript) engine and on BLAS at
 * sizes around each threshold where 'auto' switches to BLAS (BLAS_MIN_* in src/linalg/backend.ts):
 * the thresholds were set from these rows (the FFI call and BLAS's set-up cost about 1-2 µs, so
 * below them wasm is as fast or faster).
 */
import { Matrix } from 'ml-matrix';
import { pathToFileURL } from 'node:url';
import { mat, type Mat } from '../src/linalg/mat';
import { matMul, matMulTA, matMulTB, matTVec, matVec, outerAcc, WasmWorkspace } from '../src/linalg/kernels';
import { BLAS_MIN_GEMM, BLAS_MIN_GEMV, BLAS_MIN_GER, BLAS_MIN_RESIDENT, blasAvailable, blasLibrary, forceEngine, getBackend, setBackend, type Engine } from '../src/linalg/backend';
import { backends, interleaved, load1, median, type BenchRow, type Contender } from './types';

const SIZES = [100, 256, 784];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function randMat(rng: () => number, rows: number, cols = rows): Mat {
  const m = mat(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng();
  return m;
}

function randVec(rng: () => number, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng();
  return v;
}

/** One engine forced for every size (crossover rows). */
function engine(e: Engine): () => void {
  return () => {
    setBackend('auto');
    forceEngine(e);
  };
}

/** Rows of GFLOP/s (median over rounds, min–max in the note) for contenders doing `flops` per call. */
function flopRows(contenders: readonly Contender[], size: string, flops: number, rounds: number, notes: Record<string, string> = {}): BenchRow[] {
  const before = load1();
  const secs = interleaved(contenders, rounds);
  const load = `load ${before} -> ${load1()}`;
  return contenders.map((c, i) => {
    const rates = secs[i].map((s) => flops / s / 1e9);
    const note = `${rounds} interleaved rounds, min ${Math.min(...rates).toFixed(2)} / max ${Math.max(...rates).toFixed(2)}; ${load}${notes[c.name] ? `; ${notes[c.name]}` : ''}`;
    return { name: c.name, size, value: median(rates), unit: 'GFLOP/s', note };
  });
}

export async function benchKernels(opts: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = lcg(20240601);
  const saved = getBackend();
  const rounds = opts.quick ? 3 : 7;
  const blas = blasAvailable() ? blasLibrary() : null;
  const lib = blas ? `${blas.realPath}, ${blas.threads ?? '?'} thread(s)${blas.core ? `, core ${blas.core}` : ''}` : 'no BLAS found';
  const autoNote = `auto = ${blas ? 'BLAS above the thresholds' : 'wasm (no BLAS found)'}`;
  try {
    for (const n of SIZES) {
      const size = `${n}x${n}`;
      const A = randMat(rng, n);
      const B = randMat(rng, n);
      const C = mat(n, n);
      const x = randVec(rng, n);
      const y = new Float64Array(n);
      const mm = 2 * n * n * n;
      const mv = 2 * n * n;
      const notes = { 'matMul [auto]': autoNote, 'matMul [blas]': lib, 'matMul [ts]': 'packed 4x4 TypeScript' };
      // the ts backend at 784 takes ~1 s a call: fewer rounds there
      const bk = backends().filter((b) => !(opts.quick && n === 784 && b.name === 'ts'));
      rows.push(...flopRows(bk.map((b) => ({ name: `matMul [${b.name}]`, setup: b.setup, fn: () => matMul(A, B, C) })), size, mm, n === 784 ? Math.min(rounds, 3) : rounds, notes));
      rows.push(
        ...flopRows(
          backends()
            .filter((b) => b.name === 'auto')
            .flatMap((b) => [
              { name: 'matMulTA [auto]', setup: b.setup, fn: () => matMulTA(A, B, C) },
              { name: 'matMulTB [auto]', setup: b.setup, fn: () => matMulTB(A, B, C) },
            ]),
          size,
          mm,
          opts.quick ? 2 : 3,
          { 'matMulTA [auto]': autoNote, 'matMulTB [auto]': autoNote },
        ),
      );
      rows.push(...flopRows(backends().map((b) => ({ name: `matVec [${b.name}]`, setup: b.setup, fn: () => matVec(A, x, y) })), size, mv, rounds));
      rows.push(...flopRows(backends().map((b) => ({ name: `matTVec [${b.name}]`, setup: b.setup, fn: () => matTVec(A, x, y) })), size, mv, rounds));

      setBackend('auto');
      forceEngine(null);
      const toRows = (M: Mat) => Array.from({ length: M.rows }, (_, i) => Array.from(M.data.subarray(i * M.cols, (i + 1) * M.cols)));
      const mlA = new Matrix(toRows(A));
      const mlB = new Matrix(toRows(B));
      const mlx = Matrix.columnVector(Array.from(x));
      const none = () => {};
      rows.push(...flopRows([{ name: 'ml-matrix mmul', setup: none, fn: () => void mlA.mmul(mlB) }], size, mm, n >= 784 ? 2 : 3, { 'ml-matrix mmul': 'allocates' }));
      rows.push(...flopRows([{ name: 'ml-matrix mmul (vec)', setup: none, fn: () => void mlA.mmul(mlx) }], size, mv, 3, { 'ml-matrix mmul (vec)': 'allocates' }));
    }
    if (blas) rows.push(...crossovers(rng, opts.quick ? 3 : 5));
    rows.push(...smallProducts(rng, opts.quick ? 3 : 5));
  } finally {
    forceEngine(null);
    setBackend(saved);
  }
  return rows;
}

/**
 * Time per call of wasm (TypeScript for rank-1 updates) against BLAS at sizes below, near and above
 * each 'auto' threshold; the note says which engine 'auto' takes there.
 */
function crossovers(rng: () => number, rounds: number): BenchRow[] {
  const rows: BenchRow[] = [];
  const row = (what: string, size: string, work: number, min: number, other: Engine, call: () => void) => {
    const [tOther, tBlas] = interleaved(
      [
        { name: other, setup: engine(other), fn: call },
        { name: 'blas', setup: engine('blas'), fn: call },
      ],
      rounds,
    );
    const a = median(tOther) * 1e6;
    const b = median(tBlas) * 1e6;
    rows.push({
      name: `auto crossover: ${what}`,
      size,
      value: a / b,
      unit: `x (${other} / blas time)`,
      note: `${other} ${a.toFixed(2)} µs, blas ${b.toFixed(2)} µs (medians of ${rounds} interleaved rounds); auto takes ${work >= min ? 'blas' : other} (threshold ${min})`,
    });
  };
  for (const n of [8, 12, 16, 24]) {
    const A = randMat(rng, n);
    const B = randMat(rng, n);
    const C = mat(n, n);
    row(`matMulTB (operands copied into wasm)`, `${n}x${n}x${n} = ${n ** 3}`, n ** 3, BLAS_MIN_GEMM, 'wasm', () => matMulTB(A, B, C));
  }
  for (const n of [16, 24, 32, 64]) {
    const A = randMat(rng, n);
    const x = randVec(rng, n);
    const y = new Float64Array(n);
    row('matVec', `${n}x${n} = ${n * n}`, n * n, BLAS_MIN_GEMV, 'wasm', () => matVec(A, x, y));
  }
  for (const n of [8, 16, 32]) {
    const A = randMat(rng, n);
    const x = randVec(rng, n);
    const y = randVec(rng, n);
    row('outerAcc', `${n}x${n} = ${n * n}`, n * n, BLAS_MIN_GER, 'ts-direct', () => outerAcc(A, x, y, 1e-12));
  }
  const ws = WasmWorkspace.create();
  if (ws !== null) {
    for (const [m, n, k] of [
      [16, 16, 16],
      [128, 5, 10],
      [128, 10, 10],
      [10, 10, 512],
    ]) {
      const a = ws.alloc(m * k);
      const b = ws.alloc(n * k);
      const c = ws.alloc(m * n);
      ws.reserveGemm(m, n, k);
      for (let i = 0; i < m * k; i++) ws.f64[a + i] = rng();
      for (let i = 0; i < n * k; i++) ws.f64[b + i] = rng();
      row('WasmWorkspace.gemm (resident operands)', `${m}x${n}x${k} = ${m * n * k}`, m * n * k, BLAS_MIN_RESIDENT, 'wasm', () => ws.gemm(m, n, k, a, k, 1, b, 1, k, c, 1, 0));
    }
  }
  return rows;
}

/**
 * The small products of a DFC settling step (batch 128 rows times a 10x10 or 5x20 right operand):
 * matMulTB (copies both operands into wasm and packs them every call, or one BLAS call) against
 * WasmWorkspace.mulRows on operands that stay in wasm memory, plus its tanh (Gelem/s = 1e9
 * elements per second in the value column's unit).
 */
function smallProducts(rng: () => number, rounds: number): BenchRow[] {
  const rows: BenchRow[] = [];
  setBackend('auto');
  forceEngine(null);
  const ws = WasmWorkspace.create();
  const auto = () => {
    forceEngine(null);
    setBackend('auto');
  };
  for (const [m, n, k] of [
    [128, 10, 10],
    [128, 20, 5],
  ]) {
    const size = `${m}x${k} * (${n}x${k})ᵀ`;
    const A = randMat(rng, m, k);
    const B = randMat(rng, n, k);
    const C = mat(m, n);
    const flops = 2 * m * n * k;
    const contenders: Contender[] = backends().map((b) => ({ name: `matMulTB (small) [${b.name}]`, setup: b.setup, fn: () => matMulTB(A, B, C) }));
    if (ws !== null) {
      const a = ws.alloc(m * k);
      const bt = ws.alloc(k * n);
      const c = ws.alloc(m * n);
      ws.f64.set(A.data, a);
      for (let i = 0; i < n; i++) for (let p = 0; p < k; p++) ws.f64[bt + p * n + i] = B.data[i * k + p];
      contenders.push({ name: 'WasmWorkspace.mulRows', setup: auto, fn: () => ws.mulRows(m, n, k, a, k, bt, n, c, n) });
    }
    rows.push(...flopRows(contenders, size, flops, rounds, { 'WasmWorkspace.mulRows': 'resident operands, unpacked' }));
  }
  if (ws !== null) {
    const n = 1280;
    const x = ws.alloc(n);
    for (let i = 0; i < n; i++) ws.f64[x + i] = 3 * rng();
    const y = ws.alloc(n);
    const [row] = flopRows([{ name: 'WasmWorkspace.tanh', setup: auto, fn: () => ws.tanh(x, y, n) }], `${n}`, n, rounds, { 'WasmWorkspace.tanh': '1e9 tanh per second (f64x2 SIMD, |err| <= 4.5e-16)' });
    rows.push({ ...row, unit: 'Gelem/s' });
  }
  return rows;
}

export function formatRows(rows: BenchRow[]): string {
  const w0 = Math.max(4, ...rows.map((r) => r.name.length));
  const w1 = Math.max(4, ...rows.map((r) => r.size.length));
  const w2 = Math.max(8, ...rows.map((r) => r.unit.length));
  const lines = [`${'name'.padEnd(w0)}  ${'size'.padEnd(w1)}  ${'value'.padStart(8)}  ${'unit'.padEnd(w2)}  note`];
  for (const r of rows) {
    lines.push(`${r.name.padEnd(w0)}  ${r.size.padEnd(w1)}  ${r.value.toFixed(2).padStart(8)}  ${r.unit.padEnd(w2)}  ${r.note ?? ''}`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchKernels({ quick: process.argv.includes('--quick') }).then(
    (rows) => console.log(formatRows(rows)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
