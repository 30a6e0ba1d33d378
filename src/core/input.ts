/**
 * Piecewise-constant inputs with known jump times.
 *
 * A learning flow is driven by data that changes at known times: a new minibatch every Δt, a new
 * sample, a stimulus onset. Between jumps the input is constant, so the flow is smooth there and a
 * solver of order p keeps its order only if no step crosses a jump. A problem declares its input
 * (`odeProblem(f, { input })`); `solve` then
 *
 * - never steps across a jump time: fixed-step solvers land on every jump and continue on their
 *   grid, adaptive solvers clip the step to the jump and restart their error history after it
 *   (diffrax's `jump_ts`); solvers that reuse their last evaluation (FSAL) evaluate afresh;
 * - tells the input which segment a step lies in before the step is taken (`enter(k, t)`), so
 *   every stage of a Runge–Kutta step, including the one at the step's end, sees the input of the
 *   segment the step belongs to, never the next minibatch.
 *
 * Segment k is [jumps[k−1], jumps[k]) with jumps[−1] = −∞: the input is right-continuous and a step
 * that starts on a jump belongs to the segment the jump opens.
 */
import { firstAfter } from './controller';

export interface InputSignal {
  /** Jump times, strictly increasing. `solve` requires them inside [t0, t1]. */
  readonly jumps: readonly number[];
  /** Make segment k the current input (called by `solve` before a step in segment k). */
  enter(segment: number, t: number): void;
}

/**
 * A piecewise-constant input: `enter(k, t)` loads segment k's data (for example minibatch k) into
 * whatever the vector field reads. It is called only when the segment changes.
 */
export function piecewiseInput(jumps: ArrayLike<number>, enter: (segment: number, t: number) => void): InputSignal {
  const js = Array.from(jumps);
  for (let i = 0; i < js.length; i++) {
    if (!Number.isFinite(js[i])) throw new Error(`input jump times: jumps[${i}] = ${js[i]} is not a finite number`);
    if (i > 0 && !(js[i] > js[i - 1])) {
      throw new Error(`input jump times must be sorted strictly increasing (jumps[${i - 1}] = ${js[i - 1]}, jumps[${i}] = ${js[i]}); sort them and remove duplicates`);
    }
  }
  if (typeof enter !== 'function') throw new Error('piecewiseInput needs enter(segment, t), the function that loads a segment\'s input');
  return { jumps: Object.freeze(js), enter };
}

/**
 * Jump times every `interval` from t0 (exclusive) up to t1 (exclusive): the minibatch schedule
 * t0 + Δt, t0 + 2Δt, … Segment k is then minibatch k.
 */
export function uniformJumps(t0: number, t1: number, interval: number): number[] {
  if (!(interval > 0) || !Number.isFinite(interval)) throw new Error(`the input interval must be a finite number > 0 (got ${interval})`);
  const out: number[] = [];
  const n = Math.ceil((t1 - t0) / interval - 1e-9);
  for (let k = 1; k < n; k++) out.push(t0 + k * interval);
  return out;
}

/** The segment that holds a step starting at t: the number of jumps at or before t. */
export function segmentAt(jumps: readonly number[], t: number): number {
  return firstAfter(jumps, t);
}

/** Refuse jump times outside the run's interval. */
export function checkJumps(input: InputSignal, t0: number, t1: number): void {
  const js = input.jumps;
  if (js.length === 0) return;
  if (js[0] < t0 || js[js.length - 1] > t1) {
    const bad = js.find((t) => t < t0 || t > t1);
    throw new Error(`the problem's input has a jump at t = ${bad}, outside [t0, t1] = [${t0}, ${t1}]; give jump times inside the run (or solve over the interval the input covers)`);
  }
}
