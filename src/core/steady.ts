/**
 * Steady state: integrate until the scaled rate of change falls below a tolerance, or a time limit
 * is hit, and say which.
 *
 * The residual is r(t, y) = max_i τ_i |f_i(t, y)| / max(1, |y_i|), where τ_i is the time constant
 * of component i's block (1 without a layout): τ·dy/dt has the units of y, so a fast block and a
 * slow block are judged on the same scale, relative to the size of the state.
 */
import { solve, type Solution, type SolveOptions } from './solve';
import type { Solver } from './solver';
import type { Problem } from './terms';

export interface SteadyStateOptions extends Omit<SolveOptions, 't1' | 'stopWhen' | 'saveAt'> {
  /** Give up at this time. */
  tMax: number;
  /** Residual tolerance (default 1e-8). */
  tol?: number;
  /** Test the residual every n-th accepted step (default 1); each test costs one vector-field evaluation. */
  checkEvery?: number;
}

export interface SteadyStateResult {
  /** 'converged': residual below tol; 'timeLimit': tMax reached first; otherwise the solve status. */
  reason: 'converged' | 'timeLimit' | 'maxSteps' | 'dtMin' | 'diverged' | 'event';
  y: Float64Array;
  t: number;
  residual: number;
  solution: Solution;
}

export function steadyStateResidual(problem: Problem, t: number, y: Float64Array, f: Float64Array, taus?: Float64Array): number {
  problem.drift.vf(t, y, f);
  let r = 0;
  for (let i = 0; i < y.length; i++) {
    const v = ((taus ? taus[i] : 1) * Math.abs(f[i])) / Math.max(1, Math.abs(y[i]));
    if (!(v <= r)) r = v;
  }
  return r;
}

export function steadyState(problem: Problem, solver: Solver | string, opts: SteadyStateOptions): SteadyStateResult {
  const tol = opts.tol ?? 1e-8;
  if (!(tol > 0)) throw new Error(`steady-state tol must be > 0 (got ${tol})`);
  if (problem.diffusion) throw new Error('steadyState needs a deterministic problem (an SDE has no steady state in this sense); drop the diffusion term');
  const every = opts.checkEvery ?? 1;
  if (!(Number.isInteger(every) && every >= 1)) throw new Error(`checkEvery must be an integer >= 1 (got ${opts.checkEvery})`);
  const f = new Float64Array(problem.dim);
  const taus = problem.layout?.taus();
  let residual = Infinity;
  let step = 0;
  const { tol: _tol, checkEvery: _every, tMax, ...solveOpts } = opts;
  const solution = solve(problem, solver, {
    ...solveOpts,
    t1: tMax,
    stopWhen: (t, y) => {
      if (++step % every !== 0) return false;
      residual = steadyStateResidual(problem, t, y, f, taus);
      return residual < tol;
    },
  });
  if (solution.status === 'ok' || solution.status === 'stopped') {
    residual = steadyStateResidual(problem, solution.t, solution.y, f, taus);
  }
  const reason =
    solution.status === 'stopped' ? 'converged' : solution.status === 'ok' ? (residual < tol ? 'converged' : 'timeLimit') : solution.status;
  return { reason, y: solution.y, t: solution.t, residual, solution };
}
