/**
 * A sweep plan folder: the independent runs of one experiment (the task list its `runSweep` call
 * receives), written so that any machine sharing the folder can run one of them and one machine
 * can gather them. The folder is the experiment's --out:
 *
 *   DIR/plan/plan.json            what was planned: experiment, options, plan id, the `reproduce` command
 *   DIR/plan/runs.jsonl           one line per run: index, run id, key, module, function, arguments
 *   DIR/plan/status/<id>.json     the last word of whoever ran it: running (host, pid), done, failed (error)
 *   DIR/plan/logs/                per-run logs (SLURM array tasks, queue workers)
 *   DIR/checkpoints/<key>.result  a finished run's result (the same store as a local --resume)
 *   DIR/checkpoints/<key>/        a run's epoch checkpoint, from which a requeued run continues
 *
 * A run id is derived from the run alone (its key and a hash of its module, function and
 * arguments, the checkpoint settings left out), so the same options give the same ids on every
 * machine; the plan id is a hash of the experiment and all run ids in order.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../experiment/options';
import { canonicalJson } from './canonical';
import { ensureDir } from './output';

export { canonicalJson };

/** The repository root: run modules are recorded relative to it, so any install of the same tree can run them. */
export const ROOT = path.resolve(__dirname, '..', '..');

export const PLAN_FORMAT = 'creditflow-plan/1';

export interface PlanHeader {
  format: typeof PLAN_FORMAT;
  experiment: string;
  planId: string;
  runs: number;
  /** The experiment's parsed options (out and workers included, as given to `plan`). */
  options: Record<string, unknown>;
  /** The `reproduce` command whose outputs `gather` assembles (argv after 'creditflow'). */
  command: string[];
  /** runSweep's label of the sweep. */
  label: string;
  created: string;
  creditflowVersion: string;
  gitCommit: string | null;
}

export interface PlannedRun {
  index: number;
  id: string;
  key: string;
  /** Module path relative to the repository root. */
  module: string;
  fn: string;
  /** Units of progress the run reports. */
  units: number;
  /** The run's arguments (checkpoint settings left out), as canonical JSON values. */
  args: unknown;
}

export interface RunStatus {
  id: string;
  index: number;
  key: string;
  state: 'running' | 'done' | 'failed';
  host: string;
  pid: number;
  /** Who ran it: 'slurm job 123_4', 'queue worker host:pid', 'run-one'. */
  by: string;
  started: string;
  ended?: string;
  seconds?: number;
  error?: string;
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** A task's arguments without its checkpoint settings (where it checkpoints is not what it computes). */
export function argsWithoutCheckpoint(args: unknown): unknown {
  if (args !== null && typeof args === 'object' && !Array.isArray(args) && 'checkpoint' in args) {
    const { checkpoint: _where, ...rest } = args as Record<string, unknown>;
    return rest;
  }
  return args;
}

/** `<key, filename-safe>-<10 hex digits of the hash of module, function and arguments>`. */
export function runId(t: { key: string; module: string; fn: string; args: unknown }): string {
  const module = path.isAbsolute(t.module) ? path.relative(ROOT, t.module) : t.module;
  const hash = sha256(canonicalJson({ module: module.split(path.sep).join('/'), fn: t.fn, args: argsWithoutCheckpoint(t.args) })).slice(0, 10);
  const slug = t.key.replace(/[^\w.+=-]+/g, '_').slice(0, 60);
  return `${slug}-${hash}`;
}

export function planId(experiment: string, ids: readonly string[]): string {
  return sha256(canonicalJson({ experiment, ids })).slice(0, 16);
}

export const planPaths = (dir: string) => ({
  folder: path.join(dir, 'plan'),
  header: path.join(dir, 'plan', 'plan.json'),
  runs: path.join(dir, 'plan', 'runs.jsonl'),
  status: path.join(dir, 'plan', 'status'),
  logs: path.join(dir, 'plan', 'logs'),
  sbatch: path.join(dir, 'plan', 'slurm.sbatch'),
  results: path.join(dir, 'checkpoints'),
});

/** Write the plan atomically (each file through a temporary name). */
export function writePlan(dir: string, header: PlanHeader, runs: readonly PlannedRun[]): void {
  const p = planPaths(dir);
  ensureDir(p.status);
  ensureDir(p.logs);
  writeAtomic(p.runs, runs.map((r) => canonicalJson(r)).join('\n') + '\n');
  writeAtomic(p.header, JSON.stringify(header, null, 2) + '\n');
}

export function writeAtomic(file: string, text: string): void {
  ensureDir(path.dirname(file));
  const tmp = `${file}.tmp-${os.hostname()}-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** The plan in `dir`, or a one-line error saying how to make one. */
export function readPlan(dir: string): { header: PlanHeader; runs: PlannedRun[] } {
  const p = planPaths(dir);
  if (!fs.existsSync(dir)) throw new UsageError(`no folder ${dir}; make a sweep plan with \`creditflow plan <experiment> [options] --out ${dir}\``);
  if (!fs.existsSync(p.header)) throw new UsageError(`${dir} holds no sweep plan (${path.relative(dir, p.header)} is missing); make one with \`creditflow plan <experiment> [options] --out ${dir}\``);
  let header: PlanHeader;
  let runs: PlannedRun[];
  try {
    header = JSON.parse(fs.readFileSync(p.header, 'utf8'));
    runs = fs.readFileSync(p.runs, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
  } catch (e) {
    throw new UsageError(`the sweep plan in ${dir} is unreadable (${e instanceof Error ? e.message.split('\n')[0] : e}); plan again into a new --out`);
  }
  if (header.format !== PLAN_FORMAT) throw new UsageError(`${p.header} is not a creditflow plan of format ${PLAN_FORMAT} (got ${JSON.stringify(header.format)}); plan again into a new --out`);
  if (runs.length !== header.runs || runs.some((r, i) => r.index !== i)) throw new UsageError(`${p.runs} does not list the ${header.runs} runs of ${p.header} in order; plan again into a new --out`);
  return { header, runs };
}

function statusFile(dir: string, id: string): string {
  return path.join(planPaths(dir).status, `${id}.json`);
}

export function writeStatus(dir: string, s: RunStatus): void {
  writeAtomic(statusFile(dir, s.id), JSON.stringify(s, null, 2) + '\n');
}

export function readStatus(dir: string, id: string): RunStatus | null {
  try {
    return JSON.parse(fs.readFileSync(statusFile(dir, id), 'utf8'));
  } catch {
    return null;
  }
}

/** Who is running this process, for status files and logs. */
export function runner(): string {
  const e = process.env;
  if (e.SLURM_ARRAY_JOB_ID) return `slurm job ${e.SLURM_ARRAY_JOB_ID}_${e.SLURM_ARRAY_TASK_ID ?? '?'}${e.SLURM_RESTART_COUNT && e.SLURM_RESTART_COUNT !== '0' ? ` (requeued ${e.SLURM_RESTART_COUNT}x)` : ''}`;
  if (e.SLURM_JOB_ID) return `slurm job ${e.SLURM_JOB_ID}`;
  if (e.CREDITFLOW_QUEUE_WORKER) return `queue worker ${e.CREDITFLOW_QUEUE_WORKER}`;
  return 'run-one';
}
