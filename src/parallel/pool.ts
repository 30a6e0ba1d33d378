/**
 * Independent runs (seeds, sweep points, rules) in parallel worker threads. A task names a module
 * (absolute path), an exported function and its arguments (structured-clonable); each task must be
 * a pure function of its arguments (its own seeded generator), so results are identical to a serial
 * run, and come back in task order. `workers <= 1` runs in this thread, in order.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface Task<A = unknown> {
  module: string;
  fn: string;
  args: A;
}

export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

export async function runTasks<R>(tasks: readonly Task[], workers = defaultWorkers(), onDone?: (i: number, r: R) => void): Promise<R[]> {
  if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`workers must be an integer >= 1 (got ${workers})`);
  const results: R[] = new Array(tasks.length);
  if (workers === 1 || tasks.length <= 1) {
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i];
      const mod = (await import(t.module)) as Record<string, (a: unknown) => R | Promise<R>>;
      if (typeof mod[t.fn] !== 'function') throw new Error(`${t.module} does not export a function '${t.fn}'`);
      results[i] = await mod[t.fn](t.args);
      onDone?.(i, results[i]);
    }
    return results;
  }
  const n = Math.min(workers, tasks.length);
  const pool = Array.from({ length: n }, () => new Worker(path.join(__dirname, 'worker.cjs')));
  let next = 0;
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= tasks.length) return resolve();
              const id = next++;
              w.postMessage({ id, ...tasks[id] });
            };
            w.on('message', (m: { id: number; ok: boolean; result?: R; error?: string }) => {
              if (!m.ok) return reject(new Error(m.error));
              results[m.id] = m.result as R;
              onDone?.(m.id, results[m.id]);
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
