/**
 * Integrating the linear flows (linear.ts) through `solve` and recording, at every iteration, the
 * error and the correlations of W_i with R_iᵀ.
 *
 * Time is measured in iterations s = t/η (`LinearFlow.iterationProblem`): the paper's iteration
 * y ← y + η f(y) is 'euler' with step 1, and the solver's step (`dt0`) is given in iterations.
 * - 'euler' with step 1 (the default): `solve`'s fixed-step fast path with a reduction that records,
 *   once per step from y_s to y_{s+1}, the error of y_s (from the products the step formed at
 *   y_s) and the correlations of y_{s+1} (from the moments the term's fused Euler update accumulated
 *   while writing it, `LinearFlow.iterationProblem`), so recording every iterate costs no extra pass over the
 *   state.
 * - any other solver or step: `solve` saving at s = 0..steps (adaptive solvers interpolate).
 * Both report divergence (a non-finite state) with the iteration and the state block.
 */
import { solve, type Reduction, type Solution } from '../../src/core/solve';
import { constantStep } from '../../src/core/controller';
import { solvers } from '../../solvers/index';
import type { LinearFlow } from './linear';

export interface Trajectory {
  /** Raw error ‖Y − W_k⋯W_1X‖² at iterations 0..steps (NaN after a divergence). */
  error: Float64Array;
  /** Correlation of W_i with R_iᵀ, per layer i = 1..k, at iterations 0..steps. */
  correlation: Float64Array[];
  /** Iterations completed (steps unless it diverged). */
  completed: number;
  status: 'ok' | 'diverged' | 'failed';
  message: string;
  /** Final state. */
  y: Float64Array;
}

/** The integrator of a linear flow: a registered solver, its step in iterations (default 1) and tolerances. */
export interface IterateSolver {
  solver: string;
  /** Step of a fixed-step solver / first step of an adaptive one, in iterations of η (default 1). */
  dt0?: number;
  rtol?: number;
  atol?: number;
}

export const paperIteration: IterateSolver = { solver: 'euler' };

function emptyTrajectory(flow: LinearFlow, steps: number): Pick<Trajectory, 'error' | 'correlation'> {
  return {
    error: new Float64Array(steps + 1).fill(NaN),
    correlation: Array.from({ length: flow.k }, () => new Float64Array(steps + 1).fill(NaN)),
  };
}

/**
 * Integrate the flow from y0 over `steps` iterations of η with `how` (default: the paper's
 * iteration, Euler with step η), recording the error and the correlations of every iterate.
 * `onStep` is called once per iteration (progress).
 */
export function iterate(flow: LinearFlow, y0: Float64Array, eta: number, steps: number, how: IterateSolver = paperIteration, onStep?: () => void): Trajectory {
  checkStep(eta, steps);
  const solver = solvers.get(how.solver);
  const dt0 = how.dt0 ?? 1;
  if (!(dt0 > 0 && Number.isFinite(dt0))) throw new Error(`the step dt0 must be a finite number > 0 iterations (got ${dt0})`);
  const { error, correlation } = emptyTrajectory(flow, steps);
  const k = flow.k;
  const corr = new Float64Array(k);
  flow.correlations(y0, corr);
  for (let i = 0; i < k; i++) correlation[i][0] = corr[i];
  if (steps === 0) {
    error[0] = flow.error(y0);
    return finish(flow, { error, correlation }, steps, y0, eta, null, how, true);
  }
  const paper = how.solver === 'euler' && dt0 === 1;
  const common = {
    t0: 0,
    t1: steps,
    y0,
    dt0,
    controller: solver.adaptive ? undefined : constantStep(),
    rtol: how.rtol ?? 1e-8,
    atol: how.atol ?? 1e-10,
    maxSteps: Math.max(100_000, Math.ceil(100 * (steps / Math.min(dt0, 1)))),
  };
  let sol: Solution;
  if (paper) {
    // Step s → s + 1: the error of y_s (the step formed E at y_s) and the correlations of y_{s+1}
    // (accumulated by the Euler update that wrote it); computed afresh if the step did not.
    let s = 0;
    const record: Reduction = {
      name: 'error and correlations of every iterate',
      size: 1,
      step(_t0, ya, _t1, yb) {
        error[s] = flow.lastInput === ya ? flow.errorFromLast() : flow.error(ya);
        if (flow.lastUpdate === yb) corr.set(flow.updateCorrelations());
        else flow.momentCorrelations(yb, corr);
        for (let i = 0; i < k; i++) correlation[i][s + 1] = corr[i];
        s++;
        onStep?.();
      },
    };
    sol = solve(flow.iterationProblem(eta), solver, { ...common, reductions: [record] });
    if (sol.status === 'ok') error[steps] = flow.error(sol.y);
  } else {
    let s = 0;
    sol = solve(flow.iterationProblem(eta), solver, {
      ...common,
      saveAt: {
        ts: Array.from({ length: steps + 1 }, (_, i) => i),
        fn: (_t, y) => {
          error[s] = flow.error(y);
          if (s > 0) {
            flow.correlations(y, corr);
            for (let i = 0; i < k; i++) correlation[i][s] = corr[i];
            onStep?.();
          }
          s++;
          return 0;
        },
      },
    });
  }
  return finish(flow, { error, correlation }, steps, sol.y, eta, sol, how, paper);
}

/**
 * The trajectory from the run's end. A divergence (solve stops at the first non-finite state and
 * returns the last finite one): on the paper's iteration that is y_s, whose error is recorded; if
 * it is finite, the next iterate y_{s+1} was not finite and iteration s + 1 is the last one, with
 * its error and correlations NaN. With saving, the last saved iterate is the last one kept.
 */
function finish(flow: LinearFlow, rec: Pick<Trajectory, 'error' | 'correlation'>, steps: number, y: Float64Array, eta: number, sol: Solution | null, how: IterateSolver, paper: boolean): Trajectory {
  if (sol === null || sol.status === 'ok') {
    const message = paper ? `${steps} Euler iterations with η = ${eta}` : `${how.solver}: ${sol?.stats.accepted ?? 0} steps, ${sol?.stats.nfe ?? 0} evaluations`;
    return { ...rec, completed: steps, status: 'ok', message, y };
  }
  const saved = Math.max(0, sol.ts.length - 1);
  if (sol.status !== 'diverged') return { ...rec, completed: paper ? Math.floor(sol.t) : saved, status: 'failed', message: sol.message, y };
  const d = sol.diverged;
  const where = d ? ` (block '${d.block}' entry ${d.index} is ${d.value})` : '';
  const lower = 'lower the step (--eta or --step-scale)';
  if (!paper) return { ...rec, completed: saved, status: 'diverged', message: `diverged at iteration ${Math.ceil(d?.t ?? sol.t)}${where} with η = ${eta} (${how.solver}); ${lower}`, y };
  // The last finite state is at iteration s (steps of one iteration: sol.t = s exactly).
  const s = sol.t;
  const e = flow.error(y);
  rec.error[s] = e;
  let completed = s;
  if (Number.isFinite(e) && s < steps) {
    completed = s + 1;
    rec.error[completed] = NaN;
    for (const c of rec.correlation) c[completed] = NaN;
  }
  return { ...rec, completed, status: 'diverged', message: `diverged at iteration ${completed}${where} with η = ${eta}; ${lower}`, y };
}

function checkStep(eta: number, steps: number): void {
  if (!(eta > 0 && Number.isFinite(eta))) throw new Error(`the step η must be a finite number > 0 (got ${eta})`);
  if (!(Number.isInteger(steps) && steps >= 0)) throw new Error(`steps must be an integer >= 0 (got ${steps})`);
}

/** First iteration at which the relative error is below `level` (−1 if never). */
export function iterationsTo(relError: ArrayLike<number>, level: number): number {
  for (let s = 0; s < relError.length; s++) if (relError[s] < level) return s;
  return -1;
}
