import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { AnnNet } from '../../models/loco/nets';
import { PerturbationLearner } from '../../models/loco/rules';

function problem(seed: number) {
  const rng = new Rng(seed);
  const B = 16;
  const x = rng.fillNormal(new Float64Array(B * 6));
  const teacher = AnnNet.init([6, 5, 2], new Rng(seed + 100));
  const t = teacher.forward(x, B).output.slice();
  return { x, t, B };
}

describe('NP and LOCO descend the loss (signs of eqs. 2, 9, 28 fixed)', () => {
  for (const rule of ['np', 'loco'] as const) {
    test(`${rule}: 300 steps on a fixed batch lower the loss of a ReLU network by > 3x`, () => {
      const { x, t, B } = problem(1);
      const net = AnnNet.init([6, 8, 2], new Rng(2));
      const before = net.gradient(x, t, B).loss;
      const learner = new PerturbationLearner(net, { rule, sigma: 1e-3, eta: 0.05, loco: { k: 4, clusters: 1 } }, 3);
      for (let i = 0; i < 300; i++) learner.step(x, t, B);
      const after = net.gradient(x, t, B).loss;
      expect(after).toBeLessThan(before / 3);
    });
  }

  test('the estimate has the sign of the BP gradient: ⟨ĝ, g_BP⟩ > 0 on average', () => {
    const { x, t, B } = problem(4);
    const net = AnnNet.init([6, 8, 2], new Rng(5));
    const g = net.gradient(x, t, B);
    for (const rule of ['np', 'loco'] as const) {
      const learner = new PerturbationLearner(net, { rule, sigma: 1e-3, eta: 0, loco: { k: 4, clusters: 1 } }, 6);
      let s = 0;
      for (let i = 0; i < 200; i++) {
        const e = learner.estimate(x, t, B);
        e.gW.forEach((w, l) => w.data.forEach((v, j) => (s += v * g.gW[l].data[j])));
      }
      expect(s).toBeGreaterThan(0);
    }
  });

  test('TD is l̃ − l per sample and the clean loss is the eq. (27) loss', () => {
    const { x, t, B } = problem(7);
    const net = AnnNet.init([6, 8, 2], new Rng(8));
    const e = new PerturbationLearner(net, { rule: 'np', sigma: 1e-2, eta: 0 }, 9).estimate(x, t, B);
    expect(e.loss).toBeCloseTo(net.gradient(x, t, B).loss, 14);
    expect(e.td.reduce((s, v) => s + v, 0) / B).toBeCloseTo(e.lossPerturbed - e.loss, 14);
  });
});

describe('bad learning-rule settings give clear errors', () => {
  const net = AnnNet.init([4, 3, 2], new Rng(1));
  test('k larger than a layer width', () => {
    expect(() => new PerturbationLearner(net, { rule: 'loco', sigma: 0.1, eta: 0.1, loco: { k: 5 } }, 1)).toThrow(
      /LOCO k = 5 principal components exceeds the width of layer 2's input \(4 dimensions, bias included\); choose k <= 4/,
    );
    expect(() => new PerturbationLearner(net, { rule: 'loco', sigma: 0.1, eta: 0.1, loco: { k: [2, 2, 2] } }, 1)).toThrow(/one per layer/);
  });
  test('σ ≤ 0, η < 0, unknown rule, clusters < 1', () => {
    expect(() => new PerturbationLearner(net, { rule: 'np', sigma: 0, eta: 0.1 }, 1)).toThrow(/sigma must be > 0/);
    expect(() => new PerturbationLearner(net, { rule: 'np', sigma: 0.1, eta: -1 }, 1)).toThrow(/eta must be >= 0/);
    expect(() => new PerturbationLearner(net, { rule: 'sgd' as never, sigma: 0.1, eta: 0.1 }, 1)).toThrow(/rule must be one of np, loco/);
    expect(() => new PerturbationLearner(net, { rule: 'loco', sigma: 0.1, eta: 0.1, loco: { clusters: 0 } }, 1)).toThrow(/clusters/);
  });
});
