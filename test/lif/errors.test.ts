import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { initSnn, simulateClock, simulateEvents, snnSpec } from '../../models/lif/network';
import { lifParams } from '../../models/lif/params';

describe('bad LIF settings give errors that say what to change', () => {
  test('V_reset ≥ V_th', () => {
    expect(() => lifParams({ vReset: 1, vTh: 1 })).toThrow(/V_reset \(1\) must be below the threshold V_th \(1\)/);
    expect(() => lifParams({ vReset: 2 })).toThrow(/Lower vReset or raise vTh/);
  });
  test('τ_m ≤ 0 or not finite', () => {
    expect(() => lifParams({ tauM: 0 })).toThrow(/tau_m must be a finite number > 0 \(got 0\)/);
    expect(() => lifParams({ tauM: -3 })).toThrow(/tau_m/);
    expect(() => lifParams({ tauM: NaN })).toThrow(/tau_m/);
  });
  test('negative refractory period, unknown reset mode', () => {
    expect(() => lifParams({ tRef: -1 })).toThrow(/tRef must be a finite number >= 0/);
    expect(() => lifParams({ reset: 'zero' as never })).toThrow(/reset must be one of hard, subtract/);
  });
  test('a clock step longer than τ_m, a bad window, bad widths', () => {
    expect(() => snnSpec({ sizes: [2, 2], lif: lifParams({ tauM: 2 }), dt: 3 })).toThrow(/dt <= tau_m/);
    expect(() => snnSpec({ sizes: [2, 2], steps: 0 })).toThrow(/steps/);
    expect(() => snnSpec({ sizes: [2] })).toThrow(/at least a coding layer and an output layer/);
    expect(() => snnSpec({ sizes: [2, 0] })).toThrow(/sizes\[1\] = 0/);
  });
  test('wrong input size, wrong perturbation shape, noise in the event mode', () => {
    const spec = snnSpec({ sizes: [3, 4, 2] });
    const params = initSnn(spec, new Rng(1));
    expect(() => simulateClock(spec, params, new Float64Array(5), 2)).toThrow(/batch 2 x 3 inputs needs 6/);
    expect(() => simulateClock(spec, params, new Float64Array(6), 2, { sigma: 1, xi: [new Float64Array(8)] })).toThrow(/perturbation has 1 layers/);
    const noisy = snnSpec({ sizes: [3, 4, 2], noise: 0.1 });
    expect(() => simulateEvents(noisy, params, [1, 1, 1])).toThrow(/clock-driven mode only/);
  });
});
