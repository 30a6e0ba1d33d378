/**
 * Resuming LOCO runs: a run stopped part-way and resumed trains only the remaining epochs (or runs)
 * and ends bit-identical to an uninterrupted run (weights, LOCO projector state, records).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { trainContinual, type ContinualConfig } from '../../models/loco/experiments/continual';
import { mnistData } from '../../models/loco/experiments/common';
import { mnistExperiment, trainMnist, type MnistConfig } from '../../models/loco/experiments/mnist';
import { sinExperiment } from '../../models/loco/experiments/sin';
import type { PerturbableNetwork } from '../../models/loco/nets';
import { readResults, readText, removeTmpDirs, runCommand, tmpDir, TINY_MNIST } from './helpers';

afterAll(removeTmpDirs);

const data = mnistData(100);

function bytes(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function sameWeights(a: PerturbableNetwork, b: PerturbableNetwork): boolean {
  return a.W.every((w, l) => bytes(w.data).equals(bytes(b.W[l].data)) && bytes(a.b[l]).equals(bytes(b.b[l])));
}

test('an SNN trained by LOCO, stopped after epoch 2 and resumed, trains only epochs 3-4 and ends bit-identical', () => {
  const cfg: MnistConfig = { net: 'snn', rule: 'loco', depth: 4, hidden: 8, epochs: 4, batch: 25, eta: 2, sigma: 0.3, k: 4, clusters: 3, buffer: 6, steps: 4, noise: 0.3, trainSize: 100, seed: 3 };
  const dir = tmpDir('mnist-ck');
  const whole = trainMnist(cfg, data);
  // What a run killed after its epoch-2 checkpoint leaves (the epoch count is not part of the settings).
  trainMnist({ ...cfg, epochs: 2 }, data, { checkpoint: { dir, every: 1, resume: false } });
  const trained: number[] = [];
  const resumed = trainMnist(cfg, data, { checkpoint: { dir, every: 1, resume: true }, onEpoch: (e) => trained.push(e) });
  expect(trained).toEqual([3, 4]);
  expect(sameWeights(resumed.net, whole.net)).toBe(true);
  expect(resumed.accuracy).toEqual(whole.accuracy);
  expect(resumed.trainLoss).toEqual(whole.trainLoss);
  expect(resumed.accuracy).toHaveLength(5);
  // Other settings are refused.
  expect(() => trainMnist({ ...cfg, eta: 1 }, data, { checkpoint: { dir, every: 1, resume: true } })).toThrow(/other settings/);
});

test('continual learning stopped after digit 3 and resumed trains digits 4-10 only and ends bit-identical (LOCO buffer included)', () => {
  const cfg: ContinualConfig = { net: 'ann', rule: 'loco', hidden: 8, epochsPerClass: 1, batch: 4, eta: 0.1, sigma: 0.01, k: 4, clusters: 4, buffer: 40, steps: 4, noise: 0, seed: 2, order: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] };
  const dir = tmpDir('continual-ck');
  const whole = trainContinual(cfg, data);
  // A run killed during digit 4: its last checkpoint is the one after digit 3.
  expect(() =>
    trainContinual(cfg, data, {
      checkpoint: { dir, every: 1, resume: false },
      onEpoch: (i) => {
        if (i === 4) throw new Error('killed');
      },
    }),
  ).toThrow('killed');
  const trained: number[] = [];
  const resumed = trainContinual(cfg, data, { checkpoint: { dir, every: 1, resume: true }, onEpoch: (i) => trained.push(i) });
  expect(trained).toEqual([4, 5, 6, 7, 8, 9, 10]);
  expect(sameWeights(resumed.net, whole.net)).toBe(true);
  expect(resumed.seenAccuracy).toEqual(whole.seenAccuracy);
  expect(resumed.perClass).toEqual(whole.perClass);
});

test('loco-mnist --resume continues each run from its epoch checkpoint: only epoch 2 is trained, results identical', async () => {
  const whole = await runCommand(mnistExperiment, [...TINY_MNIST, '--epochs', '2', '--workers', '1']);
  // A sweep killed after every run checkpointed epoch 1 and before any finished.
  const killed = await runCommand(mnistExperiment, [...TINY_MNIST, '--epochs', '1', '--workers', '1']);
  for (const f of fs.readdirSync(path.join(killed.out, 'checkpoints'))) if (f.endsWith('.result')) fs.rmSync(path.join(killed.out, 'checkpoints', f));
  const resumed = await runCommand(mnistExperiment, [...TINY_MNIST, '--epochs', '2', '--workers', '2', '--resume'], killed.out);
  const batches = resumed.ticks.filter((t) => /^(ann|snn) (np|loco) depth 3$/.test(t.note)).length;
  expect(batches).toBe(4 * 10); // 4 runs x the 10 batches of one epoch
  expect(readResults(resumed.out, 'runs.json')).toEqual(readResults(whole.out, 'runs.json'));
  expect(readText(resumed.out, 'accuracy.csv')).toBe(readText(whole.out, 'accuracy.csv'));
});

test('loco-sin --resume loads the finished runs and trains only the missing one, with identical results', async () => {
  const tiny = ['--seeds', '1,2', '--epochs', '30', '--rules', 'bp,loco', '--workers', '1'];
  const whole = await runCommand(sinExperiment, tiny);
  const ck = path.join(whole.out, 'checkpoints');
  const files = fs.readdirSync(ck).sort();
  expect(files).toEqual(['bp-seed1.result', 'bp-seed2.result', 'loco-code-seed1.result', 'loco-code-seed2.result', 'loco-seed1.result', 'loco-seed2.result']); // default --variant paper,code
  const reference = readText(whole.out, 'losses.csv');
  fs.rmSync(path.join(ck, 'loco-seed1.result'));
  const resumed = await runCommand(sinExperiment, [...tiny, '--resume'], whole.out);
  const trained = new Set(resumed.ticks.filter((t) => / seed \d$/.test(t.note)).map((t) => t.note));
  expect([...trained]).toEqual(['loco seed 1']);
  expect(readText(resumed.out, 'losses.csv')).toBe(reference);
  expect(fs.readdirSync(ck).sort()).toEqual(files);
});
