import { describe, expect, test } from 'vitest';
import { measureLifRate } from '../../models/lif/checks';
import { neuronSpikeTimes, rateFromSpikes } from '../../models/lif/neuron';
import { lifParams, lifRate, timeToThreshold } from '../../models/lif/params';

describe('one LIF neuron under constant input', () => {
  const p = lifParams({ tauM: 10, tRef: 2 });

  test('below threshold (V_rest + I < V_th) it never fires, in either mode', () => {
    for (const I of [0, 0.5, 0.999]) {
      expect(neuronSpikeTimes(I, p, { mode: 'clock', dt: 0.1, duration: 2000 })).toEqual([]);
      expect(neuronSpikeTimes(I, p, { mode: 'event', dt: 0.5, duration: 2000 })).toEqual([]);
      expect(lifRate(I, p)).toBe(0);
    }
  });

  test('the firing rate matches 1/(t_ref + τ ln(I/(I − θ))) within 1% (measured: ~1e-10 event, ≤ 0.2% clock)', () => {
    const r = measureLifRate(true);
    expect(r.worstEvent).toBeLessThan(1e-6);
    expect(r.worstClock).toBeLessThan(0.01);
  });

  test('the first spike of the event-located neuron is at τ ln(I/(I − θ)), to 1e-8 ms', () => {
    const I = 1.5;
    const times = neuronSpikeTimes(I, p, { mode: 'event', dt: 0.1, duration: 30 });
    expect(Math.abs(times[0] - timeToThreshold(I, p))).toBeLessThan(1e-8);
    expect(Math.abs(times[1] - times[0] - (p.tRef + timeToThreshold(I, p)))).toBeLessThan(1e-8);
  });

  test('subtract reset: a located crossing lands on V_reset, so the rate equals the hard-reset rate', () => {
    const q = lifParams({ tauM: 10, tRef: 2, reset: 'subtract' });
    const r = rateFromSpikes(neuronSpikeTimes(2, q, { mode: 'event', dt: 0.1, duration: 500 }));
    expect(Math.abs(r / lifRate(2, q) - 1)).toBeLessThan(1e-6);
  });

  test('clock-driven subtract reset keeps the overshoot: it fires faster than the hard reset at a coarse step', () => {
    const hard = lifParams({ tauM: 2 });
    const soft = lifParams({ tauM: 2, reset: 'subtract' });
    const nHard = neuronSpikeTimes(1.8, hard, { mode: 'clock', dt: 1, duration: 1000 }).length;
    const nSoft = neuronSpikeTimes(1.8, soft, { mode: 'clock', dt: 1, duration: 1000 }).length;
    expect(nSoft).toBeGreaterThan(nHard);
  });

  test('clock-driven refractory period: no spike within t_ref of the previous one', () => {
    const q = lifParams({ tauM: 2, tRef: 5 });
    const t = neuronSpikeTimes(10, q, { mode: 'clock', dt: 1, duration: 200 });
    for (let i = 1; i < t.length; i++) expect(t[i] - t[i - 1]).toBeGreaterThan(5);
    expect(t.length).toBeGreaterThan(20);
  });
});
