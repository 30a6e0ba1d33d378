/**
 * Measurements behind the LIF checks, shared by `creditflow verify` and test/lif.
 *
 * - `measureLifRate`: the firing rate of one LIF neuron under constant input against the analytic
 *   1/(t_ref + τ_m ln(I/(I − θ))) (A.6, with V_rest = V_reset = 0, θ = V_th), in both modes.
 * - `measureClockEventAgreement`: spike times of a small network defined once (`lifNetwork`), run
 *   clock-driven (Euler, dt = 2^-k ms) and event-located (rk4, dt0 = 0.005 ms) through `solve`; the
 *   error must vanish like dt (Euler is order 1, and a spike is reported at the end of its step).
 */
import { logLogSlope } from '../../src/analysis/fit';
import { Rng } from '../../src/core/random';
import type { CheckResult, TheoremCheck } from '../../src/registry';
import { initSnn, lifNetwork, runLif, snnSpec, type LifIntegrator } from './network';
import { neuronSpikeTimes, rateFromSpikes } from './neuron';
import { lifParams, lifRate, type LifParams } from './params';

export interface RateRow {
  I: number;
  analytic: number;
  event: number;
  clock: number;
  eventRelErr: number;
  clockRelErr: number;
}

/** The neuron of the rate check: τ_m = 10 ms, θ = 1, V_rest = V_reset = 0, t_ref = 2 ms. */
export const RATE_CHECK_LIF: LifParams = lifParams({ tauM: 10, vTh: 1, vRest: 0, vReset: 0, tRef: 2 });

export function measureLifRate(quick: boolean, p: LifParams = RATE_CHECK_LIF): { rows: RateRow[]; worstEvent: number; worstClock: number; clockDt: number; eventDt: number } {
  const currents = quick ? [1.2, 2, 5] : [1.05, 1.2, 1.5, 2, 3, 5, 10];
  const duration = quick ? 400 : 2000;
  const clockDt = quick ? 0.01 : 0.005;
  const eventDt = 0.1;
  const rows = currents.map((I) => {
    const analytic = lifRate(I, p);
    const event = rateFromSpikes(neuronSpikeTimes(I, p, { mode: 'event', dt: eventDt, duration }));
    const clock = rateFromSpikes(neuronSpikeTimes(I, p, { mode: 'clock', dt: clockDt, duration }));
    return { I, analytic, event, clock, eventRelErr: Math.abs(event / analytic - 1), clockRelErr: Math.abs(clock / analytic - 1) };
  });
  return {
    rows,
    worstEvent: Math.max(...rows.map((r) => r.eventRelErr)),
    worstClock: Math.max(...rows.map((r) => r.clockRelErr)),
    clockDt,
    eventDt,
  };
}

/** The network of the agreement measurement: 3-6-2, τ_m = 5 ms, t_ref = 1 ms, seeded weights. */
export function agreementNetwork(seed = 3) {
  const lif = lifParams({ tauM: 5, tRef: 1 });
  const spec = snnSpec({ sizes: [3, 6, 2], lif, dt: 0.1, steps: 500, inputGain: 1, bias: true });
  const params = initSnn(spec, new Rng(seed), 3, 0.5);
  const x = Float64Array.from([1.5, 2.0, 2.5]);
  return { spec, params, x, duration: 50 };
}

/** Largest difference between matching spike times of two rasters, and the total spike-count mismatch. */
export function compareRasters(a: number[][][], b: number[][][]): { maxTimeError: number; countMismatch: number; spikes: number } {
  let maxTimeError = 0;
  let countMismatch = 0;
  let spikes = 0;
  a.forEach((layer, l) =>
    layer.forEach((ta, j) => {
      const tb = b[l][j];
      spikes += ta.length;
      countMismatch += Math.abs(ta.length - tb.length);
      for (let q = 0; q < Math.min(ta.length, tb.length); q++) maxTimeError = Math.max(maxTimeError, Math.abs(ta[q] - tb[q]));
    }),
  );
  return { maxTimeError, countMismatch, spikes };
}

export function measureClockEventAgreement(quick: boolean): { dts: number[]; errors: number[]; mismatches: number[]; slope: number; spikes: number } {
  const { spec, params, x, duration } = agreementNetwork();
  // one definition, two ways of running it
  const raster = (integrator: LifIntegrator) => runLif(lifNetwork(spec, params, x, 1, { record: true, duration }), integrator).raster!;
  const ref = raster({ solver: 'rk4', dt0: 0.005, mode: 'event' });
  const ks = quick ? [5, 7, 9, 11] : [5, 6, 7, 8, 9, 10, 11, 12];
  const dts: number[] = [];
  const errors: number[] = [];
  const mismatches: number[] = [];
  let spikes = 0;
  for (const k of ks) {
    const dt = 2 ** -k;
    const c = compareRasters(ref, raster({ solver: 'euler', dt0: dt, mode: 'clock' }));
    dts.push(dt);
    errors.push(c.maxTimeError);
    mismatches.push(c.countMismatch);
    spikes = c.spikes;
  }
  return { dts, errors, mismatches, slope: logLogSlope(dts, errors), spikes };
}

const pct = (x: number) => `${(100 * x).toFixed(3)}%`;

export const lifChecks: TheoremCheck[] = [
  {
    id: 'lif.rate',
    paper: 'LOCO (A.6)',
    claim: 'LIF under constant input fires at 1/(t_ref + τ_m ln(I/(I − θ))) (event-located and clock-driven, dt = 0.005 ms)',
    run({ quick }): CheckResult {
      const r = measureLifRate(quick);
      const worst = Math.max(r.worstEvent, r.worstClock);
      return {
        measured: `max rel. error ${pct(r.worstEvent)} (event), ${pct(r.worstClock)} (clock)`,
        bound: '≤ 1%',
        pass: worst <= 0.01,
        details: r,
      };
    },
  },
  {
    id: 'lif.clock-event',
    paper: 'LOCO (A.6)',
    claim: 'one LIF network problem run clock-driven (spikingjelly, Euler) and event-located (rk4): the spike times converge as dt → 0, at order 1',
    run({ quick }): CheckResult {
      const r = measureClockEventAgreement(quick);
      const last = r.mismatches.slice(-3).every((m) => m === 0);
      return {
        measured: `slope ${r.slope.toFixed(3)}, error ${r.errors[r.errors.length - 1].toExponential(2)} ms at dt = ${r.dts[r.dts.length - 1]}`,
        bound: 'slope ∈ [0.6, 1.4], counts equal at the 3 smallest dt',
        pass: r.slope >= 0.6 && r.slope <= 1.4 && last,
        details: r,
      };
    },
  },
];
