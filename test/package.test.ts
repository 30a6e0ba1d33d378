import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';

/**
 * The package's shape, checked on the sources (fast; test/system/package.test.ts packs, installs
 * and runs it): package.json's `exports` are the entry points scripts/build.cjs compiles, every
 * model has one, and each model entry re-exports its folder.
 */
const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const build = require('../scripts/build.cjs') as { ENTRIES: Record<string, string>; exportsMap(): unknown };

test("package.json's exports are the entry points scripts/build.cjs builds", () => {
  // When this fails after adding a model: copy exportsMap() into package.json's "exports".
  expect(pkg.exports).toEqual(build.exportsMap());
  expect(pkg.main).toBe(pkg.exports['.'].require.default);
  expect(pkg.types).toBe(pkg.exports['.'].require.types);
  for (const source of Object.values(build.ENTRIES)) expect(fs.existsSync(path.join(root, source)), source).toBe(true);
});

test('every model has an entry point (models/<m>/api.ts) that re-exports each of its modules', () => {
  const missing: string[] = [];
  for (const m of fs.readdirSync(path.join(root, 'models')).sort()) {
    const dir = path.join(root, 'models', m);
    if (!fs.existsSync(path.join(dir, 'index.ts'))) continue;
    if (build.ENTRIES[`./${m}`] !== `models/${m}/api.ts`) {
      missing.push(`models/${m}/api.ts (a model's public entry, 'creditflow/${m}')`);
      continue;
    }
    const api = fs.readFileSync(path.join(dir, 'api.ts'), 'utf8');
    const modules = (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts') && f !== 'index.ts' && f !== 'api.ts')
      .map((f) => `./${f.split(path.sep).join('/').replace(/\.ts$/, '')}`);
    for (const mod of modules) if (!api.includes(`export * from '${mod}';`)) missing.push(`models/${m}/api.ts: export * from '${mod}';`);
  }
  expect(missing).toEqual([]);
});

test('the package runs no script when installed, and ships what its scripts and bin need', () => {
  // scripts/ is not in the tarball: an install-time script would fail in the user's project.
  for (const s of ['preinstall', 'install', 'postinstall']) expect(pkg.scripts[s], `scripts.${s}`).toBeUndefined();
  expect(pkg.files).toEqual(expect.arrayContaining(['dist/', 'bin/', 'LICENSE', 'CITATION.cff']));
  expect(pkg.license).toBe('MIT');
  expect(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  // tsx (the clone's TypeScript loader) is not needed by the compiled package.
  expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
});

test('the core entry exports the API the README documents', async () => {
  const core = await import('../src/index');
  for (const name of ['solve', 'steadyState', 'defineState', 'vector', 'matrix', 'drift', 'diffusion', 'odeProblem', 'sdeProblem', 'timeScaled', 'piController', 'loadModels', 'registerModel']) {
    expect(typeof (core as Record<string, unknown>)[name], name).toBe('function');
  }
  for (const name of ['BrownianTree', 'BrownianGrid', 'Rng', 'StateLayout', 'SolveError']) {
    expect(typeof (core as Record<string, unknown>)[name], name).toBe('function');
  }
  expect(core.solvers.names()).toEqual(expect.arrayContaining(['euler', 'euler_maruyama', 'heun', 'stochastic_heun', 'rk4', 'dopri5', 'odex']));
});
