import { describe, expect, test } from 'vitest';
import { solvers } from '../solvers/index';
import {
  measureOdeOrder,
  measureStrongOrderGBM,
  measureStrongOrderOU,
  measureTolerance,
  measureWeakOrderGBM,
} from '../solvers/checks';

describe('empirical convergence order of every fixed-step ODE solver on y\' = Ay (dt = 2^-k)', () => {
  for (const name of solvers.names()) {
    const s = solvers.get(name);
    if (typeof s.order !== 'number') continue;
    test(`${name}: fitted slope within 0.15 of declared order ${s.order}`, () => {
      const r = measureOdeOrder(s);
      expect(Math.abs(r.slope - (s.order as number))).toBeLessThanOrEqual(0.15);
    });
  }
});

describe('adaptive solvers meet their tolerance (final relative error ≤ 10·rtol)', () => {
  const rtols = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8];
  for (const name of solvers.names().filter((n) => solvers.get(n).adaptive)) {
    test(`${name} on a linear system and van der Pol (μ = 1)`, () => {
      for (const r of measureTolerance(solvers.get(name), rtols)) {
        expect(r.linear).toBeLessThanOrEqual(10 * r.rtol);
        expect(r.vdp).toBeLessThanOrEqual(10 * r.rtol);
      }
    });
  }
});

describe('SDE orders (slopes within ±0.2)', () => {
  test('Euler–Maruyama: strong order 0.5 on geometric Brownian motion', () => {
    const r = measureStrongOrderGBM('euler_maruyama', 400, 11);
    expect(Math.abs(r.slope - 0.5)).toBeLessThanOrEqual(0.2);
  });
  test('Euler–Maruyama: strong order 1 on Ornstein–Uhlenbeck (additive noise)', () => {
    const r = measureStrongOrderOU('euler_maruyama', 100, 12);
    expect(Math.abs(r.slope - 1)).toBeLessThanOrEqual(0.2);
  });
  test('stochastic Heun: strong order 1 on Ornstein–Uhlenbeck (additive noise)', () => {
    const r = measureStrongOrderOU('stochastic_heun', 100, 13);
    expect(Math.abs(r.slope - 1)).toBeLessThanOrEqual(0.2);
  });
  test('Euler–Maruyama: weak order 1 on E[X_T] of geometric Brownian motion', () => {
    const r = measureWeakOrderGBM('euler_maruyama', 20000, 14);
    expect(Math.abs(r.slope - 1)).toBeLessThanOrEqual(0.2);
  });
});
