import { expect, test } from 'vitest';
import { measureNpUnbiased } from '../../models/loco/checks';

test('A.1 eqs. 10-14: the mean of N NP estimates converges to the BP gradient like N^(−1/2) (measured: cos 0.9995 at N = 4096, slope −0.53)', () => {
  const r = measureNpUnbiased(true, 1);
  expect(r.cosines[r.cosines.length - 1]).toBeGreaterThan(0.99);
  expect(r.slope).toBeGreaterThanOrEqual(-0.6);
  expect(r.slope).toBeLessThanOrEqual(-0.4);
  // the error keeps falling: no bias floor at the sizes measured
  for (let i = 1; i < r.errors.length; i++) expect(r.errors[i]).toBeLessThan(r.errors[i - 1]);
});
