import { expect, test } from 'vitest';
import { measureVarianceLemma, VARIANCE_CASES } from '../../models/loco/checks';

test('A.16 Lemma 1: E‖g_LOCO‖²/E‖g_NP‖² = (r − o)/r in the constructed case (measured 0.758 vs 0.75, 0.247 vs 0.25)', () => {
  for (const c of VARIANCE_CASES) {
    const r = measureVarianceLemma(c, true, 1);
    expect(r.rankP).toBe(c.r - c.o);
    expect(r.measured).toBeLessThan(1);
    expect(Math.abs(r.measured / r.predicted - 1)).toBeLessThan(0.05);
  }
});
