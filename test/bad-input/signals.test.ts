/**
 * What only a real process shows: signals reach the process that computes and stop it within a
 * couple of seconds, leaving a manifest marked 'interrupted', a resumable state and the command that
 * continues it; an open output folder is locked against a second run; exit codes. The CLI is
 * spawned here (slow: kept to the cases that need it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { LOCK_FILE, pidAlive } from '../../src/io/lock';
import { cli, manifest, scratch, start, until } from './helpers';

const tmp = scratch('cf-sig-');
const train = (out: string, epochs: number) => ['train', 'urfb', '--train-size', '2000', '--test-size', '200', '--hidden', '64', '--epochs', String(epochs), '--seeds', '3', '--out', out];
const epochOf = (out: string) => {
  try {
    return loadCheckpoint(path.join(out, 'checkpoints', 'train'))?.epoch ?? 0;
  } catch {
    return 0;
  }
};
const lockHolder = (out: string) => JSON.parse(fs.readFileSync(path.join(out, LOCK_FILE), 'utf8'));

test('SIGINT stops train urfb within 2 s: exit 130, manifest interrupted, the --resume command printed, and it resumes to the uninterrupted result', async () => {
  const out = path.join(tmp, 'int');
  const run = start(train(out, 400));
  await until(() => epochOf(out) >= 2);
  const computing = lockHolder(out).pid;
  const t0 = Date.now();
  run.child.kill('SIGINT');
  const { code } = await run.exit;
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(code).toBe(130);
  const resume = `creditflow ${train(out, 400).join(' ')} --resume`;
  expect(run.err().trim().split('\n').pop()).toBe(`interrupted (SIGINT): partial results are in ${out}; continue with: ${resume}`);
  expect(pidAlive(computing)).toBe(false);
  expect(manifest(out)).toMatchObject({ status: 'interrupted', notes: [`interrupted by SIGINT; continue with: ${resume}`] });
  expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);

  // Continue (to one epoch past the checkpoint, to keep the test short) and compare with a run that was never stopped.
  const k = epochOf(out) + 1;
  const resumed = cli([...train(out, k), '--resume']);
  expect(resumed.status).toBe(0);
  expect(resumed.stdout).toContain(`resuming after epoch ${k - 1}`);
  const whole = path.join(tmp, 'whole');
  expect(cli(train(whole, k)).status).toBe(0);
  const losses = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'train.json'), 'utf8')).epochs.map((e: { loss: number }) => e.loss);
  expect(losses(out)).toEqual(losses(whole));
  expect(manifest(out).status).toBe('ok');
});

test('while a run writes a folder a second run into it is refused naming the holder; SIGTERM stops a run on worker threads (exit 143)', async () => {
  const out = path.join(tmp, 'term');
  const args = ['reproduce', 'urfb-mnist', '--protocols', 'urfb,frfb', '--seeds', '1', '--hidden', '64', '--train-size', '2000', '--test-size', '200', '--epochs', '300', '--workers', '2', '--no-png', '--out', out];
  const run = start(args);
  await until(() => fs.existsSync(path.join(out, LOCK_FILE)) && fs.existsSync(path.join(out, 'checkpoints')));
  const holder = lockHolder(out);
  const second = cli(['reproduce', 'fig12', '--steps', '5', '--out', out]);
  expect(second.status).toBe(2);
  expect(second.stderr).toBe(`creditflow: --out ${out} is in use by another creditflow run (pid ${holder.pid}, started ${holder.start}: ${holder.command}); wait for it to finish or choose another --out\n`);
  const t0 = Date.now();
  run.child.kill('SIGTERM');
  const { code } = await run.exit;
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(code).toBe(143);
  expect(run.err().trim().split('\n').pop()).toBe(`interrupted (SIGTERM): partial results are in ${out}; continue with: creditflow ${args.join(' ')} --resume`);
  expect(manifest(out).status).toBe('interrupted');
  expect(pidAlive(holder.pid)).toBe(false);
});

test('a computing process killed from outside (as by the out-of-memory killer) is reported, its run closed, and its lock taken over by the next run', async () => {
  const out = path.join(tmp, 'oom');
  const run = start(train(out, 400));
  await until(() => epochOf(out) >= 1);
  process.kill(lockHolder(out).pid, 'SIGKILL');
  const { code } = await run.exit;
  expect(code).toBe(137);
  const lines = run.err().trim().split('\n');
  expect(lines.slice(-2)).toEqual([
    `interrupted (SIGKILL (the system may have run out of memory)): partial results are in ${out}; continue with: creditflow ${train(out, 400).join(' ')} --resume`,
    'creditflow: the command was killed by SIGKILL (the system may have run out of memory)',
  ]);
  expect(manifest(out).status).toBe('interrupted');
  // A lock left by a process that is gone (here written by hand: a killed supervisor cannot clean up) is taken over.
  fs.writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 4321, host: require('node:os').hostname(), command: 'creditflow gone', start: 'then' }));
  const again = cli([...train(out, 1)]);
  expect(again.status).toBe(0);
  expect(manifest(out).notes).toContain(`took over the lock of a run that is gone (pid ${2 ** 22 + 4321}, started then)`);
});

test('exit codes: bad input 2 at once (--out /proc/x no longer hangs; --teacher-sds 0 no longer writes NaN), success 0', () => {
  const t0 = Date.now();
  const r = cli(['train', 'urfb', '--out', '/proc/x']);
  expect([r.status, r.stderr]).toEqual([2, "creditflow: --out cannot be under /proc (got '/proc/x'); choose a folder on a disk, e.g. --out out/run\n"]);
  expect(Date.now() - t0).toBeLessThan(20_000);
  const nan = cli(['reproduce', 'fig12-step', '--teacher-sds', '0', '--out', path.join(tmp, 'x')]);
  expect([nan.status, nan.stderr]).toEqual([2, 'creditflow: --teacher-sds values must be > 0 (got 0)\n']);
  const ok = cli(['reproduce', 'fig12', '--steps', '5', '--dims', '4,5,5,3', '--seeds', '1', '--epsilons', '1', '--workers', '1', '--out', path.join(tmp, 'ok')]);
  expect(ok.status).toBe(0);
  expect(manifest(path.join(tmp, 'ok')).status).toBe('ok');
});

test('a reader that closes the pipe early (creditflow list | head) ends the command quietly: exit 0, no stack trace', async () => {
  const run = start(['list']);
  run.child.stdout!.destroy(); // closed before the command writes its first line: every write gets EPIPE
  const { code } = await run.exit;
  expect(code).toBe(0);
  expect(run.err()).toBe('');
});
