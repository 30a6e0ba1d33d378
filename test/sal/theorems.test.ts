/** The theorem checks at test size: the same functions and bounds as `creditflow verify`. */
import { describe, expect, it } from 'vitest';
import {
  KP_RATE_TOL,
  KP_SGD_GAP,
  FLOWS_TOL,
  LEMMA1_TOL,
  PROP1_GRAD_TOL,
  PROP1_INCREASE_TOL,
  salChecks,
  THEOREM1_SLOPE,
  THEOREM1_TOL,
} from '../../models/sal/checks';
import { kpReduction, lemma1Decay, proposition1, slowFlowDeviation, theorem1 } from '../../models/sal/theory';

const quick = { quick: true, seed: 1 };

describe('Lemma 1: Vᵏ − V̄ᵏ⁻¹ᵀ decays as e^{−γt}', () => {
  const r = lemma1Decay(quick);
  it('at rate γ within LEMMA1_TOL (equal rates, all four plastic from random)', () => {
    expect(r.rates.length).toBe(2);
    expect(r.worstRelError).toBeLessThanOrEqual(LEMMA1_TOL);
    expect(r.residuals[0][r.residuals[0].length - 1] / r.residuals[0][0]).toBeCloseTo(Math.exp(-r.gamma * 6), 6);
  });
  it('the slow flows are eqs. (5)-(8) of the activities of eqs. (1)-(4) (written out independently)', () => {
    expect(slowFlowDeviation(quick)).toBeLessThanOrEqual(FLOWS_TOL); // measured ~1e-16; a halved V drive gives 0.08
  });
  it('with unequal rates the scaled difference Vᵏ/η_V − V̄ᵏ⁻¹ᵀ/η_V̄ decays at rate γ', () => {
    for (const rate of r.scaledRates) expect(Math.abs(rate - r.gamma) / r.gamma).toBeLessThanOrEqual(LEMMA1_TOL);
  });
});

describe('Theorem 1: ΔW_SAL = η_W H ΔW_sgd − γW, H = V̄V̄ᵀ', () => {
  const r = theorem1(quick);
  it('holds to round-off in the exact-stationary construction (ReLU/copy V and linear/dense V)', () => {
    expect(r.reluCopyGap).toBeLessThanOrEqual(THEOREM1_TOL);
    expect(r.linearDenseGap).toBeLessThanOrEqual(THEOREM1_TOL);
  });
  it('with H positive definite and not a multiple of I', () => {
    expect(r.minEigH).toBeGreaterThan(0);
    expect(r.maxCondH).toBeGreaterThan(2);
  });
  it('degrades as O(ε) when V̄ and W̄ are perturbed by ε', () => {
    expect(r.slope).toBeGreaterThanOrEqual(THEOREM1_SLOPE[0]);
    expect(r.slope).toBeLessThanOrEqual(THEOREM1_SLOPE[1]);
    expect(r.gapsVsEps[0]).toBeLessThan(1e-3);
  });
  it('fails at O(1) for a ReLU upstream with dense V and D_d = I (gate transport broken)', () => {
    expect(r.reluDenseGap).toBeGreaterThan(0.1);
  });
  it('is reached when W̄ self-assembles from random (V, V̄ at the Lemma 1 point)', () => {
    expect(r.assemblyGaps[0]).toBeGreaterThan(0.5);
    expect(r.assemblyGaps[r.assemblyGaps.length - 1]).toBeLessThan(0.05);
    expect(Math.abs(r.assemblyRate - r.gamma) / r.gamma).toBeLessThan(0.5);
  });
});

describe('Kolen–Pollack reduction (V = V̄ = I, D_d = ReLU Jacobian)', () => {
  const r = kpReduction(quick);
  it('W̄ − Wᵀ decays at rate γ', () => {
    expect(r.worstRelError).toBeLessThanOrEqual(KP_RATE_TOL);
    expect(r.ratio / r.expected).toBeCloseTo(1, 6);
    expect(r.relMismatchEnd).toBeLessThan(0.05);
  });
  it('and the update becomes the backprop update', () => {
    expect(r.sgdGapStart).toBeGreaterThan(0.5);
    expect(r.sgdGapEnd).toBeLessThanOrEqual(KP_SGD_GAP);
  });
});

describe('Proposition 1: θ̇ = −H∇L with H ⪰ 0', () => {
  const r = proposition1(quick);
  const L0 = r.fullRank.losses[0];
  it('never increases the loss between saved steps (full-rank, rank-deficient, GD, with decay)', () => {
    for (const run of [r.fullRank, r.rankDeficient, r.gd, r.regularized]) {
      expect(run.losses.length).toBeGreaterThan(100);
      expect(run.maxIncrease / L0).toBeLessThanOrEqual(PROP1_INCREASE_TOL);
      expect(run.losses[run.losses.length - 1]).toBeLessThan(run.losses[0]);
    }
  });
  it('has the stationary points of GD when H is full rank', () => {
    expect(r.fullRank.gradRatio).toBeLessThanOrEqual(PROP1_GRAD_TOL);
    expect(r.gd.gradRatio).toBeLessThanOrEqual(PROP1_GRAD_TOL);
    expect(r.hFieldAtGdEnd).toBeLessThanOrEqual(PROP1_GRAD_TOL);
  });
});

describe('registered checks', () => {
  it('are registered under sal.* and pass at test size', async () => {
    expect(salChecks.map((c) => c.id)).toEqual(['sal.lemma1', 'sal.theorem1', 'sal.kp', 'sal.proposition1', 'sal.leaky']);
    const leaky = salChecks.find((c) => c.id === 'sal.leaky')!;
    const res = await leaky.run(quick);
    expect(res.pass).toBe(true);
  });
});
