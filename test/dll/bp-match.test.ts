import { expect, test } from 'vitest';
import { SIGMAS, bpMatchSize, measureBpMatch } from '../../models/dll/checks';

test('Θ = W, MSE: equilibrium errors = negative BP errors, ΔW = −∇W (cos ≥ 0.9999, rel ≤ 1e-6)', () => {
  const r = measureBpMatch({ ...bpMatchSize(true), seed: 2, sigmas: SIGMAS });
  expect(r.cosine).toBeGreaterThanOrEqual(0.9999);
  expect(r.relError).toBeLessThanOrEqual(1e-6);
  expect(r.errorRelError).toBeLessThanOrEqual(1e-6);
  // The cosine falls as Θ departs from W (measured at seed 2 for σ = 0, 0.01, 0.03, 0.1, 0.3, 1, 3, independent: 1, 0.99995, 0.99975, 0.9948, 0.970, 0.656, 0.216, −0.004).
  const cos = (s: number) => r.sweep.find((x) => x.sigma === s)!.cosine;
  expect(cos(0.01)).toBeGreaterThan(0.999);
  expect(cos(0.1)).toBeGreaterThan(cos(1));
  expect(cos(1)).toBeLessThan(0.95);
  expect(cos(0)).toBeGreaterThan(cos(0.3));
});

test('Θ = W with the cross-entropy (nudged) output gives the BP gradient of cross-entropy', () => {
  const r = measureBpMatch({ ...bpMatchSize(true), seed: 3, sigmas: [0], loss: 'cross-entropy' });
  expect(r.cosine).toBeGreaterThanOrEqual(0.9999);
  expect(r.relError).toBeLessThanOrEqual(1e-6);
});
