/** The registered theorem checks of the URFB paper at quick size, with the numbers they measure. */
import { expect, test } from 'vitest';
import {
  CONSERVED_MAX,
  FINAL_ERROR_SQ_MAX,
  INVARIANT_MAX,
  REDUCTION_MAX,
  measureConserved,
  measureFeedbackInvariant,
  measureLearningRule,
  PATH_MAX,
  RULE_MAX,
  measureModeReduction,
  measureMonotoneHitting,
  theoremCases,
  urfbChecks,
} from '../../models/urfb/checks';
import { modeRhs } from '../../models/urfb/scalar';

test('eq. (15) for k = 2 is eq. (10)', () => {
  const p = { lambdaT: 0.8, lambdaR: [0.05], epsilon: 0.7 };
  const l = [0.3, 0.4];
  const out = new Float64Array(2);
  modeRhs(p, l, out);
  const e = 0.8 - 0.3 * 0.4;
  expect(out[1]).toBeCloseTo(e * 0.3, 15); // λ̇_2 = e λ_1
  expect(out[0]).toBeCloseTo((0.05 + 0.7 * 0.4) * e, 15); // λ̇_1 = (λ_R + ελ_2) e
});

test('Theorem 1 (k = 2): e² → 0 and the hitting time of e² < 1e-6 decreases strictly in ε', () => {
  const r = measureMonotoneHitting(2, { cases: 2, gridPoints: 6, seed: 1 });
  expect(r.minRelativeDecrease).toBeGreaterThan(0.05); // measured 7.9e-2
  expect(r.maxFinalErrorSq).toBeLessThan(FINAL_ERROR_SQ_MAX); // measured 1.5e-14
  for (const c of r.cases) expect(c.times[0] / c.times[c.times.length - 1]).toBeGreaterThan(1.5);
});

test('Theorem 2 (k = 3, under its hypotheses): e² → 0 and the hitting time decreases strictly in ε', () => {
  for (const c of theoremCases(3, 4, 1)) expect(c.lambdaR[0]).toBeGreaterThan(((1 + Math.SQRT2) / 2) * c.lambdaR[1]);
  const r = measureMonotoneHitting(3, { cases: 2, gridPoints: 6, seed: 1 });
  expect(r.minRelativeDecrease).toBeGreaterThan(0.05); // measured 6.9e-2
  expect(r.maxFinalErrorSq).toBeLessThan(FINAL_ERROR_SQ_MAX);
});

test('eq. (16): the conserved quantities stay at zero to the solver tolerance', () => {
  const r = measureConserved({ ks: [2, 3], epsilons: [0, 1], seed: 1, rtol: 1e-10 });
  expect(r.maxRelative).toBeLessThan(CONSERVED_MAX); // measured 2.0e-10
  // and they are not trivially zero: a loose tolerance drifts more
  const loose = measureConserved({ ks: [3], epsilons: [1], seed: 1, rtol: 1e-5 });
  expect(loose.maxRelative).toBeGreaterThan(10 * r.maxRelative);
});

test('Appendix 2: the matrix flows reduce mode by mode to eq. (15) and converge', () => {
  for (const epsilon of [0, 1]) {
    const r = measureModeReduction({ dims: [6, 8, 7, 3], epsilon, steps: 400, dt: 0.2, seed: 1 });
    expect(Math.max(r.maxDeviationW, r.maxDeviationR)).toBeLessThan(REDUCTION_MAX); // measured ~3e-15
    expect(r.finalRelError).toBeLessThan(1e-12);
  }
});

test('R(t) = R(0) + εW(t)ᵀ from W(0) = 0, for fixed-step and adaptive solvers', () => {
  for (const solver of ['euler', 'rk4', 'dopri5']) {
    const r = measureFeedbackInvariant({ dims: [8, 12, 12, 4], epsilon: 0.5, solver, steps: 150, seed: 2 });
    expect(r.maxRelative).toBeLessThan(INVARIANT_MAX); // measured ~3e-15
  }
});

test('the learning rule (vector field and the fig12 iteration) equals eqs. (7)-(8) written out', () => {
  const r = measureLearningRule({ dims: [8, 12, 12, 4], epsilon: 0.5, steps: 40, seed: 3 });
  expect(r.vfDeviation).toBeLessThan(RULE_MAX); // measured ~3e-16; half of dW₁ gives 0.33
  expect(r.pathDeviation).toBeLessThan(PATH_MAX); // measured ~2e-16
  expect(measureFeedbackInvariant({ dims: [8, 12, 12, 4], epsilon: 0.5, solver: 'fig12', steps: 150, seed: 2 }).maxRelative).toBeLessThan(INVARIANT_MAX);
});

test('every registered URFB check passes at quick size', async () => {
  expect(urfbChecks.map((c) => c.id)).toEqual(['urfb.theorem1', 'urfb.theorem2', 'urfb.eq16-conserved', 'urfb.mode-reduction', 'urfb.feedback-invariant']);
  for (const c of urfbChecks) {
    const r = await c.run({ quick: true, seed: 1 });
    expect(r.pass, `${c.id}: ${r.measured} vs ${r.bound}`).toBe(true);
  }
});
