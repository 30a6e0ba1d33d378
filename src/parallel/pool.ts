/**
 * Independent runs (seeds, sweep points, rules) in parallel worker threads. A task names a module
 * (absolute path), an exported function and its arguments (structured-clonable); each task must be
 * a pure function of its arguments (its own seeded generator), so results are identical to a serial
 * run, and come back in task order. `workers <= 1` runs in this thread, in order.
 *
 * A task may report progress with `reportProgress(units, label)` wherever it runs (this thread or a
 * worker); with a `store`, each finished task's result is kept on disk under its key, and a resumed
 * sweep loads the finished ones instead of running them again.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { canonicalJson } from '../io/canonical';
import { BadFileError, readSealed, writeSealed } from '../io/sealed';
import { backendSettings } from '../linalg/backend';

export interface Task<A = unknown> {
  module: string;
  fn: string;
  args: A;
  /** Name of the task's result in a store (distinct per task); required with `store`. */
  key?: string;
}

export interface PoolOptions<R> {
  /** Worker threads (default: the number of cores); 1 runs the tasks here, in order. */
  workers?: number;
  /** Called in task order of completion with each result. */
  onDone?: (i: number, r: R) => void;
  /** Called when task i calls reportProgress(units, label). */
  onProgress?: (i: number, units: number, label: string) => void;
  /** Keep finished results in `dir` (one file per task key); with `resume`, reuse them. */
  store?: { dir: string; resume: boolean };
  /** Run even a single task in a worker thread, keeping this thread free (signals, timers, a parent's channel). */
  isolate?: boolean;
}

export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

type Reporter = (units: number, label: string) => void;
const REPORTER = Symbol.for('creditflow.taskProgress');
type WithReporter = { [REPORTER]?: Reporter };

/** Report `units` of work done by the running task (a no-op outside runTasks). */
export function reportProgress(units: number, label = ''): void {
  (globalThis as WithReporter)[REPORTER]?.(units, label);
}

/** `key` as a file name: kept when safe, else its unsafe runs replaced and a short hash appended (no collisions). */
export function safeName(key: string): string {
  const safe = key.replace(/[^\w.+=-]+/g, '_');
  return safe === key ? key : `${safe}-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/**
 * The file that runs a task module: the file itself, or, when the library runs compiled (the
 * installed package's dist/), the `.js` that tsc wrote beside where the `.ts` source was. Models
 * name their task modules by source name (`path.join(__dirname, 'run.ts')`), and a task's stored
 * result is fingerprinted with that name, so it is the same in both forms. Null when neither exists.
 */
export function taskModuleFile(module: string): string | null {
  if (fs.existsSync(module)) return module;
  const compiled = module.replace(/\.ts$/, '.js');
  return compiled !== module && fs.existsSync(compiled) ? compiled : null;
}

/** The file of task `key`'s stored result in `dir`. */
export function storeFile(dir: string, key: string): string {
  return path.join(dir, `${safeName(key)}.result`);
}

/**
 * What a stored result was computed from (a hash of its canonical JSON, the same for equal arguments
 * in any process); an args field `checkpoint` (where a run checkpoints, whether it resumes) is left out.
 */
export function fingerprint(t: Task): string {
  let args = t.args;
  if (args !== null && typeof args === 'object' && 'checkpoint' in args) {
    const { checkpoint: _where, ...rest } = args as Record<string, unknown>;
    args = rest;
  }
  return crypto.createHash('sha256').update(canonicalJson({ module: path.basename(t.module), fn: t.fn, args })).digest('hex');
}

/** The sealed-file magic and format of a stored result (its body: v8.serialize({ fingerprint, result })). */
const RESULT_MAGIC = 'CFRESULT';
const RESULT_VERSION = 2;

/** The stored result of `t` in `dir`, undefined when there is none; one made from other arguments is an error. */
export function loadStored<R>(dir: string, t: Task): R | undefined {
  const file = storeFile(dir, t.key!);
  if (!fs.existsSync(file)) return undefined;
  const fix = `delete it to run that task again, or choose another --out`;
  const body = readSealed(file, RESULT_MAGIC, RESULT_VERSION, 'stored result', fix);
  let saved: { fingerprint: string; result: R };
  try {
    saved = v8.deserialize(body) as { fingerprint: string; result: R };
  } catch {
    throw new BadFileError(file, 'cannot be decoded', fix);
  }
  if (typeof saved !== 'object' || saved === null || typeof saved.fingerprint !== 'string' || !('result' in saved)) throw new BadFileError(file, 'does not hold a { fingerprint, result } record', fix);
  if (saved.fingerprint !== fingerprint(t)) {
    throw new Error(`the stored result ${file} was made with other settings; resume with the same options or choose another --out`);
  }
  return saved.result;
}

function saveStored(dir: string, t: Task, result: unknown): void {
  writeSealed(storeFile(dir, t.key!), RESULT_MAGIC, RESULT_VERSION, v8.serialize({ fingerprint: fingerprint(t), result }));
}

/** A task's error, prefixed with its key so the user knows which run failed. */
function named(t: Task, message: string): Error {
  return new Error(t.key ? `${t.key}: ${message}` : message);
}

export async function runTasks<R>(tasks: readonly Task[], opts: PoolOptions<R> = {}): Promise<R[]> {
  const workers = opts.workers ?? defaultWorkers();
  if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`workers must be an integer >= 1 (got ${workers})`);
  for (const m of new Set(tasks.map((t) => t.module))) {
    // (under tslab, __filename is not the module's file: name it as path.join(__dirname, 'file.ts'))
    if (!path.isAbsolute(m) || taskModuleFile(m) === null) throw new Error(`task module ${m} is not an existing file named by an absolute path; name it as path.join(__dirname, '<file>.ts')`);
  }
  const store = opts.store;
  if (store) {
    const keys = tasks.map((t) => t.key);
    if (keys.some((k) => !k) || new Set(keys).size !== keys.length) throw new Error('every task needs a distinct key to be stored');
  }
  const results: R[] = new Array(tasks.length);
  const finish = (i: number, r: R, fresh: boolean) => {
    results[i] = r;
    if (store && fresh) saveStored(store.dir, tasks[i], r);
    opts.onDone?.(i, r);
  };
  const todo: number[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const stored = store?.resume ? loadStored<R>(store.dir, tasks[i]) : undefined;
    if (stored !== undefined) finish(i, stored, false);
    else todo.push(i);
  }
  if ((workers === 1 || todo.length <= 1) && !opts.isolate) {
    const g = globalThis as WithReporter;
    const previous = g[REPORTER];
    try {
      for (const i of todo) {
        const t = tasks[i];
        const mod = (await import(taskModuleFile(t.module)!)) as Record<string, (a: unknown) => R | Promise<R>>;
        if (typeof mod[t.fn] !== 'function') throw new Error(`${t.module} does not export a function '${t.fn}'`);
        g[REPORTER] = (units, label) => opts.onProgress?.(i, units, label);
        let r: R;
        try {
          r = await mod[t.fn](t.args);
        } catch (e) {
          throw named(t, e instanceof Error ? e.message : String(e));
        }
        finish(i, r, true);
      }
    } finally {
      g[REPORTER] = previous;
    }
    return results;
  }
  // workers use this thread's linear-algebra backend and BLAS library (src/linalg/backend.ts)
  const workerData = { linalg: backendSettings() };
  const pool = Array.from({ length: Math.min(workers, todo.length) }, () => new Worker(path.join(__dirname, 'worker.cjs'), { workerData }));
  let next = 0;
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= todo.length) return resolve();
              const id = todo[next++];
              const { module, fn, args } = tasks[id];
              w.postMessage({ id, module: taskModuleFile(module), fn, args });
            };
            w.on('message', (m: { id: number; ok: boolean; result?: R; error?: string; progress?: { units: number; label: string } }) => {
              if (m.progress) return opts.onProgress?.(m.id, m.progress.units, m.progress.label);
              if (!m.ok) return reject(named(tasks[m.id], m.error ?? 'failed'));
              finish(m.id, m.result as R, true);
              send();
            });
            w.on('error', reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}
