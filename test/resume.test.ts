import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { loadCheckpoint } from '../src/io/checkpoint';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'creditflow.cjs');
/** Where `train urfb` keeps its checkpoint (runCheckpoint(opts, 'train')). */
const ckDir = (out: string) => path.join(out, 'checkpoints', 'train');
const args = (out: string) => ['train', 'urfb', '--rule', 'urfb', '--train-size', '4000', '--test-size', '200', '--hidden', '128,128', '--epochs', '10', '--seeds', '5', '--out', out];

test('a training run killed part-way resumes from its checkpoint to the same final weights, bit for bit', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-resume-'));
  const whole = path.join(tmp, 'whole');
  const killed = path.join(tmp, 'killed');

  const r1 = spawnSync(process.execPath, [bin, ...args(whole)], { encoding: 'utf8' });
  expect(r1.status).toBe(0);

  // Start the same run, kill it (SIGKILL: no chance to clean up) once it has checkpointed epoch 2.
  const child = spawn(process.execPath, [bin, ...args(killed)], { stdio: 'ignore', detached: true });
  let killedAt = -1;
  for (let i = 0; i < 600 && killedAt < 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    let ck = null;
    try {
      ck = loadCheckpoint(ckDir(killed));
    } catch {
      ck = null;
    }
    if (ck && ck.epoch >= 2) {
      process.kill(-child.pid!, 'SIGKILL');
      killedAt = ck.epoch;
    }
  }
  await new Promise((r) => child.once('exit', r));
  expect(killedAt).toBeGreaterThanOrEqual(2);
  const partial = loadCheckpoint(ckDir(killed))!;
  expect(partial.epoch).toBeLessThan(10);
  const manifest = JSON.parse(fs.readFileSync(path.join(killed, 'manifest.json'), 'utf8'));
  expect(manifest.status).toBe('running');

  const r2 = spawnSync(process.execPath, [bin, ...args(killed), '--resume'], { encoding: 'utf8' });
  expect(r2.status).toBe(0);
  // It really resumed: only the epochs after the checkpoint were trained.
  expect(r2.stdout).toContain(`resuming after epoch ${partial.epoch}`);
  const trainedEpochs = [...r2.stdout.matchAll(/^\s+(\d+)\s+\d+\.\d+\s/gm)].map((m) => Number(m[1]));
  expect(trainedEpochs[0]).toBe(partial.epoch + 1);
  expect(trainedEpochs[trainedEpochs.length - 1]).toBe(10);
  const a = loadCheckpoint(ckDir(whole))!;
  const b = loadCheckpoint(ckDir(killed))!;
  expect(b.epoch).toBe(10);
  expect(Object.keys(b.arrays).sort()).toEqual(Object.keys(a.arrays).sort());
  for (const name of Object.keys(a.arrays)) {
    expect(Buffer.from(b.arrays[name].buffer).equals(Buffer.from(a.arrays[name].buffer))).toBe(true);
  }
  const ta = JSON.parse(fs.readFileSync(path.join(whole, 'train.json'), 'utf8'));
  const tb = JSON.parse(fs.readFileSync(path.join(killed, 'train.json'), 'utf8'));
  expect(tb.finalTestError).toBe(ta.finalTestError);
  expect(tb.epochs.map((e: { loss: number }) => e.loss)).toEqual(ta.epochs.map((e: { loss: number }) => e.loss));

  const r3 = spawnSync(process.execPath, [bin, 'train', 'urfb', '--rule', 'frfb', '--train-size', '4000', '--test-size', '200', '--hidden', '128,128', '--epochs', '10', '--seeds', '5', '--out', killed, '--resume'], { encoding: 'utf8' });
  expect(r3.status).toBe(2);
  expect(r3.stderr).toContain('was made with other settings');
});
