/**
 * A sweep plan as a SLURM job array: `creditflow plan ... --slurm` writes DIR/plan/slurm.sbatch, one
 * array task per run (`--array=0-(N-1)`), each `creditflow run-one DIR --index $SLURM_ARRAY_TASK_ID`.
 * Tasks are `--requeue`able: a task requeued after a node failure or preemption resumes from its
 * run's checkpoint, and a finished run is not run again. Each task appends to its own log,
 * DIR/plan/logs/slurm-<index>.log, so a resubmitted task's log follows its first attempt.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { planPaths, ROOT, type PlanHeader } from '../io/plan';
import { UsageError, type OptionSpec, type ParsedOptions } from '../experiment/options';

export const slurmOptions: OptionSpec[] = [
  { name: 'slurm', type: 'boolean', description: 'also write DIR/plan/slurm.sbatch, a SLURM job array with one task per run', default: false },
  { name: 'slurm-partition', type: 'string', description: 'partition of the array tasks (sbatch --partition)' },
  { name: 'slurm-time', type: 'string', description: 'time limit of each task (sbatch --time: minutes, h:mm:ss or d-hh:mm:ss)' },
  { name: 'slurm-mem', type: 'string', description: 'memory of each task (sbatch --mem, e.g. 4G)' },
  { name: 'slurm-cpus', type: 'integer', description: 'CPUs of each task (sbatch --cpus-per-task; a run uses one)', default: 1, min: 1 },
  { name: 'slurm-max-parallel', type: 'integer', description: 'at most this many tasks at once (--array=0-(N-1)%n)', min: 1 },
  { name: 'slurm-extra', type: 'string', description: "further sbatch options, ';'-separated, after '=' (e.g. --slurm-extra='--account=lab;--qos=long')" },
  { name: 'submit', type: 'boolean', description: 'with --slurm: submit the script with sbatch', default: false },
];

/** The extra sbatch options of --slurm-extra, each checked to be an option. */
function extraLines(opts: ParsedOptions): string[] {
  if (!opts.slurmExtra) return [];
  const parts = (opts.slurmExtra as string).split(';').map((s) => s.trim()).filter((s) => s !== '');
  for (const p of parts) if (!/^--?[A-Za-z]/.test(p)) throw new UsageError(`each entry of --slurm-extra must be an sbatch option such as --account=lab (got '${p}')`);
  return parts;
}

/** Check the SLURM options before any work: a one-line error naming the option. */
export function checkSlurmOptions(opts: ParsedOptions): void {
  const time = opts.slurmTime as string | undefined;
  if (time !== undefined && !/^((\d+-)?\d+(:\d{1,2}){0,2}|infinite|unlimited)$/i.test(time)) throw new UsageError(`--slurm-time must be minutes, h:mm:ss or d-hh:mm:ss as sbatch --time takes it (got '${time}')`);
  const mem = opts.slurmMem as string | undefined;
  if (mem !== undefined && !/^\d+[KMGT]?$/i.test(mem)) throw new UsageError(`--slurm-mem must be a size as sbatch --mem takes it, e.g. 4G or 500M (got '${mem}')`);
  const partition = opts.slurmPartition as string | undefined;
  if (partition !== undefined && !/^[\w.,-]+$/.test(partition)) throw new UsageError(`--slurm-partition must be a partition name (letters, digits, '.', '_', '-'; got '${partition}')`);
  extraLines(opts);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The sbatch script of the plan in `dir` (an absolute path). */
export function sbatchScript(dir: string, header: PlanHeader, opts: ParsedOptions): string {
  const p = planPaths(dir);
  if (/\s/.test(p.logs)) throw new UsageError(`with --slurm, --out must not contain white space (SLURM cannot quote the log path ${p.logs}); choose another --out`);
  const n = header.runs;
  const array = `0-${n - 1}${opts.slurmMaxParallel ? `%${opts.slurmMaxParallel}` : ''}`;
  const sbatch = [
    `--job-name=cf-${header.experiment}`,
    `--array=${array}`,
    `--output=${path.join(p.logs, 'slurm-%a.log')}`,
    '--open-mode=append',
    '--requeue',
    '--ntasks=1',
    `--cpus-per-task=${opts.slurmCpus ?? 1}`,
    ...(opts.slurmPartition ? [`--partition=${opts.slurmPartition}`] : []),
    ...(opts.slurmTime ? [`--time=${opts.slurmTime}`] : []),
    ...(opts.slurmMem ? [`--mem=${opts.slurmMem}`] : []),
    ...extraLines(opts),
  ];
  const cli = path.join(ROOT, 'bin', 'creditflow.cjs');
  return [
    '#!/bin/bash',
    ...sbatch.map((s) => `#SBATCH ${s}`),
    `# creditflow sweep: ${header.experiment}, ${n} runs (plan ${header.planId}), made by \`creditflow plan --slurm\`.`,
    `# Submit: sbatch ${p.sbatch}`,
    `# A task requeued (node failure, preemption) or resubmitted (sbatch --array=3,7 ${p.sbatch}) resumes`,
    '# from its run\'s checkpoint; a finished run is not run again.',
    `# Then: creditflow gather ${dir}`,
    'if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then',
    `  echo "creditflow: this is a SLURM job array script: submit it with sbatch ${p.sbatch} (SLURM_ARRAY_TASK_ID is not set)" >&2`,
    '  exit 2',
    'fi',
    `NODE="\${CREDITFLOW_NODE:-${process.execPath}}"`,
    `exec "$NODE" ${shellQuote(cli)} run-one ${shellQuote(dir)} --index "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}

/** Submit `script` with sbatch; the job id line, or a one-line error saying what to do. */
export function submitSbatch(script: string): string {
  const r = spawnSync('sbatch', [script], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new UsageError(`sbatch is not installed here: the plan and ${script} are written; submit it with \`sbatch ${script}\` on a machine of the SLURM cluster (its login node), or run the plan with \`creditflow queue submit\` or \`creditflow run-one\``);
  }
  if (r.error) throw new UsageError(`sbatch could not be run (${r.error.message}); submit ${script} by hand with sbatch`);
  if (r.status !== 0) throw new UsageError(`sbatch refused ${script}: ${(r.stderr || r.stdout).trim().split('\n')[0]}; fix the --slurm-* options and plan again`);
  return r.stdout.trim();
}
