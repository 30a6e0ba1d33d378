/**
 * What every `reproduce` command shares for its independent runs: the `--workers`,
 * `--checkpoint-every` and `--resume` options, one progress bar over all runs, finished runs kept
 * under `--out/checkpoints` (a resumed sweep loads them instead of training again), and each long
 * run's own epoch checkpoints beside them.
 */
import * as path from 'node:path';
import type { CheckpointSettings } from '../io/checkpoint';
import { defaultWorkers, runTasks, safeName, type Task } from '../parallel/pool';
import type { RunContext } from './context';
import type { Option, ParsedOptions } from './options';

/** `--workers N`, default: the number of cores. */
export function workersOption(what = 'independent runs'): Option<'workers', number, true> {
  return { name: 'workers', type: 'integer', description: `worker threads (${what} run in parallel; default: the number of cores)`, default: defaultWorkers(), min: 1 };
}

/**
 * `--checkpoint-every` and `--resume`. With `unit` null the runs themselves are not checkpointed
 * part-way (too short, or no state worth it): only finished runs are kept.
 */
export function resumeOptions(every = 1, unit: string | null = 'epochs'): [Option<'checkpoint-every', number, true>, Option<'resume', boolean, true>] {
  const what = unit === null ? 'keep each finished run under --out/checkpoints (0 = off)' : `checkpoint each run every n ${unit} and keep finished runs under --out/checkpoints (0 = never)`;
  return [
    { name: 'checkpoint-every', type: 'integer', description: what, default: every, min: 0 },
    { name: 'resume', type: 'boolean', description: 'continue from the checkpoints in --out (same options): finished runs are loaded, a run killed part-way continues', default: false },
  ];
}

/** Both of the above, for a command whose runs are independent and checkpointed. */
export function sweepOptions(what?: string, every?: number, unit?: string | null): [Option<'workers', number, true>, Option<'checkpoint-every', number, true>, Option<'resume', boolean, true>] {
  return [workersOption(what), ...resumeOptions(every, unit)];
}

function checkpointing(opts: ParsedOptions): boolean {
  return opts.checkpointEvery > 0 || Boolean(opts.resume);
}

/** The epoch-checkpoint settings of the run named `key` (undefined when checkpointing is off). */
export function runCheckpoint(opts: ParsedOptions, key: string): CheckpointSettings | undefined {
  if (!checkpointing(opts)) return undefined;
  return { dir: path.join(opts.out, 'checkpoints', safeName(key)), every: Math.max(1, opts.checkpointEvery), resume: Boolean(opts.resume) };
}

/**
 * Who carries out runSweep's runs instead of this machine's threads: a distributed sweep
 * (src/cli/plan.ts) that records the task list as a plan, runs one of its runs, or gathers the
 * stored results. The task list an experiment hands to runSweep is the plan, so every way of
 * running a sweep shares one decomposition.
 */
export interface SweepDriver {
  sweep<R>(tasks: readonly SweepTask<unknown>[], opts: ParsedOptions, ctx: RunContext, label: string, note?: (i: number, r: R) => string): Promise<R[]>;
}

let driver: SweepDriver | null = null;

/** Run `fn` (an experiment's run) with `d` receiving its runSweep calls. */
export async function withSweepDriver<T>(d: SweepDriver, fn: () => Promise<T>): Promise<T> {
  const previous = driver;
  driver = d;
  try {
    return await fn();
  } finally {
    driver = previous;
  }
}

export interface SweepTask<A> extends Task<A> {
  key: string;
  /** Units of progress the task reports through reportProgress (default 1, ticked when it ends). */
  units?: number;
}

/**
 * Run the tasks on `opts.workers` threads with one progress bar (`label`); results come back in
 * task order, identical to a serial run. With checkpointing on, finished results are stored under
 * --out/checkpoints and reused by --resume.
 */
export async function runSweep<R>(tasks: readonly SweepTask<unknown>[], opts: ParsedOptions, ctx: RunContext, label: string, note?: (i: number, r: R) => string): Promise<R[]> {
  if (driver) return driver.sweep<R>(tasks, opts, ctx, label, note);
  const units = tasks.map((t) => t.units ?? 1);
  const reported = new Array<number>(tasks.length).fill(0);
  const progress = ctx.progress(label, units.reduce((a, b) => a + b, 0));
  try {
    return await runTasks<R>(tasks, {
      workers: opts.workers ?? 1,
      store: checkpointing(opts) ? { dir: path.join(opts.out, 'checkpoints'), resume: Boolean(opts.resume) } : undefined,
      onProgress: (i, n, text) => {
        const k = Math.min(n, units[i] - reported[i]);
        reported[i] += k;
        progress.tick(k, text);
      },
      onDone: (i, r) => progress.tick(units[i] - reported[i], note?.(i, r) ?? tasks[i].key),
    });
  } finally {
    progress.finish();
  }
}
