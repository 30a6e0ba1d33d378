/**
 * The theorem checks at test size, through the same measuring functions as `creditflow verify`
 * (models/dfc/checks.ts). Bounds are the paper's claims; the comments give measured values.
 */
import { expect, test } from 'vitest';
import {
  dfcChecks,
  measureLemma1,
  measureProposition4,
  measureProposition5,
  measureSleepEquations,
  measureSleepPhase,
  measureTheorem2,
  measureTheorem3,
  measureTheorem6,
} from '../../models/dfc/checks';

const ctx = { quick: true, seed: 1 };

test('Lemma 1: ‖u_ss − (JQ + α̃I)⁻¹δ‖ = O(λ²), log-log slope in [1.8, 2.2], at α = 0.01 and at α = 0.5 (where α̃ ≠ α matters)', () => {
  // measured: 1.98 (u and v) at α = 0.01, 1.98 at α = 0.5; with α in place of α̃, 0.78 at α = 0.5
  for (const alpha of [0.01, 0.5]) {
    const r = measureLemma1({ ...ctx, alpha });
    for (const s of [r.slopeU, r.slopeV]) {
      expect(s).toBeGreaterThanOrEqual(1.8);
      expect(s).toBeLessThanOrEqual(2.2);
    }
  }
});

test("eqs. (12)-(13) as trained: the trainers' ⟨v^fb uᵀ⟩ equals the one-sample system's under Euler–Maruyama on the same increments, with u = u^int + k_p e (k_p = 0.1)", () => {
  // measured: 5.0e-15 relative; the k_p e part is 0.60 of ⟨v^fb uᵀ⟩, and with u^int in place of u
  // the difference is 0.62 (in the trainer's fused step) or 0.21 (in equations.ts's eq. 4)
  const r = measureSleepEquations(ctx);
  expect(r.kpPart / r.norm).toBeGreaterThan(0.1);
  expect(r.relError).toBeLessThan(1e-10);
});

test("eqs. (12)-(13) as trained: the trainers' sleep phase drives Q towards Jᵀ(JJᵀ + γI)⁻¹ (Theorem 6 setting)", () => {
  const r = measureSleepPhase(ctx); // measured: cosine 0.968, Condition 2 ratio 0.971, min Re eig(JQ) 2.3
  expect(r.diverged).toBe(false);
  expect(r.cosine).toBeGreaterThan(0.95);
  expect(r.condition2).toBeGreaterThan(0.95);
  expect(r.minEigJQ).toBeGreaterThan(0);
});

test('Theorem 2: angle to GN below 1° at λ = α = 1e-4 and decreasing as λ, α decrease', () => {
  const r = measureTheorem2(ctx); // measured: 0.51°, 0.051°, 0.0051°
  expect(r.condition1).toBeLessThan(1e-12);
  expect(r.condition2).toBeCloseTo(1, 10);
  expect(r.angles[r.angles.length - 1]).toBeLessThan(1);
  expect(r.decreasing).toBe(true);
});

test('Theorem 3: with Condition 2 only, angle to the weighted MN update below 1° at 1e-4 and decreasing', () => {
  const r = measureTheorem3(ctx); // measured: 0.73°, 0.075°, 0.0075°
  expect(r.condition1).toBeGreaterThan(0.05); // Condition 1 does not hold here
  expect(r.angles[r.angles.length - 1]).toBeLessThan(1);
  expect(r.decreasing).toBe(true);
});

test('Proposition 4: within 90° of the negative gradient on 100 random stable configurations', () => {
  const r = measureProposition4({ ...ctx, configurations: 100 }); // measured: largest 89.1°
  expect(r.angles.length).toBe(100);
  expect(r.maxAngle).toBeLessThan(90);
});

test('Proposition 5: converges iff Re eig(JQ) > −α, both ways (k_p = 0, τ_v/τ_u = 0.01)', () => {
  const cases = measureProposition5(ctx);
  expect(cases.some((c) => c.predictedStable)).toBe(true);
  expect(cases.some((c) => !c.predictedStable)).toBe(true);
  for (const c of cases) {
    expect(c.simulatedStable).toBe(c.predictedStable);
    expect(c.maxEig < 0).toBe(c.predictedStable);
  }
});

test('Theorem 6: feedback learning drives Q to ∝ Jᵀ(JJᵀ + γI)⁻¹ (cosine > 0.95), Conditions 2 and 3 hold', () => {
  const r = measureTheorem6(ctx); // measured: cosine 0.967, ratio 0.973, min Re eig 1.41
  expect(r.cosine).toBeGreaterThan(0.95);
  expect(r.condition2).toBeGreaterThan(0.95);
  expect(r.minEigJQ).toBeGreaterThan(0);
});

test('every registered check has a unique dfc.* id and reports measured/bound strings', async () => {
  const ids = dfcChecks.map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
  const r = await dfcChecks.find((c) => c.id === 'dfc.prop5')!.run(ctx);
  expect(r.pass).toBe(true);
  expect(r.measured).toMatch(/as predicted/);
});
