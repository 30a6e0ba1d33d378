/**
 * The core's own theorem checks: convergence orders of the registered solvers, measured (never
 * assumed), registered with `creditflow verify` and asserted by the tests.
 */
import { logLogSlope } from '../src/analysis/fit';
import { BrownianGrid } from '../src/core/brownian';
import { constantStep } from '../src/core/controller';
import { solve } from '../src/core/solve';
import type { Solver } from '../src/core/solver';
import { diffusion, drift, odeProblem, sdeProblem, type Problem } from '../src/core/terms';
import { Matrix, inverse } from 'ml-matrix';
import { expmApply, fromMl, toMl } from '../src/linalg/decomp';
import { fromRows, type Mat } from '../src/linalg/mat';
import { checks } from '../src/registry';
import { solvers } from './index';

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

export interface SdeOrderResult {
  slope: number;
  dts: number[];
  errors: number[];
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

/** Strong order on OU (additive noise) against a fine-step (2^-12) reference on the same path. */
export function measureStrongOrderOU(solver: string, paths: number, seed: number): SdeOrderResult {
  const T = 1;
  const kref = 12;
  const bm = new BrownianGrid(paths, 0, T, 2 ** kref, seed);
  const problem = ornsteinUhlenbeck(paths, 1.5, 0.7);
  const y0 = new Float64Array(paths).fill(1);
  const ref = solve(problem, solver, { t0: 0, t1: T, y0, dt0: 2 ** -kref, brownian: bm }).y;
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
  checks.register(`core.order.${name}`, {
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
  checks.register(`core.tolerance.${name}`, {
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
    claim: 'Euler–Maruyama has strong order 1 on Ornstein–Uhlenbeck (additive noise; fine-step reference, same path)',
    order: 1,
    run: (q, seed) => measureStrongOrderOU('euler_maruyama', q ? 100 : 500, seed),
  },
  {
    id: 'core.sde.heun-strong-ou',
    claim: 'stochastic Heun has strong order 1 on Ornstein–Uhlenbeck (additive noise)',
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
  checks.register(c.id, {
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
