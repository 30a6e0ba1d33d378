/**
 * Spikes as a core schedule: threshold, reset and refractoriness of a vector of membrane
 * potentials that live in the state (batched: one entry per neuron and sample), apart from the
 * continuous flow, run in one of two modes from the same definition:
 *
 * - 'clock' (Brian2's and spikingjelly's schedule): each step, integrate (any fixed-step solver),
 *   then threshold, then reset, in index order; a neuron fires at most once per step and its spike
 *   is reported at the end of the step. `onSpike` runs right after the reset, so a synaptic jump it
 *   delivers to a neuron with a larger index (the next layer of a feedforward network laid out
 *   layer by layer) is thresholded in the same step, as spikingjelly does layer by layer.
 * - 'event': each threshold crossing is located within the step (the core's events), the neuron is
 *   reset at the located time, `onSpike` delivers its effect, and any neuron those jumps lift over
 *   threshold fires at the same instant (index order; a 'subtract' reset that leaves V above
 *   threshold fires again at once). The end of a refractory period is an event too.
 *
 * Reset modes (a checked union, as snnTorch's): 'zero' sets V ← vReset (vReset = 0 by default);
 * 'subtract' lowers V by threshold − vReset. A refractory neuron's membrane is held: its component
 * of the vector field is zero until the period ends, in both modes (the core wraps the drift), and
 * it neither fires nor should receive jumps (`isRefractory` tells `onSpike`). In clock mode a period
 * ends at the first step end at or after spike time + refractory, so a neuron is held for
 * round(refractory/dt) steps.
 *
 * As dt → 0 the clock-driven spike times converge to the event-located ones at order 1.
 */

export type ResetMode = 'zero' | 'subtract';
export type SpikeMode = 'clock' | 'event';

export interface SpikeSpec {
  name?: string;
  /** State index of the first membrane potential; the neurons are y[offset .. offset + size). */
  offset: number;
  size: number;
  /** Firing threshold θ (a neuron fires when V ≥ θ). */
  threshold: number;
  reset: ResetMode;
  /** Potential after a 'zero' reset (default 0); a 'subtract' reset lowers V by θ − vReset. */
  vReset?: number;
  /** Refractory period (time units of the problem; default 0). */
  refractory?: number;
  /**
   * Neuron i (0-based within the schedule) fired at time t and has been reset: deliver its effect
   * into the state `y` (synaptic jumps), count it, record it. It may raise other neurons over
   * threshold: they fire at the same instant if their index is larger (clock) or in any case (event).
   */
  onSpike?(t: number, y: Float64Array, i: number, schedule: SpikeState): void;
}

/** What the core keeps per neuron, readable by `onSpike` and by the model. */
export interface SpikeState {
  /** Is neuron i held by its refractory period now? */
  isRefractory(i: number): boolean;
  /** Total spikes so far. */
  readonly count: number;
}

/** Validate a spike schedule against a state of `dim` entries; one line per fault. */
export function checkSpikeSpec(s: SpikeSpec, dim: number): void {
  const name = s.name ?? 'spikes';
  if (!(Number.isInteger(s.size) && s.size >= 1)) throw new Error(`spike schedule '${name}': size must be an integer >= 1 (got ${s.size})`);
  if (!(Number.isInteger(s.offset) && s.offset >= 0 && s.offset + s.size <= dim)) {
    throw new Error(`spike schedule '${name}': neurons y[${s.offset} .. ${s.offset + s.size}) must lie inside the state (${dim} entries)`);
  }
  if (!Number.isFinite(s.threshold)) throw new Error(`spike schedule '${name}': threshold must be a finite number (got ${s.threshold})`);
  const vReset = s.vReset ?? 0;
  if (!Number.isFinite(vReset)) throw new Error(`spike schedule '${name}': vReset must be a finite number (got ${s.vReset})`);
  if (!(s.threshold > vReset)) {
    throw new Error(`spike schedule '${name}': threshold (${s.threshold}) must be above the reset potential vReset (${vReset}); otherwise a reset neuron fires again at once — raise the threshold or lower vReset`);
  }
  if (s.reset !== 'zero' && s.reset !== 'subtract') throw new Error(`spike schedule '${name}': reset must be 'zero' or 'subtract' (got '${String(s.reset)}')`);
  const r = s.refractory ?? 0;
  if (!(r >= 0 && Number.isFinite(r))) throw new Error(`spike schedule '${name}': refractory must be a finite number >= 0 (got ${s.refractory})`);
}

/** The run-time state of a schedule inside one `solve`. */
export class SpikeRun implements SpikeState {
  readonly refractory: Uint8Array;
  readonly refUntil: Float64Array;
  count = 0;
  private readonly vReset: number;
  private readonly tRef: number;
  private readonly jump: number;
  private readonly located: Uint8Array;

  constructor(readonly spec: SpikeSpec, readonly mode: SpikeMode) {
    this.refractory = new Uint8Array(spec.size);
    this.refUntil = new Float64Array(spec.size);
    this.located = new Uint8Array(spec.size);
    this.vReset = spec.vReset ?? 0;
    this.tRef = spec.refractory ?? 0;
    this.jump = spec.threshold - this.vReset;
  }

  isRefractory(i: number): boolean {
    return this.refractory[i] === 1;
  }

  /** Hold refractory membranes: zero their rate of change (wraps the drift). */
  hold(out: Float64Array): void {
    if (this.tRef === 0) return;
    const { refractory, spec } = this;
    for (let i = 0; i < spec.size; i++) if (refractory[i]) out[spec.offset + i] = 0;
  }

  private fire(t: number, y: Float64Array, i: number): void {
    const k = this.spec.offset + i;
    y[k] = this.spec.reset === 'zero' ? this.vReset : y[k] - this.jump;
    this.count++;
    if (this.tRef > 0) {
      this.refractory[i] = 1;
      this.refUntil[i] = t + this.tRef;
    }
    this.spec.onSpike?.(t, y, i, this);
  }

  /**
   * Clock mode, after a step ending at t: threshold and reset in index order (at most one spike per
   * neuron), then end the refractory periods that are over. Returns whether any neuron fired.
   */
  clockStep(t: number, y: Float64Array): boolean {
    const { spec, refractory } = this;
    const th = spec.threshold;
    const before = this.count;
    for (let i = 0; i < spec.size; i++) {
      if (refractory[i] === 0 && y[spec.offset + i] >= th) {
        // fire once this step even if a jump lifts it again (spikingjelly: one spike per step)
        this.fire(t, y, i);
      }
    }
    if (this.tRef > 0) {
      const tol = 1e-9 * Math.max(1, Math.abs(t));
      for (let i = 0; i < spec.size; i++) if (refractory[i] && this.refUntil[i] <= t + tol) refractory[i] = 0;
    }
    return this.count !== before;
  }

  /** Event mode: the crossing condition V − θ per neuron (−1 while refractory). */
  crossing(y: Float64Array, out: Float64Array): void {
    const { spec, refractory } = this;
    for (let i = 0; i < spec.size; i++) out[i] = refractory[i] ? -1 : y[spec.offset + i] - spec.threshold;
  }

  /** Event mode: fire the located neurons and every neuron over threshold at time t (index order). */
  eventFire(t: number, y: Float64Array, fired: readonly number[]): void {
    const { spec, refractory, located } = this;
    for (const i of fired) located[i] = 1;
    const th = spec.threshold;
    for (let i = 0; i < spec.size; i++) {
      const wasLocated = located[i] === 1;
      located[i] = 0;
      if (refractory[i] || !(wasLocated || y[spec.offset + i] >= th)) continue;
      this.fire(t, y, i);
      let guard = 0;
      while (spec.reset === 'subtract' && !refractory[i] && y[spec.offset + i] >= th && guard++ < 10_000) this.fire(t, y, i);
    }
  }

  /** Event mode: the end of refractory periods, t − refUntil per neuron (−1 when not refractory). */
  refractoryEnd(t: number, out: Float64Array): void {
    const { refractory, refUntil } = this;
    for (let i = 0; i < out.length; i++) out[i] = refractory[i] ? t - refUntil[i] : -1;
  }

  release(fired: readonly number[]): void {
    for (const i of fired) this.refractory[i] = 0;
  }

  get hasRefractory(): boolean {
    return this.tRef > 0;
  }
}
