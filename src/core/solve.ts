/**
 * `solve`: the one entry point.
 *
 * ```ts
 * const sol = solve(problem, 'dopri5', { t0: 0, t1: 10, y0, saveAt: { ts }, rtol: 1e-8 });
 * ```
 *
 * Each concern is its own object: the problem's terms own the maths (and its input says where the
 * data jump), the solver takes one step, the controller chooses the next time, `saveAt` says what
 * is kept and `reductions` what is accumulated, the Brownian path gives the noise, events and the
 * spike schedule interrupt the flow. Per accepted step the order is fixed: integrate, check for
 * divergence, accumulate the reductions, threshold and reset spikes (clock mode: spikes from
 * outside, then group by group), detect and locate events, save, handle the earliest event (which
 * may change the state; event-mode spikes from outside at an input jump time come after the spikes
 * located there), then continue from there.
 *
 * Output at requested times comes from interpolation, never from forcing extra steps: the solver's
 * dense output when it has one; otherwise, for an ODE, a re-step of the same method from the start
 * of the step (accurate to the method's order); for an SDE, a re-step on the same Brownian path when
 * the path is queryable (BrownianTree), else linear interpolation.
 *
 * Fast path: a fixed-step solver with no noise, events, spikes, saving between steps or stopWhen
 * runs a loop that does only the step, the divergence check, the input's segment and the
 * reductions, so `solve` costs about what a hand-written loop over the vector field costs
 * (`npm run bench -- --only core` measures the ratio).
 *
 * Which to use for a per-step quantity (the minibatch loss, spike counts, ∫ of an update):
 * - a quantity of the state at discrete steps (the loss of the minibatch a step trains on, a count)
 *   is a `reduction`: called once per accepted step with the step's two ends, never inside the
 *   vector field, so a multi-stage solver does not count it once per stage;
 * - a time integral ∫ q(t, y) dt that should converge with the solver's order (the accumulated
 *   weight update of DFC's eq. 5) is a state block whose drift is q: the solver integrates it;
 * - values at given times are `saveAt`.
 */
import { BrownianIncrements, type BrownianPath } from './brownian';
import { clipToJumps, constantStep, errorNorm, fixedStepCount, piController, timeResolution, type StepController } from './controller';
import { checkJumps, segmentAt } from './input';
import { solvers } from './solvers';
import { stateSum, type DriverSolver, type Interpolant, type Solver, type StepInfo, type StepSolver } from './solver';
import { checkSpikeSpec, SpikeRun, type FusedClockStep, type SpikeMode, type SpikeSpec } from './spikes';
import { drift, type Problem } from './terms';

export type Status = 'ok' | 'maxSteps' | 'dtMin' | 'event' | 'diverged' | 'stopped';

export interface SaveAt {
  /** Save at these times (sorted, within [t0, t1]), by interpolation. */
  ts?: readonly number[];
  /** Save the initial state and every n-th accepted step (and the final state). */
  steps?: number;
  /** What to keep from a state (default: a copy of the whole state), e.g. only the weight blocks. */
  fn?: (t: number, y: Float64Array) => Float64Array | readonly number[] | number;
}

/**
 * A quantity accumulated once per accepted step (see the module comment for when to use it):
 * `step` adds the step's contribution into `acc` (`size` entries, starting from `init` or zeros).
 * The result is in `solution.reductions[k]`.
 */
export interface Reduction {
  name?: string;
  size: number;
  init?: ArrayLike<number>;
  step(t0: number, y0: Float64Array, t1: number, y1: Float64Array, acc: Float64Array): void;
  /**
   * True when `step` is right even if y0 and y1 are one buffer holding the new state: it reads
   * nothing of y0's entries (e.g. it takes what the vector field computed at y0). Lets a drift whose
   * Euler update runs in place (`DriftTerm.eulerInPlace`) keep doing so with this reduction.
   */
  inPlace?: boolean;
}

export interface EventSpec {
  name?: string;
  /** Number of event functions (e.g. one per neuron). Default 1. */
  size?: number;
  /** out ← g(t, y); a component crossing zero (in `direction`) triggers the event. */
  condition(t: number, y: Float64Array, out: Float64Array): void;
  /** 'up': from negative to non-negative (default); 'down'; 'either'. */
  direction?: 'up' | 'down' | 'either';
  /**
   * Called at the located time with the state there (which it may change, e.g. reset a membrane)
   * and the components that crossed. Returning 'stop' ends the run with status 'event'.
   */
  handle?(t: number, y: Float64Array, fired: readonly number[]): void | 'stop';
  /** Time tolerance of the located crossing (default 1e-12·max(1, |t|)). */
  tol?: number;
}

export interface SolveOptions {
  t0: number;
  t1: number;
  y0: ArrayLike<number>;
  /** Step for fixed-step solvers; initial step for adaptive ones (chosen automatically if absent). */
  dt0?: number;
  saveAt?: SaveAt;
  /** Quantities accumulated once per accepted step. */
  reductions?: readonly Reduction[];
  /** Step-size controller. Default: PI for adaptive solvers (rtol/atol), constant steps otherwise. */
  controller?: StepController;
  rtol?: number;
  atol?: number;
  dtMin?: number;
  dtMax?: number;
  /** Brownian path for an SDE; or give `seed` for a fixed-step path. */
  brownian?: BrownianPath;
  seed?: number;
  events?: readonly EventSpec[];
  /** Threshold, reset and refractoriness of membrane potentials in the state (spikes.ts). */
  spikes?: SpikeSpec;
  /** 'clock' (default for fixed steps) or 'event' (default for adaptive steps). */
  spikeMode?: SpikeMode;
  /** Most steps (accepted + rejected) before stopping with 'maxSteps'. */
  maxSteps?: number;
  /** Checked after each accepted step; returning true ends the run with status 'stopped'. */
  stopWhen?: (t: number, y: Float64Array) => boolean;
  /** Throw instead of returning a result whose status is 'maxSteps', 'dtMin' or 'diverged'. */
  throwOnFailure?: boolean;
}

export interface Divergence {
  t: number;
  block: string;
  index: number;
  value: number;
}

export interface Solution {
  status: Status;
  /** One line saying how the run ended. */
  message: string;
  /**
   * Time and state where the run ended (for 'diverged': the last finite state, except when the
   * state was updated in place (`DriftTerm.eulerInPlace`): then the diverged state and its time).
   */
  t: number;
  y: Float64Array;
  ts: number[];
  ys: Float64Array[];
  /** The accumulated reductions, in the order given. */
  reductions: Float64Array[];
  stats: { accepted: number; rejected: number; nfe: number; events: number; spikes: number };
  diverged?: Divergence;
  /** The event that stopped the run, for status 'event'. */
  event?: { t: number; name: string; fired: number[] };
}

export class SolveError extends Error {
  constructor(
    message: string,
    readonly solution?: Solution,
  ) {
    super(message);
    this.name = 'SolveError';
  }
}

/** Default cap on a fixed-step run's step count when maxSteps is not given. */
const MAX_DEFAULT_STEPS = 1e9;

export function solve(problem: Problem, solverOrName: Solver | string, opts: SolveOptions): Solution {
  const solver = typeof solverOrName === 'string' ? solvers.get(solverOrName) : solverOrName;
  const run = new Run(problem, solver, opts);
  const sol = run.execute();
  if (opts.throwOnFailure && (sol.status === 'maxSteps' || sol.status === 'dtMin' || sol.status === 'diverged')) {
    throw new SolveError(sol.message, sol);
  }
  return sol;
}

/** Refuse a solver that cannot handle the problem, naming the ones that can. */
export function checkSolverFits(problem: Problem, solver: Solver): void {
  const sde = problem.diffusion !== undefined;
  if (sde && !solver.sde) {
    const ok = solvers.names().filter((n) => solvers.get(n).sde !== null);
    throw new Error(`solver '${solver.name}' handles ODEs only but the problem has a diffusion term; choose an SDE solver: ${ok.join(', ')}`);
  }
  if (!sde && !solver.ode) throw new Error(`solver '${solver.name}' handles SDEs only but the problem has no diffusion term`);
  if (sde && solver.sde) {
    const noise = problem.diffusion!.noise;
    if (!solver.sde.noise.includes(noise)) {
      const why =
        solver.sde.calculus === 'stratonovich' && !problem.diffusion!.additive
          ? ` (it converges to the Stratonovich solution, which differs from the Itô solution when the noise depends on the state)`
          : '';
      const ok = solvers.names().filter((n) => solvers.get(n).sde?.noise.includes(noise));
      throw new Error(`solver '${solver.name}' does not handle ${noise} noise${why}; use ${ok.map((n) => `'${n}'`).join(' or ') || 'another solver'}`);
    }
  }
}

function validateTimes(opts: SolveOptions): void {
  const { t0, t1 } = opts;
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) throw new Error(`t0 and t1 must be finite numbers (got t0 = ${t0}, t1 = ${t1})`);
  if (t1 < t0) throw new Error(`t1 (${t1}) is before t0 (${t0}); integration runs forward in time: pass t1 >= t0`);
  if (t1 > t0 && t1 - t0 <= timeResolution(Math.max(Math.abs(t0), Math.abs(t1)))) {
    throw new Error(`the interval [t0, t1] = [${t0}, ${t1}] is below the resolution of t there (relative 2^-52); shift time so that t0 is near 0`);
  }
}

function firstNonFinite(y: ArrayLike<number>): number {
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i])) return i;
  return -1;
}

function locate(problem: Problem, i: number): { block: string; index: number } {
  if (!problem.layout) return { block: 'y', index: i };
  const { block, index } = problem.layout.blockAt(i);
  return { block: block.name, index };
}

interface EventState {
  spec: EventSpec;
  size: number;
  gPrev: Float64Array;
  gNew: Float64Array;
  gTmp: Float64Array;
}

interface AfterStep {
  t: number;
  y: Float64Array;
  stop: boolean;
  /** The state or the flow changed at t (an event or a spike reset): restart the controller. */
  reset: boolean;
}

class Run {
  private readonly n: number;
  private readonly problem: Problem;
  private readonly sde: boolean;
  private readonly controller: StepController;
  private readonly brownian: BrownianPath | null;
  private readonly maxSteps: number;
  private readonly saveTs: readonly number[] | null;
  private savePtr = 0;
  private readonly saveEvery: number;
  private saveSize = -1;
  private readonly events: EventState[];
  private readonly spikes: SpikeRun | null;
  /** The schedule's fused clock step (spikes.ts), when it applies: the step and its threshold pass in one. */
  private fused: FusedClockStep | null = null;
  private readonly reductions: { spec: Reduction; acc: Float64Array }[];
  private readonly ts: number[] = [];
  private readonly ys: Float64Array[] = [];
  private status: Status = 'ok';
  private message = '';
  private diverged?: Divergence;
  private stopEvent?: { t: number; name: string; fired: number[] };
  private stats = { accepted: 0, rejected: 0, nfe: 0, events: 0, spikes: 0 };
  /** A state-sized scratch for interpolated states (saving between steps, event location), made when first needed. */
  private ybufMade: Float64Array | null = null;
  private readonly span: number;
  private segment = -1;
  private readonly jumps: readonly number[] | null;
  /** Input jumps whose spikes from outside have been delivered (event mode). */
  private jumpServed = 0;
  /** The state buffers the problem's `storage` gave this run (checked at the end: not detached). */
  private readonly stored: Float64Array[] = [];

  constructor(
    problem: Problem,
    private readonly solver: Solver,
    private readonly opts: SolveOptions,
  ) {
    validateTimes(opts);
    const n = (this.n = problem.dim);
    this.span = opts.t1 - opts.t0;
    if (!opts.y0 || opts.y0.length !== n) {
      const where = problem.layout ? ` (layout ${problem.layout.describe()})` : '';
      throw new Error(`y0 has ${opts.y0?.length ?? 0} entries but the problem's state has ${n}${where}; pass a y0 of length ${n}`);
    }
    // a sum is NaN/±∞ when an entry is: the scan for which runs only then
    const s0 = opts.y0 instanceof Float64Array ? stateSum(opts.y0) : NaN;
    const bad = s0 - s0 === 0 ? -1 : firstNonFinite(opts.y0);
    if (bad >= 0) {
      const { block, index } = locate(problem, bad);
      throw new Error(`y0 has a non-finite value (${opts.y0[bad]}) at index ${bad} (block '${block}', entry ${index}); the initial state must be finite`);
    }
    checkSolverFits(problem, solver);
    this.sde = problem.diffusion !== undefined;

    // Step-size control: the user's, or PI for adaptive solvers, constant otherwise; clipped to
    // the input's jump times.
    if (opts.controller !== undefined && (typeof opts.controller !== 'object' || opts.controller === null || typeof opts.controller.init !== 'function' || typeof opts.controller.adapt !== 'function')) {
      throw new Error(`controller must be a step-size controller (piController({ rtol, atol, pcoeff, icoeff, … }) or constantStep()), not ${opts.controller === null ? 'null' : typeof opts.controller === 'object' ? 'an object without init/adapt' : typeof opts.controller}; settings such as pcoeff go to piController`);
    }
    let controller = opts.controller ?? (solver.adaptive ? piController({ rtol: opts.rtol, atol: opts.atol, dtMin: opts.dtMin, dtMax: opts.dtMax }) : constantStep());
    if (controller.needsErrorEstimate && !solver.adaptive) {
      throw new Error(`solver '${solver.name}' has no error estimate, so it cannot take adaptive steps; use a constant step (dt0) or an adaptive solver such as 'dopri5'`);
    }
    if (solver.kind === 'driver' && !controller.needsErrorEstimate) {
      throw new Error(`solver '${solver.name}' chooses its own steps; pass rtol/atol instead of a constant-step controller`);
    }
    this.jumps = null;
    if (problem.input) {
      checkJumps(problem.input, opts.t0, opts.t1);
      if (solver.kind === 'driver') {
        throw new Error(`solver '${solver.name}' chooses its own steps and cannot stop at the input's jump times; use 'dopri5' (adaptive) or a fixed-step solver`);
      }
      this.jumps = problem.input.jumps;
      if (this.jumps.length) controller = clipToJumps(controller, this.jumps);
    }
    this.controller = controller;
    const dt0Valid = opts.dt0 !== undefined && opts.dt0 > 0 && Number.isFinite(opts.dt0);
    const fixedCount = !controller.needsErrorEstimate && dt0Valid ? fixedStepCount(opts.t0, opts.t1, opts.dt0!) : 0;
    if (opts.maxSteps === undefined && fixedCount > MAX_DEFAULT_STEPS) {
      throw new Error(`dt0 = ${opts.dt0} needs ${fixedCount.toExponential(2)} steps over [${opts.t0}, ${opts.t1}]; use a larger dt0, or pass maxSteps to allow more than ${MAX_DEFAULT_STEPS.toExponential(0)} steps`);
    }
    this.maxSteps = opts.maxSteps ?? (fixedCount > 0 ? (fixedCount + 1) * 4 + 16 : 100_000);
    if (!(Number.isInteger(this.maxSteps) && this.maxSteps > 0)) throw new Error(`maxSteps must be an integer > 0 (got ${opts.maxSteps})`);

    // Noise.
    if (this.sde) {
      const m = problem.diffusion!.brownianDim;
      if (opts.brownian) {
        if (opts.brownian.dim !== m) throw new Error(`the Brownian path has dimension ${opts.brownian.dim} but the diffusion term needs ${m} Brownian motions; build it with dimension ${m}`);
        this.brownian = opts.brownian;
      } else if (opts.seed !== undefined) {
        this.brownian = new BrownianIncrements(m, opts.seed);
      } else {
        throw new Error('an SDE needs a seeded Brownian path: pass seed (fixed-step path) or brownian (e.g. new BrownianTree(dim, t0, t1, seed))');
      }
      if (controller.needsErrorEstimate && !this.brownian.queryable) {
        throw new Error('adaptive SDE steps revisit time; pass a BrownianTree as brownian');
      }
    } else this.brownian = null;

    // Saving.
    const sa = opts.saveAt ?? {};
    if (sa.ts !== undefined) {
      if (sa.ts.length === 0) throw new Error('saveAt.ts is empty; give at least one time in [t0, t1], or omit saveAt.ts to save only the final state');
      for (let i = 0; i < sa.ts.length; i++) {
        const t = sa.ts[i];
        if (!Number.isFinite(t) || t < opts.t0 || t > opts.t1) throw new Error(`saveAt.ts[${i}] = ${t} is outside [t0, t1] = [${opts.t0}, ${opts.t1}]`);
        if (i > 0 && t < sa.ts[i - 1]) throw new Error(`saveAt.ts must be sorted ascending (ts[${i - 1}] = ${sa.ts[i - 1]} > ts[${i}] = ${t})`);
      }
    }
    if (sa.steps !== undefined && !(Number.isInteger(sa.steps) && sa.steps >= 1)) {
      throw new Error(`saveAt.steps must be an integer >= 1 (got ${sa.steps})`);
    }
    this.saveTs = sa.ts ?? null;
    this.saveEvery = sa.steps ?? 0;

    this.reductions = (opts.reductions ?? []).map((spec, k) => {
      const name = spec.name ?? `reductions[${k}]`;
      if (!(Number.isInteger(spec.size) && spec.size >= 1)) throw new Error(`reduction '${name}': size must be an integer >= 1 (got ${spec.size})`);
      if (spec.init !== undefined && spec.init.length !== spec.size) {
        throw new Error(`reduction '${name}': init has ${spec.init.length} entries but size is ${spec.size}; make them equal`);
      }
      if (typeof spec.step !== 'function') throw new Error(`reduction '${name}': step(t0, y0, t1, y1, acc) is missing`);
      const acc = new Float64Array(spec.size);
      if (spec.init) acc.set(spec.init);
      return { spec, acc };
    });

    this.events = (opts.events ?? []).map((spec, k) => {
      const size = spec.size ?? 1;
      if (!(Number.isInteger(size) && size >= 1)) throw new Error(`events[${k}].size must be an integer >= 1 (got ${spec.size})`);
      return { spec, size, gPrev: new Float64Array(size), gNew: new Float64Array(size), gTmp: new Float64Array(size) };
    });

    // Spikes: the schedule holds refractory membranes by wrapping the drift; in event mode its
    // crossings and refractory ends are events.
    this.spikes = null;
    if (opts.spikes) {
      checkSpikeSpec(opts.spikes, n);
      const mode = opts.spikeMode ?? (controller.needsErrorEstimate ? 'event' : 'clock');
      if (mode !== 'clock' && mode !== 'event') throw new Error(`spikeMode must be 'clock' or 'event' (got '${String(mode)}')`);
      if (mode === 'clock' && controller.needsErrorEstimate) {
        throw new Error(`clock-driven spikes need fixed steps; pass dt0 with a fixed-step solver, or spikeMode: 'event' for adaptive steps`);
      }
      const sp = (this.spikes = new SpikeRun(opts.spikes, mode));
      if (this.reductions.length === 0) this.fused = sp.fusedClock(problem, solver.name);
      if (sp.hasRefractory) {
        const inner = problem.drift;
        problem = {
          ...problem,
          drift: drift(n, (t, y, out) => {
            inner.vf(t, y, out);
            sp.hold(out);
          }),
        };
        const d = problem.diffusion;
        if (d) {
          // g has one row per state entry: one column (diagonal, scalar noise) or brownianDim (general)
          const cols = d.shape === 'general' ? d.brownianDim : 1;
          problem = {
            ...problem,
            diffusion: {
              ...d,
              g: (t, y, out) => {
                d.g(t, y, out);
                sp.holdNoise(out, cols);
              },
            },
          };
        }
      }
      if (mode === 'event' && opts.spikes.beforeThreshold && !this.jumps?.length) {
        throw new Error(
          `spike schedule '${opts.spikes.name ?? 'spikes'}': in event mode beforeThreshold runs at the problem's input jump times, and the problem declares none; declare them (odeProblem(f, { input: piecewiseInput(times, enter) })) or use spikeMode 'clock'`,
        );
      }
      if (mode === 'event') {
        const name = opts.spikes.name ?? 'spike';
        this.events.push(this.eventState({ name, size: opts.spikes.size, direction: 'up', condition: (_t, y, out) => sp.crossing(y, out), handle: (t, y, fired) => sp.eventFire(t, y, fired) }));
        if (sp.hasRefractory) {
          this.events.push(this.eventState({ name: `${name}: refractory end`, size: opts.spikes.size, direction: 'up', condition: (t, _y, out) => sp.refractoryEnd(t, out), handle: (_t, _y, fired) => sp.release(fired) }));
        }
      }
    }
    this.problem = problem;
  }

  private get ybuf(): Float64Array {
    return (this.ybufMade ??= new Float64Array(this.n));
  }

  private eventState(spec: EventSpec): EventState {
    const size = spec.size ?? 1;
    return { spec, size, gPrev: new Float64Array(size), gNew: new Float64Array(size), gTmp: new Float64Array(size) };
  }

  /** Tolerance for "the same time": relative to the run's span, never below the resolution of t. */
  private near(a: number, b: number): boolean {
    const rel = 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
    return Math.abs(a - b) <= Math.max(Math.min(rel, 1e-9 * this.span), timeResolution(Math.max(Math.abs(a), Math.abs(b))));
  }

  private save(t: number, y: Float64Array): void {
    const fn = this.opts.saveAt?.fn;
    let v: Float64Array;
    if (fn) {
      const r = fn(t, y);
      v = typeof r === 'number' ? Float64Array.of(r) : Float64Array.from(r);
      if (this.saveSize >= 0 && v.length !== this.saveSize) {
        throw new Error(`saveAt.fn returned ${v.length} values at t = ${t} but ${this.saveSize} before; it must return the same number of values at every save`);
      }
      this.saveSize = v.length;
    } else v = y.slice();
    this.ts.push(t);
    this.ys.push(v);
  }

  /**
   * Saves for requested times before tEnd by interpolation, and (unless `beforeOnly`) at tEnd
   * itself from yEnd.
   */
  private saveRequested(tEnd: number, yEnd: Float64Array, interp: () => Interpolant, beforeOnly = false): void {
    const ts = this.saveTs;
    if (!ts) return;
    while (this.savePtr < ts.length) {
      const t = ts[this.savePtr];
      const atEnd = this.near(t, tEnd);
      if (t > tEnd && !atEnd) break;
      if (atEnd && beforeOnly) break;
      this.savePtr++;
      if (atEnd) this.save(t, yEnd);
      else {
        interp()(t, this.ybuf);
        this.save(t, this.ybuf);
      }
    }
  }

  private evalEvents(t: number, y: Float64Array, into: 'gPrev' | 'gNew'): void {
    for (const e of this.events) {
      const g = e[into];
      e.spec.condition(t, y, g);
      for (let c = 0; c < e.size; c++) {
        if (Number.isNaN(g[c])) {
          throw new Error(`event '${e.spec.name ?? 'event'}': condition component ${c} is NaN at t = ${t}; an event condition must return finite numbers (check the state it reads)`);
        }
      }
    }
  }

  private crosses(dir: EventSpec['direction'], a: number, b: number): boolean {
    const up = a < 0 && b >= 0;
    const down = a > 0 && b <= 0;
    return dir === 'down' ? down : dir === 'either' ? up || down : up;
  }

  private divergedAt(tPrev: number, tNew: number, yNew: Float64Array, what: string): void {
    const bad = firstNonFinite(yNew);
    const { block, index } = locate(this.problem, Math.max(0, bad));
    this.diverged = { t: tNew, block, index, value: yNew[Math.max(0, bad)] };
    this.status = 'diverged';
    this.message = `diverged at t = ${tNew}: block '${block}' entry ${index} became ${yNew[Math.max(0, bad)]}${what} (last finite state at t = ${tPrev})`;
  }

  /**
   * Everything after an accepted step from (tPrev, yPrev) to (tNew, yNew): divergence check,
   * reductions, clock spikes, events, saving, stop test. Returns where the run continues from.
   */
  private afterStep(tPrev: number, yPrev: Float64Array, tNew: number, yNew: Float64Array, makeInterp: () => Interpolant, sum?: number): AfterStep {
    const s = sum ?? stateSum(yNew);
    if (s - s !== 0 && firstNonFinite(yNew) >= 0) {
      this.divergedAt(tPrev, tNew, yNew, '');
      return { t: tPrev, y: yPrev, stop: true, reset: false };
    }
    for (const r of this.reductions) r.spec.step(tPrev, yPrev, tNew, yNew, r.acc);
    let spiked = false;
    if (this.spikes && this.spikes.mode === 'clock') spiked = this.fused ? this.fused.spiked : this.spikes.clockStep(tNew, yNew);
    let interpCache: Interpolant | null = null;
    const interp = () => (interpCache ??= makeInterp());

    // Events: the earliest located crossing in (tPrev, tNew].
    let tEvent = Infinity;
    let firing: { e: EventState; fired: number[] }[] = [];
    if (this.events.length) {
      this.evalEvents(tNew, yNew, 'gNew');
      for (const e of this.events) {
        const tol = e.spec.tol ?? 1e-12 * Math.max(1, Math.abs(tNew));
        for (let c = 0; c < e.size; c++) {
          if (!this.crosses(e.spec.direction, e.gPrev[c], e.gNew[c])) continue;
          const tc = this.locateRoot(e, c, tPrev, tNew, interp(), tol);
          if (tc < tEvent - tol) {
            tEvent = tc;
            firing = [{ e, fired: [c] }];
          } else if (tc <= tEvent + tol) {
            const f = firing.find((x) => x.e === e);
            if (f) f.fired.push(c);
            else firing.push({ e, fired: [c] });
          }
        }
      }
    }

    if (tEvent < Infinity) {
      const yEvent = new Float64Array(this.n);
      if (this.near(tEvent, tNew)) yEvent.set(yNew);
      else interp()(tEvent, yEvent);
      // Saves strictly before the event come from the pre-event trajectory.
      this.saveRequested(tEvent, yEvent, interp, true);
      let stop = false;
      for (const { e, fired } of firing) {
        this.stats.events++;
        const r = e.spec.handle?.(tEvent, yEvent, fired);
        if (r === 'stop') {
          stop = true;
          this.status = 'event';
          this.stopEvent = { t: tEvent, name: e.spec.name ?? 'event', fired };
          this.message = `stopped by event '${this.stopEvent.name}' at t = ${tEvent}`;
        }
      }
      // spikes from outside at an input jump time, after the spikes located at that instant
      if (this.near(tEvent, tNew)) this.externalSpikes(tEvent, yEvent);
      const badE = firstNonFinite(yEvent);
      if (badE >= 0) throw new Error(`an event handler wrote a non-finite value into the state at index ${badE}; handlers must keep the state finite`);
      this.saveRequested(tEvent, yEvent, interp);
      if (this.saveEvery && this.stats.accepted % this.saveEvery === 0) this.save(tEvent, yEvent);
      this.evalEvents(tEvent, yEvent, 'gPrev');
      // A handler that put a component exactly on its surface (g = 0) must see the next crossing:
      // take the side the flow leaves it to, from the condition a little later.
      this.settleOnSurface(tEvent, yEvent);
      if (!stop && this.opts.stopWhen?.(tEvent, yEvent)) stop = this.stopNow(tEvent);
      return { t: tEvent, y: yEvent, stop, reset: true };
    }

    let external = false;
    if (this.externalDue(tNew)) {
      // event mode: spikes from outside at an input jump time change the state at tNew
      this.saveRequested(tNew, yNew, interp, true);
      external = this.externalSpikes(tNew, yNew);
      const bad = firstNonFinite(yNew);
      if (bad >= 0) throw new Error(`the spike schedule's beforeThreshold wrote a non-finite value into the state at index ${bad}; it must keep the state finite`);
    }
    this.saveRequested(tNew, yNew, interp);
    if (this.saveEvery && this.stats.accepted % this.saveEvery === 0) this.save(tNew, yNew);
    if (external) {
      this.evalEvents(tNew, yNew, 'gPrev');
      this.settleOnSurface(tNew, yNew);
    } else for (const e of this.events) e.gPrev.set(e.gNew);
    const stop = this.opts.stopWhen?.(tNew, yNew) ? this.stopNow(tNew) : false;
    return { t: tNew, y: yNew, stop, reset: spiked || external };
  }

  /** Event mode with spikes from outside: is t an input jump time not yet served? */
  private externalDue(t: number): boolean {
    const sp = this.spikes;
    const js = this.jumps;
    if (sp === null || sp.mode !== 'event' || !sp.spec.beforeThreshold || js === null) return false;
    while (this.jumpServed < js.length && js[this.jumpServed] < t && !this.near(js[this.jumpServed], t)) this.jumpServed++;
    return this.jumpServed < js.length && this.near(js[this.jumpServed], t);
  }

  /** Event mode: at an input jump time t, the schedule's spikes from outside and what they fire (once per jump). */
  private externalSpikes(t: number, y: Float64Array): boolean {
    if (!this.externalDue(t)) return false;
    this.jumpServed++;
    this.spikes!.external(t, y);
    return true;
  }

  /**
   * After an event, a condition component exactly 0 would hide the next crossing (a crossing needs
   * a strict sign on one side): give it the sign of the direction the flow moves it, from one
   * explicit Euler probe of the condition (no step is taken).
   */
  private settleOnSurface(t: number, y: Float64Array): void {
    let zero = false;
    for (const e of this.events) for (let c = 0; c < e.size; c++) if (e.gPrev[c] === 0) zero = true;
    if (!zero) return;
    const f = new Float64Array(this.n);
    this.problem.drift.vf(t, y, f);
    this.stats.nfe++;
    const h = 1e-7 * Math.max(this.span, 1e-300);
    const yp = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) yp[i] = y[i] + h * f[i];
    for (const e of this.events) {
      e.spec.condition(t + h, yp, e.gTmp);
      for (let c = 0; c < e.size; c++) {
        if (e.gPrev[c] !== 0) continue;
        const s = e.gTmp[c];
        // Leaving upward: the surface is behind it (negative side); downward: positive side.
        e.gPrev[c] = s > 0 ? -Number.MIN_VALUE : s < 0 ? Number.MIN_VALUE : 0;
      }
    }
  }

  private stopNow(t: number): boolean {
    this.status = 'stopped';
    this.message = `stopped by stopWhen at t = ${t}`;
    return true;
  }

  /** Illinois (modified regula falsi) on component c of event e between tPrev and tNew. */
  private locateRoot(e: EventState, c: number, ta: number, tb: number, interp: Interpolant, tol: number): number {
    let fa = e.gPrev[c];
    let fb = e.gNew[c];
    const start = fa;
    let side = 0;
    for (let it = 0; it < 200 && tb - ta > tol; it++) {
      let tm = (ta * fb - tb * fa) / (fb - fa);
      if (!(tm > ta && tm < tb)) tm = 0.5 * (ta + tb);
      interp(tm, this.ybuf);
      e.spec.condition(tm, this.ybuf, e.gTmp);
      const fm = e.gTmp[c];
      if (Number.isNaN(fm)) throw new Error(`event '${e.spec.name ?? 'event'}': condition component ${c} is NaN at t = ${tm} while locating a crossing; an event condition must return finite numbers`);
      if (this.crosses(e.spec.direction, start, fm) || fm === 0) {
        tb = tm;
        fb = fm;
        if (side === -1) fa *= 0.5;
        side = -1;
      } else {
        ta = tm;
        fa = fm;
        if (side === 1) fb *= 0.5;
        side = 1;
      }
    }
    return tb;
  }

  execute(): Solution {
    const { t0, t1 } = this.opts;
    let t = t0;
    let y = this.stateBuffer();
    y.set(this.opts.y0);
    if (this.saveTs) this.saveRequested(t0, y, () => () => {});
    if (this.saveEvery) this.save(t0, y);
    if (this.events.length) this.evalEvents(t0, y, 'gPrev');
    if (t1 > t0) {
      const r =
        this.solver.kind === 'driver'
          ? this.driveLoop(this.solver, t, y)
          : this.fastPathApplies()
            ? this.fastLoop(this.solver, t, y)
            : this.stepLoop(this.solver, t, y);
      t = r.t;
      y = r.y;
    }
    if (this.stored.some((b) => b.length !== this.n)) {
      throw new Error(`the problem's storage was detached during the solve (a memory that grew while it ran); its allocator must not grow the memory it hands out views of`);
    }
    if (this.status === 'ok') {
      this.message = `reached t1 = ${t1}`;
      const savedFinal = this.ts.length > 0 && this.near(this.ts[this.ts.length - 1], t1);
      if (!this.saveTs && !savedFinal) this.save(t1, y);
    }
    if (this.spikes) this.stats.spikes = this.spikes.count;
    return {
      status: this.status,
      message: this.message,
      t,
      // the loop's own buffer (no one else holds it) unless it is the problem's storage
      y: this.problem.storage === undefined ? y : y.slice(),
      ts: this.ts,
      ys: this.ys,
      reductions: this.reductions.map((r) => r.acc),
      stats: this.stats,
      diverged: this.diverged,
      event: this.stopEvent,
    };
  }

  /**
   * A state-sized buffer of the integration loop: a plain array, or the problem's own storage
   * (checked: n entries, overlapping no other buffer of this run).
   */
  private stateBuffer(): Float64Array {
    const storage = this.problem.storage;
    if (storage === undefined) return new Float64Array(this.n);
    if (typeof storage !== 'function') throw new Error(`problem storage must be a function (n) => Float64Array of n entries (got ${typeof storage})`);
    const b = storage(this.n);
    if (!(b instanceof Float64Array) || b.length !== this.n) {
      throw new Error(`the problem's storage returned ${b instanceof Float64Array ? `a Float64Array of ${b.length} entries` : String(b)}; it must return a Float64Array of exactly ${this.n} entries (the state's size)`);
    }
    for (const o of this.stored) {
      if (o.buffer === b.buffer && o.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < o.byteOffset + o.byteLength) {
        throw new Error(`the problem's storage returned a buffer that overlaps another state buffer of the same solve; it must return a distinct region for each call`);
      }
    }
    this.stored.push(b);
    return b;
  }

  private initialStep(y0: Float64Array): number {
    // Hairer, Nørsett & Wanner I, II.4: h0 = 0.01·‖y0‖/‖f(y0)‖ in the controller's norm.
    const f0 = new Float64Array(this.n);
    this.enterSegment(this.opts.t0);
    this.problem.drift.vf(this.opts.t0, y0, f0);
    this.stats.nfe++;
    const { rtol, atol } = this.controller;
    const d0 = errorNorm(y0, y0, y0, rtol, atol);
    const d1 = errorNorm(y0, y0, f0, rtol, atol);
    const h = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
    return Math.min(h, this.span, this.controller.dtMax);
  }

  /** Tell the input which segment a step starting at t lies in; true when it changed. */
  private enterSegment(t: number): boolean {
    if (!this.jumps) return false;
    const k = segmentAt(this.jumps, t);
    if (k === this.segment) return false;
    this.segment = k;
    this.problem.input!.enter(k, t);
    return true;
  }

  private fastPathApplies(): boolean {
    return (
      !this.controller.needsErrorEstimate &&
      this.events.length === 0 &&
      this.spikes === null &&
      this.saveTs === null &&
      this.saveEvery === 0 &&
      this.opts.stopWhen === undefined
    );
  }

  private startController(y: Float64Array, errorOrder: number): number {
    return this.controller.init({
      t0: this.opts.t0,
      t1: this.opts.t1,
      y0: y,
      dt0: this.opts.dt0,
      errorOrder,
      initialStep: () => this.initialStep(y),
    });
  }

  /** Fixed steps, nothing between them but the Brownian increments (an SDE), the divergence check, the input and the reductions. */
  private fastLoop(solver: StepSolver, tStart: number, yStart: Float64Array): { t: number; y: Float64Array } {
    const { t1 } = this.opts;
    const problem = this.problem;
    const ws = solver.init(problem);
    const dW = this.sde ? new Float64Array(problem.diffusion!.brownianDim) : null;
    const ctrl = this.controller;
    const reds = this.reductions;
    let y: Float64Array = yStart;
    let yNew = this.stateBuffer();
    let t = tStart;
    let tNext = this.startController(y, 1);
    let steps = 0;
    let nfe = 0;
    const max = this.maxSteps;
    const hasInput = this.jumps !== null;
    const hasReductions = reds.length > 0;
    // one buffer updated in place when the solver and the drift allow it and every reduction
    // reads nothing of y0 after the step (DriftTerm.eulerInPlace)
    if (solver.inPlace?.(problem) && reds.every((r) => r.spec.inPlace === true)) yNew = y;
    const inPlace = yNew === y;
    while (t < t1) {
      if (steps >= max) {
        this.stopMaxSteps(t);
        break;
      }
      if (!(tNext > t)) {
        this.stopTooSmall(t, tNext - t);
        break;
      }
      steps++;
      if (hasInput && this.enterSegment(t)) solver.invalidate?.(ws);
      if (dW) this.brownian!.increment(t, tNext, dW);
      const info = solver.step(problem, t, tNext, y, dW, yNew, ws);
      nfe += info.nfe;
      // divergence check: a sum is NaN/±∞ when any entry is (the scan then finds which); the step
      // gives the sum when it computed it while writing the state
      const s = info.sum ?? stateSum(yNew);
      if (s - s !== 0 && firstNonFinite(yNew) >= 0) {
        this.divergedAt(t, tNext, yNew, inPlace ? ' in place (the state returned is this diverged one)' : '');
        if (inPlace) t = tNext;
        break;
      }
      if (hasReductions) for (let r = 0; r < reds.length; r++) reds[r].spec.step(t, y, tNext, yNew, reds[r].acc);
      const next = ctrl.adapt(t, tNext, y, yNew, undefined, 1).tNext;
      if (!inPlace) {
        const tmp = y;
        y = yNew;
        yNew = tmp;
      }
      t = tNext;
      tNext = next;
    }
    this.stats.accepted = steps;
    this.stats.nfe += nfe;
    return { t, y };
  }

  private stopMaxSteps(t: number): void {
    this.status = 'maxSteps';
    this.message = `stopped after maxSteps = ${this.maxSteps} steps at t = ${t} (t1 = ${this.opts.t1}); raise maxSteps or loosen the tolerances`;
  }

  private stopTooSmall(t: number, dt: number, why?: string): void {
    this.status = 'dtMin';
    this.message = why ?? `the step ${dt} at t = ${t} does not advance time (below the resolution of t, relative 2^-52); shift time so that t0 is near 0`;
  }

  private stepLoop(solver: StepSolver, tStart: number, yStart: Float64Array): { t: number; y: Float64Array } {
    const { t1 } = this.opts;
    const n = this.n;
    const problem = this.problem;
    const ws = solver.init(problem);
    let y: Float64Array = yStart;
    let yNew = this.stateBuffer();
    const dW = this.sde ? new Float64Array(problem.diffusion!.brownianDim) : null;
    const errorOrder = solver.errorOrder ?? (typeof solver.order === 'number' ? solver.order - 1 : 1);
    let restepWs: unknown = null;
    const dWp = dW ? new Float64Array(dW.length) : null;
    const ctrl = this.controller;
    let t = tStart;
    let tNext = this.startController(y, errorOrder);
    let steps = 0;
    // The interpolant over the last accepted step (made only when an output or event needs it).
    let tPrev = t;
    let yPrev = y;
    let info: StepInfo = { nfe: 0 };
    let stepEnd = t;
    let yEnd = yNew;
    const canRestep = !this.sde || this.brownian!.queryable;
    const restep: Interpolant = (ts, out) => {
      if (ts <= tPrev) return void out.set(yPrev);
      if (dWp) this.brownian!.increment(tPrev, ts, dWp);
      restepWs ??= solver.init(problem);
      solver.invalidate?.(restepWs);
      this.stats.nfe += solver.step(problem, tPrev, ts, yPrev, dWp, out, restepWs).nfe;
    };
    const linear: Interpolant = (ts, out) => {
      const w = (ts - tPrev) / (stepEnd - tPrev);
      for (let i = 0; i < n; i++) out[i] = (1 - w) * yPrev[i] + w * yEnd[i];
    };
    const makeInterp = (): Interpolant => info.dense ?? (canRestep ? restep : linear);
    let lastNonFinite = false;
    while (t < t1 && !this.near(t, t1)) {
      if (steps >= this.maxSteps) {
        this.stopMaxSteps(t);
        break;
      }
      if (!(tNext > t)) {
        this.stopTooSmall(t, tNext - t);
        break;
      }
      steps++;
      if (this.enterSegment(t)) solver.invalidate?.(ws);
      if (dW) this.brownian!.increment(t, tNext, dW);
      info = this.fused ? this.fused.step(t, tNext, y, dW, yNew) : solver.step(problem, t, tNext, y, dW, yNew, ws);
      this.stats.nfe += info.nfe;
      const r = ctrl.adapt(t, tNext, y, yNew, info.yError, errorOrder);
      if (!r.accept) {
        this.stats.rejected++;
        lastNonFinite = firstNonFinite(yNew) >= 0;
        if (r.tooSmall) {
          if (lastNonFinite) this.divergedAt(t, tNext, yNew, ` (the vector field is not finite there: shrinking the step down to ${r.tNext - t} did not help)`);
          else this.stopTooSmall(t, r.tNext - t, r.tooSmall);
          break;
        }
        tNext = r.tNext;
        continue;
      }
      this.stats.accepted++;
      tPrev = t;
      yPrev = y;
      stepEnd = tNext;
      yEnd = yNew;
      const a = this.afterStep(t, y, tNext, yNew, makeInterp, info.sum);
      if (a.y === yNew) {
        yNew = y; // swap buffers
        y = a.y;
      } else if (a.y !== y) {
        y.set(a.y);
      }
      if (a.reset) solver.invalidate?.(ws);
      const dtWas = tNext - t;
      t = a.t;
      tNext = a.reset && t !== stepEnd ? ctrl.restart(t, dtWas) : r.tNext;
      if (a.stop) break;
      if (r.tooSmall) {
        this.stopTooSmall(t, r.tNext - t, r.tooSmall);
        break;
      }
    }
    return { t, y };
  }

  private driveLoop(solver: DriverSolver, tStart: number, yStart: Float64Array): { t: number; y: Float64Array } {
    const { t1 } = this.opts;
    const n = this.n;
    let t = tStart;
    let y: Float64Array = yStart.slice();
    const yPrev = new Float64Array(n);
    let stepsLeft = this.maxSteps;
    for (;;) {
      yPrev.set(y);
      let restart: { t: number; y: Float64Array } | null = null;
      let stopped = false;
      let lastT = t;
      const res = solver.drive(
        this.problem,
        t,
        t1,
        y,
        { rtol: this.controller.rtol, atol: this.controller.atol, dt0: this.opts.dt0, dtMax: this.controller.dtMax, maxSteps: stepsLeft },
        (tPrev, tNew, yNew, dense) => {
          this.stats.accepted++;
          const tp = tPrev;
          const makeInterp = (): Interpolant =>
            dense ??
            ((ts, out) => {
              const w = (ts - tp) / (tNew - tp);
              for (let i = 0; i < n; i++) out[i] = (1 - w) * yPrev[i] + w * yNew[i];
            });
          const r = this.afterStep(tPrev, yPrev, tNew, yNew, makeInterp);
          lastT = r.t;
          if (r.stop) {
            stopped = true;
            y = r.y.slice();
            return false;
          }
          if (r.reset) {
            restart = { t: r.t, y: r.y.slice() };
            return false;
          }
          yPrev.set(yNew);
          return true;
        },
      );
      this.stats.rejected += res.rejected;
      this.stats.nfe += res.nfe;
      stepsLeft -= res.accepted + res.rejected;
      if (stopped) return { t: lastT, y };
      if (restart) {
        const r: { t: number; y: Float64Array } = restart;
        t = r.t;
        y = r.y;
        if (this.near(t, t1)) return { t, y };
        continue;
      }
      if (res.outcome === 'maxSteps' || (stepsLeft <= 0 && !this.near(lastT, t1))) {
        this.stopMaxSteps(lastT);
        return { t: lastT, y: yPrev.slice() };
      }
      return { t: t1, y: yPrev.slice() };
    }
  }
}
