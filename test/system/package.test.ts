import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

/**
 * The package as a user gets it: `npm pack` (which runs `prepare`, the build), the tarball installed
 * into a fresh project (offline: npm's cache holds the dependencies after `npm ci`), and there the
 * public API type-checked, imported from ESM and required from CommonJS, the README's library
 * example and the `creditflow` command run from the installed files alone (no sources, no tsx).
 */
const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const { ENTRIES } = require('../../scripts/build.cjs') as { ENTRIES: Record<string, string> };
const tsc7 = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const tsc6 = path.join(root, 'node_modules', 'typescript-6', 'bin', 'tsc');
let tmp = '';
let app = '';

function run(cmd: string, args: string[], cwd = app): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${err.stdout ?? ''}${err.stderr ?? ''}${err.message}`);
  }
}

const subpaths = Object.keys(ENTRIES).map((s) => `creditflow${s.slice(1)}`);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-pack-'));
  const out = run('npm', ['pack', '--json', '--pack-destination', tmp], root);
  const [packed] = JSON.parse(out.slice(out.indexOf('[\n'))) as { filename: string; files: { path: string }[] }[];
  expect(packed.files.map((f) => f.path)).toEqual(expect.arrayContaining(['dist/esm/index.mjs', 'dist/cjs/src/index.js', 'dist/cjs/src/parallel/worker.cjs', 'dist/cjs/solvers/odex-binding.cjs', 'bin/creditflow.cjs', 'LICENSE', 'CITATION.cff']));
  app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  // The user's project is a git repository with a commit (what a run manifest must not report as creditflow's).
  run('git', ['init', '-q'], app);
  run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '--allow-empty', '-m', 'user project'], app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'creditflow-install-test', version: '1.0.0', private: true }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, packed.filename), `@types/node@${pkg.devDependencies['@types/node']}`]);
  // The installed package is compiled only: no TypeScript sources beside it.
  expect(fs.existsSync(path.join(app, 'node_modules', 'creditflow', 'src'))).toBe(false);
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// The same program as an ES module (.mts) and as CommonJS (.cts); `@ts-expect-error` fails the
// check if the declarations were missing or `any`.
const typed = `import { solve, defineState, vector, drift, odeProblem, type Solution, type Status } from 'creditflow';
import { matVec, type Mat } from 'creditflow/linalg';
import { dfcChecks } from 'creditflow/dfc';
import { salChecks } from 'creditflow/sal';
const layout = defineState({ x: vector(1) });
const problem = odeProblem(drift(1, (_t, y, out) => { out[0] = -y[0]; }), { layout });
const sol: Solution = solve(problem, 'dopri5', { t0: 0, t1: 1, y0: Float64Array.of(1) });
const status: Status = sol.status;
const A: Mat = { rows: 1, cols: 1, data: new Float64Array(1) };
matVec(A, sol.ys[0], new Float64Array(1));
const ids: string[] = [...dfcChecks, ...salChecks].map((c) => c.id);
// @ts-expect-error: solve needs its options
solve(problem, 'dopri5');
// @ts-expect-error: a status is one of the listed strings
const wrong: Status = 'done';
export { status, ids, wrong };
`;

for (const [resolution, module] of [['node16', 'node16'], ['bundler', 'preserve']] as const) {
  test(`import { solve, defineState } from 'creditflow' type-checks under moduleResolution ${resolution} (TypeScript 7 and 6)`, () => {
    fs.writeFileSync(path.join(app, 'typed.mts'), typed);
    fs.writeFileSync(path.join(app, 'typed.cts'), typed);
    const config = `tsconfig.${resolution}.json`;
    fs.writeFileSync(
      path.join(app, config),
      JSON.stringify({
        compilerOptions: { module, moduleResolution: resolution, target: 'es2022', lib: ['es2022'], strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
        files: ['typed.mts', 'typed.cts'],
      }),
    );
    for (const tsc of [tsc7, tsc6]) run(process.execPath, [tsc, '-p', config]);
  });
}

test('an .mjs file imports every entry point and solves an ODE; import and require share one copy', () => {
  fs.writeFileSync(
    path.join(app, 'esm.mjs'),
    `import { createRequire } from 'node:module';
import { solve, defineState, vector, drift, odeProblem, solvers } from 'creditflow';
const layout = defineState({ x: vector(1) });
const problem = odeProblem(drift(1, (_t, y, out) => { out[0] = -y[0]; }), { layout });
const sol = solve(problem, 'dopri5', { t0: 0, t1: 1, y0: Float64Array.of(1), rtol: 1e-10, atol: 1e-12 });
const entries = {};
for (const s of ${JSON.stringify(subpaths)}) entries[s] = Object.keys(await import(s)).length;
const sameCopy = createRequire(import.meta.url)('creditflow').solvers === solvers;
console.log(JSON.stringify({ status: sol.status, y1: sol.ys.at(-1)[0], entries, sameCopy }));
`,
  );
  const r = JSON.parse(run(process.execPath, ['esm.mjs']));
  expect(r.status).toBe('ok');
  expect(Math.abs(r.y1 - Math.exp(-1))).toBeLessThan(1e-9);
  for (const s of subpaths) expect(r.entries[s], s).toBeGreaterThan(3);
  expect(r.sameCopy).toBe(true);
});

test('a .cjs file requires every entry point, solves an ODE and runs the wasm kernels', () => {
  // Harmonic oscillator x'' = −x over one period by RK4 (dt = 2π/1000): back to (1, 0). The wasm
  // GEMM (its bytes are compiled into the package) against the TypeScript loops on a 64x64 product.
  fs.writeFileSync(
    path.join(app, 'cjs.cjs'),
    `const { solve, defineState, vector, drift, odeProblem } = require('creditflow');
const L = require('creditflow/linalg');
const layout = defineState({ q: vector(2) });
const problem = odeProblem(drift(2, (_t, y, out) => { out[0] = y[1]; out[1] = -y[0]; }), { layout });
const sol = solve(problem, 'rk4', { t0: 0, t1: 2 * Math.PI, dt0: (2 * Math.PI) / 1000, y0: Float64Array.of(1, 0) });
const entries = Object.fromEntries(${JSON.stringify(subpaths)}.map((s) => [s, Object.keys(require(s)).length]));
const n = 64, A = L.mat(n, n), B = L.mat(n, n), Cw = L.mat(n, n), Ct = L.mat(n, n);
for (let i = 0; i < n * n; i++) { A.data[i] = Math.sin(i); B.data[i] = Math.cos(0.7 * i); }
L.forceEngine('wasm'); L.matMul(A, B, Cw);
L.forceEngine('ts-direct'); L.matMul(A, B, Ct);
L.forceEngine(null);
let gemmDiff = 0;
for (let i = 0; i < n * n; i++) gemmDiff = Math.max(gemmDiff, Math.abs(Cw.data[i] - Ct.data[i]));
console.log(JSON.stringify({ status: sol.status, y: Array.from(sol.ys.at(-1)), entries, wasm: L.wasmAvailable(), gemmDiff }));
`,
  );
  const r = JSON.parse(run(process.execPath, ['cjs.cjs']));
  expect(r.status).toBe('ok');
  expect(Math.abs(r.y[0] - 1)).toBeLessThan(1e-9);
  expect(Math.abs(r.y[1])).toBeLessThan(1e-9);
  for (const s of subpaths) expect(r.entries[s], s).toBeGreaterThan(3);
  expect(r.wasm).toBe(true);
  expect(r.gemmDiff).toBeLessThan(1e-12);
});

test("the README's library example, compiled as the user would, runs against the installed package", () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toContain("from 'creditflow'");
  const printLine = 'console.log(sol.status, sol.ts, sol.ys);';
  expect(block).toContain(printLine);
  fs.writeFileSync(path.join(app, 'example.mts'), block!.replace(printLine, 'console.log(JSON.stringify({ status: sol.status, v: Array.from(sol.ys[sol.ys.length - 1]) }));'));
  fs.writeFileSync(
    path.join(app, 'tsconfig.example.json'),
    JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022'], strict: true, types: ['node'] }, files: ['example.mts'] }),
  );
  run(process.execPath, [tsc7, '-p', 'tsconfig.example.json']);
  const r = JSON.parse(run(process.execPath, ['example.mjs']).trim().split('\n').pop()!);
  expect(r.status).toBe('ok');
  expect(Math.abs(r.v[0] - 0.3)).toBeLessThan(1e-3);
  expect(Math.abs(r.v[1] + 0.2)).toBeLessThan(1e-3);
});

test('npx creditflow verify --only core --quick runs from the installed package', () => {
  const out = run('npx', ['--no', 'creditflow', 'verify', '--only', 'core', '--quick']);
  expect(out).toMatch(/core\.order\.rk4 .* PASS/);
  expect(out).toMatch(/\b(\d+) passed, 0 failed/);
});

test('an experiment on worker threads runs from the installed package and matches the serial run', () => {
  const results = (workers: number) => {
    const out = path.join(tmp, `xor-${workers}`);
    run('npx', ['--no', 'creditflow', 'reproduce', 'loco-xor', '--seeds', '1', '--epochs', '5', '--steps', '20', '--workers', String(workers), '--no-png', '--json', '--out', out]);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.creditflowVersion).toBe(pkg.version);
    expect(manifest.gitCommit).toBeNull(); // not the commit of whatever repository the user's project is in
    return fs.readFileSync(path.join(out, 'results.json'), 'utf8');
  };
  expect(results(2)).toBe(results(1));
});
