/**
 * The BLAS backend with a system OpenBLAS (Debian: apt-get install libopenblas0-pthread, which
 * `.ci/run` installs): it is found and used ('auto' per call above the thresholds, 'blas' always),
 * agrees with the wasm kernels within rounding, gives the same bits for the same seed, and reaches
 * worker threads, the command line and the run manifest. Without OpenBLAS every test here fails
 * with a message naming the package.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/io/run';
import { Rng } from '../../src/core/random';
import { BLAS_MIN_GEMM, BLAS_MIN_RESIDENT, blasCallCount, blasLibrary, forceEngine, linalgInfo, setBackend, type Engine } from '../../src/linalg/backend';
import { batchOuterAcc, matMul, matMulTA, matMulTB, matTVec, matVec, outerAcc, WasmWorkspace } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { runTasks } from '../../src/parallel/pool';
import { DfcEngine } from '../../models/dfc/engine';
import { DfcNet, initForwardWeights, productFeedback } from '../../models/dfc/network';
import { MNIST_FORWARD } from '../../models/dfc/experiments/mnist';

const root = path.resolve(__dirname, '..', '..');
const INSTALL = 'OpenBLAS is not installed: apt-get install -y libopenblas0-pthread (or libopenblas0), or set CREDITFLOW_BLAS to a CBLAS library';

function requireBlas() {
  const blas = blasLibrary();
  if (blas === null) throw new Error(`${INSTALL} (${linalgInfo().note})`);
  return blas;
}

afterEach(() => {
  forceEngine(null);
  setBackend('auto');
});

function rand(rng: Rng, rows: number, cols: number, offset = 0): Mat {
  const backing = new Float64Array(offset + rows * cols + 3).fill(NaN);
  const data = backing.subarray(offset, offset + rows * cols);
  rng.fillUniform(data, -1, 1);
  return mat(rows, cols, data);
}

function maxRel(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return Number.isNaN(num) ? Infinity : num / Math.max(den, 1e-300);
}

/** Runs `fn` with one engine forced for every product. */
function on<T>(engine: Engine, fn: () => T): T {
  forceEngine(engine);
  try {
    return fn();
  } finally {
    forceEngine(null);
  }
}

describe('OpenBLAS is found and used', () => {
  it('is found, one thread by default, OPENBLAS_CORETYPE left as the environment sets it', () => {
    const coretype = process.env.OPENBLAS_CORETYPE;
    const blas = requireBlas();
    expect(blas.realPath).toMatch(/openblas/i);
    expect(blas.config).toMatch(/^OpenBLAS /);
    expect(blas.threads).toBe(1);
    expect(process.env.OPENBLAS_CORETYPE).toBe(coretype);
    setBackend('blas');
    expect(linalgInfo()).toMatchObject({ backend: 'blas', blas: { realPath: blas.realPath, threads: 1 }, note: '' });
  });

  it("'auto' takes BLAS per call above the measured thresholds and wasm below; 'blas' takes it always", () => {
    requireBlas();
    const rng = new Rng(1);
    const count = (fn: () => void) => {
      const before = blasCallCount();
      fn();
      return blasCallCount() - before;
    };
    setBackend('auto');
    const small = Math.floor(Math.cbrt(BLAS_MIN_GEMM - 1)); // m·n·k below the threshold
    const big = Math.ceil(Math.cbrt(BLAS_MIN_GEMM)) + 1;
    expect(count(() => matMul(rand(rng, small, small), rand(rng, small, small), mat(small, small)))).toBe(0);
    expect(count(() => matMul(rand(rng, big, big), rand(rng, big, big), mat(big, big)))).toBe(1);
    const ws = WasmWorkspace.create()!;
    const a = ws.alloc(128 * 10);
    const b = ws.alloc(10 * 10);
    const c = ws.alloc(128 * 10);
    ws.reserveGemm(128, 10, 10);
    expect(128 * 10 * 10).toBeGreaterThanOrEqual(BLAS_MIN_RESIDENT);
    expect(count(() => ws.gemm(128, 10, 10, a, 10, 1, b, 1, 10, c, 1, 0))).toBe(1);
    expect(count(() => ws.gemm(4, 10, 10, a, 10, 1, b, 1, 10, c, 1, 0))).toBe(0);
    setBackend('blas');
    expect(count(() => matMul(rand(rng, 2, 2), rand(rng, 2, 2), mat(2, 2)))).toBe(1);
    expect(count(() => matVec(rand(rng, 3, 2), new Float64Array(2), new Float64Array(3)))).toBe(1);
  });
});

describe('BLAS agrees with the wasm kernels within rounding', () => {
  it('every product (transposed variants, rank-1 and rank-k updates, views at odd offsets, alpha/beta)', () => {
    requireBlas();
    const rng = new Rng(7);
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 5, 7],
      [17, 31, 13],
      [64, 64, 64],
      [101, 300, 35],
      [128, 256, 256],
    ]) {
      for (const [alpha, beta] of [
        [1, 0],
        [-0.75, 1],
        [1.25, -0.5],
      ]) {
        const cases: [string, Mat, Mat, Mat, typeof matMul][] = [
          ['matMul', rand(rng, m, k, 3), rand(rng, k, n, 1), rand(rng, m, n, 5), matMul],
          ['matMulTA', rand(rng, k, m, 3), rand(rng, k, n, 1), rand(rng, m, n, 5), matMulTA],
          ['matMulTB', rand(rng, m, k, 3), rand(rng, n, k, 1), rand(rng, m, n, 5), matMulTB],
        ];
        for (const [name, A, B, C, fn] of cases) {
          const Cw = mat(C.rows, C.cols, C.data.slice());
          on('wasm', () => fn(A, B, Cw, alpha, beta));
          on('blas', () => fn(A, B, C, alpha, beta));
          expect(maxRel(C.data, Cw.data), `${name} ${m}x${k}x${n}`).toBeLessThanOrEqual(1e-13);
        }
        const A = rand(rng, m, n, 3);
        const x = rand(rng, 1, n, 1).data;
        const xt = rand(rng, 1, m, 1).data;
        const y = rand(rng, 1, m, 2).data;
        const yt = rand(rng, 1, n, 2).data;
        const [yw, ytw] = [y.slice(), yt.slice()];
        on('wasm', () => (matVec(A, x, yw, alpha, beta), matTVec(A, xt, ytw, alpha, beta)));
        on('blas', () => (matVec(A, x, y, alpha, beta), matTVec(A, xt, yt, alpha, beta)));
        expect(maxRel(y, yw)).toBeLessThanOrEqual(1e-13);
        expect(maxRel(yt, ytw)).toBeLessThanOrEqual(1e-13);
        const G = rand(rng, m, n, 1);
        const Gt = mat(m, n, G.data.slice());
        on('ts-direct', () => outerAcc(Gt, xt, x, alpha));
        on('blas', () => outerAcc(G, xt, x, alpha));
        expect(maxRel(G.data, Gt.data)).toBeLessThanOrEqual(1e-13);
        const X = rand(rng, 32, m, 3);
        const Y = rand(rng, 32, n, 1);
        on('wasm', () => batchOuterAcc(Gt, X, Y, alpha));
        on('blas', () => batchOuterAcc(G, X, Y, alpha));
        expect(maxRel(G.data, Gt.data)).toBeLessThanOrEqual(1e-13);
      }
    }
  });
});

/** A short DFC settling at MNIST width (reduced): the accumulated eq. (5) update. */
function dfcUpdate(sizes: number[], batch: number, steps: number): Float64Array[] {
  const net = new DfcNet({ sizes, hidden: 'tanh', loss: 'cross-entropy' });
  const rng = new Rng(42);
  const W = initForwardWeights(net, rng);
  const p = { W, Q: productFeedback(net, W) };
  const X = mat(batch, sizes[0]);
  rng.fillUniform(X.data, -1, 1);
  const { R } = net.feedforwardBatch(W, X);
  const nL = sizes[sizes.length - 1];
  const Rstar = mat(batch, nL);
  for (let k = 0; k < Rstar.data.length; k++) Rstar.data[k] = R[net.L].data[k] + MNIST_FORWARD.lambda * (rng.uniform() - 0.5);
  const res = new DfcEngine(net, batch).wake(p, X, Rstar, { ...MNIST_FORWARD, steps }, { accumulate: true });
  expect(res.status).toBe('ok');
  return res.dW!.map((g) => g.data);
}

describe('same backend, same seed, same bits', () => {
  it('a DFC settling (784-64-64-10, batch 32, 50 steps) twice on BLAS: equal bits; against wasm: rounding only', () => {
    requireBlas();
    const sizes = [784, 64, 64, 10];
    setBackend('blas');
    const a = dfcUpdate(sizes, 32, 50);
    const b = dfcUpdate(sizes, 32, 50);
    a.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(b[i])));
    setBackend('wasm');
    const w = dfcUpdate(sizes, 32, 50);
    a.forEach((g, i) => expect(maxRel(g, w[i])).toBeLessThanOrEqual(1e-9));
  });
});

describe('worker threads, the command line and the manifest', () => {
  it('worker threads use BLAS, from the same library file, when the parent does', async () => {
    const blas = requireBlas();
    setBackend('blas');
    const module = path.join(root, 'test', 'fixtures', 'backend-task.ts');
    const got = await runTasks<{ backend: string; library: string | null; threads: number | null; productOnBlas: boolean }>([0, 1].map((i) => ({ module, fn: 'backendHere', args: { i } })), { workers: 2 });
    expect(got).toEqual([0, 1].map(() => ({ backend: 'blas', library: blas.realPath, threads: 1, productOnBlas: true })));
  });

  it('creditflow reproduce --backend blas: the manifest names the library; the same bits in workers and in one thread; 2 BLAS threads on request', async () => {
    const blas = requireBlas();
    const run = promisify(execFile);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-blas-'));
    const args = (dir: string, workers: number) => [
      path.join(root, 'src', 'cli', 'main.ts'), 'reproduce', 'dfc-mnist', '--rows', 'DFC,BP', '--epochs', '1', '--fb-pretrain-epochs', '0', '--fb-epochs', '0',
      '--train-size', '64', '--steps', '20', '--hidden', '32', '--workers', String(workers), '--backend', 'blas', '--out', path.join(out, dir), '--no-png', '--checkpoint-every', '0', '--json',
    ];
    const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
    await run(tsx, args('workers', 2), { cwd: root });
    await run(tsx, args('serial', 1), { cwd: root });
    await run(tsx, args('threads', 1), { cwd: root, env: { ...process.env, CREDITFLOW_BLAS_THREADS: '2' } });
    const manifest = (d: string) => JSON.parse(fs.readFileSync(path.join(out, d, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest('workers').linalg).toMatchObject({ backend: 'blas', blas: { realPath: blas.realPath, threads: 1 } });
    expect(manifest('threads').linalg).toMatchObject({ backend: 'blas', blas: { realPath: blas.realPath, threads: 2 } });
    type Row = { label: string; epochs: { testLoss: number }[]; initialTestLoss: number };
    const results = (d: string) => (JSON.parse(fs.readFileSync(path.join(out, d, 'results.json'), 'utf8')) as { results: Row[] }).results.map((r) => ({ label: r.label, epochs: r.epochs, initial: r.initialTestLoss }));
    expect(results('workers')).toEqual(results('serial'));
    // more BLAS threads split large products differently: the last bits may change, nothing more
    results('threads').forEach((r, i) => {
      const s = results('serial')[i];
      expect(Math.abs(r.initial - s.initial)).toBeLessThanOrEqual(1e-12 * Math.abs(s.initial));
      expect(Math.abs(r.epochs[0].testLoss - s.epochs[0].testLoss)).toBeLessThanOrEqual(1e-9 * Math.abs(s.epochs[0].testLoss));
    });
  });
});
