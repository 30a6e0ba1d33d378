/**
 * DLL runs checkpoint and resume: a run stopped part-way (as if killed after its last checkpoint)
 * and resumed trains only the remaining epochs / iterations and ends with the same weights, Θ and
 * Adam state as an uninterrupted run, bit for bit.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { runMnist, type MnistRunOptions } from '../../models/dll/mnist-train';
import { rnnTask, type SequenceData } from '../../models/dll/rnn-train';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dll-resume-'));

function sameArrays(a: Record<string, Float64Array>, b: Record<string, Float64Array>): void {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const name of Object.keys(a)) expect(Buffer.from(b[name].buffer).equals(Buffer.from(a[name].buffer)), name).toBe(true);
}

test('a DLL MNIST run stopped after epoch 3 of 5 and resumed equals an uninterrupted run (weights, Θ, Adam moments and step count)', () => {
  const o: MnistRunOptions = { method: 'dll', sizes: [784, 8, 6, 10], epochs: 5, batch: 32, lr: 3e-3, optimizer: 'adam', loss: 'cross-entropy', seed: 3, trainSize: 128, relax: { solver: 'euler', dt: 1, tol: 1e-8 } };
  const whole = tmp();
  const ref = runMnist({ ...o, checkpoint: { dir: whole, every: 1, resume: false } });

  const killed = tmp();
  const stop = new Error('killed');
  expect(() => runMnist({ ...o, checkpoint: { dir: killed, every: 1, resume: false }, onEpoch: (r) => { if (r.epoch === 4) throw stop; } })).toThrow('killed');
  expect(loadCheckpoint(killed)!.epoch).toBe(3); // epoch 4 was lost with the "kill"
  const trained: number[] = [];
  const resumed = runMnist({ ...o, checkpoint: { dir: killed, every: 1, resume: true }, onEpoch: (r) => trained.push(r.epoch) });
  expect(trained).toEqual([4, 5]);
  expect(resumed).toEqual(ref);
  const a = loadCheckpoint(whole)!;
  const b = loadCheckpoint(killed)!;
  expect(b.epoch).toBe(5);
  expect(Object.keys(a.arrays)).toContain('adamT');
  expect(a.arrays.adamT[0]).toBe(5 * 4); // 4 batches of 32 per epoch
  sameArrays(a.arrays, b.arrays);

  expect(() => runMnist({ ...o, lr: 1e-3, checkpoint: { dir: killed, every: 1, resume: true } })).toThrow(/made with other settings/);
});

test('a DLL-RNN run stopped after iteration 12 of 20 and resumed from its checkpoint at 10 equals an uninterrupted run', () => {
  const data: SequenceData = { task: 'text', length: 1000, channels: 1, seed: 0 };
  const run = { method: 'dll' as const, hidden: 6, steps: 4, batch: 4, iterations: 20, lr: 3e-3, optimizer: 'adam' as const, seed: 2, relaxMode: 'closed' as const, evalEvery: 5 };
  const whole = tmp();
  const ref = rnnTask({ data, run, checkpoint: { dir: whole, every: 5, resume: false } });

  const killed = tmp();
  let n = 0;
  expect(() => rnnTask({ data, run: { ...run, onIteration: () => { if (++n === 12) throw new Error('killed'); } }, checkpoint: { dir: killed, every: 5, resume: false } })).toThrow('killed');
  expect(loadCheckpoint(killed)!.epoch).toBe(10);
  let trained = 0;
  const resumed = rnnTask({ data, run: { ...run, onIteration: () => trained++ }, checkpoint: { dir: killed, every: 5, resume: true } });
  expect(trained).toBe(10);
  expect(resumed).toEqual(ref);
  sameArrays(loadCheckpoint(whole)!.arrays, loadCheckpoint(killed)!.arrays);
  expect(() => rnnTask({ data: { ...data, seed: 1 }, run, checkpoint: { dir: killed, every: 5, resume: true } })).toThrow(/made with other settings/);
});
