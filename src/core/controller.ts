/**
 * Step-size control, separate from the solvers. A controller decides the next *time*, not only the
 * next step length: it sees the states and the error estimate a step produced, says whether to
 * accept the step and where the next one ends. So constant steps on a grid, stepping to given
 * times, PI control and clipping to the jump times of an input are all controllers, and the solve
 * loop never asks which kind it has. It never sees the solver.
 *
 * Protocol (the loop in solve.ts):
 *
 *   tNext = c.init({ t0, t1, y0, dt0, errorOrder, initialStep })
 *   repeat: step [t, tNext];  { accept, tNext } = c.adapt(t, tNext, y, yNew, yError, errorOrder)
 *           on accept t ← old tNext;  after an event cut the step short at τ: tNext = c.restart(τ)
 *
 * Every controller clamps the next time to t1 and never proposes a time at or before the current
 * one unless the step size has collapsed (then `adapt` says so with `tooSmall`).
 */

export interface ControllerInit {
  t0: number;
  t1: number;
  y0: Float64Array;
  /** The user's dt0 (undefined: the controller chooses, through `initialStep` when it needs one). */
  dt0: number | undefined;
  /** Order of the solver's error estimate (the PI exponents use it). */
  errorOrder: number;
  /** Hairer's automatic first-step length (costs one vector-field evaluation). */
  initialStep: () => number;
}

export interface AdaptResult {
  accept: boolean;
  /** End of the next step to attempt: from the step's end if accepted, from its start if not. */
  tNext: number;
  /** Set when the proposed step fell below dtMin or the resolution of t: the run cannot continue. */
  tooSmall?: string;
}

export interface StepController {
  /** Name for messages ('constant', 'pi', 'stepTo', 'clip(pi)'). */
  readonly name: string;
  /** True when `adapt` needs the solver's local error estimate. */
  readonly needsErrorEstimate: boolean;
  /** Tolerances, for solvers that choose their own steps (odex) and the initial-step heuristic. */
  readonly rtol: number;
  readonly atol: number;
  readonly dtMin: number;
  readonly dtMax: number;
  /** Start an integration; returns the end of the first step. */
  init(c: ControllerInit): number;
  /** The decision for the step [t0, t1]; the object may be reused: read it before the next call. */
  adapt(t0: number, t1: number, y0: Float64Array, y1: Float64Array, yError: Float64Array | undefined, errorOrder: number): AdaptResult;
  /**
   * The flow restarts at t (an event changed the state, or an input jumped): forget the error
   * history and return the end of the next step. `dtHint` is the step length proposed before.
   */
  restart(t: number, dtHint: number): number;
}

const EPS = 1e-10;

/** One AdaptResult per controller, rewritten by every call: `adapt` allocates nothing per step. */
function reusedResult(): (accept: boolean, tNext: number, tooSmall?: string) => AdaptResult {
  const r: AdaptResult = { accept: true, tNext: NaN, tooSmall: undefined };
  return (accept, tNext, tooSmall) => {
    r.accept = accept;
    r.tNext = tNext;
    r.tooSmall = tooSmall;
    return r;
  };
}

/** The traits of a controller that does not read an error estimate. */
const FIXED_STEP = { needsErrorEstimate: false, rtol: NaN, atol: NaN, dtMin: 0, dtMax: Infinity } as const;

/** Clamp a proposed end time to t1, absorbing a last sliver shorter than EPS·dt. */
function clampEnd(tNext: number, t1: number, dt: number): number {
  return tNext > t1 || t1 - tNext <= EPS * dt ? t1 : tNext;
}

/** Smallest representable step after t: a step below it leaves t unchanged. */
export function timeResolution(t: number): number {
  return 4 * Number.EPSILON * Math.max(1, Math.abs(t));
}

function dtMinMessage(dt: number, t: number, dtMin: number): string {
  return dt <= timeResolution(t)
    ? `the step ${dt} is below the resolution of t = ${t} (relative 2^-52); shift time so that t0 is near 0`
    : `step size fell to ${dt} (below dtMin = ${dtMin}) at t = ${t}; the problem may be stiff or diverging`;
}

/**
 * Constant steps of dt0 on the grid t0 + k·dt0: every step is accepted, and after a step cut
 * short (by an event or a jump time) the next step ends on the next grid point, so a run stays on
 * the grid it started on.
 */
export function constantStep(): StepController {
  // State in an object, not in closure variables: V8 boxes a double held in a closure on every
  // write, which costs more than the step of a small system.
  const g = { t0: 0, t1: 0, dt: NaN, lastK: -1, lastT: NaN };
  const result = reusedResult();
  const next = (t: number): number => {
    let k: number;
    if (t === g.lastT) k = g.lastK + 1; // the usual case: the step ended where we said
    else {
      // the grid point after t; (t − t0)/dt is an index up to rounding that grows with it (2e-10
      // at 1.6e6): absorb it, and never return t itself
      const x = (t - g.t0) / g.dt;
      k = Math.floor(x + EPS + 8 * Number.EPSILON * Math.abs(x)) + 1;
      while (g.t0 + k * g.dt <= t) k++;
    }
    g.lastK = k;
    g.lastT = clampEnd(g.t0 + k * g.dt, g.t1, g.dt);
    return g.lastT;
  };
  return {
    name: 'constant',
    ...FIXED_STEP,
    init(c) {
      if (c.dt0 === undefined || !(c.dt0 > 0) || !Number.isFinite(c.dt0)) {
        throw new Error(`dt0 must be > 0 for a fixed-step solver (got ${c.dt0}); pass dt0 or choose an adaptive solver such as 'dopri5'`);
      }
      g.t0 = c.t0;
      g.t1 = c.t1;
      g.dt = c.dt0;
      g.lastT = NaN;
      const span = Math.max(Math.abs(c.t0), Math.abs(c.t1));
      if (g.dt <= timeResolution(span)) {
        throw new Error(`dt0 = ${g.dt} is below the resolution of t near ${span} (relative 2^-52): steps would not advance time; use a larger dt0 or shift time so that t0 is near 0`);
      }
      return next(g.t0);
    },
    adapt(_s, e) {
      return result(true, next(e));
    },
    restart(t) {
      return next(t);
    },
  };
}

/** Number of fixed steps of dt0 over [t0, t1] (what `constantStep` takes without events). */
export function fixedStepCount(t0: number, t1: number, dt0: number): number {
  return Math.ceil((t1 - t0) / dt0 - EPS);
}

/**
 * Steps that end exactly on the given times (sorted, in (t0, t1]), then on t1: a fixed-step
 * solver then visits exactly these times (e.g. one step per minibatch of a schedule).
 */
export function stepTo(times: readonly number[]): StepController {
  for (let i = 0; i < times.length; i++) {
    if (!Number.isFinite(times[i])) throw new Error(`stepTo: times[${i}] = ${times[i]} is not finite`);
    if (i > 0 && !(times[i] > times[i - 1])) throw new Error(`stepTo: times must be strictly increasing (times[${i - 1}] = ${times[i - 1]}, times[${i}] = ${times[i]})`);
  }
  let t1 = 0;
  const next = (t: number): number => {
    const i = firstAfter(times, t);
    return i < times.length && times[i] < t1 ? times[i] : t1;
  };
  const result = reusedResult();
  return {
    name: 'stepTo',
    ...FIXED_STEP,
    init(c) {
      t1 = c.t1;
      if (times.length && (times[0] < c.t0 || times[times.length - 1] > c.t1)) {
        throw new Error(`stepTo: times span [${times[0]}, ${times[times.length - 1]}] but the run is [${c.t0}, ${c.t1}]; give times inside it`);
      }
      return next(c.t0);
    },
    adapt(_s, e) {
      return result(true, next(e));
    },
    restart(t) {
      return next(t);
    },
  };
}

/** Index of the first entry of sorted `ts` strictly after t (beyond a relative EPS). */
export function firstAfter(ts: readonly number[], t: number): number {
  const tol = EPS * Math.max(1, Math.abs(t));
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t + tol) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface PIOptions {
  rtol?: number;
  atol?: number;
  /** Smallest step allowed; a smaller proposal ends the run with status 'dtMin'. */
  dtMin?: number;
  dtMax?: number;
  safety?: number;
  /**
   * Proportional and integral coefficients (scaled by 1/(errorOrder+1)); defaults 0.4 and 0.3
   * (Söderlind). pcoeff 0, icoeff 1 is the elementary (integral) controller of scipy's solve_ivp;
   * pcoeff 0.2, icoeff 0.65 is Hairer's DOPRI5 (β = 0.04). On Lorenz (rtol 1e-6) those take about
   * 17% fewer evaluations than the default, but the integral controller misses its tolerance by 5×
   * on van der Pol at rtol 1e-3 and both hover at the stability boundary of a decaying linear
   * system, so a steady state at tol 1e-10 is reached much later (test/solve.test.ts).
   */
  pcoeff?: number;
  icoeff?: number;
  factorMin?: number;
  factorMax?: number;
}

/**
 * PI step-size controller (Hairer, Nørsett & Wanner II.4; Söderlind 2002). With the weighted RMS
 * error ε_n = ‖e / (atol + rtol·max(|y0|, |y1|))‖, a step is accepted when ε_n ≤ 1 and
 * the next step is dt·safety·ε_n^(−(i+p)/k)·ε_{n−1}^(p/k) with k = errorOrder + 1, limited to
 * [factorMin, factorMax]·dt, and not larger than dt right after a rejection.
 */
export function piController(opts: PIOptions = {}): StepController {
  const rtol = opts.rtol ?? 1e-6;
  const atol = opts.atol ?? 1e-9;
  const dtMin = opts.dtMin ?? 0;
  const dtMax = opts.dtMax ?? Infinity;
  const safety = opts.safety ?? 0.9;
  const pcoeff = opts.pcoeff ?? 0.4;
  const icoeff = opts.icoeff ?? 0.3;
  const factorMin = opts.factorMin ?? 0.2;
  const factorMax = opts.factorMax ?? 10;
  for (const [k, v] of [['rtol', rtol], ['atol', atol]] as const) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`${k} must be a finite number >= 0 (got ${v})`);
  }
  if (rtol === 0 && atol === 0) throw new Error('rtol and atol are both 0; give at least one a positive value (e.g. rtol: 1e-6)');
  if (!(dtMin >= 0)) throw new Error(`dtMin must be >= 0 (got ${dtMin})`);
  if (!(dtMax > dtMin)) throw new Error(`dtMax must be > dtMin (got dtMax = ${dtMax}, dtMin = ${dtMin})`);
  for (const [k, v] of [['safety', safety], ['factorMin', factorMin], ['factorMax', factorMax], ['pcoeff', pcoeff + 1], ['icoeff', icoeff]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`PI controller: ${k === 'pcoeff' ? 'pcoeff must be > -1' : `${k} must be a finite number > 0`} (got ${k === 'pcoeff' ? pcoeff : v})`);
  }
  // State in an object, not in closure variables (V8 boxes a double held in a closure on every write).
  const st = { prevNorm: 1, rejectedLast: false, t1: 0 };
  const result = reusedResult();
  const tooSmall = (dt: number, t: number): string | undefined =>
    dt < dtMin || dt <= timeResolution(t) ? dtMinMessage(dt, t, dtMin) : undefined;
  return {
    name: 'pi',
    needsErrorEstimate: true,
    rtol,
    atol,
    dtMin,
    dtMax,
    init(c) {
      st.prevNorm = 1;
      st.rejectedLast = false;
      st.t1 = c.t1;
      if (c.dt0 !== undefined && !(c.dt0 > 0 && Number.isFinite(c.dt0))) {
        throw new Error(`dt0 must be > 0 when given (got ${c.dt0}); omit it to let the controller choose the first step`);
      }
      const dt = Math.min(c.dt0 ?? c.initialStep(), dtMax, c.t1 - c.t0);
      return clampEnd(c.t0 + dt, st.t1, dt);
    },
    adapt(t0, tEnd, y0, y1, yError, errorOrder) {
      if (!yError) throw new Error('the PI controller needs an error estimate; use an adaptive solver (dopri5) or a constant step');
      const dt = tEnd - t0;
      const norm = errorNorm(y0, y1, yError, rtol, atol);
      const k = errorOrder + 1;
      if (norm <= 1) {
        const n = Math.max(norm, 1e-10);
        let factor = safety * n ** (-(icoeff + pcoeff) / k) * st.prevNorm ** (pcoeff / k);
        factor = Math.min(factorMax, Math.max(factorMin, factor));
        if (st.rejectedLast) factor = Math.min(1, factor);
        st.prevNorm = n;
        st.rejectedLast = false;
        const dtNext = Math.min(dtMax, dt * factor);
        return result(true, clampEnd(tEnd + dtNext, st.t1, dtNext), dtNext < dtMin ? dtMinMessage(dtNext, tEnd, dtMin) : undefined);
      }
      // A non-finite error (the step left the domain of f, or f returned NaN) shrinks the step.
      st.rejectedLast = true;
      const factor = Number.isFinite(norm) ? Math.max(factorMin, safety * norm ** (-1 / k)) : factorMin;
      const dtNext = dt * factor;
      return result(false, clampEnd(t0 + dtNext, st.t1, dtNext), tooSmall(dtNext, t0));
    },
    restart(t, dtHint) {
      st.prevNorm = 1;
      st.rejectedLast = false;
      const dt = Math.min(dtHint, dtMax);
      return clampEnd(t + dt, st.t1, dt);
    },
  };
}

/**
 * Wrap a controller so that no step crosses one of the jump times: a step that would cross is
 * clipped to end on the jump, and the step after it restarts the inner controller's error
 * history from the length it had proposed before the clip (diffrax's `jump_ts`). Fixed steps land
 * on the jumps and then continue on their grid.
 */
export function clipToJumps(inner: StepController, jumps: readonly number[]): StepController {
  // t1, and the length the inner controller proposed for the step that was clipped (NaN: not
  // clipped); in an object, not closure variables, as in constantStep
  const st = { t1: 0, unclipped: NaN };
  const result = reusedResult();
  const clip = (t: number, tNext: number): number => {
    const j = firstAfter(jumps, t);
    if (j < jumps.length && jumps[j] < tNext && jumps[j] < st.t1) {
      st.unclipped = tNext - t;
      return jumps[j];
    }
    st.unclipped = NaN;
    return tNext;
  };
  const isJump = (t: number): boolean => {
    const j = firstAfter(jumps, t) - 1;
    return j >= 0 && Math.abs(jumps[j] - t) <= EPS * Math.max(1, Math.abs(t));
  };
  return {
    name: `clip(${inner.name})`,
    needsErrorEstimate: inner.needsErrorEstimate,
    rtol: inner.rtol,
    atol: inner.atol,
    dtMin: inner.dtMin,
    dtMax: inner.dtMax,
    init(c) {
      st.t1 = c.t1;
      return clip(c.t0, inner.init(c));
    },
    adapt(t0, tEnd, y0, y1, yError, errorOrder) {
      const r = inner.adapt(t0, tEnd, y0, y1, yError, errorOrder);
      if (!r.accept) return result(false, clip(t0, r.tNext), r.tooSmall);
      if (isJump(tEnd)) {
        // The vector field changes here: restart the inner controller from its own proposal.
        const hint = Number.isNaN(st.unclipped) ? r.tNext - tEnd : Math.max(st.unclipped, r.tNext - tEnd);
        return result(true, clip(tEnd, inner.restart(tEnd, hint)));
      }
      return result(true, clip(tEnd, r.tNext), r.tooSmall);
    },
    restart(t, dtHint) {
      return clip(t, inner.restart(t, dtHint));
    },
  };
}

/** Weighted RMS norm ‖e_i / (atol + rtol·max(|y0_i|, |y1_i|))‖. */
export function errorNorm(y0: Float64Array, y1: Float64Array, e: Float64Array, rtol: number, atol: number): number {
  let s = 0;
  for (let i = 0; i < e.length; i++) {
    const sc = atol + rtol * Math.max(Math.abs(y0[i]), Math.abs(y1[i]));
    const r = e[i] / sc;
    s += r * r;
  }
  return Math.sqrt(s / Math.max(1, e.length));
}
