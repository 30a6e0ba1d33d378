import '../../solvers/index'; // registers the built-in solvers by name
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random';
import { solve } from '../../src/core/solve';
import { odeProblem } from '../../src/core/terms';
import { LEAKY_ERR_TOL, LEAKY_SLOPE } from '../../models/sal/checks';
import { SalCircuit } from '../../models/sal/circuit';
import { leakyCircuit } from '../../models/sal/leaky';
import { diffNorm, fro, leakyLimit, randomBatch } from '../../models/sal/theory';

describe('leaky fast dynamics', () => {
  it('settle, with frozen connections, at the sequential eqs. (1)-(2): upstream pass, then downstream pass', () => {
    for (const downGate of ['identity', 'relu-jacobian'] as const) {
      const c = new SalCircuit({ sizes: [4, 7, 6, 3], downWidths: [9, 8], downGate, rates: { W: 0, Wbar: 0, V: 0, Vbar: 0 }, decay: 0 });
      const y = c.initState(2);
      const { x, target } = randomBatch(new Rng(3), 5, 4, 3, 'cross-entropy');
      const leaky = leakyCircuit(c, x, target, 5, { tauUp: 0.1, tauDown: 0.2 });
      const sol = solve(odeProblem(leaky.term, { layout: leaky.layout }), 'rk4', { t0: 0, t1: 12, y0: leaky.initial(y), dt0: 0.02 });
      const s = leaky.layout.view(sol.y) as unknown as Record<string, { data: Float64Array }>;
      const w = c.work(5);
      w.X.data.set(x);
      w.T.set(target);
      c.pass(c.views(y), w);
      for (let k = 2; k <= 4; k++) expect(diffNorm(s[`h${k}`].data, w.H[k].data) / fro(w.H[k].data)).toBeLessThan(1e-8);
      for (let k = 2; k <= 4; k++) expect(diffNorm(s[`hbar${k}`].data, w.Hb[k].data) / fro(w.Hb[k].data)).toBeLessThan(1e-8);
      expect(diffNorm(leaky.weights(sol.y), y)).toBe(0);
    }
  });
  it('converge to the instantaneous circuit as τ → 0, at O(τ) (all four plastic)', () => {
    const r = leakyLimit({ quick: true, seed: 1 });
    expect(r.slope).toBeGreaterThanOrEqual(LEAKY_SLOPE[0]);
    expect(r.slope).toBeLessThanOrEqual(LEAKY_SLOPE[1]);
    for (let i = 1; i < r.errors.length; i++) expect(r.errors[i]).toBeLessThan(r.errors[i - 1]);
    expect(r.errors[r.errors.length - 1]).toBeLessThanOrEqual(LEAKY_ERR_TOL);
  });
  it('rejects non-positive time constants', () => {
    const c = new SalCircuit({ sizes: [2, 3, 2] });
    expect(() => leakyCircuit(c, new Float64Array(2), new Float64Array(2), 1, { tauUp: 0, tauDown: 1 })).toThrow(/time constants must be > 0/);
  });
});
