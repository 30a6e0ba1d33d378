/**
 * The decoupled scalar systems of Amit, Appendix 2: one mode of the linear flows when T, R(0) share
 * singular vectors and W(0) = 0.
 *
 *   k = 2 (eq. 10):  λ̇_2 = e λ_1,   λ̇_1 = (λ_R + ελ_2) e,               e = λ_T − λ_2λ_1
 *   k layers (eq. 15): λ̇_i = Π_{j>i}(λ_{R,j} + ελ_j) · e · Π_{j<i} λ_j,  e = λ_T − Π_j λ_j
 *
 * with λ_i(0) = 0 and λ_{R,j} > 0. Along solutions the quantities of eq. (16),
 *   C_i = λ_{R,i}λ_i + (ε/2)λ_i² − ½λ_{i−1}²,  i = 2..k,
 * stay at zero. Theorems 1 (k = 2) and 2 (k = 3) say e² → 0, faster for larger ε.
 */
import '../../solvers/index'; // registers the built-in solvers by name
import { drift, odeProblem, type Problem } from '../../src/core/terms';
import { defineState, vector } from '../../src/core/state';
import { solve } from '../../src/core/solve';

export interface ModeParams {
  /** Singular value of T for this mode, λ_T > 0. */
  lambdaT: number;
  /** Feedback singular values λ_{R,2}, …, λ_{R,k} (length k − 1; λ_{R,1} never acts). */
  lambdaR: readonly number[];
  epsilon: number;
}

/** e = λ_T − Π λ_i. */
export function modeError(p: ModeParams, lambda: ArrayLike<number>): number {
  let prod = 1;
  for (let i = 0; i < lambda.length; i++) prod *= lambda[i];
  return p.lambdaT - prod;
}

/** The right-hand side of eq. (15) (eq. 10 for k = 2): out[i−1] = λ̇_i. Does not allocate. */
export function modeRhs(p: ModeParams, lambda: ArrayLike<number>, out: Float64Array): void {
  const k = lambda.length;
  const e = modeError(p, lambda);
  // suffix[i] = Π_{j>i}(λ_{R,j} + ελ_j), built top-down; prefix = Π_{j<i} λ_j, built bottom-up.
  let suffix = 1;
  for (let i = k; i >= 1; i--) {
    out[i - 1] = suffix * e;
    if (i >= 2) suffix *= p.lambdaR[i - 2] + p.epsilon * lambda[i - 1];
  }
  let prefix = 1;
  for (let i = 1; i <= k; i++) {
    out[i - 1] *= prefix;
    prefix *= lambda[i - 1];
  }
}

/** The scalar system of one mode as an ODE problem on λ_1..λ_k. */
export function modeProblem(p: ModeParams): Problem {
  const k = p.lambdaR.length + 1;
  if (k < 2) throw new Error('a mode needs k >= 2 layers: give lambdaR = [λ_R2, ..., λ_Rk]');
  if (!(p.lambdaT > 0)) throw new Error(`λ_T must be > 0 (got ${p.lambdaT})`);
  p.lambdaR.forEach((r, i) => {
    if (!(r > 0)) throw new Error(`λ_R${i + 2} must be > 0 (got ${r})`);
  });
  if (!(p.epsilon >= 0)) throw new Error(`ε must be >= 0 (got ${p.epsilon})`);
  const layout = defineState({ lambda: vector(k) });
  return odeProblem(drift(k, (_t, y, out) => modeRhs(p, y, out)), { layout, name: `eq. (15), k = ${k}, ε = ${p.epsilon}` });
}

/** The conserved quantities of eq. (16), C_i for i = 2..k (out[i−2]). */
export function conservedQuantities(p: ModeParams, lambda: ArrayLike<number>, out: Float64Array): void {
  for (let i = 2; i <= lambda.length; i++) {
    const li = lambda[i - 1];
    const lim1 = lambda[i - 2];
    out[i - 2] = p.lambdaR[i - 2] * li + 0.5 * p.epsilon * li * li - 0.5 * lim1 * lim1;
  }
}

export interface HittingTime {
  /** First time e² < level (Infinity if not reached by tMax). */
  time: number;
  /** e² at the end of the integration (at `time` when reached, else at tMax). */
  finalErrorSq: number;
  steps: number;
}

/**
 * First time e² falls below `level`, from λ(0) = 0, located as an event of dopri5 at tolerance
 * rtol (e starts at λ_T > 0 and stays positive: Πλ_i ≤ λ_T).
 */
export function hittingTime(p: ModeParams, level: number, tMax: number, rtol = 1e-10): HittingTime {
  const problem = modeProblem(p);
  const k = problem.dim;
  const sol = solve(problem, 'dopri5', {
    t0: 0,
    t1: tMax,
    y0: new Float64Array(k),
    rtol,
    atol: rtol * 1e-3,
    maxSteps: 1_000_000,
    events: [{ name: 'e² < level', direction: 'down', condition: (_t, y, out) => void (out[0] = modeError(p, y) ** 2 - level), handle: () => 'stop' }],
  });
  if (sol.status !== 'event' && sol.status !== 'ok') throw new Error(`eq. (15) integration failed: ${sol.message}`);
  return { time: sol.status === 'event' ? sol.event!.t : Infinity, finalErrorSq: modeError(p, sol.y) ** 2, steps: sol.stats.accepted };
}

/** e² at time t (dopri5 from λ(0) = 0). */
export function errorSqAt(p: ModeParams, t: number, rtol = 1e-10): number {
  const problem = modeProblem(p);
  const sol = solve(problem, 'dopri5', { t0: 0, t1: t, y0: new Float64Array(problem.dim), rtol, atol: rtol * 1e-3, maxSteps: 1_000_000 });
  if (sol.status !== 'ok') throw new Error(`eq. (15) integration failed: ${sol.message}`);
  return modeError(p, sol.y) ** 2;
}

/**
 * Drift of the eq. (16) invariants along a dopri5 solution from λ(0) = 0 saved at `saves` points
 * of [0, t1]: max_t |C_i(t)| relative to the size of its terms over the trajectory,
 * max_t ½λ_{i−1}(t)², maximised over i = 2..k.
 */
export function conservedDrift(p: ModeParams, t1: number, saves: number, rtol: number): { maxRelative: number; maxAbsolute: number } {
  const problem = modeProblem(p);
  const k = problem.dim;
  const ts = Array.from({ length: saves + 1 }, (_, i) => (i * t1) / saves);
  const C = new Float64Array(k - 1);
  const maxC = new Float64Array(k - 1);
  const scale = new Float64Array(k - 1);
  const sol = solve(problem, 'dopri5', {
    t0: 0,
    t1,
    y0: new Float64Array(k),
    rtol,
    atol: rtol * 1e-3,
    maxSteps: 1_000_000,
    saveAt: {
      ts,
      fn: (_t, y) => {
        conservedQuantities(p, y, C);
        for (let i = 0; i < k - 1; i++) {
          maxC[i] = Math.max(maxC[i], Math.abs(C[i]));
          scale[i] = Math.max(scale[i], 0.5 * y[i] * y[i]);
        }
        return 0;
      },
    },
  });
  if (sol.status !== 'ok') throw new Error(`eq. (15) integration failed: ${sol.message}`);
  let maxRelative = 0;
  let maxAbsolute = 0;
  for (let i = 0; i < k - 1; i++) {
    maxAbsolute = Math.max(maxAbsolute, maxC[i]);
    maxRelative = Math.max(maxRelative, maxC[i] / scale[i]);
  }
  return { maxRelative, maxAbsolute };
}
