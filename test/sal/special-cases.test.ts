import { describe, expect, it } from 'vitest';
import { ablationConfig, ablationSubsets, linearConfig, METHODS, methodConfig, subsetLabel } from '../../models/sal/presets';
import { trainFullBatch, xorTask } from './helpers';

const task = xorTask(200, 3);
const base = { sizes: [3, 16, 16, 2], loss: 'cross-entropy' as const, rates: { W: 0.03, Wbar: 0.03, V: 0.01, Vbar: 0.01 }, decay: 1e-4 };

describe('special cases of Table 2 lower the loss of a small task', () => {
  for (const m of METHODS) {
    it(m, () => {
      const r = trainFullBatch(methodConfig(m, base), task, 400, 5);
      expect(r.sol.status).toBe('ok');
      expect(r.after.loss).toBeLessThan(0.8 * r.before.loss);
    });
  }
  for (const parts of ablationSubsets()) {
    it(`ablation: ${subsetLabel(parts)} plastic`, () => {
      for (const downGate of ['identity', 'relu-jacobian'] as const) {
        const r = trainFullBatch(ablationConfig(parts, { ...base, downGate }), task, 400, 5);
        expect(r.sol.status).toBe('ok');
        expect(r.after.loss).toBeLessThan(r.before.loss);
      }
    });
  }
});

describe('SAL with all four connections plastic learns a nonlinear task', () => {
  // D_d = ReLU Jacobian: on XOR the backward gating matters (with D_d = I the circuit carries the
  // ungated error, circuit.ts, condition D) and SAL with D_d = I stays near 0.6 here.
  it('beats the linear model clearly on XOR (2 hidden layers, D_d = ReLU Jacobian)', () => {
    const fast = { ...base, rates: { W: 0.1, Wbar: 0.1, V: 0.01, Vbar: 0.01 }, downGate: 'relu-jacobian' as const };
    const sal = trainFullBatch(methodConfig('sal', fast), task, 1500, 5);
    const lin = trainFullBatch(linearConfig(fast), task, 1500, 5);
    expect(sal.sol.status).toBe('ok');
    expect(lin.after.accuracy).toBeLessThan(0.7);
    expect(sal.after.accuracy).toBeGreaterThan(0.9);
    expect(sal.after.accuracy - lin.after.accuracy).toBeGreaterThan(0.25);
  });
});
