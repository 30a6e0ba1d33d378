/**
 * Theorem checks of the URFB paper (Appendix 2), registered with `creditflow verify` and asserted
 * by test/urfb at quick size. Each measuring function is exported and shared with the tests.
 *
 * - Theorem 1 (k = 2, eq. 10) and Theorem 2 (k = 3, eq. 15 under its hypotheses): e² → 0 and the
 *   time for e² to fall below 1e-6 decreases strictly along a grid of ε in [0, 1].
 * - Eq. (16): C_i = λ_{R,i}λ_i + (ε/2)λ_i² − ½λ_{i−1}² stays at zero along solutions.
 * - Appendix 2's reduction: with T = UΛ_TVᵀ, R_i(0) = U_iΛ_{R,i}U_{i+1}ᵀ (U_1 = V, U_{k+1} = U) and
 *   W(0) = 0, the matrix flows (linear.ts) stay W_i = U_{i+1}Λ_iU_iᵀ with Λ_i following eq. (15).
 * - R_i(t) = R_i(0) + εW_i(t)ᵀ when W(0) = 0 (the step from eq. 7 to eq. 8).
 *
 * Choices: cases are drawn from the seed (λ_T ∈ [0.3, 1], λ_R = λ_T·[0.02, 0.1] for Theorem 1;
 * λ_T ∈ [0.5, 0.95], λ_{R,3} = λ_T·[0.01, 0.05], λ_{R,2} = λ_{R,3}·[1.3, 2] for Theorem 2, which
 * satisfies λ_{R,2} > (1+√(1+ε))/2·λ_{R,3} for every ε ≤ 1); hitting times are located as dopri5
 * events at rtol 1e-10.
 */
import { Rng } from '../../src/core/random';
import { constantStep } from '../../src/core/controller';
import { solve } from '../../src/core/solve';
import { mat, type Mat } from '../../src/linalg/mat';
import type { TheoremCheck } from '../../src/registry';
import { solvers } from '../../solvers/index';
import { LinearFlow, initialState, randomMatrix, teacherData } from './linear';
import { conservedDrift, errorSqAt, hittingTime, modeRhs, type ModeParams } from './scalar';
import { spectralNorm, teacherMap } from './fig12';
import { iterate } from './iterate';

const PAPER = 'URFB (Amit)';
export const HIT_LEVEL = 1e-6;

// ---------------------------------------------------------------------------------------------
// Theorems 1 and 2: hitting times ordered in ε

export interface MonotoneCase {
  params: Omit<ModeParams, 'epsilon'>;
  epsilons: number[];
  /** Time at which e² first falls below 1e-6, per ε. */
  times: number[];
  /** e² at twice the ε = 0 hitting time, per ε. */
  finalErrorSq: number[];
}

export interface MonotoneResult {
  cases: MonotoneCase[];
  /** min over cases and grid neighbours of (t(ε_j) − t(ε_{j+1}))/t(ε_j): > 0 means strictly decreasing. */
  minRelativeDecrease: number;
  maxFinalErrorSq: number;
}

export function epsilonGrid(points: number): number[] {
  return Array.from({ length: points }, (_, j) => j / (points - 1));
}

/** Cases satisfying the hypotheses of Theorem 1 (k = 2) or Theorem 2 (k = 3). */
export function theoremCases(k: 2 | 3, count: number, seed: number): Omit<ModeParams, 'epsilon'>[] {
  const rng = new Rng(seed);
  const u = (a: number, b: number) => a + (b - a) * rng.uniform();
  return Array.from({ length: count }, () => {
    if (k === 2) {
      const lambdaT = u(0.3, 1);
      return { lambdaT, lambdaR: [lambdaT * u(0.02, 0.1)] };
    }
    const lambdaT = u(0.5, 0.95);
    const r3 = lambdaT * u(0.01, 0.05);
    const r2 = r3 * u(1.3, 2);
    if (!(r2 > ((1 + Math.SQRT2) / 2) * r3)) throw new Error('Theorem 2 hypothesis violated by the case generator');
    return { lambdaT, lambdaR: [r2, r3] };
  });
}

export function measureMonotoneHitting(k: 2 | 3, opts: { cases: number; gridPoints: number; seed: number }): MonotoneResult {
  const epsilons = epsilonGrid(opts.gridPoints);
  const cases: MonotoneCase[] = theoremCases(k, opts.cases, opts.seed).map((params) => {
    const times = epsilons.map((epsilon) => hittingTime({ ...params, epsilon }, HIT_LEVEL, 1e7).time);
    const tEnd = 2 * times[0];
    const finalErrorSq = epsilons.map((epsilon) => errorSqAt({ ...params, epsilon }, tEnd));
    return { params, epsilons, times, finalErrorSq };
  });
  let minRelativeDecrease = Infinity;
  let maxFinalErrorSq = 0;
  for (const c of cases) {
    for (let j = 0; j + 1 < c.times.length; j++) minRelativeDecrease = Math.min(minRelativeDecrease, (c.times[j] - c.times[j + 1]) / c.times[j]);
    maxFinalErrorSq = Math.max(maxFinalErrorSq, ...c.finalErrorSq);
  }
  return { cases, minRelativeDecrease, maxFinalErrorSq };
}

// ---------------------------------------------------------------------------------------------
// eq. (16)

export interface ConservedResult {
  runs: { k: number; epsilon: number; params: Omit<ModeParams, 'epsilon'>; maxRelative: number; maxAbsolute: number }[];
  maxRelative: number;
  rtol: number;
}

export function measureConserved(opts: { ks: number[]; epsilons: number[]; seed: number; rtol: number }): ConservedResult {
  const rng = new Rng(opts.seed);
  const runs: ConservedResult['runs'] = [];
  for (const k of opts.ks) {
    const lambdaT = 0.5 + 0.45 * rng.uniform();
    const lambdaR = Array.from({ length: k - 1 }, () => lambdaT * (0.05 + 0.15 * rng.uniform()));
    const params = { lambdaT, lambdaR };
    for (const epsilon of opts.epsilons) {
      // integrate past convergence: twice the hitting time of e² < 1e-6
      const tHit = hittingTime({ ...params, epsilon }, HIT_LEVEL, 1e7).time;
      const d = conservedDrift({ ...params, epsilon }, 2 * tHit, 400, opts.rtol);
      runs.push({ k, epsilon, params, ...d });
    }
  }
  return { runs, maxRelative: Math.max(...runs.map((r) => r.maxRelative)), rtol: opts.rtol };
}

// ---------------------------------------------------------------------------------------------
// Appendix 2: matrix flows reduce to the scalar modes

/** n x m with orthonormal columns (modified Gram–Schmidt on Gaussian columns). */
export function orthonormalColumns(n: number, m: number, rng: Rng): Mat {
  if (m > n) throw new Error(`cannot have ${m} orthonormal columns in R^${n}`);
  const Q = mat(n, m);
  rng.fillNormal(Q.data);
  for (let j = 0; j < m; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += Q.data[i * m + j] * Q.data[i * m + p];
      for (let i = 0; i < n; i++) Q.data[i * m + j] -= dot * Q.data[i * m + p];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += Q.data[i * m + j] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) Q.data[i * m + j] /= norm;
  }
  return Q;
}

/** A diag(d) Bᵀ (A is p x m, B is q x m). */
function scaledOuter(A: Mat, d: ArrayLike<number>, B: Mat): Mat {
  const m = d.length;
  const AD = mat(A.rows, m);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < m; j++) AD.data[i * m + j] = A.data[i * m + j] * d[j];
  const out = mat(A.rows, B.rows);
  for (let i = 0; i < A.rows; i++) {
    for (let q = 0; q < B.rows; q++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += AD.data[i * m + j] * B.data[q * m + j];
      out.data[i * B.rows + q] = s;
    }
  }
  return out;
}

export interface ReductionResult {
  dims: number[];
  epsilon: number;
  steps: number;
  dt: number;
  /** max over saved times, layers and entries of |W_i − U_{i+1} diag(λ_i) U_iᵀ|. */
  maxDeviationW: number;
  /** the same for R_i against U_i diag(λ_{R,i} + ελ_i) U_{i+1}ᵀ. */
  maxDeviationR: number;
  /** final e² of the slowest mode (to show the run went through the whole transient). */
  finalRelError: number;
}

/**
 * Integrate the matrix flow (rk4, step dt) and the n_k scalar systems (the same rk4 steps) from the
 * Appendix 2 initial conditions and compare W_i, R_i with their reconstructions from the modes.
 */
export function measureModeReduction(opts: { dims: number[]; epsilon: number; steps: number; dt: number; seed: number }): ReductionResult {
  const { dims, epsilon, steps, dt } = opts;
  const k = dims.length - 1;
  const m = dims[k];
  if (dims.some((d) => d < m)) throw new Error(`the reduction needs n_k <= every other width (dims [${dims.join(', ')}])`);
  const rng = new Rng(opts.seed);
  // U_1 = V (n_0 x m), U_i (n_{i−1} x m), U_{k+1} = U (m x m)
  const U: Mat[] = [mat(0, 0)];
  for (let i = 1; i <= k + 1; i++) U.push(orthonormalColumns(i <= k ? dims[i - 1] : m, m, rng));
  const lambdaT = Array.from({ length: m }, () => 0.4 + 0.6 * rng.uniform());
  // Λ_{R,i} for i = 1..k (Λ_{R,1} never acts but sets R_1(0)).
  const lambdaR = Array.from({ length: k + 1 }, () => Array.from({ length: m }, () => 0.1 + 0.3 * rng.uniform()));
  const T = scaledOuter(U[k + 1], lambdaT, U[1]);
  const R0 = Array.from({ length: k }, (_, j) => scaledOuter(U[j + 1], lambdaR[j + 1], U[j + 2]));
  const flow = new LinearFlow({ dims, algorithm: 'feedback', epsilon }, teacherData(T));
  const y0 = initialState(flow, null, R0);
  // mode states: lam[a] = [λ_1..λ_k] for mode a, integrated by the same rk4 steps
  const modes = lambdaT.map((lt, a) => ({ lambdaT: lt, lambdaR: Array.from({ length: k - 1 }, (_, j) => lambdaR[j + 2][a]), epsilon }));
  const lam = modes.map(() => new Float64Array(k));
  const rk4Mode = (p: ModeParams, x: Float64Array) => {
    const k1 = new Float64Array(k), k2 = new Float64Array(k), k3 = new Float64Array(k), k4 = new Float64Array(k), z = new Float64Array(k);
    modeRhs(p, x, k1);
    for (let i = 0; i < k; i++) z[i] = x[i] + 0.5 * dt * k1[i];
    modeRhs(p, z, k2);
    for (let i = 0; i < k; i++) z[i] = x[i] + 0.5 * dt * k2[i];
    modeRhs(p, z, k3);
    for (let i = 0; i < k; i++) z[i] = x[i] + dt * k3[i];
    modeRhs(p, z, k4);
    for (let i = 0; i < k; i++) x[i] += (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  };
  let maxDeviationW = 0;
  let maxDeviationR = 0;
  const compare = (y: Float64Array) => {
    const v = flow.views(y);
    for (let i = 1; i <= k; i++) {
      const Wrec = scaledOuter(U[i + 1], lam.map((l) => l[i - 1]), U[i]);
      const Rrec = scaledOuter(U[i], lambdaR[i].map((r, a) => r + epsilon * lam[a][i - 1]), U[i + 1]);
      for (let q = 0; q < Wrec.data.length; q++) maxDeviationW = Math.max(maxDeviationW, Math.abs(v.W[i].data[q] - Wrec.data[q]));
      for (let q = 0; q < Rrec.data.length; q++) maxDeviationR = Math.max(maxDeviationR, Math.abs(v.R[i].data[q] - Rrec.data[q]));
    }
  };
  const saveEvery = Math.max(1, Math.floor(steps / 20));
  const sol = solve(flow.problem, 'rk4', {
    t0: 0,
    t1: steps * dt,
    y0,
    dt0: dt,
    controller: constantStep(),
    saveAt: { steps: saveEvery, fn: (_t, y) => y.slice() },
  });
  if (sol.status !== 'ok') throw new Error(`matrix flow failed: ${sol.message}`);
  const savedAt = new Map(sol.ts.map((t, j) => [Math.round(t / dt), sol.ys[j]] as const));
  for (let s = 0; s <= steps; s++) {
    const y = savedAt.get(s);
    if (y) compare(y);
    if (s < steps) modes.forEach((p, a) => rk4Mode(p, lam[a]));
  }
  const finalRelError = Math.max(...modes.map((p, a) => (p.lambdaT - lam[a].reduce((x, l) => x * l, 1)) ** 2 / p.lambdaT ** 2));
  return { dims, epsilon, steps, dt, maxDeviationW, maxDeviationR, finalRelError };
}

// ---------------------------------------------------------------------------------------------
// R(t) = R(0) + εW(t)ᵀ

export interface InvariantResult {
  /** A registered solver (integrating in t), or 'fig12' for the path `reproduce fig12` runs (iterate.ts: Euler in iterations of η). */
  solver: string;
  epsilon: number;
  /** max_i max |R_i − R_i(0) − εW_iᵀ| / max |R_i(0)|. */
  maxRelative: number;
  finalRelError: number;
}

/**
 * The learning rule of eqs. (7)-(8) written out from the paper, independently of LinearFlow's
 * reuse of products (X = I, Σ = I): h_0 = I, h_i = W_i h_{i−1}; δ_k = T − h_k, δ_{i−1} = R_i δ_i;
 * dW_i = δ_i h_{i−1}ᵀ; dR_i = ε dW_iᵀ. Matrices row-major (W_i: n_i × n_{i−1}, R_i: n_{i−1} × n_i).
 */
export function referenceRule(dims: readonly number[], T: Mat, W: readonly Float64Array[], R: readonly Float64Array[], epsilon: number): { dW: Float64Array[]; dR: Float64Array[] } {
  const k = dims.length - 1;
  const n0 = dims[0];
  const mul = (A: Float64Array, ar: number, ac: number, B: Float64Array, bc: number) => {
    const C = new Float64Array(ar * bc);
    for (let i = 0; i < ar; i++) for (let l = 0; l < ac; l++) for (let j = 0; j < bc; j++) C[i * bc + j] += A[i * ac + l] * B[l * bc + j];
    return C;
  };
  const h: Float64Array[] = [Float64Array.from({ length: n0 * n0 }, (_, q) => (Math.floor(q / n0) === q % n0 ? 1 : 0))];
  for (let i = 1; i <= k; i++) h.push(mul(W[i - 1], dims[i], dims[i - 1], h[i - 1], n0));
  const delta: Float64Array[] = new Array(k + 1);
  delta[k] = Float64Array.from(T.data, (t, q) => t - h[k][q]);
  for (let i = k; i >= 2; i--) delta[i - 1] = mul(R[i - 1], dims[i - 1], dims[i], delta[i], n0);
  const dW: Float64Array[] = [];
  const dR: Float64Array[] = [];
  for (let i = 1; i <= k; i++) {
    const ni = dims[i];
    const np = dims[i - 1];
    const d = new Float64Array(ni * np);
    for (let a = 0; a < ni; a++) for (let b = 0; b < np; b++) {
      let acc = 0;
      for (let c = 0; c < n0; c++) acc += delta[i][a * n0 + c] * h[i - 1][b * n0 + c];
      d[a * np + b] = acc;
    }
    dW.push(d);
    const r = new Float64Array(np * ni);
    for (let a = 0; a < ni; a++) for (let b = 0; b < np; b++) r[b * ni + a] = epsilon * d[a * np + b];
    dR.push(r);
  }
  return { dW, dR };
}

export interface RuleResult {
  /** max |f(y) − reference| / max |reference| over dW and dR at a random state (LinearFlow.vf). */
  vfDeviation: number;
  /** The same after `steps` steps: the iteration of `reproduce fig12` against Euler steps of the reference rule. */
  pathDeviation: number;
}

/**
 * The learning rule itself (not only the invariant, which holds for any dW once dR := ε dWᵀ): the
 * vector field at a random state, and the Euler iteration that `reproduce fig12` runs, both
 * against the rule written out from eqs. (7)-(8) (`referenceRule`).
 */
export function measureLearningRule(opts: { dims: number[]; epsilon: number; steps: number; seed: number }): RuleResult {
  const { dims, epsilon } = opts;
  const k = dims.length - 1;
  const rng = new Rng(opts.seed + 101);
  const T = teacherMap(dims, 2, rng);
  const flow = new LinearFlow({ dims, algorithm: 'feedback', epsilon }, teacherData(T));
  const maxAbs = (a: readonly Float64Array[]) => Math.max(...a.map((x) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  const dev = (a: readonly Float64Array[], b: readonly Float64Array[]) => Math.max(...a.map((x, i) => x.reduce((m, v, q) => Math.max(m, Math.abs(v - b[i][q])), 0)));
  // A random state: W and R with unit-scale entries.
  const W = Array.from({ length: k }, (_, j) => randomMatrix(dims[j + 1], dims[j], 1 / Math.sqrt(dims[j]), rng));
  const R = Array.from({ length: k }, (_, j) => randomMatrix(dims[j], dims[j + 1], 1 / Math.sqrt(dims[j + 1]), rng));
  const y = initialState(flow, W, R);
  const out = new Float64Array(y.length);
  flow.vf(y, out);
  const v = flow.views(out);
  const ref = referenceRule(dims, T, W.map((m) => m.data), R.map((m) => m.data), epsilon);
  const got = [...v.W.slice(1).map((m) => m.data), ...v.R.slice(1).map((m) => m.data)];
  const want = [...ref.dW, ...ref.dR];
  const vfDeviation = dev(got, want) / maxAbs(want);
  // The path of `reproduce fig12`: W(0) = 0, R(0) random, its iteration.
  const R0 = Array.from({ length: k }, (_, j) => randomMatrix(dims[j], dims[j + 1], 1, rng));
  const eta = 0.003 / spectralNorm(T);
  const traj = iterate(flow, initialState(flow, null, R0), eta, opts.steps);
  const Wr = dims.slice(1).map((d, j) => new Float64Array(d * dims[j]));
  const Rr = R0.map((m) => m.data.slice());
  for (let s = 0; s < opts.steps; s++) {
    const r = referenceRule(dims, T, Wr, Rr, epsilon);
    Wr.forEach((w, i) => w.forEach((_, q) => (w[q] += eta * r.dW[i][q])));
    Rr.forEach((m, i) => m.forEach((_, q) => (m[q] += eta * r.dR[i][q])));
  }
  const fv = flow.views(traj.y);
  const pathDeviation = dev([...fv.W.slice(1).map((m) => m.data), ...fv.R.slice(1).map((m) => m.data)], [...Wr, ...Rr]) / maxAbs([...Wr, ...Rr]);
  return { vfDeviation, pathDeviation };
}

/** Integrate the Fig. 12 flow (W(0) = 0, random R(0)) with `solver` ('fig12': the iteration of `reproduce fig12`) and measure the invariant. */
export function measureFeedbackInvariant(opts: { dims: number[]; epsilon: number; solver: string; steps: number; seed: number }): InvariantResult {
  const { dims, epsilon } = opts;
  const k = dims.length - 1;
  const rng = new Rng(opts.seed);
  const T = teacherMap(dims, 2, rng);
  const R0 = Array.from({ length: k }, (_, j) => randomMatrix(dims[j], dims[j + 1], 1, rng));
  const flow = new LinearFlow({ dims, algorithm: 'feedback', epsilon }, teacherData(T));
  const eta = 0.003 / spectralNorm(T);
  const y0 = initialState(flow, null, R0);
  let yEnd: Float64Array;
  if (opts.solver === 'fig12') {
    const traj = iterate(flow, y0, eta, opts.steps);
    if (traj.status !== 'ok') throw new Error(`fig12 iteration: ${traj.message}`);
    yEnd = traj.y;
  } else {
    const fixed = !solvers.get(opts.solver).adaptive;
    const sol = solve(flow.problem, opts.solver, {
      t0: 0,
      t1: opts.steps * eta,
      y0,
      dt0: eta,
      controller: fixed ? constantStep() : undefined,
      rtol: 1e-8,
      atol: 1e-10,
      maxSteps: 1_000_000,
    });
    if (sol.status !== 'ok') throw new Error(`${opts.solver}: ${sol.message}`);
    yEnd = sol.y;
  }
  const v = flow.views(yEnd);
  let dev = 0;
  let scale = 0;
  for (let i = 1; i <= k; i++) {
    const W = v.W[i];
    const R = v.R[i];
    const n = W.cols;
    const mm = W.rows;
    for (let a = 0; a < mm; a++) {
      for (let b = 0; b < n; b++) {
        const r0 = R0[i - 1].data[b * mm + a];
        dev = Math.max(dev, Math.abs(R.data[b * mm + a] - r0 - epsilon * W.data[a * n + b]));
        scale = Math.max(scale, Math.abs(r0));
      }
    }
  }
  return { solver: opts.solver, epsilon, maxRelative: dev / scale, finalRelError: flow.error(yEnd) / flow.data.trYY };
}

// ---------------------------------------------------------------------------------------------
// registered checks

const sci = (x: number) => x.toExponential(2);

export const THEOREM_DECREASE_MIN = 0; // strictly decreasing
export const FINAL_ERROR_SQ_MAX = 1e-12;
export const CONSERVED_MAX = 1e-8;
export const REDUCTION_MAX = 1e-8;
export const INVARIANT_MAX = 1e-12;
/** Learning rule against `referenceRule`: one evaluation, and the Fig. 12 path (rounding accumulates over the steps). */
export const RULE_MAX = 1e-12;
export const PATH_MAX = 1e-10;

function monotoneCheck(k: 2 | 3): TheoremCheck {
  const theorem = k === 2 ? 'Theorem 1 (k = 2, eq. 10)' : 'Theorem 2 (k = 3, eq. 15, λ_R2 > (1+√(1+ε))/2·λ_R3, λ_R ≪ λ_T < 1)';
  return {
    id: `urfb.theorem${k - 1}`,
    paper: PAPER,
    claim: `${theorem}: e² → 0 and the time to e² < 1e-6 decreases strictly in ε over a grid on [0, 1]`,
    run({ quick, seed }) {
      const r = measureMonotoneHitting(k, { cases: quick ? 2 : 5, gridPoints: quick ? 6 : 11, seed });
      return {
        measured: `min relative decrease of t(ε) between grid neighbours ${sci(r.minRelativeDecrease)}; max e² at 2·t(ε=0) ${sci(r.maxFinalErrorSq)}`,
        bound: `> ${THEOREM_DECREASE_MIN}; ≤ ${sci(FINAL_ERROR_SQ_MAX)}`,
        pass: r.minRelativeDecrease > THEOREM_DECREASE_MIN && r.maxFinalErrorSq <= FINAL_ERROR_SQ_MAX,
        details: r,
      };
    },
  };
}

export const urfbChecks: TheoremCheck[] = [
  monotoneCheck(2),
  monotoneCheck(3),
  {
    id: 'urfb.eq16-conserved',
    paper: PAPER,
    claim: 'eq. (16): λ_R,i·λ_i + (ε/2)λ_i² − ½λ_{i−1}² stays at zero along solutions of eq. (15) (k = 2, 3, 4; dopri5 rtol 1e-10)',
    run({ quick, seed }) {
      const r = measureConserved({ ks: quick ? [2, 3] : [2, 3, 4], epsilons: quick ? [0, 1] : [0, 0.25, 0.5, 1], seed, rtol: 1e-10 });
      return { measured: `max |C_i| / max ½λ_{i−1}² = ${sci(r.maxRelative)}`, bound: `≤ ${sci(CONSERVED_MAX)}`, pass: r.maxRelative <= CONSERVED_MAX, details: r };
    },
  },
  {
    id: 'urfb.mode-reduction',
    paper: PAPER,
    claim: 'Appendix 2: with T, R(0) built from shared singular vectors and W(0) = 0 the matrix flows (9) reduce mode by mode to eq. (15) (rk4, k = 3)',
    run({ quick, seed }) {
      const dims = quick ? [6, 8, 7, 3] : [20, 30, 25, 5];
      const rs = [0, 0.5, 1].map((epsilon) => measureModeReduction({ dims, epsilon, steps: quick ? 400 : 1500, dt: quick ? 0.2 : 0.05, seed }));
      const worst = Math.max(...rs.map((r) => Math.max(r.maxDeviationW, r.maxDeviationR)));
      return { measured: `max |W_i − U_{i+1}Λ_iU_iᵀ|, |R_i − U_i(Λ_R,i+εΛ_i)U_{i+1}ᵀ| = ${sci(worst)}`, bound: `≤ ${sci(REDUCTION_MAX)}`, pass: worst <= REDUCTION_MAX, details: { runs: rs } };
    },
  },
  {
    id: 'urfb.feedback-invariant',
    paper: PAPER,
    claim: 'eqs. (7)→(8): the learning rule δ_i h_{i−1}ᵀ, dR = ε dWᵀ (vector field and the iteration of `reproduce fig12` against the rule written out), and with W(0) = 0, R_i(t) = R_i(0) + εW_i(t)ᵀ for every solver (euler, heun, rk4, dopri5, odex, and the fig12 iteration)',
    run({ quick, seed }) {
      const dims = quick ? [8, 12, 12, 4] : [40, 100, 100, 10];
      const rs: InvariantResult[] = [];
      for (const solver of ['euler', 'heun', 'rk4', 'dopri5', 'odex', 'fig12']) for (const epsilon of [0.25, 1]) rs.push(measureFeedbackInvariant({ dims, epsilon, solver, steps: quick ? 200 : 300, seed }));
      const rules = [0.25, 1].map((epsilon) => measureLearningRule({ dims: quick ? dims : [10, 20, 20, 5], epsilon, steps: quick ? 50 : 100, seed }));
      const worst = Math.max(...rs.map((r) => r.maxRelative));
      const vf = Math.max(...rules.map((r) => r.vfDeviation));
      const pathDev = Math.max(...rules.map((r) => r.pathDeviation));
      return {
        measured: `max |R − R(0) − εWᵀ| / max |R(0)| = ${sci(worst)}; rule vs reference: ${sci(vf)} (vector field), ${sci(pathDev)} (fig12 path)`,
        bound: `invariant ≤ ${sci(INVARIANT_MAX)}, rule ≤ ${sci(RULE_MAX)}, path ≤ ${sci(PATH_MAX)}`,
        pass: worst <= INVARIANT_MAX && vf <= RULE_MAX && pathDev <= PATH_MAX,
        details: { runs: rs, rules },
      };
    },
  },
];

