/**
 * One LIF neuron under a constant input current, in either mode: the unit the rate check (the
 * analytic rate 1/(t_ref + τ_m ln(I/(I − θ)))) and the neuron tests are about. It runs through the
 * same code as the networks (a coding neuron with gain 1 and input I), so the network integrators
 * are what is checked.
 */
import { mat } from '../../src/linalg/mat';
import { simulateClock, simulateEvents, snnSpec } from './network';
import type { LifParams } from './params';

export type IntegrationMode = 'clock' | 'event';

export interface NeuronRunOptions {
  mode: IntegrationMode;
  /** Clock step (clock mode) or solver step (event mode), ms. */
  dt: number;
  /** Window length, ms. */
  duration: number;
  /** Solver of the event mode (default 'rk4'). */
  solver?: string;
}

/** Spike times (ms) of one LIF neuron driven by the constant current I over [0, duration]. */
export function neuronSpikeTimes(I: number, lif: LifParams, o: NeuronRunOptions): number[] {
  if (!(o.duration > 0)) throw new Error(`duration must be > 0 ms (got ${o.duration})`);
  const steps = Math.round(o.duration / o.dt);
  if (o.mode === 'clock' && Math.abs(steps * o.dt - o.duration) > 1e-9 * o.duration) {
    throw new Error(`duration ${o.duration} ms is not a whole number of clock steps dt = ${o.dt} ms`);
  }
  // The event mode takes its own solver step; its spec's dt only has to be a valid clock step.
  const dt = o.mode === 'clock' ? o.dt : Math.min(o.dt, lif.tauM);
  const spec = snnSpec({ sizes: [1, 1], lif, dt, steps: Math.max(1, steps), inputGain: 1, bias: false });
  const params = { W: [mat(1, 1)], b: [new Float64Array(1)] };
  if (o.mode === 'clock') {
    const run = simulateClock(spec, params, Float64Array.of(I), 1, null, { record: true });
    return run.raster![0][0];
  }
  if (o.mode === 'event') {
    const run = simulateEvents(spec, params, [I], { record: true, duration: o.duration, dt0: o.dt, solver: o.solver });
    return run.raster![0][0];
  }
  throw new Error(`mode must be 'clock' or 'event' (got '${String(o.mode)}')`);
}

/** Firing rate (spikes per ms) from the spike times: 1 / mean inter-spike interval (0 with < 2 spikes). */
export function rateFromSpikes(times: readonly number[]): number {
  if (times.length < 2) return 0;
  return (times.length - 1) / (times[times.length - 1] - times[0]);
}
