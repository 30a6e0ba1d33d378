/**
 * `solve`: the one entry point.
 *
 * ```ts
 * const sol = solve(problem, 'dopri5', { t0: 0, t1: 10, y0, saveAt: { ts }, rtol: 1e-8 });
 * ```
 *
 * Each concern is its own object: the problem's terms own the maths, the solver takes one step,
 * the controller chooses the steps, `saveAt` says what is kept, the Brownian path gives the noise,
 * events interrupt the flow. Per accepted step the order is fixed: integrate, check for divergence,
 * detect and locate events, save, handle the earliest event (which may change the state), then
 * continue from the event time.
 *
 * Output at requested times comes from interpolation, never from forcing extra steps: the solver's
 * dense output when it has one; otherwise, for an ODE, a re-step of the same method from the start
 * of the step (accurate to the method's order); for an SDE, a re-step on the same Brownian path when
 * the path is queryable (BrownianTree), else linear interpolation.
 */
import { BrownianIncrements, type BrownianPath } from './brownian';
import { constantStep, errorNorm, piController, type StepController } from './controller';
import type { DriverSolver, Interpolant, Solver, StepSolver } from './solver';
import type { Problem } from './terms';
import { solvers } from '../../solvers/index';

export type Status = 'ok' | 'maxSteps' | 'dtMin' | 'event' | 'diverged' | 'stopped';

export interface SaveAt {
  /** Save at these times (sorted, within [t0, t1]), by interpolation. */
  ts?: readonly number[];
  /** Save the initial state and every n-th accepted step (and the final state). */
  steps?: number;
  /** What to keep from a state (default: a copy of the whole state), e.g. only the weight blocks. */
  fn?: (t: number, y: Float64Array) => Float64Array | readonly number[] | number;
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
  /** Time and state where the run ended (for 'diverged': the last finite state). */
  t: number;
  y: Float64Array;
  ts: number[];
  ys: Float64Array[];
  stats: { accepted: number; rejected: number; nfe: number; events: number };
  diverged?: Divergence;
  /** The event that stopped the run, for status 'event'. */
  event?: { t: number; name: string; fired: number[] };
}

export class SolveError extends Error {
  constructor(message: string, readonly solution?: Solution) {
    super(message);
    this.name = 'SolveError';
  }
}

export function solve(problem: Problem, solverOrName: Solver | string, opts: SolveOptions): Solution {
  const solver = typeof solverOrName === 'string' ? solvers.get(solverOrName) : solverOrName;
  const run = new Run(problem, solver, opts);
  const sol = run.execute();
  if (opts.throwOnFailure && (sol.status === 'maxSteps' || sol.status === 'dtMin' || sol.status === 'diverged')) {
    throw new SolveError(sol.message, sol);
  }
  return sol;
}

function checkSolverFits(problem: Problem, solver: Solver): void {
  const sde = problem.diffusion !== undefined;
  if (sde && !solver.sde) {
    const sdeSolvers = solvers.names().filter((n) => solvers.get(n).sde !== null);
    throw new Error(`solver '${solver.name}' handles ODEs only but the problem has a diffusion term; choose an SDE solver: ${sdeSolvers.join(', ')}`);
  }
  if (!sde && !solver.ode) throw new Error(`solver '${solver.name}' handles SDEs only but the problem has no diffusion term`);
  if (sde && solver.sde) {
    const noise = problem.diffusion!.noise;
    if (!solver.sde.noise.includes(noise)) {
      const why =
        solver.sde.calculus === 'stratonovich'
          ? ` (it converges to the Stratonovich solution, which differs from the Itô solution when the noise depends on the state)`
          : '';
      throw new Error(`solver '${solver.name}' does not handle ${noise} noise${why}; use 'euler_maruyama' or make the noise additive`);
    }
  }
}

function validateTimes(opts: SolveOptions): void {
  const { t0, t1 } = opts;
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) throw new Error(`t0 and t1 must be finite numbers (got t0 = ${t0}, t1 = ${t1})`);
  if (t1 < t0) throw new Error(`t1 (${t1}) is before t0 (${t0}); integration runs forward in time: pass t1 >= t0`);
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

class Run {
  private readonly n: number;
  private readonly sde: boolean;
  private readonly controller: StepController;
  private readonly brownian: BrownianPath | null;
  private readonly maxSteps: number;
  private readonly saveTs: readonly number[] | null;
  private savePtr = 0;
  private readonly saveEvery: number;
  private readonly events: EventState[];
  private readonly ts: number[] = [];
  private readonly ys: Float64Array[] = [];
  private status: Status = 'ok';
  private message = '';
  private diverged?: Divergence;
  private stopEvent?: { t: number; name: string; fired: number[] };
  private stats = { accepted: 0, rejected: 0, nfe: 0, events: 0 };
  private readonly ybuf: Float64Array;

  constructor(
    private readonly problem: Problem,
    private readonly solver: Solver,
    private readonly opts: SolveOptions,
  ) {
    validateTimes(opts);
    const n = (this.n = problem.dim);
    if (!opts.y0 || opts.y0.length !== n) {
      const where = problem.layout ? ` (layout ${problem.layout.describe()})` : '';
      throw new Error(`y0 has ${opts.y0?.length ?? 0} entries but the problem's state has ${n}${where}; pass a y0 of length ${n}`);
    }
    const bad = firstNonFinite(opts.y0);
    if (bad >= 0) {
      const { block, index } = locate(problem, bad);
      throw new Error(`y0 has a non-finite value (${opts.y0[bad]}) at index ${bad} (block '${block}', entry ${index}); the initial state must be finite`);
    }
    checkSolverFits(problem, solver);
    this.sde = problem.diffusion !== undefined;

    // Step-size control.
    if (opts.controller) this.controller = opts.controller;
    else if (solver.adaptive) this.controller = piController({ rtol: opts.rtol, atol: opts.atol, dtMin: opts.dtMin, dtMax: opts.dtMax });
    else this.controller = constantStep();
    if (this.controller.kind === 'pi' && !solver.adaptive) {
      throw new Error(`solver '${solver.name}' has no error estimate, so it cannot take adaptive steps; use a constant step (dt0) or an adaptive solver such as 'dopri5'`);
    }
    if (solver.kind === 'driver' && this.controller.kind !== 'pi') {
      throw new Error(`solver '${solver.name}' chooses its own steps; pass rtol/atol instead of a constant-step controller`);
    }
    if (this.controller.kind === 'constant') {
      if (opts.dt0 === undefined || !(opts.dt0 > 0) || !Number.isFinite(opts.dt0)) {
        throw new Error(`dt0 must be > 0 for a fixed-step solver (got ${opts.dt0}); pass dt0 or choose an adaptive solver such as 'dopri5'`);
      }
    } else if (opts.dt0 !== undefined && !(opts.dt0 > 0)) {
      throw new Error(`dt0 must be > 0 when given (got ${opts.dt0}); omit it to let the controller choose the first step`);
    }
    const defaultMax = this.controller.kind === 'constant' ? Math.ceil((opts.t1 - opts.t0) / opts.dt0! + 1) * 4 + 16 : 100_000;
    this.maxSteps = opts.maxSteps ?? defaultMax;
    if (!(this.maxSteps > 0)) throw new Error(`maxSteps must be > 0 (got ${opts.maxSteps})`);

    // Noise.
    if (this.sde) {
      if (opts.brownian) {
        if (opts.brownian.dim !== n) throw new Error(`the Brownian path has dimension ${opts.brownian.dim} but the state has ${n}; build it with dimension ${n}`);
        this.brownian = opts.brownian;
      } else if (opts.seed !== undefined) {
        this.brownian = new BrownianIncrements(n, opts.seed);
      } else {
        throw new Error('an SDE needs a seeded Brownian path: pass seed (fixed-step path) or brownian (e.g. new BrownianTree(dim, t0, t1, seed))');
      }
      if (this.controller.kind !== 'constant' && !this.brownian.queryable) {
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

    this.events = (opts.events ?? []).map((spec, k) => {
      const size = spec.size ?? 1;
      if (!(Number.isInteger(size) && size >= 1)) throw new Error(`events[${k}].size must be an integer >= 1 (got ${spec.size})`);
      return { spec, size, gPrev: new Float64Array(size), gNew: new Float64Array(size), gTmp: new Float64Array(size) };
    });
    this.ybuf = new Float64Array(n);
  }

  private save(t: number, y: Float64Array): void {
    const fn = this.opts.saveAt?.fn;
    let v: Float64Array;
    if (fn) {
      const r = fn(t, y);
      v = typeof r === 'number' ? Float64Array.of(r) : Float64Array.from(r);
    } else v = y.slice();
    this.ts.push(t);
    this.ys.push(v);
  }

  private near(a: number, b: number): boolean {
    return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
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
    for (const e of this.events) e.spec.condition(t, y, e[into]);
  }

  private crosses(dir: EventSpec['direction'], a: number, b: number): boolean {
    const up = a < 0 && b >= 0;
    const down = a > 0 && b <= 0;
    return dir === 'down' ? down : dir === 'either' ? up || down : up;
  }

  /**
   * Everything after an accepted step from (tPrev, yPrev) to (tNew, yNew): divergence check,
   * events, saving, stop test. Returns where the run continues from.
   */
  private afterStep(
    tPrev: number,
    yPrev: Float64Array,
    tNew: number,
    yNew: Float64Array,
    makeInterp: () => Interpolant,
  ): { t: number; y: Float64Array; stop: boolean; reset: boolean } {
    const bad = firstNonFinite(yNew);
    if (bad >= 0) {
      const { block, index } = locate(this.problem, bad);
      this.diverged = { t: tNew, block, index, value: yNew[bad] };
      this.status = 'diverged';
      this.message = `diverged at t = ${tNew}: block '${block}' entry ${index} became ${yNew[bad]} (last finite state at t = ${tPrev})`;
      return { t: tPrev, y: yPrev, stop: true, reset: false };
    }
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
      const badE = firstNonFinite(yEvent);
      if (badE >= 0) throw new Error(`an event handler wrote a non-finite value into the state at index ${badE}; handlers must keep the state finite`);
      this.saveRequested(tEvent, yEvent, interp);
      if (this.saveEvery && this.stats.accepted % this.saveEvery === 0) this.save(tEvent, yEvent);
      this.evalEvents(tEvent, yEvent, 'gPrev');
      if (!stop && this.opts.stopWhen?.(tEvent, yEvent)) stop = this.stopNow(tEvent);
      return { t: tEvent, y: yEvent, stop, reset: true };
    }

    this.saveRequested(tNew, yNew, interp);
    if (this.saveEvery && this.stats.accepted % this.saveEvery === 0) this.save(tNew, yNew);
    for (const e of this.events) e.gPrev.set(e.gNew);
    const stop = this.opts.stopWhen?.(tNew, yNew) ? this.stopNow(tNew) : false;
    return { t: tNew, y: yNew, stop, reset: false };
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
    let side = 0;
    for (let it = 0; it < 200 && tb - ta > tol; it++) {
      let tm = (ta * fb - tb * fa) / (fb - fa);
      if (!(tm > ta && tm < tb)) tm = 0.5 * (ta + tb);
      interp(tm, this.ybuf);
      e.spec.condition(tm, this.ybuf, e.gTmp);
      const fm = e.gTmp[c];
      if (this.crosses(e.spec.direction, e.gPrev[c], fm) || fm === 0) {
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

  private finalMessage(): void {
    if (this.status === 'ok') this.message = `reached t1 = ${this.opts.t1}`;
  }

  execute(): Solution {
    const { t0, t1 } = this.opts;
    let t = t0;
    let y: Float64Array = Float64Array.from(this.opts.y0);
    if (this.saveTs) this.saveRequested(t0, y, () => () => {});
    if (this.saveEvery) this.save(t0, y);
    this.evalEvents(t0, y, 'gPrev');
    this.controller.reset();
    if (t1 > t0) {
      const r = this.solver.kind === 'driver' ? this.driveLoop(this.solver, t, y) : this.stepLoop(this.solver, t, y);
      t = r.t;
      y = r.y;
    }
    this.finalMessage();
    if (this.status === 'ok') {
      const savedFinal = this.ts.length > 0 && this.near(this.ts[this.ts.length - 1], t1);
      if (!this.saveTs && !savedFinal) this.save(t1, y);
    }
    return {
      status: this.status,
      message: this.message,
      t,
      y: y.slice(),
      ts: this.ts,
      ys: this.ys,
      stats: this.stats,
      diverged: this.diverged,
      event: this.stopEvent,
    };
  }

  private initialStep(y0: Float64Array): number {
    // Hairer, Nørsett & Wanner I, II.4: h0 = 0.01·‖y0‖/‖f(y0)‖ in the controller's norm.
    const f0 = new Float64Array(this.n);
    this.problem.drift.vf(this.opts.t0, y0, f0);
    this.stats.nfe++;
    const { rtol, atol } = this.controller;
    const d0 = errorNorm(y0, y0, y0, rtol, atol);
    const d1 = errorNorm(y0, y0, f0, rtol, atol);
    const h = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
    return Math.min(h, this.opts.t1 - this.opts.t0, this.controller.dtMax);
  }

  private stepLoop(solver: StepSolver, t: number, yStart: Float64Array): { t: number; y: Float64Array } {
    const { t0, t1 } = this.opts;
    const n = this.n;
    const ws = solver.init(this.problem);
    let y: Float64Array = yStart;
    let yNew: Float64Array = new Float64Array(n);
    const dW = this.sde ? new Float64Array(n) : null;
    const fixed = this.controller.kind === 'constant';
    const dtFixed = this.opts.dt0 ?? 0;
    let dt = fixed ? dtFixed : (this.opts.dt0 ?? this.initialStep(y));
    const errorOrder = solver.errorOrder ?? (typeof solver.order === 'number' ? solver.order - 1 : 1);
    let restepWs: unknown = null;
    const dWp = dW ? new Float64Array(n) : null;
    const eps = 1e-10;
    let steps = 0;
    while (t < t1 && !this.near(t, t1)) {
      if (steps >= this.maxSteps) {
        this.status = 'maxSteps';
        this.message = `stopped after maxSteps = ${this.maxSteps} steps at t = ${t} (t1 = ${t1}); raise maxSteps or loosen the tolerances`;
        break;
      }
      steps++;
      let tNext: number;
      if (fixed) {
        // Stay on the grid t0 + k·dt even after an event cut a step short.
        const k = Math.floor((t - t0) / dtFixed + eps) + 1;
        tNext = t0 + k * dtFixed;
      } else tNext = t + dt;
      if (tNext > t1 || t1 - tNext <= eps * dt) tNext = t1;
      if (dW) this.brownian!.increment(t, tNext, dW);
      const info = solver.step(this.problem, t, tNext, y, dW, yNew, ws);
      this.stats.nfe += info.nfe;
      const { accept, dtNext } = this.controller.adapt(t, tNext, y, yNew, info.yError, errorOrder);
      if (!accept) {
        this.stats.rejected++;
        if (dtNext < this.controller.dtMin || dtNext <= 1e-14 * Math.max(1, Math.abs(t))) {
          this.status = 'dtMin';
          this.message = `step size fell to ${dtNext} (below dtMin = ${this.controller.dtMin}) at t = ${t}; the problem may be stiff or diverging`;
          break;
        }
        dt = dtNext;
        continue;
      }
      this.stats.accepted++;
      const yPrev = y;
      const tPrev = t;
      const stepInfo = info;
      const makeInterp = (): Interpolant => {
        if (stepInfo.dense) return stepInfo.dense;
        const canRestep = !this.sde || this.brownian!.queryable;
        if (canRestep) {
          return (ts, out) => {
            if (ts <= tPrev) return void out.set(yPrev);
            if (dWp) this.brownian!.increment(tPrev, ts, dWp);
            restepWs ??= solver.init(this.problem);
            const r = solver.step(this.problem, tPrev, ts, yPrev, dWp, out, restepWs);
            this.stats.nfe += r.nfe;
          };
        }
        return (ts, out) => {
          const w = (ts - tPrev) / (tNext - tPrev);
          for (let i = 0; i < n; i++) out[i] = (1 - w) * yPrev[i] + w * yNew[i];
        };
      };
      const r = this.afterStep(tPrev, yPrev, tNext, yNew, makeInterp);
      if (r.y === yNew) {
        yNew = yPrev; // swap buffers
        y = r.y;
      } else if (r.y !== yPrev) {
        y.set(r.y);
      }
      t = r.t;
      if (!fixed) dt = r.reset ? dt : dtNext;
      if (!fixed && dt < this.controller.dtMin) {
        this.status = 'dtMin';
        this.message = `step size fell to ${dt} (below dtMin = ${this.controller.dtMin}) at t = ${t}`;
        break;
      }
      if (r.stop) break;
    }
    return { t, y };
  }

  private driveLoop(solver: DriverSolver, t: number, yStart: Float64Array): { t: number; y: Float64Array } {
    const { t1 } = this.opts;
    const n = this.n;
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
      if (res.outcome === 'maxSteps' || stepsLeft <= 0 && !this.near(lastT, t1)) {
        this.status = 'maxSteps';
        this.message = `stopped after maxSteps = ${this.maxSteps} steps at t = ${lastT} (t1 = ${t1}); raise maxSteps or loosen the tolerances`;
        return { t: lastT, y: yPrev.slice() };
      }
      return { t: t1, y: yPrev.slice() };
    }
  }
}
