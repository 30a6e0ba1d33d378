/**
 * One engine for every explicit Runge–Kutta method: a method is a frozen, self-checking Butcher
 * tableau (c, A, b, optional embedded b̂ for an error estimate) plus a few lines.
 *
 *   k_s = f(t0 + c_s h, y0 + h Σ_{j<s} a_sj k_j),   y1 = y0 + h Σ_s b_s k_s,
 *   error estimate e = h Σ_s (b_s − b̂_s) k_s.
 */
import { addScaledSum, stateSum, type Interpolant, type StepInfo, type StepSolver, type SolverTraits } from '../src/core/solver';
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
  /** The step the workspace describes (for lazy dense output): start, end, states. */
  t0: number;
  h: number;
  y0: Float64Array;
  y1: Float64Array;
  /** One StepInfo reused by every step. */
  info: StepInfo;
  /** Step counter and the step the dense coefficients were built for. */
  stepId: number;
  denseFor: number;
  /** First-same-as-last cache: k[0] holds f(firstT, firstY); k[S−1] holds f(lastT, lastY). */
  firstY: Float64Array | null;
  firstT: number;
  lastY: Float64Array | null;
  lastT: number;
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
  /**
   * Builds the dense-output coefficients of the step described by the workspace (called lazily,
   * at most once per step, only when an output time or an event falls inside the step) and
   * returns the interpolant.
   */
  denseOutput?: (ws: RKWorkspace) => Interpolant;
}

/**
 * out ← y0 + Σ_j (h·w_j) k_j, summed in order j = 0, 1, … and skipping zero weights (the same
 * floating-point operations as copying y0 and adding each term; written as one pass because for a
 * small state a typed-array copy costs more than the vector field). With `withSum`, the pass that
 * writes the final values also returns their sum (four partial sums): a NaN or ±∞ there says the
 * new state may be non-finite, so `solve` need not scan it again (an overflowing sum of finite
 * entries only sends it to the exact scan).
 */
function combine(out: Float64Array, y0: Float64Array, h: number, w: readonly number[], k: Float64Array[], n: number, withSum: boolean): number {
  let first = -1;
  let last = -1;
  for (let j = 0; j < w.length; j++) {
    if (h * w[j] !== 0) {
      if (first < 0) first = j;
      last = j;
    }
  }
  if (first < 0) {
    out.set(y0.subarray(0, n));
    return withSum ? stateSum(out, n) : 0;
  }
  if (first === last) return pass(out, y0, h * w[first], k[first], n, withSum);
  pass(out, y0, h * w[first], k[first], n, false);
  for (let j = first + 1; j < last; j++) {
    const coef = h * w[j];
    if (coef !== 0) pass(out, out, coef, k[j], n, false);
  }
  return pass(out, out, h * w[last], k[last], n, withSum);
}

/**
 * out[i] = base[i] + c·k[i] (base is y0 for the first term, out itself for the next ones); with
 * `withSum` also the sum of the new entries (the divergence check): from 8 entries in four partial
 * sums (addScaledSum), below in one loop here (the call, which V8 does not inline, cost Euler on
 * Lorenz, n = 3, about 4 ns of 33 a step).
 */
function pass(out: Float64Array, base: Float64Array, c: number, k: Float64Array, n: number, withSum: boolean): number {
  if (!withSum) {
    for (let i = 0; i < n; i++) out[i] = base[i] + c * k[i];
    return 0;
  }
  if (n >= 8) return addScaledSum(out, base, c, k, n);
  let s = 0;
  for (let i = 0; i < n; i++) s += out[i] = base[i] + c * k[i];
  return s;
}

/**
 * An ODE solver from a Butcher tableau. A tableau whose last stage is evaluated at the new point
 * (c_S = 1 and the last row of A equal to b: "first same as last", Dormand–Prince) reuses that
 * evaluation as the first stage of the next step: S − 1 evaluations per accepted step, and a
 * rejected step's retry reuses the first stage too.
 */
export function explicitRK(opts: ExplicitRKOptions): StepSolver<RKWorkspace> {
  const tab = checkTableau(opts.traits.name, opts.tableau);
  const S = tab.c.length;
  const bErr = tab.bHat ? tab.b.map((b, i) => b - tab.bHat![i]) : null;
  const last = tab.a[S - 1];
  // Forward Euler's tableau: a drift with a fused Euler update writes the step itself.
  const isEuler = S === 1 && tab.b[0] === 1;
  const fsal = S > 1 && tab.c[S - 1] === 1 && last.length === S - 1 && last.every((a, j) => a === tab.b[j]) && tab.b[S - 1] === 0;
  const build = opts.denseOutput;
  return {
    ...opts.traits,
    kind: 'step',
    ode: true,
    sde: null,
    dense: build !== undefined,
    // Euler with a fused update reads y0 only inside that update: in place when the term allows it
    ...(isEuler ? { inPlace: (problem: Problem) => problem.drift.euler !== undefined && problem.drift.eulerInPlace === true } : {}),
    init(problem: Problem): RKWorkspace {
      const n = problem.dim;
      // Only what the steps use: Euler with the drift's fused update needs no stage arrays (a
      // model that solves once per minibatch would otherwise allocate them every time).
      const none = new Float64Array(0);
      const ws: RKWorkspace = {
        k: Array.from({ length: S }, () => (isEuler && problem.drift.euler ? none : new Float64Array(n))),
        ytmp: S > 1 ? new Float64Array(n) : none,
        yError: bErr ? new Float64Array(n) : none,
        extra: [],
        t0: 0,
        h: 0,
        y0: new Float64Array(0),
        y1: new Float64Array(0),
        info: { nfe: 0 },
        stepId: 0,
        denseFor: -1,
        firstY: null,
        firstT: NaN,
        lastY: null,
        lastT: NaN,
      };
      if (bErr) ws.info.yError = ws.yError;
      if (build) {
        let interp: Interpolant | null = null;
        ws.info.dense = (t, out) => {
          if (ws.denseFor !== ws.stepId) {
            interp = build(ws);
            ws.denseFor = ws.stepId;
          }
          interp!(t, out);
        };
      }
      return ws;
    },
    invalidate(ws: RKWorkspace) {
      ws.firstY = null;
      ws.lastY = null;
    },
    step(problem, t0, t1, y0, _dW, y1, ws): StepInfo {
      const h = t1 - t0;
      const n = y0.length;
      const { k, ytmp } = ws;
      const f = problem.drift;
      if (isEuler) {
        if (f.euler) ws.info.sum = f.euler(t0, y0, h, y1);
        else {
          f.vf(t0, y0, k[0]);
          ws.info.sum = pass(y1, y0, h, k[0], n, true);
        }
        ws.info.nfe = 1;
        ws.t0 = t0;
        ws.h = h;
        ws.y0 = y0;
        ws.y1 = y1;
        ws.stepId++;
        return ws.info;
      }
      let nfe = S;
      if (fsal && ws.firstY === y0 && ws.firstT === t0) {
        nfe--; // a retry from the same start: k[0] is still f(t0, y0)
      } else if (fsal && ws.lastY === y0 && ws.lastT === t0) {
        const k0 = k[0];
        k[0] = k[S - 1];
        k[S - 1] = k0;
        nfe--;
      } else f.vf(t0, y0, k[0]);
      for (let s = 1; s < S; s++) {
        combine(ytmp, y0, h, tab.a[s], k, n, false);
        f.vf(t0 + tab.c[s] * h, ytmp, k[s]);
      }
      ws.info.sum = combine(y1, y0, h, tab.b, k, n, true);
      if (bErr) {
        const e = ws.yError;
        e.fill(0);
        for (let s = 0; s < S; s++) {
          const coef = h * bErr[s];
          if (coef === 0) continue;
          const ks = k[s];
          for (let i = 0; i < n; i++) e[i] += coef * ks[i];
        }
      }
      if (fsal) {
        ws.firstY = y0;
        ws.firstT = t0;
        ws.lastY = y1;
        ws.lastT = t1;
      }
      ws.t0 = t0;
      ws.h = h;
      ws.y0 = y0;
      ws.y1 = y1;
      ws.stepId++;
      ws.info.nfe = nfe;
      return ws.info;
    },
  };
}
