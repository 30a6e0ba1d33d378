/**
 * The solver interface. A solver is pure: it takes one step and owns no loop, saves nothing and
 * chooses no step size. What it is, it declares as data (order, strong/weak order, whether it has
 * an error estimate, which SDEs it handles), and `solve` checks that against the problem.
 *
 * A solver may keep scratch memory in its workspace `W` (allocated once by `init`), so a step does
 * not allocate.
 */
import type { NoiseKind, Problem } from './terms';

/** Interpolant over the last step: out ← y(t) for t in [t0, t1]. Valid until the next step. */
export type Interpolant = (t: number, out: Float64Array) => void;

export interface StepInfo {
  /**
   * Vector-field (drift) evaluations used, including diffusion evaluations. A solver may return
   * the same StepInfo object from every step (kept in its workspace), so a step does not allocate.
   */
  nfe: number;
  /** Local error estimate (adaptive solvers), written in the workspace. */
  yError?: Float64Array;
  /** Dense output over the step, when the solver provides it. */
  dense?: Interpolant;
  /**
   * The sum of the new state's entries, when the step computed it in the pass that wrote them:
   * `solve` then checks for divergence from it (NaN or ±∞ iff an entry may be non-finite) instead
   * of scanning the state again. A solver that does not compute it leaves it undefined.
   */
  sum?: number;
}

/**
 * Σ y[0..n) in four partial sums (the additions do not wait on each other): the divergence check
 * of `solve` and `StepInfo.sum`. NaN or ±∞ when an entry is, or when finite entries overflow.
 */
export function stateSum(y: Float64Array, n = y.length): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += y[i];
    s1 += y[i + 1];
    s2 += y[i + 2];
    s3 += y[i + 3];
  }
  for (; i < n; i++) s0 += y[i];
  return s0 + s1 + s2 + s3;
}

/**
 * out[i] = base[i] + c·k[i] for i < n (out may be base itself), returning Σ out in four partial
 * sums as `stateSum`: an Euler-type update and its divergence check in one pass over the state.
 */
export function addScaledSum(out: Float64Array, base: Float64Array, c: number, k: Float64Array, n = out.length): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = base[i] + c * k[i];
    const b = base[i + 1] + c * k[i + 1];
    const d = base[i + 2] + c * k[i + 2];
    const e = base[i + 3] + c * k[i + 3];
    out[i] = a;
    out[i + 1] = b;
    out[i + 2] = d;
    out[i + 3] = e;
    s0 += a;
    s1 += b;
    s2 += d;
    s3 += e;
  }
  for (; i < n; i++) s0 += out[i] = base[i] + c * k[i];
  return s0 + s1 + s2 + s3;
}

export interface SdeSupport {
  /** The calculus the scheme converges to. */
  readonly calculus: 'ito' | 'stratonovich';
  /**
   * The noise kinds it handles (shape and state dependence, see terms.ts); its strong and weak
   * orders are measured for each of them by the core's checks.
   */
  readonly noise: readonly NoiseKind[];
  /** Strong order per noise kind where it differs from `strongOrder` (e.g. 1 for additive noise). */
  readonly strongOrderFor?: Partial<Record<NoiseKind, number>>;
}

export interface SolverTraits {
  readonly name: string;
  readonly description: string;
  /** Deterministic order of convergence ('variable' for extrapolation methods). */
  readonly order: number | 'variable';
  /** Strong and weak order for SDEs (with the noise kinds in `sde`). */
  readonly strongOrder?: number;
  readonly weakOrder?: number;
  /** Provides a local error estimate, so a PI controller can choose its steps. */
  readonly adaptive: boolean;
  /** Order of the embedded (lower-order) solution in the error estimate; the controller exponent uses it. */
  readonly errorOrder?: number;
  /** Handles problems without noise. */
  readonly ode: boolean;
  /** Handles SDEs (null: ODE only). */
  readonly sde: SdeSupport | null;
  /** Provides dense output over a step. */
  readonly dense: boolean;
}

/** A one-step method. */
export interface StepSolver<W = unknown> extends SolverTraits {
  readonly kind: 'step';
  init(problem: Problem): W;
  /**
   * One step from (t0, y0) to t1: writes y1. `dW` is the Brownian increment over [t0, t1] for an
   * SDE (null for an ODE). `y1` never aliases `y0`, except where `inPlace(problem)` allows it.
   */
  step(problem: Problem, t0: number, t1: number, y0: Float64Array, dW: Float64Array | null, y1: Float64Array, ws: W): StepInfo;
  /**
   * Optional: whether `step` may be given y1 === y0 for this problem (Euler, when the drift's fused
   * update runs in place: `DriftTerm.eulerInPlace`). `solve` uses it on its fixed-step fast path.
   */
  inPlace?(problem: Problem): boolean;
  /**
   * Forget evaluations cached between steps (first-same-as-last): `solve` calls it when the state
   * or the vector field changed between two steps (an event reset the state, an input jumped).
   */
  invalidate?(ws: W): void;
}

/** Options a loop-owning (driver) solver receives from `solve`. */
export interface DriveOptions {
  rtol: number;
  atol: number;
  dt0?: number;
  dtMax?: number;
  maxSteps: number;
}

export interface DriveResult {
  accepted: number;
  rejected: number;
  nfe: number;
  /** 'halted': `onStep` returned false; 'maxSteps': step budget spent. */
  outcome: 'done' | 'halted' | 'maxSteps';
}

/**
 * A solver from a library that owns its integration loop (the odex adapter). `solve` hands it the
 * interval and receives every accepted step through `onStep`, where saving, events and divergence
 * checks are done exactly as for step solvers. Returning false from `onStep` halts it.
 */
export interface DriverSolver extends SolverTraits {
  readonly kind: 'driver';
  drive(
    problem: Problem,
    t0: number,
    t1: number,
    y0: Float64Array,
    opts: DriveOptions,
    onStep: (tPrev: number, t: number, y: Float64Array, dense: Interpolant | undefined) => boolean,
  ): DriveResult;
}

export type Solver = StepSolver<any> | DriverSolver;
