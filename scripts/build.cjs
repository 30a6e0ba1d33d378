// `npm run build` (also run by `prepare`, so `npm ci`, `npm pack` and installs from a git URL build
// it): the compiled package under dist/.
//
//   dist/cjs/   tsc's CommonJS output of src/, solvers/ and models/ (tsconfig.build.json), one .js and
//               one .d.ts per .ts file, the same tree as the sources, plus the hand-written .cjs
//               files (the worker-thread entry, the odex binding) copied beside them.
//   dist/esm/   one ES module per entry point (index.mjs, linalg.mjs, dfc.mjs, …) with its .d.mts:
//               it imports the CommonJS entry and re-exports its names.
//
// Why ESM re-exports CommonJS instead of being a second compiled copy: the library keeps state in
// modules (the solver, model, check and experiment registries; the wasm kernels' memory), and
// worker threads load experiment modules by file path. Two copies would give an `import` user and a
// `require` user (or one program that does both) two registries, and workers a third; one copy
// behind both entry points cannot diverge (Node's documented "ES module wrapper" approach).
//
// ENTRIES below is the one place that maps a subpath to its source file; test/package.test.ts checks
// that package.json's `exports` agree with it (exportsMap()).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

/** Subpath (as in package.json `exports`) → the TypeScript entry it compiles from. */
const ENTRIES = {
  '.': 'src/index.ts',
  './linalg': 'src/linalg/api.ts',
  './experiments': 'src/experiment/index.ts',
  ...Object.fromEntries(
    fs
      .readdirSync(path.join(root, 'models'))
      .filter((m) => fs.existsSync(path.join(root, 'models', m, 'api.ts')))
      .sort()
      .map((m) => [`./${m}`, `models/${m}/api.ts`]),
  ),
};

/** The file name of a subpath's ES module entry: '.' → index, './dfc' → dfc. */
function esmName(subpath) {
  return subpath === '.' ? 'index' : subpath.slice(2);
}

/** package.json `exports` for the entries: `import` gets the ES module, `require` the CommonJS file. */
function exportsMap() {
  const map = {};
  for (const [subpath, source] of Object.entries(ENTRIES)) {
    const cjs = `./dist/cjs/${source.replace(/\.ts$/, '')}`;
    const esm = `./dist/esm/${esmName(subpath)}`;
    map[subpath] = {
      import: { types: `${esm}.d.mts`, default: `${esm}.mjs` },
      require: { types: `${cjs}.d.ts`, default: `${cjs}.js` },
    };
  }
  map['./package.json'] = './package.json';
  return map;
}

/** Every file under dir (relative paths) whose name matches re. */
function filesUnder(dir, re, base = dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, re, base));
    else if (re.test(e.name)) out.push(path.relative(base, p));
  }
  return out;
}

/**
 * Builds dist/. A type error fails `npm run build`; under `prepare` (`--prepare`: `npm ci`, `npm pack`,
 * a git install) tsc's output, which it writes despite type errors, is kept and the errors are
 * reported, so that `npm ci` on a fresh clone always installs (`npm test` fails on them).
 */
function build(prepare) {
  const t0 = process.hrtime.bigint();
  fs.rmSync(dist, { recursive: true, force: true });
  // TypeScript 7's tsc (the package itself: node_modules/.bin/tsc may be tslab's TypeScript 5).
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  } catch (e) {
    if (!prepare || !fs.existsSync(path.join(dist, 'cjs', 'src', 'index.js'))) throw e;
    console.error('build: tsc reported type errors (above); dist/ is built from its output anyway. Fix them: npm run typecheck');
  }

  const cjsDir = path.join(dist, 'cjs');
  for (const dir of ['src', 'solvers', 'models']) {
    for (const rel of filesUnder(path.join(root, dir), /\.(cjs|d\.cts)$/)) {
      const to = path.join(cjsDir, dir, rel);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(path.join(root, dir, rel), to);
    }
  }
  // The compiled tree is CommonJS whatever the root package says; src/io/run.ts reads the version
  // from the package.json two folders above it, which in the compiled tree is this one.
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  fs.writeFileSync(
    path.join(cjsDir, 'package.json'),
    JSON.stringify({ private: true, version: pkg.version, type: 'commonjs' }, null, 2) + '\n',
  );

  const esmDir = path.join(dist, 'esm');
  fs.mkdirSync(esmDir, { recursive: true });
  for (const [subpath, source] of Object.entries(ENTRIES)) {
    const cjsFile = path.join(cjsDir, source.replace(/\.ts$/, '.js'));
    const rel = path.relative(esmDir, cjsFile).split(path.sep).join('/');
    const names = Object.keys(require(cjsFile)).filter((n) => n !== '__esModule' && n !== 'default');
    const banner = `// 'creditflow${subpath.slice(1)}' as an ES module: the names of the CommonJS build (one copy of the library whichever way it is loaded). Generated by scripts/build.cjs.\n`;
    fs.writeFileSync(
      path.join(esmDir, `${esmName(subpath)}.mjs`),
      `${banner}import cjs from '${rel}';\nexport const {\n${names.map((n) => `  ${n},`).join('\n')}\n} = cjs;\n`,
    );
    fs.writeFileSync(path.join(esmDir, `${esmName(subpath)}.d.mts`), `${banner}export * from '${rel}';\n`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`built dist/ (${Object.keys(ENTRIES).length} entry points) in ${seconds.toFixed(1)} s`);
}

module.exports = { ENTRIES, exportsMap };
if (require.main === module) build(process.argv.includes('--prepare'));
