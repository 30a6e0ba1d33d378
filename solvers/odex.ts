/**
 * Adapter to the `odex` package: Hairer & Wanner's ODEX, the Gragg–Bulirsch–Stoer extrapolation
 * method (Solving ODEs I, II.9), adaptive in both step size and order, with dense output.
 *
 * ODEX owns its integration loop, so this is a driver solver: `solve` hands it the interval and
 * receives every accepted step (with ODEX's dense interpolant) to save, locate events and check
 * for divergence exactly as for step solvers. Tolerances are ODEX's (componentwise
 * atol + rtol·|y|); the order is variable (up to 2·9 with the default 9 extrapolation columns).
 * ODE only.
 *
 * ODEX floors its first step at 1e-4 in absolute time, which overshoots flows whose interval is
 * short (a first step longer than the whole run of a fast flow diverges, and ODEX accepts a NaN
 * error estimate). The adapter therefore integrates in time rescaled to the interval,
 * s = (t − t0)/(t1 − t0) ∈ [0, 1], with dy/ds = (t1 − t0)·f(t, y): the floor becomes relative.
 */
import type { DriverSolver, Interpolant } from '../src/core/solver';
import { Outcome, Solver as OdexSolver } from './odex-binding.cjs';

export const odex: DriverSolver = {
  kind: 'driver',
  name: 'odex',
  description: 'ODEX (Hairer): Gragg–Bulirsch–Stoer extrapolation, adaptive order and step, dense output',
  order: 'variable',
  adaptive: true,
  ode: true,
  sde: null,
  dense: true,
  drive(problem, t0, t1, y0, opts, onStep) {
    const n = problem.dim;
    const span = t1 - t0;
    const toT = (sTime: number) => (sTime >= 1 ? t1 : t0 + sTime * span);
    const s = new OdexSolver(n);
    s.relativeTolerance = opts.rtol;
    s.absoluteTolerance = opts.atol;
    s.maxSteps = Math.max(1, Math.min(opts.maxSteps, 2 ** 31 - 1));
    s.denseOutput = true;
    if (opts.dt0 !== undefined) s.initialStepSize = opts.dt0 / span;
    if (opts.dtMax !== undefined && Number.isFinite(opts.dtMax)) s.maxStepSize = opts.dtMax / span;
    const yIn = new Float64Array(n);
    const fOut = new Float64Array(n);
    const yStep = new Float64Array(n);
    let nfe = 0;
    const f = (sTime: number, y: number[]): number[] => {
      for (let i = 0; i < n; i++) yIn[i] = y[i];
      problem.drift.vf(toT(sTime), yIn, fOut);
      nfe++;
      const out = new Array<number>(n);
      for (let i = 0; i < n; i++) out[i] = span * fOut[i];
      return out;
    };
    let halted = false;
    const res = s.solve(f, 0, Array.from(y0), 1, (_nr, sOld, sNew, y, dense) => {
      if (sNew === sOld) return true;
      for (let i = 0; i < n; i++) yStep[i] = y[i];
      const interp: Interpolant | undefined = dense
        ? (t, out) => {
            const st = (t - t0) / span;
            for (let i = 0; i < n; i++) out[i] = dense(i, st);
          }
        : undefined;
      const go = onStep(toT(sOld), toT(sNew), yStep, interp);
      if (!go) halted = true;
      return go;
    });
    const outcome = halted ? 'halted' : res.outcome === Outcome.MaxStepsExceeded ? 'maxSteps' : 'done';
    return { accepted: res.nAccept, rejected: res.nReject, nfe, outcome };
  },
};
