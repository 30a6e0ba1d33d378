/**
 * DLL's slow W/Θ flows as minibatch flows (src/experiment/minibatch-flow.ts, `MinibatchFlow`): the
 * buffered variant (Algorithm 1), DLL-RNN and the BP/BPTT baselines trained beside them follow
 * dθ/dt = η Δ_k(θ) with minibatch k presented on [k, k + 1), where for DLL Δ_k(θ) is: relax the
 * apical compartments at θ (a nested solve), then read eqs. 8-9. Euler with dt0 = 1 is the paper's
 * SGD (or Adam) step; Heun, rk4 and dopri5 re-relax at every stage.
 *
 * This file holds what the DLL commands say about that flow: the meaning of --dt0 and the option
 * check with DLL's name for the flow.
 */
import { minibatchFlowChoice, type FlowSolver } from '../../src/experiment/minibatch-flow';
import type { SolverOptions } from '../../src/experiment/solver-options';

/** What --dt0 means for the slow flow (--help). */
export const SLOW_FLOW_DT0 = "1 presentation: one step per minibatch, the optimiser's own step (SGD with η = --lr, or Adam)";

/** The name of the flow in messages. */
export const SLOW_FLOW = 'the slow W/Θ flow (eqs. 8-9)';

/**
 * The commands' --solver/--dt0/--rtol/--atol for the slow W/Θ flow, refused before work when they
 * cannot run it (an SDE solver; odex, which cannot stop at minibatch boundaries; Adam with anything
 * but euler at dt0 = 1). `{}` for the paper's integrator (so default runs keep their settings),
 * else `{ flow }`.
 */
export function slowFlowChoice(opts: SolverOptions & { optimizer: string }): { flow?: FlowSolver } {
  return minibatchFlowChoice(opts, SLOW_FLOW, opts.optimizer);
}
