/**
 * LOCO's --variant: 'paper' (the default) must give today's numbers, pinned here at a reduced size
 * (measured before the 'code' variant was added); 'code' is the authors' released rate network
 * (nets.ts RateNet, Adam).
 */
import { expect, test } from 'vitest';
import { mnistData } from '../../models/loco/experiments/common';
import { trainMnist } from '../../models/loco/experiments/mnist';
import { trainSin } from '../../models/loco/experiments/sin';
import { trainXor } from '../../models/loco/experiments/xor';

const pinned: Record<string, { accuracy: number[]; trainLoss: number }> = {
  'ann np': { accuracy: [0.1115, 0.07], trainLoss: 0.14531098374318102 },
  'ann loco': { accuracy: [0.1115, 0.108], trainLoss: 0.18214538748312412 },
  'snn np': { accuracy: [0.1145, 0.1415], trainLoss: 0.06653770303862973 },
  'snn loco': { accuracy: [0.1145, 0.1285], trainLoss: 0.07070743810720773 },
};

test('the paper variant of loco-mnist, loco-sin and loco-xor gives the numbers pinned before the code variant existed', () => {
  const data = mnistData(300);
  for (const net of ['ann', 'snn'] as const) {
    for (const rule of ['np', 'loco'] as const) {
      const r = trainMnist({ net, rule, depth: 4, hidden: 20, epochs: 1, batch: 32, eta: net === 'ann' ? 0.05 : 1, sigma: net === 'ann' ? 0.01 : 0.3, k: 5, clusters: 3, buffer: 20, steps: 5, noise: 0.3, trainSize: 300, seed: 2 }, data);
      expect(r.accuracy).toEqual(pinned[`${net} ${rule}`].accuracy);
      expect(r.trainLoss).toEqual([pinned[`${net} ${rule}`].trainLoss]);
    }
  }
  const sin = { np: 0.11404005076594682, loco: 0.1140400508503499, bp: 0.10155356612869132 };
  for (const rule of ['np', 'loco', 'bp'] as const) {
    const r = trainSin({ rule, seed: 1, epochs: 30, eta: rule === 'bp' ? 0.01 : 0.005, sigma: 1e-3, k: 10 });
    expect(r.losses[r.losses.length - 1]).toBe(sin[rule]);
  }
  expect(trainXor({ rule: 'np', seed: 1, epochs: 5 }).after.output).toEqual([5.156250000000002, 2.6562500000000004, 23.593750000000014, 1.5625]);
  expect(trainXor({ rule: 'loco', seed: 1, epochs: 5 }).after.output).toEqual([10.937500000000005, 2.9687500000000004, 25.468750000000014, 2.03125]);
}, 60_000);
