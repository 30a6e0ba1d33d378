import { expect, test } from 'vitest';
import { measureCrossClassCosine } from '../../models/loco/checks';

test('Fig. S1A: LOCO updates for digit 0 are closer to orthogonal to digits 1-8 than NP updates (measured mean |cos| 0.029 vs 0.163)', () => {
  const r = measureCrossClassCosine(true, 1);
  expect(r.np.length).toBe(8);
  expect(r.locoMeanAbs).toBeLessThan(0.5 * r.npMeanAbs);
});
