/** The linear flows of eqs. (7)-(9): gradient, data reduction, Euler fast path, BP limit, bad input. */
import '../../solvers/index'; // registers the built-in solvers by name
import { expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { solve } from '../../src/core/solve';
import { constantStep } from '../../src/core/controller';
import { mat, type Mat } from '../../src/linalg/mat';
import { matMul, matMulTB } from '../../src/linalg/kernels';
import { LinearFlow, dataFromSamples, initialState, randomMatrix, teacherData, transposeCorrelation } from '../../models/urfb/linear';
import { iterate } from '../../models/urfb/iterate';
import { orthonormalColumns } from '../../models/urfb/checks';
import { maxAbsDiff } from '../helpers';

const dims = [5, 7, 6, 3];
const k = dims.length - 1;

function product(W: Mat[]): Mat {
  let P = W[1];
  for (let i = 2; i <= k; i++) {
    const next = mat(W[i].rows, P.cols);
    matMul(W[i], P, next);
    P = next;
  }
  return P;
}

function randomWeights(rng: Rng): Mat[] {
  return Array.from({ length: k }, (_, j) => randomMatrix(dims[j + 1], dims[j], 0.5, rng));
}

test('BP flow is minus the gradient of ½‖Y − W_k⋯W_1X‖² (central differences, general X)', () => {
  const rng = new Rng(5);
  const X = randomMatrix(dims[0], 9, 1, rng);
  const Y = randomMatrix(dims[k], 9, 1, rng);
  const flow = new LinearFlow({ dims, algorithm: 'bp', epsilon: 1 }, dataFromSamples(X, Y));
  const y = initialState(flow, randomWeights(rng), null);
  const f = new Float64Array(y.length);
  flow.vf(y, f);
  const loss = () => {
    const P = product(flow.views(y).W);
    const PX = mat(dims[k], 9);
    matMul(P, X, PX);
    let s = 0;
    for (let i = 0; i < PX.data.length; i++) s += (Y.data[i] - PX.data[i]) ** 2;
    return 0.5 * s;
  };
  let worst = 0;
  const h = 1e-6;
  for (let q = 0; q < y.length; q += 3) {
    const y0 = y[q];
    y[q] = y0 + h;
    const up = loss();
    y[q] = y0 - h;
    const down = loss();
    y[q] = y0;
    worst = Math.max(worst, Math.abs(-(up - down) / (2 * h) - f[q]));
  }
  expect(worst).toBeLessThan(1e-6);
  // the error the flow reports is the loss's 2x
  expect(Math.abs(flow.error(y) - 2 * loss()) / (2 * loss())).toBeLessThan(1e-12);
});

test('feedback flow equals the per-sample Hebbian rule δ_i h_{i−1}ᵀ with δ_{i−1} = R_i δ_i, and dR = ε dWᵀ', () => {
  const rng = new Rng(6);
  const N = 11;
  const X = randomMatrix(dims[0], N, 1, rng);
  const Y = randomMatrix(dims[k], N, 1, rng);
  const eps = 0.37;
  const flow = new LinearFlow({ dims, algorithm: 'feedback', epsilon: eps }, dataFromSamples(X, Y));
  const W0 = randomWeights(rng);
  const R0 = Array.from({ length: k }, (_, j) => randomMatrix(dims[j], dims[j + 1], 1, rng));
  const y = initialState(flow, W0, R0);
  const f = new Float64Array(y.length);
  flow.vf(y, f);
  const df = flow.views(f);
  // explicit: h_0 = X, h_i = W_i h_{i−1}; δ_k = Y − h_k; δ_{i−1} = R_i δ_i
  const h: Mat[] = [X];
  for (let i = 1; i <= k; i++) {
    h.push(mat(dims[i], N));
    matMul(W0[i - 1], h[i - 1], h[i]);
  }
  const delta: Mat[] = new Array(k + 1);
  delta[k] = mat(dims[k], N);
  for (let q = 0; q < delta[k].data.length; q++) delta[k].data[q] = Y.data[q] - h[k].data[q];
  for (let i = k; i >= 2; i--) {
    delta[i - 1] = mat(dims[i - 1], N);
    matMul(R0[i - 1], delta[i], delta[i - 1]);
  }
  for (let i = 1; i <= k; i++) {
    const dW = mat(dims[i], dims[i - 1]);
    matMulTB(delta[i], h[i - 1], dW);
    expect(maxAbsDiff(df.W[i].data, dW.data)).toBeLessThan(1e-10);
    for (let a = 0; a < dW.rows; a++) for (let b = 0; b < dW.cols; b++) expect(df.R[i].data[b * dW.rows + a]).toBeCloseTo(eps * dW.data[a * dW.cols + b], 10);
  }
});

test('XXᵀ = I: the flow on (X, Y) equals the flow on T = YXᵀ alone', () => {
  const rng = new Rng(7);
  const N = 8;
  const X = mat(dims[0], N);
  const Q = orthonormalColumns(N, dims[0], rng); // N x n_0 with orthonormal columns: X = Qᵀ has XXᵀ = I
  for (let i = 0; i < dims[0]; i++) for (let j = 0; j < N; j++) X.data[i * N + j] = Q.data[j * dims[0] + i];
  const Y = randomMatrix(dims[k], N, 1, rng);
  const general = new LinearFlow({ dims, algorithm: 'feedback', epsilon: 1 }, dataFromSamples(X, Y));
  const T = mat(dims[k], dims[0]);
  matMulTB(Y, X, T);
  const teacher = new LinearFlow({ dims, algorithm: 'feedback', epsilon: 1 }, teacherData(T));
  const R0 = Array.from({ length: k }, (_, j) => randomMatrix(dims[j], dims[j + 1], 1, rng));
  const y = initialState(general, randomWeights(rng), R0);
  const f1 = new Float64Array(y.length);
  const f2 = new Float64Array(y.length);
  general.vf(y, f1);
  teacher.vf(y, f2);
  expect(maxAbsDiff(f1, f2)).toBeLessThan(1e-12);
});

test('the recorded paper iteration equals Euler steps of the flow saved at every iteration, error and correlations included', () => {
  const rng = new Rng(8);
  const T = randomMatrix(dims[k], dims[0], 1, rng);
  const flow = new LinearFlow({ dims, algorithm: 'feedback', epsilon: 0.5 }, teacherData(T));
  const R0 = Array.from({ length: k }, (_, j) => randomMatrix(dims[j], dims[j + 1], 1, rng));
  const y0 = initialState(flow, null, R0);
  const eta = 0.01;
  const fast = iterate(flow, y0, eta, 300);
  // The same steps without the recording reduction: every state saved, measured afterwards; and
  // the flow in t = sη (steps t_{s+1} − t_s, equal to η up to rounding).
  const saved = solve(flow.iterationProblem(eta), 'euler', { t0: 0, t1: 300, y0, dt0: 1, controller: constantStep(), saveAt: { steps: 1 } });
  const inT = solve(flow.problem, 'euler', { t0: 0, t1: 300 * eta, y0, dt0: eta, controller: constantStep() });
  expect(fast.status).toBe('ok');
  expect(saved.ys).toHaveLength(301);
  expect(maxAbsDiff(fast.y, saved.y)).toBe(0);
  expect(maxAbsDiff(fast.y, inT.y)).toBeLessThan(1e-12);
  const corr = new Float64Array(k);
  for (let s = 0; s <= 300; s++) {
    expect(fast.error[s]).toBe(flow.error(saved.ys[s]));
    if (s === 0) continue;
    flow.momentCorrelations(saved.ys[s], corr);
    for (let i = 0; i < k; i++) expect(fast.correlation[i][s]).toBe(corr[i]);
  }
  for (let i = 0; i < k; i++) {
    // iterate 0 has W = 0: no correlation
    expect(Number.isNaN(fast.correlation[i][0])).toBe(true);
  }
  // the last correlation agrees with the two-pass formula on the final state
  const v = flow.views(fast.y);
  expect(fast.correlation[0][300]).toBeCloseTo(transposeCorrelation(v.W[1], v.R[1]), 10);
  // the error fell
  expect(fast.error[300]).toBeLessThan(1e-3 * fast.error[0]);
});

test('ε = 1 with R(0) = W(0)ᵀ is back-propagation (Zipser & Rumelhart): same trajectory', () => {
  const rng = new Rng(9);
  const T = randomMatrix(dims[k], dims[0], 1, rng);
  const W0 = randomWeights(rng);
  const R0 = W0.map((W) => {
    const R = mat(W.cols, W.rows);
    for (let a = 0; a < W.rows; a++) for (let b = 0; b < W.cols; b++) R.data[b * W.rows + a] = W.data[a * W.cols + b];
    return R;
  });
  const bp = new LinearFlow({ dims, algorithm: 'bp', epsilon: 1 }, teacherData(T));
  const urfb = new LinearFlow({ dims, algorithm: 'feedback', epsilon: 1 }, teacherData(T));
  const a = iterate(bp, initialState(bp, W0, null), 0.01, 200);
  const b = iterate(urfb, initialState(urfb, W0, R0), 0.01, 200);
  expect(maxAbsDiff(a.error, b.error)).toBeLessThan(1e-10 * a.error[0]);
  for (let i = 0; i < k; i++) expect(Math.min(...b.correlation[i])).toBeGreaterThan(1 - 1e-12);
});

test('every registered ODE solver integrates the flow (rk4 and dopri5 agree with fine Euler)', () => {
  const rng = new Rng(10);
  const T = randomMatrix(dims[k], dims[0], 1, rng);
  const flow = new LinearFlow({ dims, algorithm: 'feedback', epsilon: 1 }, teacherData(T));
  const R0 = Array.from({ length: k }, (_, j) => randomMatrix(dims[j], dims[j + 1], 1, rng));
  const y0 = initialState(flow, null, R0);
  const ref = solve(flow.problem, 'rk4', { t0: 0, t1: 2, y0, dt0: 1e-3, controller: constantStep() }).y;
  const d5 = iterate(flow, y0, 0.02, 100, { solver: 'dopri5', rtol: 1e-10, atol: 1e-12 });
  expect(d5.status).toBe('ok');
  expect(maxAbsDiff(d5.y, ref)).toBeLessThan(1e-7);
  const eu = iterate(flow, y0, 1e-3, 2000);
  expect(maxAbsDiff(eu.y, ref)).toBeLessThan(1e-2);
});

test('divergence is reported with the iteration and the block, not as silent NaN', () => {
  const rng = new Rng(11);
  const T = randomMatrix(dims[k], dims[0], 50, rng);
  const flow = new LinearFlow({ dims, algorithm: 'feedback', epsilon: 1 }, teacherData(T));
  const R0 = Array.from({ length: k }, (_, j) => randomMatrix(dims[j], dims[j + 1], 1, rng));
  const r = iterate(flow, initialState(flow, null, R0), 1, 500);
  expect(r.status).toBe('diverged');
  expect(r.message).toMatch(/diverged at iteration \d+ \(block '[WR]\d' entry \d+/);
  const viaSolve = iterate(flow, initialState(flow, null, R0), 1, 500, { solver: 'heun' });
  expect(viaSolve.status).toBe('diverged');
  expect(viaSolve.message).toMatch(/block '[WR]\d'/);
});

test('bad shapes and negative ε give messages that say what to change', () => {
  const T = mat(3, 4);
  expect(() => new LinearFlow({ dims, algorithm: 'feedback', epsilon: 1 }, teacherData(T))).toThrow(/T is 3x4 but dims \[5, 7, 6, 3\] need T to be n_k x n_0 = 3x5/);
  expect(() => new LinearFlow({ dims, algorithm: 'feedback', epsilon: -0.5 }, teacherData(mat(3, 5)))).toThrow(/ε must be a finite number >= 0/);
  const flow = new LinearFlow({ dims, algorithm: 'feedback', epsilon: 1 }, teacherData(mat(3, 5)));
  expect(() => initialState(flow, null, [mat(5, 7), mat(7, 6)])).toThrow(/R\(0\) lists 2 matrices but the network has k = 3 layers/);
  expect(() => initialState(flow, null, [mat(5, 7), mat(6, 7), mat(6, 3)])).toThrow(/R2\(0\) is 6x7 but dims \[5, 7, 6, 3\] need 7x6/);
});
