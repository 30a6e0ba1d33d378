import { expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { pinv, toMl, fromMl } from '../../src/linalg/decomp';
import { mat, type Mat } from '../../src/linalg/mat';
import {
  angleDeg,
  bpUpdate,
  condition1,
  condition2Ratio,
  gnUpdate,
  jqEigenvalues,
  lemma1Control,
  maxRealEig,
  mnUpdate,
  sampleInfo,
  ssaUpdate,
  stabilityMatrix,
  type SampleInfo,
} from '../../models/dfc/diagnostics';
import { randomFeedback, type DfcNet } from '../../models/dfc/network';
import { dfcSystem } from '../../models/dfc/terms';
import { rowSpaceFeedback, randomSpd } from '../../models/dfc/checks';
import { flat, maxAbs, smallNet } from './helpers';

/** J_θ (n_L x P) of one sample by central finite differences of the feedforward output. */
function jThetaFD(net: DfcNet, W: Mat[], x: Float64Array): Mat {
  const P = W.reduce((s, m) => s + m.data.length, 0);
  const J = mat(net.nOut, P);
  const h = 1e-6;
  let col = 0;
  for (const Wi of W)
    for (let k = 0; k < Wi.data.length; k++, col++) {
      const w0 = Wi.data[k];
      Wi.data[k] = w0 + h;
      const up = net.feedforward(W, x).r[net.L];
      Wi.data[k] = w0 - h;
      const down = net.feedforward(W, x).r[net.L];
      Wi.data[k] = w0;
      for (let a = 0; a < net.nOut; a++) J.data[a * P + col] = (up[a] - down[a]) / (2 * h);
    }
  return J;
}

function setup(): { net: DfcNet; W: Mat[]; s: SampleInfo; y: Float64Array; rng: Rng } {
  const { net, p, rng } = smallNet({ seed: 7 });
  const x = rng.fillUniform(new Float64Array(4), -1, 1);
  const y = rng.fillNormal(new Float64Array(3));
  return { net, W: p.W, s: sampleInfo(net, p.W, x, y, 0.1), y, rng };
}

test('Jacobian blocks J_i = ∂r_L/∂v_i match finite differences (through J_θ = [J_i ⊗ r_{i−1}ᵀ])', () => {
  const { net, W, s } = setup();
  const Jt = jThetaFD(net, W, s.x);
  const P = Jt.cols;
  let col = 0;
  let worst = 0;
  s.Jb.forEach((Ji, i) => {
    for (let a = 0; a < Ji.cols; a++)
      for (let b = 0; b < s.r[i].length; b++, col++)
        for (let k = 0; k < net.nOut; k++) worst = Math.max(worst, Math.abs(Jt.data[k * P + col] - Ji.data[k * Ji.cols + a] * s.r[i][b]));
  });
  expect(worst).toBeLessThan(1e-8);
});

test('gnUpdate is J_θ⁺ δ_L (eq. 7) and mnUpdate solves eq. (10) (weighted pseudo-inverse)', () => {
  const { net, W, s } = setup();
  const Jt = jThetaFD(net, W, s.x);
  const gnRef = pinv(Jt).data; // P x n_L
  const P = Jt.cols;
  const ref = new Float64Array(P);
  for (let c = 0; c < P; c++) for (let k = 0; k < net.nOut; k++) ref[c] += gnRef[c * net.nOut + k] * s.delta[k];
  expect(maxAbs(flat(gnUpdate(s)), ref)).toBeLessThan(1e-7);
  // weighted MN: D⁻¹ J_θᵀ (J_θ D⁻¹ J_θᵀ)⁻¹ δ with D = ‖r_{i−1}‖² on layer i's block
  const dinv = new Float64Array(P);
  let c0 = 0;
  W.forEach((Wi, i) => {
    const w = 1 / s.r[i].reduce((a, v) => a + v * v, 0);
    dinv.fill(w, c0, c0 + Wi.data.length);
    c0 += Wi.data.length;
  });
  const J = toMl(Jt);
  const Dm = toMl(mat(P, P));
  for (let c = 0; c < P; c++) Dm.set(c, c, dinv[c]);
  const lhs = J.mmul(Dm).mmul(J.transpose());
  const mu = toMl(pinv(fromMl(lhs))).mmul(toMl(mat(net.nOut, 1, s.delta)));
  const mnRef = Dm.mmul(J.transpose()).mmul(mu).getColumn(0);
  expect(maxAbs(flat(mnUpdate(s)), mnRef)).toBeLessThan(1e-7);
  // both reach the linearised target: J_θ ΔW = δ
  for (const upd of [gnUpdate(s), mnUpdate(s)]) {
    const f = flat(upd);
    for (let k = 0; k < net.nOut; k++) {
      let v = 0;
      for (let c = 0; c < P; c++) v += Jt.data[k * P + c] * f[c];
      expect(v).toBeCloseTo(s.delta[k], 7);
    }
  }
});

test('bpUpdate is the negative gradient of the per-sample loss (finite differences)', () => {
  const { net, W, s, y } = setup();
  const upd = flat(bpUpdate(net, s, y));
  const h = 1e-6;
  let col = 0;
  let worst = 0;
  for (const Wi of W)
    for (let k = 0; k < Wi.data.length; k++, col++) {
      const w0 = Wi.data[k];
      Wi.data[k] = w0 + h;
      const up = net.lossAndGrad(net.feedforward(W, s.x).r[net.L], y);
      Wi.data[k] = w0 - h;
      const down = net.lossAndGrad(net.feedforward(W, s.x).r[net.L], y);
      Wi.data[k] = w0;
      worst = Math.max(worst, Math.abs(-(up - down) / (2 * h) - upd[col]));
    }
  expect(worst).toBeLessThan(1e-7);
});

test('Condition 1 statistic: 0 for equal layer norms, std/mean otherwise', () => {
  expect(condition1([Float64Array.of(3, 4), Float64Array.of(0, 5), Float64Array.of(5, 0), Float64Array.of(9)])).toBe(0);
  // norms 1 and 3: std 1, mean 2
  expect(condition1([Float64Array.of(1), Float64Array.of(3), Float64Array.of(7)])).toBeCloseTo(0.5, 14);
});

test('Condition 2 ratio: 1 for Q = Jᵀ M, the projection norm ratio for random Q', () => {
  const { net, s, rng } = setup();
  const Qrow = rowSpaceFeedback(net, s.J, randomSpd(3, rng));
  expect(condition2Ratio(s.Jb, Qrow)).toBeCloseTo(1, 12);
  const Q = randomFeedback(net, rng);
  const Jm = toMl(s.J);
  const Pm = Jm.transpose().mmul(toMl(pinv(fromMl(Jm.mmul(Jm.transpose()))))).mmul(Jm);
  const Qs = toMl(net.stackQ(Q));
  const ratio = Pm.mmul(Qs).norm('frobenius') / Qs.norm('frobenius');
  expect(condition2Ratio(s.Jb, Q)).toBeCloseTo(ratio, 12);
  expect(ratio).toBeLessThan(0.9);
});

test('stabilityMatrix is the Jacobian of the network + controller drift (finite differences); maxRealEig, JQ eigenvalues', () => {
  const { net, p, rng } = smallNet({ seed: 11 });
  const x = rng.fillUniform(new Float64Array(4), -1, 1);
  const rStar = rng.fillNormal(new Float64Array(3));
  const c = { tauV: 0.2, tauU: 1, kp: 1.5, alpha: 0.01 };
  const sys = dfcSystem({ net, params: p, x, rStar, ...c });
  const y = sys.y0.slice();
  rng.fillNormal(y, 0.5); // an arbitrary state
  const n = y.length;
  const A = stabilityMatrix(net, p, net.split(y.subarray(0, net.N)), c);
  const f1 = new Float64Array(n);
  const f2 = new Float64Array(n);
  const h = 1e-6;
  let worst = 0;
  for (let j = 0; j < n; j++) {
    const y0 = y[j];
    y[j] = y0 + h;
    sys.problem.drift.vf(0, y, f1);
    y[j] = y0 - h;
    sys.problem.drift.vf(0, y, f2);
    y[j] = y0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs((f1[i] - f2[i]) / (2 * h) - A.data[i * n + j]));
  }
  expect(worst).toBeLessThan(1e-7);
  const eig = maxRealEig(A);
  expect(Number.isFinite(eig)).toBe(true);
  const s = sampleInfo(net, p.W, x, rStar, 0.1);
  expect(jqEigenvalues(s.Jb, p.Q).re.length).toBe(3);
});

test('ssaUpdate uses u = (JQ + α̃I)⁻¹δ_L; angleDeg', () => {
  const { net, p, rng } = smallNet({ seed: 5 });
  const x = rng.fillUniform(new Float64Array(4), -1, 1);
  const y = rng.fillNormal(new Float64Array(3));
  const s = sampleInfo(net, p.W, x, y, 0.05);
  const r = ssaUpdate(net, p, s, 0.01, 1.5);
  expect(maxAbs(r.u, lemma1Control(s, p.Q, 0.01, 1.5))).toBe(0);
  // the sweep state satisfies v_i = W_i r_{i−1} + Q_i u exactly
  for (let i = 1; i <= net.L; i++) {
    const W = p.W[i - 1];
    const Q = p.Q[i - 1];
    for (let a = 0; a < W.rows; a++) {
      let v = 0;
      for (let b = 0; b < W.cols; b++) v += W.data[a * W.cols + b] * r.r[i - 1][b];
      for (let k = 0; k < 3; k++) v += Q.data[a * 3 + k] * r.u[k];
      expect(v).toBeCloseTo(r.v[i - 1][a], 13);
    }
  }
  const a = [mat(1, 2, Float64Array.of(1, 0))];
  expect(angleDeg(a, [mat(1, 2, Float64Array.of(1, 1))])).toBeCloseTo(45, 12);
  expect(angleDeg(a, [mat(1, 2, Float64Array.of(-1, 0))])).toBeCloseTo(180, 12);
});
