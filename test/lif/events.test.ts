import { describe, expect, test } from 'vitest';
import { agreementNetwork, compareRasters, measureClockEventAgreement } from '../../models/lif/checks';
import { simulateEvents } from '../../models/lif/network';

describe('event-located integration of a LIF network (solve with vector events)', () => {
  test('spike times are unchanged when the solver step is halved (rk4, dt0 = 0.02 → 0.01 ms; measured < 1e-9 ms)', () => {
    const { spec, params, x, duration } = agreementNetwork();
    const a = simulateEvents(spec, params, x, { record: true, duration, dt0: 0.02 });
    const b = simulateEvents(spec, params, x, { record: true, duration, dt0: 0.01 });
    const c = compareRasters(a.raster!, b.raster!);
    expect(c.spikes).toBeGreaterThan(30);
    expect(c.countMismatch).toBe(0);
    expect(c.maxTimeError).toBeLessThan(1e-6);
  });

  test('an adaptive solver (dopri5) locates the same spike times', () => {
    const { spec, params, x, duration } = agreementNetwork();
    const a = simulateEvents(spec, params, x, { record: true, duration, dt0: 0.01 });
    const b = simulateEvents(spec, params, x, { record: true, duration, solver: 'dopri5', rtol: 1e-10, atol: 1e-12 });
    const c = compareRasters(a.raster!, b.raster!);
    expect(c.countMismatch).toBe(0);
    expect(c.maxTimeError).toBeLessThan(1e-6);
  });

  test('clock-driven spike times converge to the event-located ones as dt → 0, at order ≈ 1', () => {
    const r = measureClockEventAgreement(true);
    expect(r.mismatches.slice(-3)).toEqual([0, 0, 0]);
    expect(r.slope).toBeGreaterThan(0.6);
    expect(r.slope).toBeLessThan(1.4);
    expect(r.errors[r.errors.length - 1]).toBeLessThan(2e-3);
  });

  test('a spike is delivered at once: a relay neuron (jump ≥ threshold) fires at the same instant as its input', () => {
    const { spec, params, x, duration } = agreementNetwork();
    const run = simulateEvents(spec, params, x, { record: true, duration, dt0: 0.01 });
    // In the seeded network, hidden neuron 4 first fires together with coding neuron 0.
    expect(Math.abs(run.raster![1][4][0] - run.raster![0][0][0])).toBe(0);
  });
});
