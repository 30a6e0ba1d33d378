// Worker-thread entry for src/parallel/pool.ts: takes the parent's linear-algebra backend and BLAS
// library (workerData.linalg), then runs `module[fn](args)` for each message and posts back the
// result (or the error message). TypeScript (the sources) loads through tsx, registered only then;
// the compiled package's modules are plain .js. A task's reportProgress(units, label) calls are
// posted to the parent as they happen.
const fs = require('node:fs');
const path = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');
let tsxRegistered = false;
function load(file) {
  if (!tsxRegistered && /\.[cm]?ts$/.test(file)) {
    require('tsx/cjs/api').register();
    tsxRegistered = true;
  }
  return require(file);
}
if (workerData && workerData.linalg) {
  const source = path.join(__dirname, '..', 'linalg', 'backend.ts');
  load(fs.existsSync(source) ? source : path.join(__dirname, '..', 'linalg', 'backend.js')).applyBackendSettings(workerData.linalg);
}

const REPORTER = Symbol.for('creditflow.taskProgress');

parentPort.on('message', async ({ id, module, fn, args }) => {
  globalThis[REPORTER] = (units, label) => parentPort.postMessage({ id, progress: { units, label } });
  try {
    const mod = load(module);
    if (typeof mod[fn] !== 'function') throw new Error(`${module} does not export a function '${fn}'`);
    const result = await mod[fn](args);
    parentPort.postMessage({ id, ok: true, result });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
