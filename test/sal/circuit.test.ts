import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random';
import { SalCircuit, resolveConfig } from '../../models/sal/circuit';
import { methodConfig } from '../../models/sal/presets';
import { randomBatch, sgdUpdate, theorem1Gap, diffNorm, fro } from '../../models/sal/theory';
import { effectiveRank, gram } from '../../models/sal/analysis';
import { flowOnce } from './helpers';
import { fromRows, identity } from '../../src/linalg/mat';

describe('shapes of a user-given configuration are checked', () => {
  it('rejects a downstream width of 0', () => {
    expect(() => new SalCircuit({ sizes: [4, 6, 5, 2], downWidths: [6, 0] })).toThrow(/downstream width of layer 3 \(downWidths\[1\]\) is 0; every width must be an integer >= 1/);
  });
  it('rejects mismatched layer counts', () => {
    expect(() => new SalCircuit({ sizes: [4, 6, 5, 2], downWidths: [6, 5, 4] })).toThrow(/downWidths has 3 entries but the upstream pathway \[4, 6, 5, 2\] has 2 hidden layer\(s\)/);
  });
  it('rejects too few layers and bad widths', () => {
    expect(() => new SalCircuit({ sizes: [4] })).toThrow(/at least an input and an output width/);
    expect(() => new SalCircuit({ sizes: [4, 2.5, 2] })).toThrow(/upstream width of layer 2 \(sizes\[1\]\) is 2.5/);
  });
  it('rejects identity inter-stream connections between unequal widths', () => {
    expect(() => new SalCircuit({ sizes: [4, 6, 2], downWidths: [8], inter: 'identity' })).toThrow(/needs equal widths, but layer 2 has upstream width 6 and downstream width 8/);
    expect(() => new SalCircuit({ sizes: [4, 6, 2], feedback: 'tied' })).toThrow(/set inter: 'identity'/);
  });
  it('rejects bad rates, gates and losses', () => {
    expect(() => resolveConfig({ sizes: [2, 3, 2], rates: { V: -1 } })).toThrow(/rate η_V = -1/);
    expect(() => resolveConfig({ sizes: [2, 3, 2], downGate: 'tanh' as never })).toThrow(/downGate must be/);
    expect(() => resolveConfig({ sizes: [2, 3, 2], loss: 'hinge' as never })).toThrow(/loss must be 'mse' or 'cross-entropy'/);
  });
  it('lays out the connections with the dimension-consistent shapes (circuit.ts)', () => {
    const c = new SalCircuit({ sizes: [7, 6, 5, 3], downWidths: [12, 9] });
    const v = c.views(c.initState(1));
    expect([v.W[1], v.W[2], v.W[3]].map((m) => [m.rows, m.cols])).toEqual([[6, 7], [5, 6], [3, 5]]);
    expect([v.Wbar[2], v.Wbar[3]].map((m) => [m.rows, m.cols])).toEqual([[12, 9], [9, 3]]);
    expect([v.V[2], v.V[3]].map((m) => [m.rows, m.cols])).toEqual([[12, 6], [9, 5]]);
    expect([v.Vbar[1], v.Vbar[2]].map((m) => [m.rows, m.cols])).toEqual([[6, 12], [5, 9]]);
    expect(c.layout.describe()).toContain('Wbar2: 12x9');
  });
  it('says which batch to give when the data do not fit', () => {
    const c = new SalCircuit({ sizes: [3, 4, 2] });
    expect(() => c.wUpdate(c.initState(1), new Float64Array(5), new Float64Array(4), 2)).toThrow(/inputs have 5 values but a batch of 2 at input width 3 needs 6/);
  });
});

describe('the SGD configuration is backpropagation', () => {
  it('matches the core MLP gradient to round-off (ReLU, cross-entropy and MSE)', () => {
    for (const loss of ['cross-entropy', 'mse'] as const) {
      const c = new SalCircuit(methodConfig('sgd', { sizes: [5, 8, 7, 3], loss, rates: { W: 1 }, decay: 0 }));
      const y = c.initState(4);
      const { x, target } = randomBatch(new Rng(2), 9, 5, 3, loss);
      const sal = c.wUpdate(y, x, target, 9).dW;
      const ref = sgdUpdate(c, y, x, target, 9);
      for (let l = 1; l <= 3; l++) expect(diffNorm(sal[l].data, ref[l].data) / fro(ref[l].data)).toBeLessThan(1e-13);
      expect(theorem1Gap(c, y, x, target, 9).gap).toBeLessThan(1e-13);
    }
  });
});

describe('Lemma 1 at the level of one update', () => {
  it('drives Vᵏ and V̄ᵏ⁻¹ᵀ by the same matrix', () => {
    const c = new SalCircuit({ sizes: [5, 8, 7, 3], downWidths: [11, 4], rates: { V: 1, Vbar: 1 }, decay: 0 });
    const { o } = flowOnce(c, { state: 3, batch: 5, B: 6 });
    for (let k = 2; k <= 3; k++) {
      const V = o.V[k];
      const Vb = o.Vbar[k - 1];
      let m = 0;
      for (let i = 0; i < V.rows; i++) for (let j = 0; j < V.cols; j++) m = Math.max(m, Math.abs(V.data[i * V.cols + j] - Vb.data[j * Vb.cols + i]));
      expect(m).toBe(0);
      expect(fro(V.data)).toBeGreaterThan(0);
    }
  });
});

describe('weight mirror drives W̄ towards Wᵀ', () => {
  it('averaged over many noise samples the mirror drive is η(Wᵀ − W̄)', () => {
    const c = new SalCircuit({ ...methodConfig('wm', { sizes: [4, 6, 5, 3], rates: { Wbar: 1 } }), mirror: { samples: 20000, sigma: 0.5 } });
    const { y, o } = flowOnce(c, { state: 1, batch: 1, B: 4, step: 3 });
    const v = c.views(y);
    for (const k of [2, 3]) {
      const W = v.W[k];
      let num = 0;
      let den = 0;
      for (let i = 0; i < W.cols; i++) {
        for (let j = 0; j < W.rows; j++) {
          const expected = W.data[j * W.cols + i] - v.Wbar[k].data[i * W.rows + j];
          num += (o.Wbar[k].data[i * W.rows + j] - expected) ** 2;
          den += expected ** 2;
        }
      }
      expect(Math.sqrt(num / den)).toBeLessThan(0.05);
    }
  });
});

describe('effective rank (Roy & Vetterli)', () => {
  it('is n for the identity, 1 for a rank-one matrix', () => {
    expect(effectiveRank(identity(5))).toBeCloseTo(5, 12);
    expect(effectiveRank(gram(fromRows([[1, 2, 3]])))).toBeCloseTo(1, 12);
    expect(effectiveRank(fromRows([[3, 0], [0, 1]]))).toBeCloseTo(Math.exp(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))), 12);
  });
});
