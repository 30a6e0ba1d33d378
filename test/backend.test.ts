/**
 * The linear-algebra backend choice (src/linalg/backend.ts, blas.ts) on any machine: bad input
 * gives one-line errors that say what to install or set, 'auto' falls back to wasm without a BLAS,
 * worker threads use the parent's backend, and a run's manifest records it. With OpenBLAS
 * installed, test/system/blas.test.ts checks that the BLAS is found and used.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RunOutput, type Manifest } from '../src/io/run';
import { blasCallCount, forceEngine, getBackend, linalgInfo, setBackend } from '../src/linalg/backend';
import { matMul } from '../src/linalg/kernels';
import { mat } from '../src/linalg/mat';
import { runTasks } from '../src/parallel/pool';

const root = path.resolve(__dirname, '..');
const ENV_KEYS = ['CREDITFLOW_BLAS', 'CREDITFLOW_BLAS_SEARCH', 'CREDITFLOW_BLAS_THREADS'] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

afterEach(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  forceEngine(null);
  setBackend('auto');
});

function emptyDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-noblas-'));
}

/** A shared library this process has loaded that is not a BLAS (libm). */
function libm(): string {
  const maps = fs.readFileSync('/proc/self/maps', 'utf8');
  const m = /\s(\/\S*\/libm\.so\.6)\s*$/m.exec(maps);
  if (!m) throw new Error('libm.so.6 is not mapped in this process (test needs Linux)');
  return m[1];
}

describe('setBackend', () => {
  it('rejects an unknown backend and bad thread counts, naming the valid values', () => {
    expect(() => setBackend('gpu' as never)).toThrow("backend must be one of auto, blas, wasm, ts (got 'gpu')");
    expect(() => setBackend('auto', { threads: 0 })).toThrow('BLAS threads must be an integer >= 1 (got 0)');
    expect(getBackend()).toBe('auto');
  });

  it('CREDITFLOW_BLAS naming a missing file, a non-library or a library without CBLAS: one line saying what to set', () => {
    process.env.CREDITFLOW_BLAS = '/nonexistent/libopenblas.so.0';
    expect(() => setBackend('auto')).toThrow(/^CREDITFLOW_BLAS=\/nonexistent\/libopenblas\.so\.0: no such file; set CREDITFLOW_BLAS to the path of a CBLAS library \(e\.g\. .*libopenblas0-pthread\) or unset it$/);
    process.env.CREDITFLOW_BLAS = path.join(root, 'package.json');
    expect(() => setBackend('blas')).toThrow(/package\.json is not a usable CBLAS library: cannot load it \(.*\); point CREDITFLOW_BLAS at OpenBLAS \(apt-get install libopenblas0-pthread/);
    process.env.CREDITFLOW_BLAS = libm();
    expect(() => setBackend('auto')).toThrow(/libm\.so\.6 is not a usable CBLAS library: it has no CBLAS interface \(.*cblas_dgemm.*\)/);
    for (const e of [() => setBackend('auto'), () => setBackend('blas')]) {
      try {
        e();
      } catch (err) {
        expect((err as Error).message).not.toContain('\n');
      }
    }
    expect(getBackend()).toBe('auto'); // a failed choice leaves 'auto'
  });

  it("'blas' with no BLAS found says what to install; 'auto' falls back to wasm for every product", () => {
    const dir = emptyDir();
    process.env.CREDITFLOW_BLAS_SEARCH = dir;
    expect(() => setBackend('blas')).toThrow(
      `backend 'blas': no OpenBLAS found (looked in ${dir}); install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-pthread; macOS: brew install openblas) or set CREDITFLOW_BLAS to the path of a CBLAS library such as libopenblas.so.0 (or use the 'auto' backend, which falls back to wasm)`,
    );
    setBackend('auto');
    const info = linalgInfo();
    expect(info.blas).toBeNull();
    expect(info.note).toBe(`no OpenBLAS found (looked in ${dir})`);
    const n = 64;
    const A = mat(n, n, Float64Array.from({ length: n * n }, (_, k) => Math.cos(k)));
    const C = mat(n, n);
    const before = blasCallCount();
    matMul(A, A, C);
    expect(blasCallCount()).toBe(before);
    let want = 0;
    for (let p = 0; p < n; p++) want += A.data[3 * n + p] * A.data[p * n + 5];
    expect(C.data[3 * n + 5]).toBeCloseTo(want, 12);
  });

  it("'wasm' and 'ts' never use a BLAS (the manifest says so)", () => {
    for (const b of ['wasm', 'ts'] as const) {
      setBackend(b);
      const before = blasCallCount();
      matMul(mat(64, 64), mat(64, 64), mat(64, 64));
      expect(blasCallCount()).toBe(before);
      expect(linalgInfo()).toMatchObject({ backend: b, blas: null, note: `backend '${b}' does not use a BLAS` });
    }
  });
});

describe('--backend on the command line', () => {
  const run = promisify(execFile);
  const cli = (args: string[], env: Record<string, string>) =>
    run(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'src', 'cli', 'main.ts'), ...args], { cwd: root, env: { ...process.env, ...env } }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );

  it('every command takes it; a missing BLAS or a bad CREDITFLOW_BLAS is a one-line usage error before any work', async () => {
    const none = await cli(['verify', '--only', 'core.order.euler', '--backend', 'blas'], { CREDITFLOW_BLAS_SEARCH: emptyDir() });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^creditflow: --backend blas: no OpenBLAS found \(looked in .*\); install OpenBLAS \(Debian\/Ubuntu: apt-get install libopenblas0-pthread;.* or set CREDITFLOW_BLAS to the path of a CBLAS library such as libopenblas\.so\.0 .*\n$/);
    const bad = await cli(['list', '--backend', 'auto'], { CREDITFLOW_BLAS: '/nonexistent/libblas.so' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^creditflow: CREDITFLOW_BLAS=\/nonexistent\/libblas\.so: no such file; set CREDITFLOW_BLAS to .* or unset it\n$/);
    const unknown = await cli(['list', '--backend', 'cuda'], {});
    expect(unknown).toEqual({ code: 2, stderr: "creditflow: --backend must be one of auto, blas, wasm, ts (got 'cuda')\n" });
  });
});

describe('worker threads and manifests', () => {
  const module = path.join(__dirname, 'fixtures', 'backend-task.ts');

  it('worker threads use the backend chosen in the parent', async () => {
    for (const b of ['ts', 'wasm'] as const) {
      setBackend(b);
      const got = await runTasks<{ backend: string; productOnBlas: boolean }>([0, 1].map((i) => ({ module, fn: 'backendHere', args: { i } })), { workers: 2 });
      expect(got.map((g) => g.backend)).toEqual([b, b]);
      expect(got.map((g) => g.productOnBlas)).toEqual([false, false]);
    }
  });

  it('a run manifest records the backend and the BLAS library loaded (or why none)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-linalg-'));
    setBackend('wasm');
    new RunOutput('demo', dir, { _: [], out: dir }).finish();
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.linalg).toMatchObject({ backend: 'wasm', blas: null, note: "backend 'wasm' does not use a BLAS" });
    setBackend('auto');
    new RunOutput('demo', dir, { _: [], out: dir }).finish();
    const a = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(a.linalg.backend).toBe('auto');
    expect(a.linalg.blas).toEqual(linalgInfo().blas);
    expect(a.linalg.thresholds.gemm).toBeGreaterThan(0);
  });
});
