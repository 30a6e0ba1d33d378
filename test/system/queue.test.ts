/**
 * A sweep plan through a BullMQ queue on a real Redis (redis-server on 127.0.0.1): submitted twice
 * (no duplicates), two worker processes, one killed mid-run (another worker resumes its run from
 * the checkpoint), every run done exactly once in effect, gathered and equal to a local
 * `creditflow reproduce`; and a run that keeps failing is retried a bounded number of times.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint';
import type { RunStatus } from '../../src/io/plan';
import { cli, cliBackground, expectExit, expectSameOutputs, KILLABLE_SWEEP, waitFor } from '../sweep-helpers';
import { startRedis, type Redis } from './services';

const ARGS = KILLABLE_SWEEP;

let redis: Redis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function readStatus(dir: string, id: string): RunStatus | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'plan', 'status', `${id}.json`), 'utf8'));
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('queue submit twice, two workers, one killed mid-run: its run resumes on the other from the checkpoint; gather equals the local run', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-queue-sweep-'));
  const queue = ['--redis', redis.url, '--queue', 'kill-test'];
  expectExit(cli(['reproduce', 'dll-mnist', ...ARGS, '--out', 'sweep'], work));
  fs.renameSync(path.join(work, 'sweep'), path.join(work, 'local'));
  expectExit(cli(['plan', 'dll-mnist', ...ARGS, '--out', 'sweep'], work));
  const dir = path.join(work, 'sweep');
  const runs = fs.readFileSync(path.join(dir, 'plan', 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; key: string });

  expect(expectExit(cli(['queue', 'submit', 'sweep', ...queue], work)).stdout).toContain('4 runs: 4 added, 0 already queued');
  expect(expectExit(cli(['queue', 'submit', 'sweep', ...queue], work)).stdout).toContain('4 runs: 0 added, 4 already queued');
  expect(expectExit(cli(['queue', 'status', 'sweep', ...queue], work)).stdout).toContain('4 runs: 0 done, 0 running, 4 waiting, 0 failed');

  const worker = (name: string) => cliBackground(['worker', ...queue, '--exit-when-idle', '--lock-seconds', '2'], work, path.join(work, `${name}.log`), { CREDITFLOW_PROGRESS_SECONDS: '1' });
  const a = worker('a');
  const aExit = new Promise((r) => a.once('exit', r));
  // a takes run 0 (the first job); kill it (SIGKILL: no chance to clean up) once run 0 has checkpointed epoch 2.
  const first = runs[0];
  const running = await waitFor('worker a to run run 0', () => readStatus(dir, first.id)?.by === `queue worker ${os.hostname()}:${a.pid}` && readStatus(dir, first.id), 120);
  const b = worker('b');
  const bExit = new Promise<number | null>((r) => b.once('exit', r));
  const ck = path.join(dir, 'checkpoints', first.key);
  const at = await waitFor('run 0 to checkpoint epoch 2', () => {
    try {
      const e = loadCheckpoint(ck)?.epoch ?? 0;
      return e >= 2 && e;
    } catch {
      return false;
    }
  }, 120, 50);
  a.kill('SIGKILL');
  await aExit;
  expect(at).toBeLessThan(10);
  // The killed worker's run ended with it (no orphan finishing the run behind the queue's back).
  await waitFor('the killed run to end', () => !alive(running.pid), 20);

  expect(await bExit).toBe(0);
  const logB = fs.readFileSync(path.join(work, 'b.log'), 'utf8');
  const logRun0 = fs.readFileSync(path.join(dir, 'plan', 'logs', 'queue-0.log'), 'utf8');
  expect(logRun0).toMatch(new RegExp(`queue worker ${os.hostname()}:${b.pid}\\): resuming from its checkpoint after epoch ([2-9])`));
  expect(Number(/resuming from its checkpoint after epoch (\d+)/.exec(logRun0)![1])).toBeGreaterThanOrEqual(at);
  // Exactly once in effect: each run finished once, every job completed, no run failed.
  const workerLines = `${fs.readFileSync(path.join(work, 'a.log'), 'utf8')}${logB}`.split('\n');
  for (const r of runs) expect(workerLines.filter((l) => l.includes(`(${r.id}) of ${dir}: done in `)).length, r.key).toBe(1);
  expect(logB).not.toContain(': failed ');
  const status = expectExit(cli(['queue', 'status', 'sweep', ...queue, '--json'], work));
  expect(JSON.parse(status.stdout).counts).toMatchObject({ done: 4, running: 0, waiting: 0, failed: 0 });

  expectExit(cli(['gather', 'sweep'], work));
  expectSameOutputs(path.join(work, 'local'), dir);
  expect(expectExit(cli(['queue', 'submit', 'sweep', ...queue], work)).stdout).toContain('4 runs: 0 added, 0 already queued, 0 failed runs queued again, 4 already done');
  fs.rmSync(work, { recursive: true, force: true });
});

test('a run that keeps failing is tried --attempts times, reported failed by status and gather, and queued again by a later submit', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-queue-retry-'));
  const queue = ['--redis', redis.url, '--queue', 'retry-test'];
  const small = ['--sizes', '784,8,10', '--epochs', '2', '--seeds', '1', '--methods', 'dll,bp', '--theta-rule', 'paper', '--train-size', '256', '--batch-size', '32', '--no-png'];
  expectExit(cli(['plan', 'dll-mnist', ...small, '--out', 'sweep'], work));
  const dir = path.join(work, 'sweep');
  // Run 0's checkpoint is corrupt: every attempt fails when it loads it.
  const ck = path.join(dir, 'checkpoints', 'dll-seed1');
  saveCheckpoint(ck, { epoch: 1, arrays: {}, rng: {} });
  fs.writeFileSync(path.join(ck, 'checkpoint.bin'), Buffer.from('not a checkpoint at all'));
  expectExit(cli(['queue', 'submit', 'sweep', ...queue, '--attempts', '2', '--retry-seconds', '0.2'], work));
  expectExit(cli(['worker', ...queue, '--exit-when-idle', '--lock-seconds', '2'], work));

  const log = fs.readFileSync(path.join(dir, 'plan', 'logs', 'queue-0.log'), 'utf8');
  expect(log.match(/^=== .* attempt \d of 2 ===$/gm)).toEqual([expect.stringContaining('attempt 1 of 2'), expect.stringContaining('attempt 2 of 2')]);
  const status = JSON.parse(expectExit(cli(['queue', 'status', 'sweep', ...queue, '--json'], work)).stdout);
  expect(status.counts).toMatchObject({ done: 1, failed: 1 });
  expect(status.rows[0]).toMatchObject({ index: 0, state: 'failed', detail: expect.stringMatching(/^2 attempts: .*checkpoint.* is (corrupt|truncated)/) });
  const gathered = expectExit(cli(['gather', 'sweep'], work), 1);
  expect(gathered.stderr).toContain('1 of 2 runs of dll-mnist');
  expect(gathered.stderr).toMatch(/\n0\s+dll-seed1\s+failed\s/);

  fs.rmSync(path.join(ck, 'checkpoint.bin'));
  expect(expectExit(cli(['queue', 'submit', 'sweep', ...queue], work)).stdout).toContain('1 failed runs queued again, 1 already done');
  expectExit(cli(['worker', ...queue, '--exit-when-idle', '--lock-seconds', '2'], work));
  expectExit(cli(['gather', 'sweep'], work));
  fs.rmSync(work, { recursive: true, force: true });
});
