/**
 * The core's own theorem checks: convergence orders of the registered solvers, measured (never
 * assumed), registered with `creditflow verify` and asserted by the tests.
 */
import { linearFit, logLogSlope } from '../src/analysis/fit';
import { BrownianGrid } from '../src/core/brownian';
import { constantStep } from '../src/core/controller';
import { solve } from '../src/core/solve';
import type { Solver } from '../src/core/solver';
import { diffusion, drift, odeProblem, sdeProblem, type NoiseKind, type Problem } from '../src/core/terms';
import type { BrownianPath } from '../src/core/brownian';
import { Matrix, inverse } from 'ml-matrix';
import { expmApply, fromMl, toMl } from '../src/linalg/decomp';
import { fromRows, type Mat } from '../src/linalg/mat';
import type { TheoremCheck } from '../src/registry';
import { solvers } from './index';

/** The core's checks; src/registry.ts registers them (this module does not import the registry). */
export const coreChecks: TheoremCheck[] = [];

/** y' = A y with a fixed non-symmetric 4x4 A = P Λ P⁻¹ with eigenvalues −0.5, −1, −2, −3. */
export function linearTestProblem(): { problem: Problem; A: Mat; y0: Float64Array; exact: (t: number) => Float64Array } {
  const P = fromRows([
    [1, 0.5, 0.2, 0],
    [0.3, 1, 0.4, 0.1],
    [0, 0.6, 1, 0.5],
    [0.2, 0, 0.3, 1],
  ]);
  const lambda = [-0.5, -1, -2, -3];
  const A = fromMl(toMl(P).mmul(Matrix.diag(lambda)).mmul(inverse(toMl(P))));
  const n = 4;
  const problem = odeProblem(
    drift(n, (_t, y, out) => {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += A.data[i * n + j] * y[j];
        out[i] = s;
      }
    }),
    { name: 'linear 4x4' },
  );
  const y0 = Float64Array.from([1, -0.5, 0.75, 2]);
  return { problem, A, y0, exact: (t) => expmApply(A, y0, t) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Step exponents k (dt = 2^-k) in each method's asymptotic range, above round-off. */
const orderRanges: Record<string, [number, number]> = {
  euler: [5, 10],
  euler_maruyama: [5, 10],
  heun: [4, 9],
  stochastic_heun: [4, 9],
  rk4: [4, 8],
  dopri5: [4, 7],
};

/** Fixed-step convergence order on y' = A y over [0, 2] at dt = 2^-k. */
export function measureOdeOrder(solver: Solver): { slope: number; dts: number[]; errors: number[] } {
  const range = orderRanges[solver.name];
  if (!range) throw new Error(`no step range for solver '${solver.name}'`);
  const { problem, y0, exact } = linearTestProblem();
  const t1 = 2;
  const ref = exact(t1);
  const dts: number[] = [];
  const errors: number[] = [];
  for (let k = range[0]; k <= range[1]; k++) {
    const dt = 2 ** -k;
    const sol = solve(problem, solver, { t0: 0, t1, y0, dt0: dt, controller: constantStep() });
    dts.push(dt);
    errors.push(maxAbsDiff(sol.y, ref));
  }
  return { slope: logLogSlope(dts, errors), dts, errors };
}

export function vanDerPol(mu = 1): Problem {
  return odeProblem(
    drift(2, (_t, y, out) => {
      out[0] = y[1];
      out[1] = mu * (1 - y[0] * y[0]) * y[1] - y[0];
    }),
    { name: `van der Pol (μ = ${mu})` },
  );
}

/** Final relative error / rtol of an adaptive solver on the linear system and on van der Pol. */
export function measureTolerance(solver: Solver, rtols: readonly number[]): { rtol: number; linear: number; vdp: number }[] {
  const lin = linearTestProblem();
  const linRef = lin.exact(2);
  const vdp = vanDerPol(1);
  const vdpY0 = [2, 0];
  const vdpT1 = 5;
  const vdpRef = solve(vdp, 'dopri5', { t0: 0, t1: vdpT1, y0: vdpY0, rtol: 1e-13, atol: 1e-15, maxSteps: 1e6 }).y;
  return rtols.map((rtol) => {
    const a = solve(lin.problem, solver, { t0: 0, t1: 2, y0: lin.y0, rtol, atol: rtol * 1e-3 });
    const b = solve(vdp, solver, { t0: 0, t1: vdpT1, y0: vdpY0, rtol, atol: rtol * 1e-3 });
    if (a.status !== 'ok' || b.status !== 'ok') throw new Error(`${solver.name} did not finish: ${a.message}; ${b.message}`);
    return { rtol, linear: relErr(a.y, linRef), vdp: relErr(b.y, vdpRef) };
  });
}

/** Geometric Brownian motion dX = μX dt + σX dW, one independent path per component. */
function gbm(paths: number, mu: number, sigma: number): Problem {
  return sdeProblem(
    drift(paths, (_t, y, out) => {
      for (let i = 0; i < paths; i++) out[i] = mu * y[i];
    }),
    diffusion(paths, 'diagonal', (_t, y, out) => {
      for (let i = 0; i < paths; i++) out[i] = sigma * y[i];
    }),
    { name: 'geometric Brownian motion' },
  );
}

/** Ornstein–Uhlenbeck dX = −θX dt + σ dW (additive noise), one path per component. */
function ornsteinUhlenbeck(paths: number, theta: number, sigma: number): Problem {
  return sdeProblem(
    drift(paths, (_t, y, out) => {
      for (let i = 0; i < paths; i++) out[i] = -theta * y[i];
    }),
    diffusion(paths, 'additive', (_t, _y, out) => out.fill(sigma)),
    { name: 'Ornstein–Uhlenbeck' },
  );
}

/**
 * The Ornstein–Uhlenbeck solution dX = −θX dt + S dW on a Brownian path, by the exact transition
 * over each step δ of a grid of `steps` steps on [0, T]: X ← e^{−θδ} X + c S ΔW with
 * c² = (1 − e^{−2θδ})/(2θδ) (exact in distribution, within O(δ) of the solution on the path), with
 * no solver involved. `load(i, dW)` is row i of S times dW.
 */
function exactOrnsteinUhlenbeck(path: BrownianPath, T: number, steps: number, theta: number, x0: ArrayLike<number>, load: (i: number, dW: Float64Array) => number): Float64Array {
  const d = T / steps;
  const a = Math.exp(-theta * d);
  const c = Math.sqrt((1 - Math.exp(-2 * theta * d)) / (2 * theta * d));
  const x = Float64Array.from(x0);
  const dW = new Float64Array(path.dim);
  for (let k = 0; k < steps; k++) {
    path.increment(k * d, (k + 1) * d, dW);
    for (let i = 0; i < x.length; i++) x[i] = a * x[i] + c * load(i, dW);
  }
  return x;
}

export interface SdeOrderResult {
  slope: number;
  dts: number[];
  errors: number[];
  /** Weak checks: the standard error of each error estimate (over pairs of paths). */
  standardErrors?: number[];
  /** Weak checks: relative gap between the reference's sample moment and the exact one. */
  referenceGap?: number;
}

/**
 * Strong order on GBM against the exact solution X_T = X0 exp((μ − σ²/2)T + σW_T) on the same path:
 * error E|X_T^h − X_T| over `paths` paths, dt = 2^-k.
 */
export function measureStrongOrderGBM(solver: string, paths: number, seed: number): SdeOrderResult {
  const mu = 0.5;
  const sigma = 0.8;
  const T = 1;
  const kmax = 9;
  const bm = new BrownianGrid(paths, 0, T, 2 ** kmax, seed);
  const wT = new Float64Array(paths);
  bm.value(T, wT);
  const y0 = new Float64Array(paths).fill(1);
  const problem = gbm(paths, mu, sigma);
  const dts: number[] = [];
  const errors: number[] = [];
  for (let k = 2; k <= 7; k++) {
    const dt = 2 ** -k;
    const sol = solve(problem, solver, { t0: 0, t1: T, y0, dt0: dt, brownian: bm });
    let e = 0;
    for (let i = 0; i < paths; i++) e += Math.abs(sol.y[i] - Math.exp((mu - 0.5 * sigma * sigma) * T + sigma * wT[i]));
    dts.push(dt);
    errors.push(e / paths);
  }
  return { slope: logLogSlope(dts, errors), dts, errors };
}

/** Strong order on OU (additive noise) against the exact transition on a 2^-12 grid of the same path. */
export function measureStrongOrderOU(solver: string, paths: number, seed: number): SdeOrderResult {
  const T = 1;
  const kref = 12;
  const theta = 1.5;
  const sigma = 0.7;
  const bm = new BrownianGrid(paths, 0, T, 2 ** kref, seed);
  const problem = ornsteinUhlenbeck(paths, theta, sigma);
  const y0 = new Float64Array(paths).fill(1);
  const ref = exactOrnsteinUhlenbeck(bm, T, 2 ** kref, theta, y0, (i, dW) => sigma * dW[i]);
  const dts: number[] = [];
  const errors: number[] = [];
  for (let k = 2; k <= 7; k++) {
    const dt = 2 ** -k;
    const sol = solve(problem, solver, { t0: 0, t1: T, y0, dt0: dt, brownian: bm });
    let e = 0;
    for (let i = 0; i < paths; i++) e += Math.abs(sol.y[i] - ref[i]);
    dts.push(dt);
    errors.push(e / paths);
  }
  return { slope: logLogSlope(dts, errors), dts, errors };
}

/**
 * Weak order on E[X_T] of GBM (exact X0 e^{μT}): the Monte Carlo mean over `paths` paths. The same
 * paths serve every step size, so the comparison across dt is not swamped by sampling noise.
 */
export function measureWeakOrderGBM(solver: string, paths: number, seed: number): SdeOrderResult {
  const mu = 1.0;
  const sigma = 0.5;
  const T = 1;
  const kmax = 6;
  const bm = new BrownianGrid(paths, 0, T, 2 ** kmax, seed);
  const problem = gbm(paths, mu, sigma);
  const y0 = new Float64Array(paths).fill(1);
  const exactMean = Math.exp(mu * T);
  const dts: number[] = [];
  const errors: number[] = [];
  for (let k = 1; k <= kmax; k++) {
    const dt = 2 ** -k;
    const sol = solve(problem, solver, { t0: 0, t1: T, y0, dt0: dt, brownian: bm });
    let m = 0;
    for (let i = 0; i < paths; i++) m += sol.y[i];
    dts.push(dt);
    errors.push(Math.abs(m / paths - exactMean));
  }
  return { slope: logLogSlope(dts, errors), dts, errors };
}

const fmt = (x: number) => x.toFixed(3);
const ORDER_TOL = 0.15;
const SDE_TOL = 0.2;

for (const name of ['euler', 'heun', 'rk4', 'dopri5']) {
  const s = solvers.get(name);
  coreChecks.push({
    id: `core.order.${name}`,
    paper: 'core',
    claim: `${name} converges with order ${s.order} on y' = Ay (dt = 2^-k, exact solution by eigendecomposition)`,
    run() {
      const r = measureOdeOrder(s);
      const order = s.order as number;
      return {
        measured: `slope ${fmt(r.slope)}`,
        bound: `|slope − ${order}| ≤ ${ORDER_TOL}`,
        pass: Math.abs(r.slope - order) <= ORDER_TOL,
        details: r,
      };
    },
  });
}

for (const name of ['dopri5', 'odex']) {
  coreChecks.push({
    id: `core.tolerance.${name}`,
    paper: 'core',
    claim: `${name} meets its tolerance: final relative error ≤ 10·rtol, rtol = 1e-3..1e-8 (linear system, van der Pol μ = 1)`,
    run() {
      const rows = measureTolerance(solvers.get(name), [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8]);
      const worst = Math.max(...rows.map((r) => Math.max(r.linear, r.vdp) / r.rtol));
      return { measured: `max error/rtol ${worst.toFixed(2)}`, bound: '≤ 10', pass: worst <= 10, details: { rows } };
    },
  });
}

const sdeChecks: { id: string; claim: string; order: number; run: (quick: boolean, seed: number) => SdeOrderResult }[] = [
  {
    id: 'core.sde.em-strong-gbm',
    claim: 'Euler–Maruyama has strong order 0.5 on geometric Brownian motion (exact solution on the same path)',
    order: 0.5,
    run: (q, seed) => measureStrongOrderGBM('euler_maruyama', q ? 400 : 2000, seed),
  },
  {
    id: 'core.sde.em-strong-ou',
    claim: 'Euler–Maruyama has strong order 1 on Ornstein–Uhlenbeck (additive noise; exact transition on a 2^-12 grid of the same path)',
    order: 1,
    run: (q, seed) => measureStrongOrderOU('euler_maruyama', q ? 100 : 500, seed),
  },
  {
    id: 'core.sde.heun-strong-ou',
    claim: 'stochastic Heun has strong order 1 on Ornstein–Uhlenbeck (additive noise; exact transition on a 2^-12 grid of the same path)',
    order: 1,
    run: (q, seed) => measureStrongOrderOU('stochastic_heun', q ? 100 : 500, seed),
  },
  {
    id: 'core.sde.em-weak-gbm',
    claim: 'Euler–Maruyama has weak order 1 on E[X_T] of geometric Brownian motion',
    order: 1,
    run: (q, seed) => measureWeakOrderGBM('euler_maruyama', q ? 20000 : 100000, seed),
  },
];

for (const c of sdeChecks) {
  coreChecks.push({
    id: c.id,
    paper: 'core',
    claim: c.claim,
    run({ quick, seed }) {
      const r = c.run(quick, seed);
      return {
        measured: `slope ${fmt(r.slope)}`,
        bound: `|slope − ${c.order}| ≤ ${SDE_TOL}`,
        pass: Math.abs(r.slope - c.order) <= SDE_TOL,
        details: r,
      };
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Strong and weak order for every noise kind each registered SDE solver declares.

/**
 * A test SDE for a noise kind (n = 2 components, m Brownian motions, loadings s of the kind's
 * shape: diagonal diag(0.6, 0.9), scalar one column (0.6, 0.9), general a full 2×2), with a
 * reference on each Brownian path that does not use the solver under test, and the exact second
 * moment E[X_i(T)²] (the mean of a linear SDE follows the deterministic scheme whatever the noise,
 * so it cannot see a wrong noise product; the second moment does):
 * - state-dependent kinds (geometric Brownian motion): dX_i = μX_i dt + X_i Σ_j s_ij dW_j, exact
 *   X_i(T) = X0 exp((μ − ½Σ_j s_ij²)T + Σ_j s_ij W_j(T)) on the path, E[X_i(T)²] =
 *   X0² exp((2μ + Σ_j s_ij²)T);
 * - additive kinds (Ornstein–Uhlenbeck): dX = −θX dt + S dW; reference: the exact transition over
 *   each step δ of the path's grid, X ← e^{−θδ} X + c S ΔW with c² = (1 − e^{−2θδ})/(2θδ) (exact in
 *   distribution, within O(δ) of the solution on the path); E[X_i(T)²] = (X0 e^{−θT})² +
 *   Σ_j s_ij² (1 − e^{−2θT})/(2θ).
 */
export function noiseKindProblem(kind: NoiseKind): {
  problem: Problem;
  m: number;
  y0: Float64Array;
  /** The solution at T on the path (grid of `steps` steps on [0, T]), not computed by a solver. */
  reference: (path: BrownianPath, T: number, steps: number) => Float64Array;
  secondMoment: (T: number) => Float64Array;
} {
  const n = 2;
  const shape = kind.startsWith('scalar') ? 'scalar' : kind.startsWith('general') ? 'general' : 'diagonal';
  const additive = kind === 'additive' || kind.endsWith('-additive');
  const m = shape === 'scalar' ? 1 : 2;
  // S (n×m, row-major): the noise loadings, and g's entries in the kind's layout
  const S0 = shape === 'diagonal' ? [0.6, 0, 0, 0.9] : shape === 'scalar' ? [0.6, 0.9] : [0.5, 0.3, -0.4, 0.7];
  const S = additive ? S0 : S0.map((v) => v / 2); // halved for GBM: a lighter tail of X(T)²
  const gEntries = Float64Array.from(shape === 'diagonal' ? [S[0], S[3]] : S);
  const rowSq = [0, 1].map((i) => S.slice(i * m, i * m + m).reduce((a, v) => a + v * v, 0));
  const y0 = Float64Array.from([1, 0.8]);
  const noise = { shape, additive, brownianDim: m } as const;
  if (additive) {
    const theta = 1.5;
    const problem = sdeProblem(
      drift(n, (_t, y, out) => {
        for (let i = 0; i < n; i++) out[i] = -theta * y[i];
      }),
      diffusion(n, noise, (_t, _y, out) => out.set(gEntries)),
      { name: `Ornstein–Uhlenbeck, ${kind} noise` },
    );
    const reference = (path: BrownianPath, T: number, steps: number) =>
      exactOrnsteinUhlenbeck(path, T, steps, theta, y0, (i, dW) => {
        let sw = 0;
        for (let j = 0; j < m; j++) sw += S[i * m + j] * dW[j];
        return sw;
      });
    const secondMoment = (T: number) => y0.map((v, i) => (v * Math.exp(-theta * T)) ** 2 + (rowSq[i] * (1 - Math.exp(-2 * theta * T))) / (2 * theta));
    return { problem, m, y0, reference, secondMoment };
  }
  const mu = 0.5;
  const problem = sdeProblem(
    drift(n, (_t, y, out) => {
      for (let i = 0; i < n; i++) out[i] = mu * y[i];
    }),
    diffusion(n, noise, (_t, y, out) => {
      out.set(gEntries);
      const per = out.length / n;
      for (let i = 0; i < n; i++) for (let j = 0; j < per; j++) out[i * per + j] *= y[i];
    }),
    { name: `geometric Brownian motion, ${kind} noise` },
  );
  const W = new Float64Array(m);
  const reference = (path: BrownianPath, T: number) => {
    W.fill(0);
    path.increment(0, T, W);
    return y0.map((x, i) => {
      let e = (mu - 0.5 * rowSq[i]) * T;
      for (let j = 0; j < m; j++) e += S[i * m + j] * W[j];
      return x * Math.exp(e);
    });
  };
  const secondMoment = (T: number) => y0.map((v, i) => v * v * Math.exp((2 * mu + rowSq[i]) * T));
  return { problem, m, y0, reference, secondMoment };
}

/** The increments of a path with the sign flipped (the antithetic partner). */
function antithetic(path: BrownianPath): BrownianPath {
  return {
    dim: path.dim,
    queryable: path.queryable,
    increment(t0, t1, out) {
      path.increment(t0, t1, out);
      for (let i = 0; i < out.length; i++) out[i] = -out[i];
    },
  };
}

const KIND_REF = 12; // reference grid 2^-12

/** Strong order of `solver` on the noise kind's test SDE: E|X_T^h − X_T| over `paths` paths. */
export function measureStrongOrderKind(solver: string, kind: NoiseKind, paths: number, seed: number): SdeOrderResult {
  const T = 1;
  const { problem, m, y0, reference } = noiseKindProblem(kind);
  const ks = [2, 3, 4, 5, 6, 7];
  const errors = ks.map(() => 0);
  for (let p = 0; p < paths; p++) {
    const bm = new BrownianGrid(m, 0, T, 2 ** KIND_REF, seed * 100_003 + p);
    const ref = reference(bm, T, 2 ** KIND_REF);
    ks.forEach((k, i) => {
      const y = solve(problem, solver, { t0: 0, t1: T, y0, dt0: 2 ** -k, brownian: bm }).y;
      errors[i] += maxAbsDiff(y, ref) / paths;
    });
  }
  const dts = ks.map((k) => 2 ** -k);
  return { slope: logLogSlope(dts, errors), dts, errors };
}

/**
 * Weak order on the second moment E[X_T²] of the noise kind's test SDE, over `pairs` antithetic
 * pairs of paths (the same paths at every step size), with the path's reference as control
 * variate: the estimate of E[X_h(T)²] − E[X(T)²] is the mean of X_h(T)² − X_ref(T)² plus the
 * reference's own sampling error against the exact moment, which is known. Its spread is that of
 * the strong error, not of X(T)², so the weak error stands out of the sampling noise.
 */
export function measureWeakOrderKind(solver: string, kind: NoiseKind, pairs: number, seed: number): SdeOrderResult {
  const T = 1;
  const { problem, m, y0, reference, secondMoment } = noiseKindProblem(kind);
  const exact = secondMoment(T);
  const ks = [2, 3, 4, 5, 6, 7];
  const n = y0.length;
  const sum = ks.map(() => new Float64Array(n));
  const sumSq = ks.map(() => new Float64Array(n));
  const refSum = new Float64Array(n);
  const pairDiff = ks.map(() => new Float64Array(n));
  for (let p = 0; p < pairs; p++) {
    const bm = new BrownianGrid(m, 0, T, 2 ** KIND_REF, seed * 100_003 + p);
    pairDiff.forEach((d) => d.fill(0));
    for (const path of [bm, antithetic(bm)]) {
      const ref = reference(path, T, 2 ** KIND_REF);
      for (let c = 0; c < n; c++) refSum[c] += ref[c] * ref[c];
      ks.forEach((k, i) => {
        const y = solve(problem, solver, { t0: 0, t1: T, y0, dt0: 2 ** -k, brownian: path }).y;
        for (let c = 0; c < n; c++) pairDiff[i][c] += 0.5 * (y[c] * y[c] - ref[c] * ref[c]);
      });
    }
    // a pair's mean is one independent sample
    ks.forEach((_, i) => {
      for (let c = 0; c < n; c++) {
        sum[i][c] += pairDiff[i][c];
        sumSq[i][c] += pairDiff[i][c] ** 2;
      }
    });
  }
  // E_h − E = E[X_h² − X_ref²] + (E[X_ref²] − E[X²]); the last term is zero because the reference
  // is exact (in distribution), so the estimate is the first mean alone.
  const errors: number[] = [];
  const standardErrors: number[] = [];
  ks.forEach((_, i) => {
    let worst = 0;
    let se = 0;
    for (let c = 0; c < n; c++) {
      const mean = sum[i][c] / pairs;
      if (Math.abs(mean) >= worst) {
        worst = Math.abs(mean);
        se = Math.sqrt(Math.max(0, sumSq[i][c] / pairs - mean * mean) / pairs);
      }
    }
    errors.push(worst);
    standardErrors.push(se);
  });
  const dts = ks.map((k) => 2 ** -k);
  // The reference's own sample moment against the exact one (relative), to show it is right.
  const referenceGap = Math.max(...Array.from(refSum, (v, c) => Math.abs(v / (2 * pairs) - exact[c]) / exact[c]));
  return { slope: logLogSlope(dts, errors), dts, errors, standardErrors, referenceGap };
}

/** The order a solver declares for a noise kind: strong (per kind where given) and weak. */
export function declaredOrders(solver: Solver, kind: NoiseKind): { strong: number; weak: number } {
  return { strong: solver.sde?.strongOrderFor?.[kind] ?? solver.strongOrder ?? NaN, weak: solver.weakOrder ?? NaN };
}

/** Every (SDE solver, noise kind) pair the registry declares. */
export function declaredNoiseKinds(): { solver: Solver; kind: NoiseKind }[] {
  const out: { solver: Solver; kind: NoiseKind }[] = [];
  for (const name of solvers.names()) {
    const s = solvers.get(name);
    for (const kind of s.sde?.noise ?? []) out.push({ solver: s, kind });
  }
  return out;
}

for (const { solver, kind } of declaredNoiseKinds()) {
  const orders = declaredOrders(solver, kind);
  for (const which of ['strong', 'weak'] as const) {
    const order = orders[which];
    coreChecks.push({
      id: `core.sde.${solver.name}.${kind}.${which}`,
      paper: 'core',
      claim: `${solver.name} has ${which} order ${order} for ${kind} noise (declared by the solver; ${which === 'strong' ? 'E|X_h(T) − X(T)| on the same paths' : 'E[X(T)²] over antithetic pairs'}, against a reference that is not the solver)`,
      run({ quick, seed }) {
        if (which === 'strong') {
          const r = measureStrongOrderKind(solver.name, kind, quick ? 60 : 200, seed);
          return { measured: `slope ${fmt(r.slope)}`, bound: `|slope − ${order}| ≤ ${SDE_TOL}`, pass: Math.abs(r.slope - order) <= SDE_TOL, details: r };
        }
        // weak order p means error ≤ C h^p: a solver may do better on a particular problem
        // (stochastic Heun's second moment on a linear additive SDE converges at order 2)
        // and the error must keep falling: at the finest step it lies within 2× of the fitted power
        // law or within 3 standard errors of zero (an error that levels off above the sampling
        // noise, as with a wrong noise product, does neither)
        const r = measureWeakOrderKind(solver.name, kind, quick ? 500 : 1000, seed);
        const fit = linearFit(r.dts.map(Math.log), r.errors.map(Math.log));
        const last = r.dts.length - 1;
        const offLine = r.errors[last] / Math.exp(fit.intercept + fit.slope * Math.log(r.dts[last]));
        const inNoise = r.errors[last] <= 3 * r.standardErrors![last];
        return {
          measured: `slope ${fmt(r.slope)}; finest error ${fmt(offLine)}× the fit, ${fmt(r.errors[last] / r.standardErrors![last])} s.e.`,
          bound: `slope ≥ ${order} − ${SDE_TOL}; ≤ 2× or ≤ 3 s.e.`,
          pass: r.slope >= order - SDE_TOL && (offLine <= 2 || inNoise),
          details: { ...r, offLine },
        };
      },
    });
  }
}
