// Worker-thread entry for src/parallel/pool.ts: runs `module[fn](args)` for each message and posts
// back the result (or the error message). A TypeScript module (from the sources) is loaded through
// tsx, registered on first use; the compiled package's modules are plain .js and need no tsx. A
// task's reportProgress(units, label) calls are posted to the parent as they happen.
const { parentPort } = require('node:worker_threads');
let tsxRegistered = false;

const REPORTER = Symbol.for('creditflow.taskProgress');

parentPort.on('message', async ({ id, module, fn, args }) => {
  globalThis[REPORTER] = (units, label) => parentPort.postMessage({ id, progress: { units, label } });
  try {
    if (!tsxRegistered && /\.[cm]?ts$/.test(module)) {
      require('tsx/cjs/api').register();
      tsxRegistered = true;
    }
    const mod = require(module);
    if (typeof mod[fn] !== 'function') throw new Error(`${module} does not export a function '${fn}'`);
    const result = await mod[fn](args);
    parentPort.postMessage({ id, ok: true, result });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
