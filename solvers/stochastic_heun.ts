/**
 * Stochastic Heun (the predictor–corrector trapezoid for SDEs):
 *   ỹ = y0 + f(t0, y0) h + g(t0, y0) ΔW,
 *   y1 = y0 + ½[f(t0, y0) + f(t1, ỹ)] h + ½[g(t0, y0) + g(t1, ỹ)] ΔW.
 * It converges to the Stratonovich solution. For additive noise (of any shape) the Itô and
 * Stratonovich solutions coincide and the scheme has strong order 1; with state-dependent noise it
 * would solve a different (Stratonovich) equation, so `solve` refuses it for Itô problems with
 * state-dependent noise. Without noise it is Heun's method (order 2).
 */
import type { StepInfo, StepSolver } from '../src/core/solver';

interface HeunWorkspace {
  f0: Float64Array;
  f1: Float64Array;
  g0: Float64Array;
  g1: Float64Array;
  gdW: Float64Array;
  yp: Float64Array;
  info: StepInfo;
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
  sde: { calculus: 'stratonovich', noise: ['additive', 'scalar-additive', 'general-additive'] },
  dense: false,
  init(problem) {
    const n = problem.dim;
    const a = () => new Float64Array(n);
    const gs = problem.diffusion?.gSize ?? 0;
    return { f0: a(), f1: a(), g0: new Float64Array(gs), g1: new Float64Array(gs), gdW: a(), yp: a(), info: { nfe: 0 } };
  },
  step(problem, t0, t1, y0, dW, y1, ws) {
    const h = t1 - t0;
    const n = y0.length;
    const { f0, f1, g0, g1, gdW, yp } = ws;
    const d = dW !== null ? problem.diffusion : undefined;
    problem.drift.vf(t0, y0, f0);
    for (let i = 0; i < n; i++) yp[i] = y0[i] + h * f0[i];
    if (d) {
      d.g(t0, y0, g0);
      d.prod(g0, dW!, gdW);
      for (let i = 0; i < n; i++) yp[i] += gdW[i];
    }
    problem.drift.vf(t1, yp, f1);
    for (let i = 0; i < n; i++) y1[i] = y0[i] + 0.5 * h * (f0[i] + f1[i]);
    ws.info.nfe = 2;
    if (!d) return ws.info;
    d.g(t1, yp, g1);
    for (let i = 0; i < g0.length; i++) g1[i] = 0.5 * (g0[i] + g1[i]);
    d.prod(g1, dW!, gdW);
    for (let i = 0; i < n; i++) y1[i] += gdW[i];
    ws.info.nfe = 4;
    return ws.info;
  },
};
