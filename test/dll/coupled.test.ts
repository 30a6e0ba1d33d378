import { expect, test } from 'vitest';
import { TRANSIENT_C, coupledSize, measureCoupledVsBuffered } from '../../models/dll/checks';

test('C3: the coupled flow approaches the buffered variant as τ_W/τ_x grows (gap ≈ C/(η·ratio))', () => {
  const r = measureCoupledVsBuffered({ ...coupledSize(true), seed: 1 });
  const gaps = r.rows.map((x) => x.vsSlowFlow);
  for (let k = 1; k < gaps.length; k++) expect(gaps[k]).toBeLessThan(gaps[k - 1]);
  const last = r.rows[r.rows.length - 1];
  expect(last.vsSlowFlow * r.eta * last.ratio).toBeLessThanOrEqual(TRANSIENT_C);
  expect(r.slope).toBeGreaterThanOrEqual(-1.2);
  expect(r.slope).toBeLessThanOrEqual(-0.7);
  // Against Algorithm 1 itself the gap falls to the O(η) Euler floor of the buffered variant.
  expect(last.vsBuffered).toBeLessThan(r.rows[0].vsBuffered);
  expect(last.vsBuffered).toBeLessThanOrEqual(r.bufferedVsSlowFlow + 1.5 * last.vsSlowFlow);
});
