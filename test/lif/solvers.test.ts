/**
 * The solver matters for the LIF network, by its order: one network (lifNetwork), run
 * event-located with Euler, Heun and rk4 at the same step; the spike times of Euler and Heun
 * differ from rk4's (dt0 = 0.005 ms, the reference) by O(dt) and O(dt²).
 */
import { expect, test } from 'vitest';
import { agreementNetwork, compareRasters } from '../../models/lif/checks';
import { lifNetwork, runLif } from '../../models/lif/network';
import { logLogSlope } from '../../src/analysis/fit';

test('event-located spike times: Euler converges at order 1, Heun at order 2 (measured slopes 0.99 and 2.0; 46 spikes, counts equal)', () => {
  const { spec, params, x, duration } = agreementNetwork();
  const raster = (solver: string, dt0: number) => runLif(lifNetwork(spec, params, x, 1, { record: true, duration }), { solver, dt0, mode: 'event' }).raster!;
  const ref = raster('rk4', 0.005);
  const dts = [2 ** -4, 2 ** -5, 2 ** -6, 2 ** -7];
  const euler = dts.map((dt) => compareRasters(ref, raster('euler', dt)));
  const heun = dts.map((dt) => compareRasters(ref, raster('heun', dt)));
  for (const c of [...euler, ...heun]) expect(c.countMismatch).toBe(0);
  const se = logLogSlope(dts, euler.map((c) => c.maxTimeError));
  const sh = logLogSlope(dts, heun.map((c) => c.maxTimeError));
  expect(se).toBeGreaterThan(0.8);
  expect(se).toBeLessThan(1.2);
  expect(sh).toBeGreaterThan(1.7);
  expect(sh).toBeLessThan(2.3);
  // measured: Euler 0.235 ms at dt = 1/16 ms (3.8 dt), Heun 9.7e-4 ms
  expect(euler[0].maxTimeError).toBeLessThan(5 * dts[0]);
  expect(heun[0].maxTimeError).toBeLessThan(0.02 * euler[0].maxTimeError);
});
