/**
 * Stochastic Heun (the predictor–corrector trapezoid for SDEs):
 *   ỹ = y0 + f(t0, y0) h + g(t0, y0) ⊙ ΔW,
 *   y1 = y0 + ½[f(t0, y0) + f(t1, ỹ)] h + ½[g(t0, y0) + g(t1, ỹ)] ⊙ ΔW.
 * It converges to the Stratonovich solution. For additive noise the Itô and Stratonovich solutions
 * coincide and the scheme has strong order 1 and weak order 2 for linear drift; with
 * state-dependent noise it would solve a different (Stratonovich) equation, so `solve` refuses it
 * for Itô problems with diagonal noise. Without noise it is Heun's method (order 2).
 */
import type { StepSolver } from '../src/core/solver';

interface HeunWorkspace {
  f0: Float64Array;
  f1: Float64Array;
  g0: Float64Array;
  g1: Float64Array;
  yp: Float64Array;
}

export const stochasticHeun: StepSolver<HeunWorkspace> = {
  kind: 'step',
  name: 'stochastic_heun',
  description: 'stochastic Heun (Stratonovich; equals Itô for additive noise), strong order 1 for additive noise',
  order: 2,
  strongOrder: 1,
  weakOrder: 1,
  adaptive: false,
  ode: true,
  sde: { calculus: 'stratonovich', noise: ['additive'] },
  dense: false,
  init(problem) {
    const n = problem.dim;
    const a = () => new Float64Array(n);
    return { f0: a(), f1: a(), g0: a(), g1: a(), yp: a() };
  },
  step(problem, t0, t1, y0, dW, y1, ws) {
    const h = t1 - t0;
    const n = y0.length;
    const { f0, f1, g0, g1, yp } = ws;
    const noisy = problem.diffusion !== undefined && dW !== null;
    problem.drift.vf(t0, y0, f0);
    for (let i = 0; i < n; i++) yp[i] = y0[i] + h * f0[i];
    if (noisy) {
      problem.diffusion!.g(t0, y0, g0);
      for (let i = 0; i < n; i++) yp[i] += g0[i] * dW![i];
    }
    problem.drift.vf(t1, yp, f1);
    for (let i = 0; i < n; i++) y1[i] = y0[i] + 0.5 * h * (f0[i] + f1[i]);
    if (!noisy) return { nfe: 2 };
    problem.diffusion!.g(t1, yp, g1);
    for (let i = 0; i < n; i++) y1[i] += 0.5 * (g0[i] + g1[i]) * dW![i];
    return { nfe: 4 };
  },
};
