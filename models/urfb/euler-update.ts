/**
 * Forward Euler, y1 = y0 + h f(t0, y0), for terms that write the Euler update themselves.
 *
 * The core's 'euler' forms k = f(t0, y0) in one array and then y1 = y0 + h k in another pass. For
 * URFB's flows the vector field is a few matrix products and the state is large (3·10⁴ entries for
 * Fig. 12, 3·10⁵ for the MNIST network), so those passes over the state cost as much as the
 * products (measured: Fig. 12 ran 2.5x slower than the fused iteration it replaced). A term can
 * therefore register `update(t, y0, h, y1)` that writes y0 + h f(t, y0) directly (accumulating the
 * products into y1 as an in-place SGD step does, with the bookkeeping the model records folded
 * into the same pass); `fusedEuler` is 'euler' that uses it when the problem's drift has one and
 * the core's 'euler' otherwise. Same method, same order, same traits and name; `solve` owns the
 * loop, the divergence check, the input segments and the reductions as for any solver.
 *
 * The core should gain this (then this file goes): an optional `update(t, y0, h, y1)` on a drift
 * term, used by 'euler' (and 'euler_maruyama' for the drift part) when present.
 */
import { euler, solvers } from '../../solvers/index';
import type { Solver, StepInfo, StepSolver } from '../../src/core/solver';
import type { DriftTerm } from '../../src/core/terms';

/** y1 ← y0 + h f(t, y0) for the term it is registered with (y1 never aliases y0). */
export type EulerUpdate = (t: number, y0: Float64Array, h: number, y1: Float64Array) => void;

const updates = new WeakMap<DriftTerm, EulerUpdate>();

/** Register the fused Euler update of a drift term; returns the term. */
export function withEulerUpdate<T extends DriftTerm>(term: T, update: EulerUpdate): T {
  updates.set(term, update);
  return term;
}

interface Workspace {
  base: ReturnType<typeof euler.init>;
  info: StepInfo;
}

/** 'euler', using the drift's registered update when it has one. */
export const fusedEuler: StepSolver<Workspace> = {
  name: euler.name,
  description: `${euler.description}; the step written by the term when it provides one`,
  order: euler.order,
  adaptive: false,
  ode: true,
  sde: null,
  dense: false,
  kind: 'step',
  init(problem) {
    return { base: euler.init(problem), info: { nfe: 1 } };
  },
  invalidate(ws) {
    euler.invalidate?.(ws.base);
  },
  step(problem, t0, t1, y0, dW, y1, ws) {
    const update = updates.get(problem.drift);
    if (!update) return euler.step(problem, t0, t1, y0, dW, y1, ws.base);
    update(t0, y0, t1 - t0, y1);
    return ws.info;
  },
};

/** The solver object for a registered name: `fusedEuler` for 'euler', else the registered one. */
export function solverFor(name: string): Solver {
  return name === 'euler' ? fusedEuler : solvers.get(name);
}
