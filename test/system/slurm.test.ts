/**
 * A sweep plan run as a SLURM job array on a real (one-node) SLURM: submitted with `sbatch --wait`,
 * one array task requeued mid-run (it resumes from its run's checkpoint), gathered, and equal to the
 * same experiment run locally with `creditflow reproduce`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { cli, expectExit, expectSameOutputs, KILLABLE_SWEEP, waitFor } from '../sweep-helpers';
import { program, startSlurm, type Slurm } from './services';

const ARGS = KILLABLE_SWEEP;

let slurm: Slurm;
beforeAll(async () => {
  slurm = await startSlurm();
});
afterAll(async () => {
  await slurm?.stop();
});

function epochOf(dir: string): number {
  try {
    return loadCheckpoint(dir)?.epoch ?? 0;
  } catch {
    return 0; // being written
  }
}

test('plan --slurm, sbatch --wait with one task requeued mid-run, gather: the outputs of a local reproduce, byte for byte', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-slurm-sweep-'));
  expectExit(cli(['reproduce', 'dll-mnist', ...ARGS, '--out', 'sweep'], work));
  fs.renameSync(path.join(work, 'sweep'), path.join(work, 'local'));

  const planned = expectExit(cli(['plan', 'dll-mnist', ...ARGS, '--out', 'sweep', '--slurm', '--slurm-time', '30:00', '--slurm-mem', '900M', '--slurm-extra=--comment=creditflow-test'], work));
  const script = path.join(work, 'sweep', 'plan', 'slurm.sbatch');
  expect(planned.stdout).toContain(`sbatch sweep/plan/slurm.sbatch`);
  expect(planned.stdout).toContain('creditflow gather sweep');
  const text = fs.readFileSync(script, 'utf8');
  for (const line of ['#SBATCH --array=0-3', '#SBATCH --requeue', '#SBATCH --time=30:00', '#SBATCH --mem=900M', '#SBATCH --comment=creditflow-test', `#SBATCH --output=${path.join(work, 'sweep', 'plan', 'logs', 'slurm-%a.log')}`]) expect(text).toContain(line);
  expect(text).toContain(`run-one '${path.join(work, 'sweep')}' --index "$SLURM_ARRAY_TASK_ID"`);

  // sbatch --wait returns when every array task has ended; meanwhile task 0 is requeued once it has checkpointed epoch 2.
  const sbatch = spawn(program('sbatch', 'slurm-client'), ['--wait', script], { cwd: work, env: slurm.env });
  let out = '';
  sbatch.stdout.on('data', (d) => (out += d));
  sbatch.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => sbatch.once('exit', r));
  const job = await waitFor('sbatch to submit', () => /Submitted batch job (\d+)/.exec(out)?.[1], 60);
  const ck = path.join(work, 'sweep', 'checkpoints', 'dll-seed1');
  const requeuedAfter = await waitFor('run 0 to checkpoint epoch 2', () => epochOf(ck) >= 2 && epochOf(ck), 180, 50);
  expect(requeuedAfter).toBeLessThan(10); // still running when requeued
  slurm.run('scontrol', ['requeue', `${job}_0`]);
  // A requeued job waits a while before it may start again; let it start now.
  await waitFor('task 0 to be pending', () => /PENDING/.test(slurm.run('scontrol', ['show', 'job', `${job}_0`])), 60, 250);
  slurm.run('scontrol', ['update', `JobId=${job}_0`, 'StartTime=now']);
  expect(await exited, out).toBe(0);

  const log0 = fs.readFileSync(path.join(work, 'sweep', 'plan', 'logs', 'slurm-0.log'), 'utf8');
  expect(log0).toMatch(/\(slurm job \d+_0\): starting/);
  expect(log0).toMatch(/\(slurm job \d+_0 \(requeued 1x\)\): resuming from its checkpoint after epoch ([2-9])/);
  expect(Number(/resuming from its checkpoint after epoch (\d+)/.exec(log0)![1])).toBeGreaterThanOrEqual(requeuedAfter);
  for (const i of [1, 2, 3]) expect(fs.readFileSync(path.join(work, 'sweep', 'plan', 'logs', `slurm-${i}.log`), 'utf8')).toMatch(/: done in /);

  const status = expectExit(cli(['queue', 'status', 'sweep'], work));
  expect(status.stdout).toContain('4 runs: 4 done, 0 running, 0 waiting, 0 failed');
  expectExit(cli(['gather', 'sweep'], work));
  const files = expectSameOutputs(path.join(work, 'local'), path.join(work, 'sweep'));
  expect(files).toEqual(expect.arrayContaining(['results.json', 'curves.csv', 'summary.csv', 'manifest.json']));
  fs.rmSync(work, { recursive: true, force: true });
});
