/**
 * Euler–Maruyama for Itô SDEs dy = f dt + g ⊙ dW:  y1 = y0 + f(t0, y0) h + g(t0, y0) ⊙ ΔW.
 * Strong order 0.5 with state-dependent (diagonal) noise, 1 with additive noise; weak order 1.
 * Without noise it is forward Euler (order 1).
 */
import type { StepSolver } from '../src/core/solver';

interface EMWorkspace {
  f: Float64Array;
  g: Float64Array;
}

export const eulerMaruyama: StepSolver<EMWorkspace> = {
  kind: 'step',
  name: 'euler_maruyama',
  description: 'Euler–Maruyama (Itô), strong order 0.5 (1 for additive noise), weak order 1',
  order: 1,
  strongOrder: 0.5,
  weakOrder: 1,
  adaptive: false,
  ode: true,
  sde: { calculus: 'ito', noise: ['additive', 'diagonal'] },
  dense: false,
  init(problem) {
    return { f: new Float64Array(problem.dim), g: new Float64Array(problem.dim) };
  },
  step(problem, t0, t1, y0, dW, y1, ws) {
    const h = t1 - t0;
    const n = y0.length;
    problem.drift.vf(t0, y0, ws.f);
    const f = ws.f;
    for (let i = 0; i < n; i++) y1[i] = y0[i] + h * f[i];
    if (problem.diffusion && dW) {
      problem.diffusion.g(t0, y0, ws.g);
      const g = ws.g;
      for (let i = 0; i < n; i++) y1[i] += g[i] * dW[i];
      return { nfe: 2 };
    }
    return { nfe: 1 };
  },
};
