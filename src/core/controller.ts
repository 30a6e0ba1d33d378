/**
 * Step-size control, separate from the solvers: a controller sees the states and the error
 * estimate a step produced and decides whether to accept it and how long the next step is. It
 * never sees the solver.
 */

export interface AdaptResult {
  accept: boolean;
  /** Proposed length of the next step (after a rejection: of the retried step). */
  dtNext: number;
}

export interface StepController {
  readonly kind: 'constant' | 'pi';
  /** Reset internal memory at the start of an integration. */
  reset(): void;
  adapt(t0: number, t1: number, y0: Float64Array, y1: Float64Array, yError: Float64Array | undefined, errorOrder: number): AdaptResult;
  /** Weighted RMS norm used by the controller (exposed for initial-step selection). */
  readonly rtol: number;
  readonly atol: number;
  readonly dtMin: number;
  readonly dtMax: number;
}

/** Constant steps: every step is accepted and has length dt0. */
export function constantStep(): StepController {
  return {
    kind: 'constant',
    rtol: NaN,
    atol: NaN,
    dtMin: 0,
    dtMax: Infinity,
    reset() {},
    adapt(t0, t1) {
      return { accept: true, dtNext: t1 - t0 };
    },
  };
}

export interface PIOptions {
  rtol?: number;
  atol?: number;
  /** Smallest step allowed; a smaller proposal ends the run with status 'dtMin'. */
  dtMin?: number;
  dtMax?: number;
  safety?: number;
  /** Proportional and integral coefficients (scaled by 1/(errorOrder+1)); defaults 0.4 and 0.3 (Söderlind/Hairer). */
  pcoeff?: number;
  icoeff?: number;
  factorMin?: number;
  factorMax?: number;
}

/**
 * PI step-size controller (Hairer, Nørsett & Wanner II.4; Söderlind 2002). With the weighted RMS
 * error ε_n = ‖e / (atol + rtol·max(|y0|, |y1|))‖, a step is accepted when ε_n ≤ 1 and
 * the next step is dt·safety·ε_n^(−(i+p)/k)·ε_{n−1}^(p/k) with k = errorOrder + 1.
 */
export function piController(opts: PIOptions = {}): StepController {
  const rtol = opts.rtol ?? 1e-6;
  const atol = opts.atol ?? 1e-9;
  const dtMin = opts.dtMin ?? 0;
  const dtMax = opts.dtMax ?? Infinity;
  const safety = opts.safety ?? 0.9;
  const pcoeff = opts.pcoeff ?? 0.4;
  const icoeff = opts.icoeff ?? 0.3;
  const factorMin = opts.factorMin ?? 0.2;
  const factorMax = opts.factorMax ?? 10;
  for (const [k, v] of [['rtol', rtol], ['atol', atol]] as const) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`${k} must be a finite number >= 0 (got ${v})`);
  }
  if (rtol === 0 && atol === 0) throw new Error('rtol and atol are both 0; give at least one a positive value (e.g. rtol: 1e-6)');
  if (!(dtMin >= 0)) throw new Error(`dtMin must be >= 0 (got ${dtMin})`);
  if (!(dtMax > dtMin)) throw new Error(`dtMax must be > dtMin (got dtMax = ${dtMax}, dtMin = ${dtMin})`);
  let prevNorm = 1;
  let rejectedLast = false;
  return {
    kind: 'pi',
    rtol,
    atol,
    dtMin,
    dtMax,
    reset() {
      prevNorm = 1;
      rejectedLast = false;
    },
    adapt(t0, t1, y0, y1, yError, errorOrder) {
      if (!yError) throw new Error('the PI controller needs an error estimate; use an adaptive solver (dopri5) or a constant step');
      const dt = t1 - t0;
      const norm = errorNorm(y0, y1, yError, rtol, atol);
      const k = errorOrder + 1;
      if (!Number.isFinite(norm)) return { accept: false, dtNext: dt * factorMin };
      if (norm <= 1) {
        const n = Math.max(norm, 1e-10);
        let factor = safety * n ** (-(icoeff + pcoeff) / k) * prevNorm ** (pcoeff / k);
        factor = Math.min(factorMax, Math.max(factorMin, factor));
        if (rejectedLast) factor = Math.min(1, factor);
        prevNorm = n;
        rejectedLast = false;
        return { accept: true, dtNext: Math.min(dtMax, dt * factor) };
      }
      rejectedLast = true;
      const factor = Math.max(factorMin, safety * norm ** (-1 / k));
      return { accept: false, dtNext: dt * factor };
    },
  };
}

/** Weighted RMS norm ‖e_i / (atol + rtol·max(|y0_i|, |y1_i|))‖. */
export function errorNorm(y0: Float64Array, y1: Float64Array, e: Float64Array, rtol: number, atol: number): number {
  let s = 0;
  for (let i = 0; i < e.length; i++) {
    const sc = atol + rtol * Math.max(Math.abs(y0[i]), Math.abs(y1[i]));
    const r = e[i] / sc;
    s += r * r;
  }
  return Math.sqrt(s / Math.max(1, e.length));
}
