import { expect, test } from 'vitest';
import { measureFeedbackInvariant } from '../../models/urfb/checks';

// Regression: ODEX floors its first step at 1e-4 in absolute time; on the full-size Fig. 12 flow
// (300 Euler steps span ≈ 1.2e-4) that first step diverged and ODEX accepted the NaN. The adapter
// now integrates in time rescaled to the interval.
test('odex integrates the full-size URFB flow (an interval shorter than ODEX\'s absolute first-step floor)', () => {
  const r = measureFeedbackInvariant({ dims: [40, 100, 100, 10], epsilon: 0.25, solver: 'odex', steps: 300, seed: 1 });
  expect(r.maxRelative).toBeLessThan(1e-12);
});
