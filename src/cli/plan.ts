/**
 * Sweeps beyond one machine: `creditflow plan <experiment> [options] --out DIR` writes the
 * experiment's independent runs as a plan (src/io/plan.ts), `creditflow run-one DIR --index i`
 * runs one of them into DIR (resuming from its checkpoint), and `creditflow gather DIR` assembles
 * the experiment's figures, tables and manifest from the finished runs.
 *
 * The plan is the task list the experiment hands to `runSweep` (src/experiment/sweep.ts), captured by
 * running the experiment up to that call with a sweep driver that stops it there; `run-one` and
 * `gather` capture it again from the plan's options and check that it is still the same list. So
 * every way of running a sweep (threads, SLURM, a queue) shares one decomposition, and `gather`
 * runs the experiment's own code over the stored results: its outputs are those of
 * `creditflow reproduce <experiment>` with the same options, byte for byte apart from timing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCheckpoint } from '../io/checkpoint';
import { formatTable } from '../io/output';
import { argsWithoutCheckpoint, canonicalJson, planId, planPaths, PLAN_FORMAT, readPlan, readStatus, ROOT, runId, runner, writePlan, writeStatus, type PlanHeader, type PlannedRun, type RunStatus } from '../io/plan';
import { Progress } from '../io/progress';
import { creditflowVersion, gitCommit, withoutManifests, withRecordedCommand } from '../io/run';
import { loadStored, runTasks, storeFile } from '../parallel/pool';
import { experiments, loadModels, type CommandSpec } from '../registry';
import type { RunContext } from '../experiment/context';
import { camel, UsageError, type OptionSpec, type ParsedOptions } from '../experiment/options';
import { checkSlurmOptions, sbatchScript, slurmOptions, submitSbatch } from './slurm';
import { withSweepDriver, type SweepTask } from '../experiment/sweep';

/** What `plan` adds to an experiment's options; not part of the plan's options. */
export const planOnlyOptions: OptionSpec[] = slurmOptions;

/** Options that do not change what a sweep computes or writes: a plan may be made again with other values. */
const NOT_COMPARED = new Set(['out', 'workers', 'config']);

class Captured extends Error {
  constructor(readonly tasks: readonly SweepTask<unknown>[], readonly label: string) {
    super('sweep captured');
  }
}

const quiet: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total) };

/**
 * The task list `spec` hands to runSweep with `opts`: the experiment runs up to that call, which
 * stops it; no manifest is written and nothing is trained.
 */
export async function captureSweep(spec: CommandSpec, opts: ParsedOptions): Promise<{ tasks: readonly SweepTask<unknown>[]; label: string }> {
  let captured: Captured | null = null;
  const driver = {
    sweep<R>(tasks: readonly SweepTask<unknown>[], _o: ParsedOptions, _c: RunContext, label: string): Promise<R[]> {
      captured = new Captured(tasks, label);
      throw captured;
    },
  };
  try {
    await withoutManifests(() => withSweepDriver(driver, async () => spec.run(opts, quiet)));
  } catch (e) {
    if (!captured) throw e;
  }
  if (!captured) throw new UsageError(`${spec.name} finished without a sweep of independent runs, so there is nothing to plan; run it with \`creditflow reproduce ${spec.name}\``);
  const c = captured as Captured;
  const keys = c.tasks.map((t) => t.key);
  if (keys.some((k) => !k) || new Set(keys).size !== keys.length) throw new Error(`${spec.name}: every run of a sweep needs a distinct key to be planned`);
  return { tasks: c.tasks, label: c.label };
}

function plannedRuns(tasks: readonly SweepTask<unknown>[]): PlannedRun[] {
  return tasks.map((t, index) => ({
    index,
    id: runId({ key: t.key, module: t.module, fn: t.fn, args: t.args }),
    key: t.key,
    module: path.relative(ROOT, t.module).split(path.sep).join('/'),
    fn: t.fn,
    units: t.units ?? 1,
    args: JSON.parse(canonicalJson(argsWithoutCheckpoint(t.args))),
  }));
}

/**
 * The options a plan records: the experiment's parsed options in the order parsing gave them (a
 * manifest lists them in that order), without --help, --json and the plan-only ones (--config is
 * kept as the name of the file the values came from; they are not read from it again).
 */
function recordedOptions(opts: ParsedOptions): Record<string, unknown> {
  const drop = new Set(['_', 'help', 'json', ...planOnlyOptions.map((o) => camel(o.name))]);
  return Object.fromEntries(Object.entries(opts).filter(([k]) => !drop.has(k)));
}

/** The experiment's options from a plan, as `reproduce` parses them, with --out naming `dir` as this machine sees it. */
function planOptions(header: PlanHeader, dir: string): ParsedOptions {
  return { help: false, json: false, ...header.options, out: dir, _: [] };
}

/** argv of `plan <experiment> ...` without the plan-only options: the equivalent `reproduce` command. */
export function reproduceCommand(name: string, rest: readonly string[]): string[] {
  const byName = new Map(planOnlyOptions.map((o) => [o.name, o]));
  const out = ['reproduce', name];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const bare = a.startsWith('--') ? a.slice(2).split('=')[0] : '';
    const spec = byName.get(bare) ?? (bare.startsWith('no-') ? byName.get(bare.slice(3)) : undefined);
    if (!spec) {
      out.push(a);
      continue;
    }
    if (spec.type !== 'boolean' && !a.includes('=')) i++;
  }
  return out;
}

/** The first option whose value differs between two plans (kebab name and both values), or null. */
function differingOption(spec: CommandSpec, a: Record<string, unknown>, b: Record<string, unknown>): [string, unknown, unknown] | null {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !NOT_COMPARED.has(k)).sort();
  for (const k of keys) {
    if (canonicalJson(a[k]) !== canonicalJson(b[k])) return [spec.options.find((o) => camel(o.name) === k)?.name ?? k, a[k], b[k]];
  }
  return null;
}

/** `creditflow plan <experiment>`: the experiment's options plus the plan-only ones. */
export function findPlanCommand(argv: readonly string[]): { spec: CommandSpec; rest: string[]; usage: string } | null {
  if (argv[0] !== 'plan') return null;
  const name = argv[1];
  if (!name || name.startsWith('--')) throw new UsageError(`plan needs an experiment name: creditflow plan <experiment> [options] --out DIR; valid experiments: ${experiments.names().sort().join(', ')}`);
  const experiment = experiments.get(name);
  const clash = planOnlyOptions.find((o) => experiment.options.some((e) => e.name === o.name));
  if (clash) throw new Error(`${name} has an option --${clash.name} of its own, which plan also takes; rename one of them`);
  const rest = argv.slice(2);
  const spec: CommandSpec = {
    name: `plan ${name}`,
    description: `Write the independent runs of ${name} as a sweep plan in --out (DIR/plan/), to run one at a time with \`creditflow run-one DIR --index i\`, as a SLURM job array (--slurm) or through a queue (\`creditflow queue submit DIR\`), and gather with \`creditflow gather DIR\`. Takes the options of \`reproduce ${name}\`.`,
    options: [...experiment.options, ...planOnlyOptions],
    run: (opts, ctx) => makePlan(experiment, opts, reproduceCommand(name, rest), ctx),
  };
  return { spec, rest, usage: `creditflow plan ${name} [options] --out DIR` };
}

async function makePlan(spec: CommandSpec, opts: ParsedOptions, command: string[], ctx: RunContext): Promise<number> {
  const slurm = opts.slurm as boolean;
  for (const o of slurmOptions) {
    if (o.name !== 'slurm' && opts[camel(o.name)] !== undefined && opts[camel(o.name)] !== o.default && !slurm) throw new UsageError(`--${o.name} is a SLURM setting: add --slurm (or leave it out)`);
  }
  checkSlurmOptions(opts);
  const dir = opts.out as string;
  const options = recordedOptions(opts);
  const p = planPaths(dir);
  const again = `plan into another --out, or delete ${p.folder} to replace it`;
  const old = fs.existsSync(p.header) ? readPlan(dir).header : null;
  if (old) {
    if (old.experiment !== spec.name) throw new UsageError(`${dir} holds a plan of ${old.experiment}, not ${spec.name}; ${again}`);
    const diff = differingOption(spec, old.options, options);
    if (diff) throw new UsageError(`${dir} holds a plan of ${spec.name} with other options (--${diff[0]} ${JSON.stringify(diff[1])} there, ${JSON.stringify(diff[2])} now); ${again}`);
  }
  const { tasks, label } = await captureSweep(spec, opts);
  const runs = plannedRuns(tasks);
  const header: PlanHeader = {
    format: PLAN_FORMAT,
    experiment: spec.name,
    planId: planId(spec.name, runs.map((r) => r.id)),
    runs: runs.length,
    options,
    command,
    label,
    created: new Date().toISOString(),
    creditflowVersion: creditflowVersion(),
    gitCommit: gitCommit(),
  };
  if (old) {
    if (old.planId !== header.planId) throw new UsageError(`${dir} holds a plan of ${spec.name} with these options made by another version of creditflow (its runs differ); ${again}`);
    header.created = old.created;
  }
  writePlan(dir, header, runs);
  const done = runs.filter((r) => fs.existsSync(storeFile(p.results, r.key))).length;
  let sbatch: string | null = null;
  if (slurm) {
    sbatch = p.sbatch;
    fs.writeFileSync(sbatch, sbatchScript(path.resolve(dir), header, opts), { mode: 0o755 });
  }
  if (ctx.json) process.stdout.write(JSON.stringify({ dir: path.resolve(dir), ...header, done, sbatch }, null, 2) + '\n');
  else {
    ctx.log(`planned ${runs.length} runs of ${spec.name} in ${dir} (plan ${header.planId}${done ? `, ${done} already done` : ''}; one line per run in ${p.runs})`);
    ctx.log(`  one run:  creditflow run-one ${dir} --index i   (i = 0..${runs.length - 1}; or --id <run id>)`);
    if (sbatch) ctx.log(`  SLURM:    sbatch ${sbatch}   (logs in ${p.logs})`);
    ctx.log(`  queue:    creditflow queue submit ${dir} --redis redis://HOST:6379, then on each machine: creditflow worker --redis redis://HOST:6379`);
    ctx.log(`  gather:   creditflow gather ${dir}   (progress: creditflow queue status ${dir}, or gather itself on a partial sweep)`);
  }
  if (slurm && opts.submit) ctx.log(submitSbatch(sbatch!));
  return 0;
}

/** A plan and the experiment's task list made again from its options on this machine, checked to be the same runs. */
export async function openPlan(dir: string): Promise<{ header: PlanHeader; runs: PlannedRun[]; spec: CommandSpec; opts: ParsedOptions; tasks: readonly SweepTask<unknown>[] }> {
  const { header, runs } = readPlan(dir);
  await loadModels();
  if (!experiments.has(header.experiment)) throw new UsageError(`the plan in ${dir} is of experiment '${header.experiment}', which this creditflow does not have; run it with the creditflow that made it (${header.creditflowVersion}, ${header.gitCommit ?? 'unknown commit'})`);
  const spec = experiments.get(header.experiment);
  const opts = planOptions(header, dir);
  const { tasks } = await captureSweep(spec, opts);
  const ids = tasks.map((t) => runId({ key: t.key, module: t.module, fn: t.fn, args: t.args }));
  const at = ids.length !== runs.length ? Math.min(ids.length, runs.length) : ids.findIndex((id, i) => id !== runs[i].id);
  if (at >= 0) {
    const what = at < runs.length ? `run ${at} (${runs[at].key}) was ${runs[at].id}, is now ${ids[at] ?? 'absent'}` : `${ids.length} runs now, ${runs.length} planned`;
    throw new UsageError(`the plan in ${dir} no longer matches what this creditflow makes of its options (${what}): the code changed since it was planned (${header.gitCommit ?? 'unknown commit'}); plan again into a new --out`);
  }
  return { header, runs, spec, opts, tasks };
}

export type RunState = 'done' | 'running' | 'failed' | 'missing';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where each run of a plan stands: a stored result is done; otherwise its last status file says. */
export function runStates(dir: string, runs: readonly PlannedRun[]): { run: PlannedRun; state: RunState; status: RunStatus | null }[] {
  const results = planPaths(dir).results;
  return runs.map((run) => {
    const status = readStatus(dir, run.id);
    if (fs.existsSync(storeFile(results, run.key))) return { run, state: 'done', status };
    if (status?.state === 'running' && status.host === os.hostname() && !alive(status.pid)) return { run, state: 'missing', status: { ...status, by: `${status.by} (stopped)` } };
    return { run, state: status?.state === 'running' ? 'running' : status?.state === 'failed' ? 'failed' : 'missing', status };
  });
}

/** The run a `--index` / `--id` pair names, or a one-line error. */
export function selectRun(runs: readonly PlannedRun[], dir: string, index: number | undefined, id: string | undefined): PlannedRun {
  if ((index === undefined) === (id === undefined)) throw new UsageError('run-one needs one of --index i or --id ID (the run ids are in DIR/plan/runs.jsonl)');
  if (index !== undefined) {
    if (index >= runs.length) throw new UsageError(`--index must be in 0..${runs.length - 1}: the plan in ${dir} has ${runs.length} runs (got ${index})`);
    return runs[index];
  }
  const run = runs.find((r) => r.id === id);
  if (!run) throw new UsageError(`unknown run id '${id}' for the plan in ${dir}; its ${runs.length} ids are listed in ${planPaths(dir).runs} (e.g. ${runs.slice(0, 2).map((r) => r.id).join(', ')})`);
  return run;
}

function seconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/**
 * Run one run of the plan in `dir` in a worker thread (this thread stays free to notice a parent
 * queue worker that died, and to report progress), resuming from its checkpoint, and store its
 * result where runSweep keeps finished runs. A run already done is not run again.
 */
export async function runOne(dir: string, index: number | undefined, id: string | undefined, ctx: RunContext): Promise<number> {
  selectRun(readPlan(dir).runs, dir, index, id); // a bad --index or --id is an error before the experiment is set up
  const { header, runs, tasks } = await openPlan(dir);
  const run = selectRun(runs, dir, index, id);
  const task = tasks[run.index];
  const results = planPaths(dir).results;
  const who = `run ${run.index} of ${runs.length}, ${run.key} (${run.id})`;
  if (fs.existsSync(storeFile(results, run.key))) {
    loadStored(results, task); // a result from other arguments is an error, not a finished run
    ctx.log(`${who}: already done (${path.relative(dir, storeFile(results, run.key))})`);
    return 0;
  }
  const args = task.args as { checkpoint?: { dir: string; resume: boolean } };
  const ck = args && typeof args === 'object' && args.checkpoint ? { ...args.checkpoint, resume: true } : undefined;
  let resumed: string;
  try {
    const saved = ck ? loadCheckpoint(ck.dir) : null;
    resumed = saved ? `resuming from its checkpoint after epoch ${saved.epoch}` : 'starting';
  } catch {
    resumed = 'starting (its checkpoint is unreadable)'; // the run itself fails on it, with the message saying what to do
  }
  const start = Date.now();
  const status: RunStatus = { id: run.id, index: run.index, key: run.key, state: 'running', host: os.hostname(), pid: process.pid, by: runner(), started: new Date(start).toISOString() };
  writeStatus(dir, status);
  ctx.log(`${who} of ${header.experiment} on ${status.host} (${status.by}): ${resumed}`);
  const progress = ctx.progress(`${header.experiment} ${run.key}`, run.units);
  try {
    await runTasks([{ ...task, args: ck ? { ...args, checkpoint: ck } : args }], {
      workers: 1,
      isolate: true,
      store: { dir: results, resume: true },
      onProgress: (_i, n, text) => progress.tick(n, text),
    });
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    writeStatus(dir, { ...status, state: 'failed', ended: new Date().toISOString(), seconds: (Date.now() - start) / 1000, error });
    progress.finish();
    process.stderr.write(`creditflow: ${who} failed: ${error}\n`);
    return 1;
  }
  progress.finish();
  const s = (Date.now() - start) / 1000;
  writeStatus(dir, { ...status, state: 'done', ended: new Date().toISOString(), seconds: s });
  ctx.log(`${who}: done in ${seconds(s)}`);
  return 0;
}

/** `0-3,7,9-10`: indices as SLURM-style ranges. */
export function ranges(indices: readonly number[]): string {
  const out: string[] = [];
  const sorted = [...indices].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** How to run the runs that are not done: the SLURM array line when the plan has a script, else run-one and the queue. */
function rerunAdvice(dir: string, indices: number[]): string {
  const p = planPaths(dir);
  const list = ranges(indices);
  const ways = [`creditflow run-one ${dir} --index i (i = ${list})`, `creditflow queue submit ${dir} --redis URL`];
  if (fs.existsSync(p.sbatch)) ways.unshift(`sbatch --array=${list} ${p.sbatch}`);
  return `run them with ${ways.join(', or ')}, then gather again`;
}

/**
 * Assemble the experiment's outputs in `dir` from the finished runs of its plan: the experiment
 * runs with the plan's options and a sweep driver that loads each stored result in place of running
 * it; its manifest records the equivalent `reproduce` command. A run not done makes it stop
 * before writing anything, naming the runs and how to run them.
 */
export async function gather(dir: string, ctx: RunContext): Promise<number> {
  const { header, runs, spec, opts, tasks } = await openPlan(dir);
  const states = runStates(dir, runs);
  const notDone = states.filter((s) => s.state !== 'done');
  if (notDone.length > 0) {
    const rows = notDone.map(({ run, state, status }) => [run.index, run.key, state, status ? `${status.by} on ${status.host}${status.error ? `: ${status.error.split('\n')[0]}` : ''}` : '', run.id]);
    process.stderr.write(`creditflow: gather: ${notDone.length} of ${runs.length} runs of ${header.experiment} in ${dir} are not done (${countBy(notDone.map((s) => s.state))}); ${rerunAdvice(dir, notDone.map((s) => s.run.index))}\n`);
    process.stderr.write(formatTable(['index', 'key', 'state', 'last', 'run id'], rows) + '\n');
    return 1;
  }
  // Every stored result is loaded (and checked to be of this plan's run) before the experiment writes anything.
  const results = planPaths(dir).results;
  const stored = tasks.map((t, i) => {
    let r: unknown;
    try {
      r = loadStored<unknown>(results, t);
    } catch {
      throw new UsageError(`${storeFile(results, t.key)} is not the result of run ${i} (${t.key}) of the plan in ${dir} (it was made with other settings): delete it and run it again with \`creditflow run-one ${dir} --index ${i}\``);
    }
    if (r === undefined) throw new UsageError(`the result of run ${i} (${t.key}) disappeared from ${results} while gathering; gather again`);
    return r;
  });
  let sweeps = 0;
  const driver = {
    async sweep<R>(got: readonly SweepTask<unknown>[], _o: ParsedOptions, c: RunContext, label: string, note?: (i: number, r: R) => string): Promise<R[]> {
      if (sweeps++ > 0) throw new Error(`${header.experiment} runs a second sweep after its first, which a plan cannot hold; run it with \`creditflow reproduce ${header.experiment}\``);
      if (got.length !== tasks.length || got.some((t, i) => t.key !== tasks[i].key)) throw new Error(`${header.experiment} made another task list when gathering than when its plan was checked; gather again`);
      const progress = c.progress(`${label} (gathering)`, got.length);
      const out: R[] = [];
      for (let i = 0; i < got.length; i++) {
        const r = stored[i] as R;
        out.push(r);
        progress.tick(1, note?.(i, r) ?? got[i].key);
      }
      progress.finish();
      return out;
    },
  };
  const code = await withRecordedCommand(header.command, () => withSweepDriver(driver, async () => spec.run(opts, ctx)));
  return typeof code === 'number' ? code : 0;
}

function countBy(values: readonly string[]): string {
  const n = new Map<string, number>();
  for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
  return [...n].map(([k, c]) => `${c} ${k}`).join(', ');
}

export function dirArgument(opts: ParsedOptions, command: string): string {
  const [dir, ...extra] = opts._;
  if (!dir) throw new UsageError(`${command} needs the plan folder: creditflow ${command} DIR (the --out of \`creditflow plan\`)`);
  if (extra.length) throw new UsageError(`${command} takes one plan folder (got ${opts._.join(' ')})`);
  return dir;
}

export const runOneCommand: CommandSpec = {
  name: 'run-one',
  positional: true,
  usage: 'DIR (--index i | --id ID)',
  description: 'Run one run of the sweep plan in DIR (made by `creditflow plan`), resuming from its checkpoint; its result is kept in DIR for `creditflow gather`. A run already done is not run again.',
  options: [
    { name: 'index', type: 'integer', description: 'the run by its line in DIR/plan/runs.jsonl, from 0 (a SLURM array task passes $SLURM_ARRAY_TASK_ID)', min: 0 },
    { name: 'id', type: 'string', description: 'the run by its run id (DIR/plan/runs.jsonl)' },
  ],
  async run(opts, ctx) {
    const dir = dirArgument(opts, 'run-one');
    // Started by a queue worker: end with it (its channel closes when it dies), and let the channel not keep this process alive.
    if (process.env.CREDITFLOW_QUEUE_WORKER && process.channel) {
      process.channel.unref();
      process.on('disconnect', () => process.exit(1));
    }
    return runOne(dir, opts.index, opts.id, ctx);
  },
};

export const gatherCommand: CommandSpec = {
  name: 'gather',
  positional: true,
  usage: 'DIR',
  description: "Assemble the figures, tables and manifest of the sweep plan in DIR from its finished runs (the outputs of `creditflow reproduce` with the plan's options); on a partial sweep, list the runs not done and how to run them.",
  options: [],
  run: (opts, ctx) => gather(dirArgument(opts, 'gather'), ctx),
};
