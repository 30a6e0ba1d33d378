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
 * of the vector field and of the noise is zero until the period ends, in both modes (the core wraps
 * the drift and the diffusion), and it neither fires nor should receive jumps (`isRefractory` tells
 * `onSpike`). In clock mode a period ends at the first step end at or after spike time +
 * refractory, so a neuron is held for round(refractory/dt) steps.
 *
 * Groups (layers). `groups` cuts the schedule into consecutive groups (the layers of a feedforward
 * network laid out layer by layer); `onGroup` receives a group's spikes at once, so a layer can
 * deliver its effect as one product W s instead of neuron by neuron:
 * - clock: each step, for g = 0, 1, …: threshold and reset group g in index order, then
 *   `onGroup(t, y, g, fired)` (every group, every step; `fired` may be empty), then group g + 1.
 *   Jumps a group delivers into a later group are thresholded in the same step (spikingjelly's
 *   layer order); jumps into an earlier group wait for the next step.
 * - event: at each instant where the schedule fires, for g = 0, 1, …: fire group g's located
 *   neurons and those over threshold (index order, a 'subtract' reset that leaves V above threshold
 *   fires again at once), then `onGroup` with them, if any (a neuron that fired twice is listed
 *   twice), then group g + 1, which sees the jumps.
 * `onSpike`, when given too, runs per neuron right after its reset, before its group's `onGroup`.
 *
 * Spikes from outside the state. `beforeThreshold(t, y)` adds what arrives from a source that is
 * not integrated with the state (an input layer solved once per batch, a recorded spike train):
 * in clock mode it runs after every step's integration, before the threshold pass; in event mode
 * it runs at each of the problem's input jump times in (t0, t1] (`odeProblem(f, { input })`, the
 * times the source spikes), and the neurons it lifts over threshold fire at that instant.
 * `schedule.mode` tells callbacks which mode runs.
 *
 * Clock mode also takes spikes from outside as a vector per group (`input`): added to the group's
 * membranes in its threshold pass, so no separate pass over the state is needed.
 *
 * Fused clock step. When the drift declares itself a leak, f_i = (rest − V_i + I_i)·rate
 * (terms.ts `DriftTerm.leak`), the solver is 'euler' (or 'euler_maruyama' with diagonal noise) and
 * nothing needs the state between the integration and the threshold pass (no `beforeThreshold`,
 * no `onSpike`, no reductions), `solve` runs each step as one pass over the first group: integrate
 * V + h·(rest − V + I)·rate, add the noise g ΔW and the group's `input`, threshold and reset;
 * entries outside the first group are integrated first, so the jumps `onGroup` delivers into a
 * later group add to its integrated membranes as before. The same bits as the separate passes.
 *
 * As dt → 0 the clock-driven spike times converge to the event-located ones at order 1.
 */
import type { StepInfo } from './solver';
import type { DiffusionTerm, LeakForm, Problem } from './terms';


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
  /**
   * Where each group starts (0-based within the schedule): strictly increasing integers, the first
   * 0, all below `size`; group g is [groups[g], groups[g + 1]) and the last one runs to `size`.
   * Default: one group, the whole schedule.
   */
  groups?: readonly number[];
  /**
   * Group g has been thresholded and reset (see the module comment for when): `fired` lists the
   * neurons (0-based within the schedule, ascending in clock mode) that fired; it is a view valid
   * during the call only. Deliver the group's effect (e.g. c·W s into the next layer) into `y`.
   */
  onGroup?(t: number, y: Float64Array, g: number, fired: Int32Array, schedule: SpikeState): void;
  /**
   * Spikes from outside the state, delivered into `y` before thresholding: after each step's
   * integration (clock mode), at each of the problem's input jump times (event mode).
   */
  beforeThreshold?(t: number, y: Float64Array, schedule: SpikeState): void;
  /**
   * Clock mode only: spikes from outside as a vector for group g at the step ending at t (one entry
   * per neuron of the group, or null for nothing), added to its non-refractory membranes in the
   * group's threshold pass, after `beforeThreshold` and the jumps of the earlier groups; the same as
   * adding it in `beforeThreshold`, without the separate pass (and it keeps the fused clock step).
   * The array is read during the pass only.
   */
  input?(t: number, g: number, schedule: SpikeState): Float64Array | null;
  /** The input is added times this factor (default 1): c·x without a pass that scales x. */
  inputScale?: number;
}

/** The fused clock step of a schedule whose drift is a leak (see the module comment). */
export interface FusedClockStep {
  /** One Euler (–Maruyama) step from (t0, y0) to t1 with the schedule's threshold pass, into y1. */
  step(t0: number, t1: number, y0: Float64Array, dW: Float64Array | null, y1: Float64Array): StepInfo;
  /** Whether the last step fired. */
  readonly spiked: boolean;
}

/** What the core keeps per neuron, readable by `onSpike` and by the model. */
export interface SpikeState {
  /** The mode the schedule runs in: 'clock' (threshold at step ends) or 'event' (located). */
  readonly mode: SpikeMode;
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
  if (s.inputScale !== undefined && !Number.isFinite(s.inputScale)) throw new Error(`spike schedule '${name}': inputScale must be a finite number (got ${s.inputScale})`);
  const r = s.refractory ?? 0;
  if (!(r >= 0 && Number.isFinite(r))) throw new Error(`spike schedule '${name}': refractory must be a finite number >= 0 (got ${s.refractory})`);
  if (s.groups !== undefined) {
    const g = s.groups;
    if (g.length === 0 || g[0] !== 0) throw new Error(`spike schedule '${name}': groups lists where each group starts and must begin with 0 (got [${g.join(', ')}])`);
    for (let k = 1; k < g.length; k++) {
      if (!(Number.isInteger(g[k]) && g[k] > g[k - 1] && g[k] < s.size)) {
        throw new Error(`spike schedule '${name}': groups[${k}] = ${g[k]}; group starts must be strictly increasing integers below size (${s.size})`);
      }
    }
  }
}

/** The run-time state of a schedule inside one `solve`. */
export class SpikeRun implements SpikeState {
  readonly refractory: Uint8Array;
  readonly refUntil: Float64Array;
  count = 0;
  private readonly vReset: number;
  private readonly tRef: number;
  private readonly jump: number;
  private readonly inputScale: number;
  private readonly located: Uint8Array;
  /** Group g is [bounds[g], bounds[g + 1]). */
  private readonly bounds: Int32Array;
  /** The spikes of the group being fired, for `onGroup` (grows when a neuron fires twice at one instant). */
  private fired: Int32Array;

  constructor(readonly spec: SpikeSpec, readonly mode: SpikeMode) {
    this.refractory = new Uint8Array(spec.size);
    // the end of each refractory period (only with one), the located crossings (event mode only)
    this.refUntil = new Float64Array((spec.refractory ?? 0) > 0 ? spec.size : 0);
    this.located = new Uint8Array(mode === 'event' ? spec.size : 0);
    this.vReset = spec.vReset ?? 0;
    this.tRef = spec.refractory ?? 0;
    this.jump = spec.threshold - this.vReset;
    this.inputScale = spec.inputScale ?? 1;
    this.bounds = Int32Array.from([...(spec.groups ?? [0]), spec.size]);
    this.fired = new Int32Array(spec.size);
    if (spec.input !== undefined && (typeof spec.input !== 'function' || mode !== 'clock')) {
      throw new Error(`spike schedule '${spec.name ?? 'spikes'}': input (a vector per group and step) is for clock mode only and must be a function (t, g, schedule) => Float64Array | null; in event mode deliver spikes from outside with beforeThreshold at the input jump times`);
    }
  }

  /** Group g's input vector of the step ending at t, checked against the group's size. */
  private groupInput(t: number, g: number): Float64Array | null {
    const d = this.spec.input!(t, g, this);
    const size = this.bounds[g + 1] - this.bounds[g];
    if (d !== null && d.length !== size) throw new Error(`spike schedule '${this.spec.name ?? 'spikes'}': input for group ${g} has ${d.length} entries; the group has ${size} neurons`);
    return d;
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

  /** Hold refractory membranes in the noise: zero their rows of g (`cols` entries per state row). */
  holdNoise(out: Float64Array, cols: number): void {
    if (this.tRef === 0) return;
    const { refractory, spec } = this;
    for (let i = 0; i < spec.size; i++) if (refractory[i]) out.fill(0, (spec.offset + i) * cols, (spec.offset + i + 1) * cols);
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
   * Clock mode, after a step ending at t: the spikes from outside (`beforeThreshold`), then
   * threshold and reset group by group in index order (at most one spike per neuron), each group
   * followed by its `onGroup`, then end the refractory periods that are over. Returns whether any
   * neuron fired.
   */
  clockStep(t: number, y: Float64Array): boolean {
    this.spec.beforeThreshold?.(t, y, this);
    let total = 0;
    for (let g = 0; g < this.bounds.length - 1; g++) total += this.fireGroup(t, y, g);
    this.endRefractory(t);
    return total > 0;
  }

  /** Clock mode: group g's input, threshold and reset in index order, then its `onGroup`; returns its spikes. */
  private fireGroup(t: number, y: Float64Array, g: number): number {
    const { spec, refractory, bounds } = this;
    const th = spec.threshold;
    const off = spec.offset;
    const onSpike = spec.onSpike;
    const fired = this.fired;
    const zero = spec.reset === 'zero';
    const vReset = this.vReset;
    const jump = this.jump;
    const tRef = this.tRef;
    const until = t + tRef;
    const start = bounds[g];
    const end = bounds[g + 1];
    const d = spec.input ? this.groupInput(t, g) : null;
    if (d !== null) {
      const c = this.inputScale;
      for (let i = start; i < end; i++) if (refractory[i] === 0) y[off + i] += c * d[i - start];
    }
    let nf = 0;
    for (let i = start; i < end; i++) {
      const k = off + i;
      // fire once this step even if a jump lifts it again (spikingjelly: one spike per step)
      if (y[k] >= th && refractory[i] === 0) {
        // the reset, refractoriness and onSpike of `fire`, inlined: this loop runs over every neuron every step
        y[k] = zero ? vReset : y[k] - jump;
        if (tRef > 0) {
          refractory[i] = 1;
          this.refUntil[i] = until;
        }
        fired[nf++] = i;
        this.count++;
        onSpike?.(t, y, i, this);
      }
    }
    spec.onGroup?.(t, y, g, fired.subarray(0, nf), this);
    return nf;
  }

  /** Clock mode: end the refractory periods that are over at t. */
  private endRefractory(t: number): void {
    if (this.tRef === 0) return;
    const { refractory, refUntil } = this;
    const tol = 1e-9 * Math.max(1, Math.abs(t));
    for (let i = 0; i < this.spec.size; i++) if (refractory[i] && refUntil[i] <= t + tol) refractory[i] = 0;
  }

  /**
   * The fused clock step for `problem` integrated by `solver`, or null when it does not apply (see
   * the module comment): clock mode, a drift that declares its leak, 'euler' without noise or
   * 'euler_maruyama' without or with diagonal noise, no `beforeThreshold` nor `onSpike` (onGroup
   * delivers a group's effect). The caller (solve) also requires that nothing reads the state
   * between integration and threshold (no reductions). The problem's own terms are used (a
   * refractory membrane is held here: V stays, no noise).
   */
  fusedClock(problem: Problem, solver: string): FusedClockStep | null {
    const leak = problem.drift.leak;
    const d = problem.diffusion;
    // onSpike may write into later membranes of the first group, which the fused pass has not integrated yet
    if (this.mode !== 'clock' || leak === undefined || this.spec.beforeThreshold !== undefined || this.spec.onSpike !== undefined) return null;
    if (!((solver === 'euler' && !d) || (solver === 'euler_maruyama' && (!d || d.shape === 'diagonal')))) return null;
    return new LeakClockStep(this, problem.dim, leak, d ?? null);
  }

  /**
   * y1 ← y0 + h·(rest − y0 + I)·rate (+ g ΔW) on state entries [from, to); a membrane of the
   * schedule that is refractory is held (y0 + 0: its drift and noise are zero). Returns Σ y1 there.
   */
  leakIntegrate(leak: LeakForm, from: number, to: number, h: number, y0: Float64Array, y1: Float64Array, g: Float64Array | null, dW: Float64Array | null): number {
    const { rest, current, rate } = leak;
    const { refractory } = this;
    const off = this.spec.offset;
    const size = this.spec.size;
    let sum = 0;
    for (let k = from; k < to; k++) {
      const i = k - off;
      if (i >= 0 && i < size && refractory[i] === 1) {
        sum += y1[k] = y0[k] + 0;
        continue;
      }
      let v = y0[k] + h * ((rest - y0[k] + current[k]) * rate);
      if (g !== null) v += g[k] * dW![k];
      sum += y1[k] = v;
    }
    return sum;
  }

  /**
   * The fused step's threshold work at the step ending at t1 after `leakPass`: the first group's
   * `onGroup`, the later groups' threshold passes, the end of refractory periods. Returns the
   * step's number of spikes.
   */
  leakFire(t1: number, y1: Float64Array, nf: number): number {
    const { spec, bounds } = this;
    spec.onGroup?.(t1, y1, 0, this.fired.subarray(0, nf), this);
    let total = nf;
    for (let grp = 1; grp < bounds.length - 1; grp++) total += this.fireGroup(t1, y1, grp);
    this.endRefractory(t1);
    return total;
  }

  /**
   * The fused step's one pass over the first group [a, b) of the state at the step (t1 − h → t1):
   * integrate, noise, input (times inputScale), threshold and reset; its spikes listed in `fired`
   * and counted in `count`. Returns Σ of its membranes before the reset. Nothing follows the loop
   * but the return (code after a long loop that the optimizer has not yet seen run makes its
   * on-stack-replaced form bail out at every call).
   */
  leakPass(leak: LeakForm, a: number, b: number, t1: number, h: number, y0: Float64Array, y1: Float64Array, g: Float64Array | null, dW: Float64Array | null, inp: Float64Array | null): number {
    const { spec, refractory, fired, refUntil } = this;
    const { rest, current, rate } = leak;
    const off = spec.offset;
    const th = spec.threshold;
    const zero = spec.reset === 'zero';
    const vReset = this.vReset;
    const jump = this.jump;
    const tRef = this.tRef;
    const until = t1 + tRef;
    const c = this.inputScale;
    let nf = 0;
    // the sum is taken before the reset, so a membrane that became ±∞ or NaN is divergence, not a spike
    let sum = 0;
    for (let k = a; k < b; k++) {
      const i = k - off;
      if (refractory[i] === 1) {
        sum += y1[k] = y0[k] + 0;
        continue;
      }
      let v = y0[k] + h * ((rest - y0[k] + current[k]) * rate);
      if (g !== null) v += g[k] * dW![k];
      if (inp !== null) v += c * inp[i];
      sum += v;
      if (v >= th) {
        y1[k] = zero ? vReset : v - jump;
        if (tRef > 0) {
          refractory[i] = 1;
          refUntil[i] = until;
        }
        fired[nf++] = i;
        this.count++;
      } else y1[k] = v;
    }
    return sum;
  }

  /** The fused step's input for the first group at the step ending at t (null: none). */
  leakInput(t: number): Float64Array | null {
    return this.spec.input ? this.groupInput(t, 0) : null;
  }

  /** Event mode: the crossing condition V − θ per neuron (−1 while refractory). */
  crossing(y: Float64Array, out: Float64Array): void {
    const { spec, refractory } = this;
    for (let i = 0; i < spec.size; i++) out[i] = refractory[i] ? -1 : y[spec.offset + i] - spec.threshold;
  }

  /**
   * Event mode: fire the located neurons and every neuron over threshold at time t, group by group
   * in index order, each group that fired followed by its `onGroup`.
   */
  eventFire(t: number, y: Float64Array, fired: readonly number[]): void {
    const { spec, refractory, located, bounds } = this;
    for (const i of fired) located[i] = 1;
    const th = spec.threshold;
    const onGroup = spec.onGroup;
    for (let g = 0; g < bounds.length - 1; g++) {
      let nf = 0;
      for (let i = bounds[g]; i < bounds[g + 1]; i++) {
        const wasLocated = located[i] === 1;
        located[i] = 0;
        if (refractory[i] || !(wasLocated || y[spec.offset + i] >= th)) continue;
        let guard = 0;
        do {
          this.fire(t, y, i);
          if (onGroup) {
            if (nf === this.fired.length) {
              const grown = new Int32Array(2 * nf + 16);
              grown.set(this.fired);
              this.fired = grown;
            }
            this.fired[nf++] = i;
          }
        } while (spec.reset === 'subtract' && !refractory[i] && y[spec.offset + i] >= th && guard++ < 10_000);
      }
      if (onGroup && nf > 0) onGroup(t, y, g, this.fired.subarray(0, nf), this);
    }
  }

  /** Event mode: spikes from outside at an input jump time t (`beforeThreshold`), then fire whatever is over threshold. */
  external(t: number, y: Float64Array): void {
    if (!this.spec.beforeThreshold) return;
    this.spec.beforeThreshold(t, y, this);
    this.eventFire(t, y, []);
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

/** The fused clock step of a schedule whose drift is a leak (`SpikeRun.fusedClock`). */
class LeakClockStep implements FusedClockStep {
  spiked = false;
  private readonly info: StepInfo = { nfe: 1, sum: 0 };
  private readonly g: Float64Array | null;
  /** The first group is [a, b) in the state. */
  private readonly a: number;
  private readonly b: number;

  constructor(
    private readonly run: SpikeRun,
    private readonly n: number,
    private readonly leak: LeakForm,
    private readonly diffusion: DiffusionTerm | null,
  ) {
    this.g = diffusion ? new Float64Array(diffusion.gSize) : null;
    const groups = run.spec.groups ?? [0];
    this.a = run.spec.offset + groups[0];
    this.b = run.spec.offset + (groups.length > 1 ? groups[1] : run.spec.size);
  }

  step(t0: number, t1: number, y0: Float64Array, dW: Float64Array | null, y1: Float64Array): StepInfo {
    const h = t1 - t0;
    const { run, leak, a, b } = this;
    let g: Float64Array | null = null;
    if (this.diffusion !== null && dW !== null) {
      g = this.g!;
      this.diffusion.g(t0, y0, g);
    }
    // everything but the first group first: the jumps onGroup delivers land on integrated membranes
    let sum = run.leakIntegrate(leak, 0, a, h, y0, y1, g, dW) + run.leakIntegrate(leak, b, this.n, h, y0, y1, g, dW);
    const before = run.count;
    sum += run.leakPass(leak, a, b, t1, h, y0, y1, g, dW, run.leakInput(t1));
    this.spiked = run.leakFire(t1, y1, run.count - before) > 0;
    this.info.nfe = g !== null ? 2 : 1;
    this.info.sum = sum;
    return this.info;
  }
}
