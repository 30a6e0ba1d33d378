/**
 * A sweep plan through a job queue: BullMQ on Redis. `creditflow queue submit DIR --redis URL`
 * enqueues the plan's runs (job id = run id, so submitting twice adds nothing), `creditflow worker
 * --redis URL` runs jobs on any machine, and `creditflow queue status DIR` says where each run stands.
 *
 * Results travel through the shared plan folder DIR, not through Redis: a job carries only the
 * folder and the run id, and the worker runs `creditflow run-one DIR --id ID` as a child process,
 * which reads the plan, resumes from the run's checkpoint in DIR and stores the result there. So
 * the worker that picks up a run after another died continues from that run's last checkpoint
 * (which must be where every worker can read it), results of any size stay out of Redis's memory,
 * and the folder is laid out exactly as for SLURM and a local --resume, so `gather` has one path.
 * Workers on several machines need DIR at the same path on each (NFS or another shared file system).
 *
 * BullMQ does the scheduling: a worker holds a lock on its job and renews it while the run goes on;
 * a worker that dies stops renewing, and once the lock expires (--lock-seconds) another worker's
 * stalled-job check puts the job back in the queue. A run that fails is retried (--attempts, with
 * exponential back-off) and then kept as failed with its error. The child run ends with its worker:
 * its IPC channel closes when the worker dies.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from 'bullmq';
import type IORedis from 'ioredis';
import { formatTable } from '../io/output';
import { planPaths, readPlan, ROOT, type PlannedRun } from '../io/plan';
import { storeFile } from '../parallel/pool';
import type { CommandSpec } from '../registry';
import type { RunContext } from '../experiment/context';
import { UsageError, type OptionSpec, type ParsedOptions } from '../experiment/options';
import { dirArgument, runStates, type RunState } from './plan';
import { commandPid, SUPERVISED_ENV } from './supervise';

/** What a queued job carries: where its plan is and which run it is. */
export interface SweepJob {
  dir: string;
  planId: string;
  experiment: string;
  index: number;
  id: string;
  key: string;
}

const redisOption: OptionSpec = { name: 'redis', type: 'string', description: 'Redis URL, e.g. redis://127.0.0.1:6379 (default: $CREDITFLOW_REDIS)' };
const queueOption: OptionSpec = { name: 'queue', type: 'string', description: 'queue name (workers serve one queue)', default: 'creditflow' };

function redisUrl(opts: ParsedOptions, required: boolean): string | null {
  const url = (opts.redis as string | undefined) ?? process.env.CREDITFLOW_REDIS;
  if (!url) {
    if (required) throw new UsageError('--redis URL is needed (e.g. --redis redis://127.0.0.1:6379), or set CREDITFLOW_REDIS');
    return null;
  }
  if (!/^rediss?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--redis must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379 (got '${url}')`);
  return url;
}

/** `url` with its password hidden, for messages and logs. */
export function shownUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

function queueName(opts: ParsedOptions): string {
  const name = opts.queue as string;
  if (!/^[\w.-]+$/.test(name)) throw new UsageError(`--queue must be letters, digits, '.', '_' or '-' (got '${name}')`);
  return name;
}

/** Check that Redis answers at `url` (a one-line error saying what to do when not), then BullMQ's connection to it. */
async function connect(url: string): Promise<IORedis> {
  const { default: IORedis } = await import('ioredis');
  const probe = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000, enableOfflineQueue: false });
  let reported = ''; // the socket's error (ECONNREFUSED, ENOTFOUND...); connect() itself only says the connection closed
  probe.on('error', (e: Error) => (reported ||= e.message));
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    const why = (reported || (e instanceof Error ? e.message : String(e))).split('\n')[0];
    throw new UsageError(`cannot reach Redis at ${shownUrl(url)} (${why}); start redis-server there or pass the right --redis URL`);
  } finally {
    probe.disconnect();
  }
  const connection = new IORedis(url, { maxRetriesPerRequest: null });
  connection.on('error', () => {});
  return connection;
}

async function submit(opts: ParsedOptions, ctx: RunContext): Promise<number> {
  const dir = path.resolve(dirArgument(opts, 'queue submit'));
  const url = redisUrl(opts, true)!;
  const { header, runs } = readPlan(dir);
  const connection = await connect(url);
  const { Queue } = await import('bullmq');
  const queue = new Queue<SweepJob>(queueName(opts), { connection });
  const counts = { added: 0, done: 0, queued: 0, retried: 0, copied: 0, elsewhere: 0 };
  const elsewhere = new Set<string>();
  try {
    for (const run of runs) {
      const result = storeFile(planPaths(dir).results, run.key);
      if (fs.existsSync(result)) {
        counts.done++;
        continue;
      }
      const data: SweepJob = { dir, planId: header.planId, experiment: header.experiment, index: run.index, id: run.id, key: run.key };
      const job = await queue.getJob(run.id);
      if (!job) {
        await queue.add(header.experiment, data, { jobId: run.id, attempts: opts.attempts, backoff: { type: 'exponential', delay: opts.retrySeconds * 1000 }, removeOnComplete: false, removeOnFail: false });
        counts.added++;
        continue;
      }
      const state = await job.getState();
      const other = (job.data as SweepJob).dir;
      if (other !== dir) {
        // The same run (same id: same module, function and arguments) queued from another plan folder.
        const there = storeFile(planPaths(other).results, run.key);
        if (state === 'completed' && fs.existsSync(there)) {
          fs.mkdirSync(path.dirname(result), { recursive: true });
          fs.copyFileSync(there, result);
          counts.copied++;
        } else {
          counts.elsewhere++;
          elsewhere.add(other);
        }
        continue;
      }
      if (state === 'failed' || state === 'completed') {
        await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
        counts.retried++;
      } else counts.queued++;
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
  if (ctx.json) process.stdout.write(JSON.stringify({ dir, planId: header.planId, runs: runs.length, ...counts }, null, 2) + '\n');
  else {
    const parts = [`${counts.added} added`, `${counts.queued} already queued`, `${counts.retried} failed runs queued again`, `${counts.done} already done`];
    if (counts.copied) parts.push(`${counts.copied} copied from the same finished runs of another plan folder`);
    ctx.log(`${header.experiment} in ${dir}: ${runs.length} runs: ${parts.join(', ')} (queue '${opts.queue}' at ${shownUrl(url)})`);
    if (counts.elsewhere) ctx.log(`${counts.elsewhere} runs are the same as runs queued for ${[...elsewhere].join(', ')}: submit again once those are done to copy their results`);
    const q = `--redis ${shownUrl(url)}${opts.queue !== 'creditflow' ? ` --queue ${opts.queue}` : ''}`;
    ctx.log(`workers: creditflow worker ${q} (on each machine that sees ${dir}); progress: creditflow queue status ${dir} ${q}; then creditflow gather ${dir}`);
  }
  return 0;
}

type QueueState = RunState | 'waiting' | 'not queued';

async function status(opts: ParsedOptions, ctx: RunContext): Promise<number> {
  const dir = path.resolve(dirArgument(opts, 'queue status'));
  const url = redisUrl(opts, false);
  const { header, runs } = readPlan(dir);
  const files = runStates(dir, runs);
  const rows: { run: PlannedRun; state: QueueState; detail: string }[] = [];
  const connection = url ? await connect(url) : null;
  const queue = connection ? new (await import('bullmq')).Queue<SweepJob>(queueName(opts), { connection }) : null;
  try {
    for (const f of files) {
      const s = f.status;
      const fromFile = s ? `${s.by} on ${s.host}${s.error ? `: ${s.error.split('\n')[0]}` : ''}` : '';
      if (f.state === 'done' || !queue) {
        rows.push({ run: f.run, state: f.state, detail: fromFile });
        continue;
      }
      const job = (await queue.getJob(f.run.id)) as Job<SweepJob> | undefined;
      if (!job || job.data.dir !== dir) {
        rows.push({ run: f.run, state: f.state === 'missing' ? 'not queued' : f.state, detail: job ? `queued for ${job.data.dir}` : fromFile });
        continue;
      }
      const state = await job.getState();
      const attempts = `attempt ${job.attemptsMade + (state === 'active' ? 1 : 0)} of ${job.opts.attempts ?? 1}`;
      if (state === 'active') rows.push({ run: f.run, state: 'running', detail: `${job.processedBy ?? 'a worker'}, ${attempts}` });
      else if (state === 'failed') rows.push({ run: f.run, state: 'failed', detail: `${job.attemptsMade} attempts: ${String(job.failedReason).split('\n')[0]}` });
      else if (state === 'completed') rows.push({ run: f.run, state: 'missing', detail: 'its job completed but the result is not in DIR: submit again' });
      else rows.push({ run: f.run, state: 'waiting', detail: state === 'delayed' ? `retry after ${job.attemptsMade} failed attempts: ${String(job.failedReason).split('\n')[0]}` : state === 'waiting' ? '' : state });
    }
  } finally {
    await queue?.close();
    connection?.disconnect();
  }
  const order: QueueState[] = ['done', 'running', 'waiting', 'failed', 'missing', 'not queued'];
  const count = Object.fromEntries(order.map((s) => [s, rows.filter((r) => r.state === s).length]));
  if (ctx.json) {
    process.stdout.write(JSON.stringify({ dir, experiment: header.experiment, planId: header.planId, runs: runs.length, counts: count, rows: rows.map((r) => ({ index: r.run.index, key: r.run.key, id: r.run.id, state: r.state, detail: r.detail })) }, null, 2) + '\n');
    return 0;
  }
  ctx.log(`${header.experiment} in ${dir}: ${runs.length} runs: ${order.filter((s) => count[s] > 0 || ['done', 'running', 'waiting', 'failed'].includes(s)).map((s) => `${count[s]} ${s}`).join(', ')}${url ? '' : ' (from DIR alone: pass --redis URL for the queue)'}`);
  const open = rows.filter((r) => r.state !== 'done');
  if (open.length) ctx.log(formatTable(['index', 'key', 'state', 'detail'], open.map((r) => [r.run.index, r.run.key, r.state, r.detail])));
  return 0;
}

/** The child that runs one job: this creditflow's CLI under tsx (as bin/creditflow.cjs runs it), with an IPC channel. */
function runOneChild(job: SweepJob, log: number, worker: string) {
  const loader = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
  const main = path.join(ROOT, 'src', 'cli', 'main.ts');
  return spawn(process.execPath, ['--import', loader, main, 'run-one', job.dir, '--id', job.id], {
    stdio: ['ignore', log, log, 'ipc'],
    // a supervised child of this worker (not a second supervisor): it stops when the worker dies
    env: { ...process.env, CREDITFLOW_QUEUE_WORKER: worker, [SUPERVISED_ENV]: '1' },
  });
}

/** The last error line of a run's log (what run-one printed when it failed). */
function lastError(file: string): string {
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].startsWith('creditflow: ')) return lines[i].slice('creditflow: '.length);
  return lines[lines.length - 1] ?? '';
}

function stamp(): string {
  return new Date().toISOString().slice(0, 19) + 'Z';
}

async function work(opts: ParsedOptions, ctx: RunContext): Promise<number> {
  const url = redisUrl(opts, true)!;
  const name = queueName(opts);
  const connection = await connect(url);
  const { Queue, UnrecoverableError, Worker } = await import('bullmq');
  const me = `${os.hostname()}:${commandPid()}`; // the pid the user started (the supervisor's)
  const children = new Set<ReturnType<typeof spawn>>();
  const say = (line: string) => ctx.log(`${stamp()} worker ${me}: ${line}`);

  const processor = async (job: Job<SweepJob>) => {
    const d = job.data;
    const what = `${d.experiment} run ${d.index} ${d.key} (${d.id}) of ${d.dir}`;
    let planId: string;
    try {
      planId = readPlan(d.dir).header.planId;
    } catch (e) {
      throw new UnrecoverableError(`${what}: ${e instanceof Error ? e.message : e} (is ${d.dir} shared with this machine at the same path?)`);
    }
    if (planId !== d.planId) throw new UnrecoverableError(`${what}: the plan in ${d.dir} is another one (${planId}) than the job's (${d.planId}); submit the plan again`);
    const attempt = `attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1}`;
    const logFile = path.join(planPaths(d.dir).logs, `queue-${d.index}.log`);
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const log = fs.openSync(logFile, 'a');
    fs.writeSync(log, `=== ${stamp()} worker ${me}, ${attempt} ===\n`);
    say(`${what}: started (${attempt}; log ${logFile})`);
    const t0 = Date.now();
    const child = runOneChild(d, log, me);
    children.add(child);
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c, signal) => resolve(signal ? null : c));
      child.once('error', () => resolve(null));
    });
    children.delete(child);
    fs.closeSync(log);
    const s = ((Date.now() - t0) / 1000).toFixed(1);
    if (code !== 0) {
      const why = lastError(logFile) || `run-one exited with ${code}`;
      say(`${what}: failed after ${s} s (${attempt}): ${why}`);
      throw new Error(why);
    }
    say(`${what}: done in ${s} s`);
    return { worker: me, seconds: Number(s) };
  };

  const lockMs = opts.lockSeconds * 1000;
  const worker = new Worker<SweepJob>(name, processor, {
    connection,
    concurrency: opts.concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: opts.maxStalled,
    name: me,
  });
  worker.on('error', (e) => say(`queue error: ${e.message}`));
  say(`serving queue '${name}' at ${shownUrl(url)} with ${opts.concurrency} run${opts.concurrency > 1 ? 's' : ''} at a time${opts.exitWhenIdle ? ', until the queue is empty' : ''}`);

  const stop = (signal: NodeJS.Signals) => {
    // Runs in progress end with the worker; their jobs go back to the queue when their locks expire.
    for (const c of children) c.kill('SIGTERM');
    say(`${signal}: stopping; runs in progress are picked up by other workers after ${opts.lockSeconds} s`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  if (!opts.exitWhenIdle) {
    await new Promise<never>(() => {});
  }
  const queue = new Queue<SweepJob>(name, { connection });
  let idleSince: number | null = null;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
    const pending = Object.values(c).reduce((a, b) => a + b, 0);
    if (pending > 0 || children.size > 0) idleSince = null;
    else if (idleSince === null) idleSince = Date.now();
    else if (Date.now() - idleSince >= IDLE_GRACE_MS) break;
  }
  say('queue empty: exiting');
  await worker.close();
  await queue.close();
  connection.disconnect();
  return 0;
}

/** How long the queue must stay empty before --exit-when-idle ends the worker (covers a submit that is still adding jobs). */
const IDLE_GRACE_MS = 3000;

export const queueSubmitCommand: CommandSpec = {
  name: 'queue submit',
  positional: true,
  usage: 'DIR --redis URL',
  description: 'Put the runs of the sweep plan in DIR on a BullMQ queue in Redis (job id = run id: submitting again adds nothing, failed runs are queued again, done runs are skipped).',
  options: [
    redisOption,
    queueOption,
    { name: 'attempts', type: 'integer', description: 'tries per run before it is kept as failed', default: 3, min: 1 },
    { name: 'retry-seconds', type: 'number', description: 'wait before the first retry (doubling each time)', default: 10, min: 0 },
  ],
  run: (opts, ctx) => submit(opts, ctx),
};

export const queueStatusCommand: CommandSpec = {
  name: 'queue status',
  positional: true,
  usage: 'DIR [--redis URL]',
  description: 'How many runs of the sweep plan in DIR are done, running, waiting and failed (with --redis, from the queue; without, from DIR alone), and which.',
  options: [redisOption, queueOption],
  run: (opts, ctx) => status(opts, ctx),
};

export const workerCommand: CommandSpec = {
  name: 'worker',
  usage: '--redis URL [--concurrency n] [--exit-when-idle]',
  description: 'Run queued sweep runs (from `creditflow queue submit`) on this machine, each as `creditflow run-one` in a child process; the plan folders must be reachable at the same path.',
  options: [
    redisOption,
    queueOption,
    { name: 'concurrency', type: 'integer', description: 'runs at a time on this machine', default: 1, min: 1 },
    { name: 'exit-when-idle', type: 'boolean', description: 'exit once the queue has no waiting, delayed or running job', default: false },
    { name: 'lock-seconds', type: 'number', description: "how long a dead worker's run stays locked before another worker takes it over (BullMQ lockDuration and stalled-check interval)", default: 30, min: 1 },
    { name: 'max-stalled', type: 'integer', description: 'times a run may be taken over from a dead worker before it is kept as failed', default: 3, min: 0 },
  ],
  run: (opts, ctx) => work(opts, ctx),
};
