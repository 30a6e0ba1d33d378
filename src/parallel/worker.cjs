// Worker-thread entry for src/parallel/pool.ts: registers tsx so TypeScript modules load, takes the
// parent's linear-algebra backend and BLAS library (workerData.linalg), then runs
// `module[fn](args)` for each message and posts back the result (or the error message). A task's
// reportProgress(units, label) calls are posted to the parent as they happen.
const path = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');
require('tsx/cjs/api').register();
if (workerData && workerData.linalg) require(path.join(__dirname, '..', 'linalg', 'backend.ts')).applyBackendSettings(workerData.linalg);

const REPORTER = Symbol.for('creditflow.taskProgress');

parentPort.on('message', async ({ id, module, fn, args }) => {
  globalThis[REPORTER] = (units, label) => parentPort.postMessage({ id, progress: { units, label } });
  try {
    const mod = require(module);
    if (typeof mod[fn] !== 'function') throw new Error(`${module} does not export a function '${fn}'`);
    const result = await mod[fn](args);
    parentPort.postMessage({ id, ok: true, result });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
