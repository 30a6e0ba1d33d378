import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { SalCircuit } from '../../models/sal/circuit';
import { assemblyMeasure, type AssemblyMeasure } from '../../models/sal/experiments/task';
import { methodConfig } from '../../models/sal/presets';
import { trainCircuit } from '../../models/sal/train';
import type { Dataset } from '../../src/data/mnist';
import { xorTask } from './helpers';

test('SAL training resumed from a checkpoint ends bit-identical to an uninterrupted run', () => {
  const task = xorTask(64, 3);
  const ds: Dataset = { x: task.x, y: task.labels, n: task.n, d: 3, classes: 2 };
  const data = { train: ds, test: ds };
  const config = methodConfig('sal', { sizes: [3, 8, 8, 2], loss: 'cross-entropy', rates: { W: 0.03, Wbar: 0.03, V: 0.01, Vbar: 0.01 }, decay: 1e-4 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-sal-ck-'));
  const whole = trainCircuit(new SalCircuit(config), data, { epochs: 6, batch: 8, seed: 4 });
  // A run stopped after 3 epochs (its checkpoint is what a killed run leaves), then resumed to 6.
  trainCircuit(new SalCircuit(config), data, { epochs: 3, batch: 8, seed: 4, checkpoint: { dir, every: 1, resume: false } });
  const trained: number[] = [];
  const resumed = trainCircuit(new SalCircuit(config), data, {
    epochs: 6,
    batch: 8,
    seed: 4,
    checkpoint: { dir, every: 1, resume: true },
    onEpoch: (rec) => trained.push(rec.epoch),
  });
  expect(trained).toEqual([4, 5, 6]); // only the remaining epochs were trained
  expect(Buffer.from(resumed.y.buffer, resumed.y.byteOffset, resumed.y.byteLength).equals(Buffer.from(whole.y.buffer, whole.y.byteOffset, whole.y.byteLength))).toBe(true);
  expect(resumed.curve.map((c) => c.testLoss)).toEqual(whole.curve.map((c) => c.testLoss));
  expect(resumed.curve).toHaveLength(7);
});

test('per-epoch measurements (sal-assembly) survive a resume: the resumed run returns those of every epoch', () => {
  const task = xorTask(48, 5);
  const ds: Dataset = { x: task.x, y: task.labels, n: task.n, d: 3, classes: 2 };
  const data = { train: ds, test: ds };
  const config = methodConfig('sal', { sizes: [3, 6, 6, 6, 2], loss: 'cross-entropy', rates: { W: 0.03, Wbar: 0.03, V: 0.01, Vbar: 0.01 }, decay: 1e-4 });
  const measure: AssemblyMeasure = { kind: 'assembly', layer: 3, epochs: 4 };
  const run = (epochs: number, checkpoint?: { dir: string; every: number; resume: boolean }) => {
    const circuit = new SalCircuit(config);
    return trainCircuit(circuit, data, { epochs, batch: 8, seed: 2, checkpoint, measure: (rec, y) => assemblyMeasure(circuit, measure, rec, y) });
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-sal-measure-'));
  const whole = run(4);
  run(2, { dir, every: 1, resume: false });
  const resumed = run(4, { dir, every: 1, resume: true });
  expect(resumed.measurements).toHaveLength(5);
  expect(resumed.measurements).toEqual(whole.measurements);
  expect(resumed.measurements[4].H).toBeDefined(); // the "after" matrices of layer 3
  fs.rmSync(dir, { recursive: true, force: true });
});
