/**
 * One engine for every explicit Runge–Kutta method: a method is a frozen, self-checking Butcher
 * tableau (c, A, b, optional embedded b̂ for an error estimate) plus a few lines.
 *
 *   k_s = f(t0 + c_s h, y0 + h Σ_{j<s} a_sj k_j),   y1 = y0 + h Σ_s b_s k_s,
 *   error estimate e = h Σ_s (b_s − b̂_s) k_s.
 */
import type { Interpolant, StepInfo, StepSolver, SolverTraits } from '../src/core/solver';
import type { Problem } from '../src/core/terms';

export interface ButcherTableau {
  readonly c: readonly number[];
  readonly a: readonly (readonly number[])[];
  readonly b: readonly number[];
  /** Embedded lower-order weights (for adaptive methods). */
  readonly bHat?: readonly number[];
}

export interface RKWorkspace {
  k: Float64Array[];
  ytmp: Float64Array;
  yError: Float64Array;
  /** Filled by a method's dense-output builder. */
  extra: Float64Array[];
}

/** Check row sums (Σ_j a_sj = c_s), consistency (Σ b = 1), strict lower triangularity. */
export function checkTableau(name: string, tab: ButcherTableau): ButcherTableau {
  const s = tab.c.length;
  const tol = 1e-14;
  if (tab.a.length !== s || tab.b.length !== s || (tab.bHat && tab.bHat.length !== s)) {
    throw new Error(`tableau '${name}': c, A, b (and b̂) must all have ${s} stages`);
  }
  for (let i = 0; i < s; i++) {
    if (tab.a[i].length > i) throw new Error(`tableau '${name}': row ${i} of A must have at most ${i} entries (explicit method)`);
    const rowSum = tab.a[i].reduce((x, y) => x + y, 0);
    if (Math.abs(rowSum - tab.c[i]) > tol) throw new Error(`tableau '${name}': row ${i} of A sums to ${rowSum}, not c = ${tab.c[i]}`);
  }
  for (const [label, w] of [['b', tab.b], ['b̂', tab.bHat]] as const) {
    if (!w) continue;
    const sum = w.reduce((x, y) => x + y, 0);
    if (Math.abs(sum - 1) > tol) throw new Error(`tableau '${name}': ${label} sums to ${sum}, not 1`);
  }
  return Object.freeze(tab);
}

export interface ExplicitRKOptions {
  traits: Omit<SolverTraits, 'ode' | 'sde' | 'dense'> & { dense?: boolean };
  tableau: ButcherTableau;
  /** Dense output over the step from the stages (e.g. Dormand–Prince's continuous extension). */
  denseOutput?: (ws: RKWorkspace, y0: Float64Array, y1: Float64Array, h: number, t0: number) => Interpolant;
}

/** An ODE solver from a Butcher tableau. */
export function explicitRK(opts: ExplicitRKOptions): StepSolver<RKWorkspace> {
  const tab = checkTableau(opts.traits.name, opts.tableau);
  const S = tab.c.length;
  const bErr = tab.bHat ? tab.b.map((b, i) => b - tab.bHat![i]) : null;
  return {
    ...opts.traits,
    kind: 'step',
    ode: true,
    sde: null,
    dense: opts.denseOutput !== undefined,
    init(problem: Problem): RKWorkspace {
      const n = problem.dim;
      return {
        k: Array.from({ length: S }, () => new Float64Array(n)),
        ytmp: new Float64Array(n),
        yError: new Float64Array(n),
        extra: [],
      };
    },
    step(problem, t0, t1, y0, _dW, y1, ws): StepInfo {
      const h = t1 - t0;
      const n = y0.length;
      const { k, ytmp } = ws;
      const f = problem.drift;
      f.vf(t0, y0, k[0]);
      for (let s = 1; s < S; s++) {
        const row = tab.a[s];
        ytmp.set(y0);
        for (let j = 0; j < row.length; j++) {
          const coef = h * row[j];
          if (coef === 0) continue;
          const kj = k[j];
          for (let i = 0; i < n; i++) ytmp[i] += coef * kj[i];
        }
        f.vf(t0 + tab.c[s] * h, ytmp, k[s]);
      }
      y1.set(y0);
      for (let s = 0; s < S; s++) {
        const coef = h * tab.b[s];
        if (coef === 0) continue;
        const ks = k[s];
        for (let i = 0; i < n; i++) y1[i] += coef * ks[i];
      }
      const info: StepInfo = { nfe: S };
      if (bErr) {
        const e = ws.yError;
        e.fill(0);
        for (let s = 0; s < S; s++) {
          const coef = h * bErr[s];
          if (coef === 0) continue;
          const ks = k[s];
          for (let i = 0; i < n; i++) e[i] += coef * ks[i];
        }
        info.yError = e;
      }
      if (opts.denseOutput) info.dense = opts.denseOutput(ws, y0, y1, h, t0);
      return info;
    },
  };
}
