/**
 * Integrating the linear flows (linear.ts) and recording, at every iteration, the error and the
 * correlations of W_i with R_iᵀ.
 *
 * Two paths, same mathematics:
 * - `iterateEuler`: forward Euler with step η written directly on the flow's kernels (the paper's
 *   "iteration": y ← y + η f(y)). The error of iterate s is read from the products the vector field
 *   already formed at y_s, so recording it every step costs nothing extra.
 * - `iterateWithSolver`: any registered solver through `solve`, saving at t = s·η (s = 0..steps),
 *   so 'rk4' or 'dopri5' can be compared with Euler on the same time grid.
 * Both report divergence (a non-finite state) with the iteration and the state block.
 */
import { solve } from '../../src/core/solve';
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

function emptyTrajectory(flow: LinearFlow, steps: number): Pick<Trajectory, 'error' | 'correlation'> {
  return {
    error: new Float64Array(steps + 1).fill(NaN),
    correlation: Array.from({ length: flow.k }, () => new Float64Array(steps + 1).fill(NaN)),
  };
}

function firstNonFinite(y: Float64Array): number {
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i])) return i;
  return -1;
}

/** Forward Euler y ← y + η f(y) for `steps` iterations from y0, recording every iterate. */
export function iterateEuler(flow: LinearFlow, y0: Float64Array, eta: number, steps: number, onStep?: (s: number) => void): Trajectory {
  checkStep(eta, steps);
  const { error, correlation } = emptyTrajectory(flow, steps);
  const y = y0.slice();
  const corr = new Float64Array(flow.k);
  const k = flow.k;
  flow.correlations(y, corr);
  for (let s = 0; s <= steps; s++) {
    // The step reads E at y_s (lastError) and leaves the correlations of y_{s+1} in corr.
    for (let i = 0; i < k; i++) correlation[i][s] = corr[i];
    if (s < steps) flow.eulerStep(y, eta, corr);
    else flow.computeError(y);
    const e = flow.errorFromLast();
    error[s] = e;
    if (!Number.isFinite(e)) {
      return { error, correlation, completed: s, status: 'diverged', message: divergenceMessage(flow, y, s, eta), y };
    }
    onStep?.(s);
  }
  return { error, correlation, completed: steps, status: 'ok', message: `${steps} Euler iterations with η = ${eta}`, y };
}

/**
 * Any registered solver from t = 0 to steps·η, saving at t = s·η. Fixed-step solvers take step η;
 * adaptive ones choose their own steps (rtol/atol) and interpolate at the saved times.
 */
export function iterateWithSolver(
  flow: LinearFlow,
  y0: Float64Array,
  eta: number,
  steps: number,
  solverName: string,
  tol: { rtol?: number; atol?: number } = {},
): Trajectory {
  checkStep(eta, steps);
  const solver = solvers.get(solverName);
  const { error, correlation } = emptyTrajectory(flow, steps);
  const ts = Array.from({ length: steps + 1 }, (_, s) => s * eta);
  const corr = new Float64Array(flow.k);
  const k = flow.k;
  let s = 0;
  const sol = solve(flow.problem, solver, {
    t0: 0,
    t1: steps * eta,
    y0,
    dt0: eta,
    controller: solver.adaptive ? undefined : constantStep(),
    rtol: tol.rtol ?? 1e-8,
    atol: tol.atol ?? 1e-10,
    maxSteps: Math.max(100_000, 100 * steps),
    saveAt: {
      ts,
      fn: (_t, y) => {
        error[s] = flow.error(y);
        flow.correlations(y, corr);
        for (let i = 0; i < k; i++) correlation[i][s] = corr[i];
        s++;
        return 0;
      },
    },
  });
  if (sol.status === 'diverged') {
    const it = sol.diverged ? Math.ceil(sol.diverged.t / eta) : s;
    return { error, correlation, completed: Math.max(0, s - 1), status: 'diverged', message: `diverged at iteration ${it} (t = ${sol.diverged?.t}): ${sol.message}; lower the step`, y: sol.y };
  }
  if (sol.status !== 'ok') return { error, correlation, completed: Math.max(0, s - 1), status: 'failed', message: sol.message, y: sol.y };
  return { error, correlation, completed: steps, status: 'ok', message: `${solverName}: ${sol.stats.accepted} steps, ${sol.stats.nfe} evaluations`, y: sol.y };
}

function checkStep(eta: number, steps: number): void {
  if (!(eta > 0 && Number.isFinite(eta))) throw new Error(`the step η must be a finite number > 0 (got ${eta})`);
  if (!(Number.isInteger(steps) && steps >= 0)) throw new Error(`steps must be an integer >= 0 (got ${steps})`);
}

function divergenceMessage(flow: LinearFlow, y: Float64Array, s: number, eta: number): string {
  const bad = firstNonFinite(y);
  const where = bad >= 0 ? (() => {
    const { block, index } = flow.layout.blockAt(bad);
    return ` (block '${block.name}' entry ${index} is ${y[bad]})`;
  })() : '';
  return `diverged at iteration ${s}${where} with η = ${eta}; lower the step (--eta or --step-scale)`;
}

/** First iteration at which the relative error is below `level` (−1 if never). */
export function iterationsTo(relError: ArrayLike<number>, level: number): number {
  for (let s = 0; s < relError.length; s++) if (relError[s] < level) return s;
  return -1;
}
