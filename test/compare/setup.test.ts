import { expect, test } from 'vitest';
import { mat } from '../../src/linalg/mat';
import { mse } from '../../src/nn/losses';
import { Mlp } from '../../src/nn/mlp';
import { taskConfig } from '../../models/compare/config';
import { LEARNERS, sharedInit, angleDegrees } from '../../models/compare/run';
import { RULE_NAMES } from '../../models/compare/rules';
import { taskData } from '../../models/compare/tasks';
import { DfcNet } from '../../models/dfc/network';
import { bpBatch } from '../../models/dfc/rules';

const cfg = taskConfig('teacher', true);
const data = taskData({ ...cfg.setup, trainSize: 64, testSize: 16 });
const { W0, B0, ruleSeed } = sharedInit(data.sizes, 3);

test('every rule starts from the same initial forward weights', () => {
  for (const rule of RULE_NAMES) {
    const learner = LEARNERS[rule]({ rule, data, W0, B0, lr: 0.05, batch: 32, seed: ruleSeed, settings: cfg.settings });
    const W = learner.weights();
    expect(W.map((m) => [m.rows, m.cols]), rule).toEqual(W0.map((m) => [m.rows, m.cols]));
    W.forEach((m, l) => expect(Array.from(m.data), `${rule} W${l + 1}`).toEqual(Array.from(W0[l].data)));
  }
});

test('one unit of η means the same for every rule: BP, and DFC’s BP/2, both give −∂L/∂W of ½‖y − t‖²', () => {
  const B = 32;
  const x = data.train.x.subarray(0, B * 15);
  const t = data.train.t.subarray(0, B * 5);
  const mlp = new Mlp({ sizes: data.sizes, hidden: 'tanh', bias: false });
  const p = { W: W0, b: W0.map((w) => new Float64Array(w.rows)) };
  const g = mlp.backward(p, mlp.forward(p, x, B), t, mse).gW;
  const bp = LEARNERS.BP({ rule: 'BP', data, W0, B0, lr: 0.05, batch: B, seed: 1, settings: cfg.settings }).step(x, t, null, B);
  const net = new DfcNet({ sizes: data.sizes, hidden: 'tanh', loss: 'mse' });
  const dfc = bpBatch(net, { W: W0, Q: [] }, { X: mat(B, 15, x.slice()), Y: mat(B, 5, t.slice()) });
  for (let l = 0; l < g.length; l++) {
    for (let i = 0; i < g[l].data.length; i++) {
      expect(bp[l].data[i]).toBeCloseTo(-g[l].data[i], 12);
      expect(dfc[l].data[i] / 2).toBeCloseTo(-g[l].data[i], 12);
    }
  }
  expect(angleDegrees(bp, g.map((m) => ({ ...m, data: m.data.map((v) => -v) })), [0, 1, 2])).toBeLessThan(1e-5);
});
