/** Section 3: σ, the hinge loss (eqs. 4-6), the BP limit of URFB, sparse connectivity, learning. */
import { expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { FeedbackNet, hingeLossDelta, saturatedLinear, softmaxDelta } from '../../models/urfb/nonlinear';
import { loadData, trainNetwork, trainDefaults } from '../../models/urfb/train';
import { maxAbsDiff } from '../helpers';

test('σ is the saturated linearity of eq. (3)', () => {
  expect([-3, -1, -0.5, 0, 0.7, 1, 2].map(saturatedLinear)).toEqual([-1, -1, -0.5, 0, 0.7, 1, 1]);
});

test('hinge loss eq. (4) and its feedback signal eq. (6)', () => {
  const x = Float64Array.from([0.5, 1.5, -2, -0.5]);
  const d = new Float64Array(4);
  const mu = 0.3;
  const loss = hingeLossDelta(x, 0, 4, 0, mu, d);
  // class 0: max(1 − 0.5, 0) = 0.5; others: μ(max(1+1.5,0) + max(1−2,0) + max(1−0.5,0)) = 0.3·3
  expect(loss).toBeCloseTo(0.5 + 0.3 * 3, 14);
  expect(Array.from(d)).toEqual([1, -mu, 0, -mu]);
  // correct class above the margin: no signal
  hingeLossDelta(Float64Array.from([1.2, -1.5]), 0, 2, 0, mu, d);
  expect(Array.from(d.subarray(0, 2))).toEqual([0, 0]);
  // δ = −∂L/∂x away from the kinks (central differences)
  const y = Float64Array.from([0.2, 0.4, -0.7]);
  const g = new Float64Array(3);
  hingeLossDelta(y, 0, 3, 1, mu, g);
  const tmp = new Float64Array(3);
  for (let i = 0; i < 3; i++) {
    const up = Float64Array.from(y);
    const dn = Float64Array.from(y);
    up[i] += 1e-6;
    dn[i] -= 1e-6;
    const fd = (hingeLossDelta(up, 0, 3, 1, mu, tmp) - hingeLossDelta(dn, 0, 3, 1, mu, tmp)) / 2e-6;
    expect(-fd).toBeCloseTo(g[i], 6);
  }
  // softmax: δ = y − p sums to zero
  softmaxDelta(Float64Array.from([1, 2, 3]), 0, 3, 2, g);
  expect(g[0] + g[1] + g[2]).toBeCloseTo(0, 14);
});

function batch(rng: Rng, B: number, d: number, C: number) {
  const x = rng.fillNormal(new Float64Array(B * d), 0.5);
  const y = new Int32Array(B);
  for (let b = 0; b < B; b++) y[b] = b % C;
  return { x, y };
}

test('URFB started from R = Wᵀ is BP with the hinge loss (the same weights after many steps)', () => {
  const sizes = [12, 9, 8, 4];
  const bp = new FeedbackNet({ sizes, rule: 'bp-hinge', mu: 0.3, sparsity: 0 }, 4);
  const urfb = new FeedbackNet({ sizes, rule: 'urfb', mu: 0.3, sparsity: 0 }, 4);
  for (let l = 2; l <= 3; l++) {
    const W = urfb.W[l];
    for (let a = 0; a < W.rows; a++) for (let b = 0; b < W.cols; b++) urfb.R[l].data[b * W.rows + a] = W.data[a * W.cols + b];
  }
  const rng = new Rng(1);
  for (let s = 0; s < 50; s++) {
    const { x, y } = batch(rng, 6, 12, 4);
    bp.step(x, y, 6, 0.1);
    urfb.step(x, y, 6, 0.1);
  }
  for (let l = 1; l <= 3; l++) expect(maxAbsDiff(bp.W[l].data, urfb.W[l].data)).toBeLessThan(1e-12);
  expect(urfb.alignment().every((c) => c > 1 - 1e-12)).toBe(true);
});

test('FRFB keeps R fixed; URFB changes R by the transposed Hebbian increment', () => {
  const sizes = [12, 9, 8, 4];
  const frfb = new FeedbackNet({ sizes, rule: 'frfb', mu: 0.3, sparsity: 0 }, 5);
  const urfb = new FeedbackNet({ sizes, rule: 'urfb', mu: 0.3, sparsity: 0 }, 5);
  const R0 = frfb.R.map((R) => R.data.slice());
  const W0 = urfb.W.map((W) => W.data.slice());
  const U0 = urfb.R.map((R) => R.data.slice());
  const rng = new Rng(2);
  const { x, y } = batch(rng, 5, 12, 4);
  frfb.step(x, y, 5, 0.1);
  urfb.step(x, y, 5, 0.1);
  for (let l = 2; l <= 3; l++) {
    expect(Array.from(frfb.R[l].data)).toEqual(Array.from(R0[l]));
    const W = urfb.W[l];
    let worst = 0;
    for (let a = 0; a < W.rows; a++) {
      for (let b = 0; b < W.cols; b++) {
        const dW = W.data[a * W.cols + b] - W0[l][a * W.cols + b];
        const dR = urfb.R[l].data[b * W.rows + a] - U0[l][b * W.rows + a];
        worst = Math.max(worst, Math.abs(dW - dR));
      }
    }
    expect(worst).toBeLessThan(1e-15);
  }
});

test('50% sparsity: half the forward and half the feedback connections stay exactly zero', () => {
  const net = new FeedbackNet({ sizes: [30, 40, 40, 10], rule: 'urfb', mu: 0.2, sparsity: 0.5 }, 7);
  const rng = new Rng(3);
  for (let s = 0; s < 20; s++) {
    const { x, y } = batch(rng, 8, 30, 10);
    net.step(x, y, 8, 0.1);
  }
  for (let l = 1; l <= 3; l++) {
    const m = net.maskW[l]!;
    const zeros = m.reduce((a, v) => a + (v === 0 ? 1 : 0), 0) / m.length;
    expect(Math.abs(zeros - 0.5)).toBeLessThan(0.05);
    for (let i = 0; i < m.length; i++) if (m[i] === 0) expect(net.W[l].data[i]).toBe(0);
  }
  for (let l = 2; l <= 3; l++) {
    const m = net.maskR[l]!;
    for (let i = 0; i < m.length; i++) if (m[i] === 0) expect(net.R[l].data[i]).toBe(0);
    // forward and feedback masks are drawn separately
    const W = net.W[l];
    let same = 0;
    for (let a = 0; a < W.rows; a++) for (let b = 0; b < W.cols; b++) if (net.maskW[l]![a * W.cols + b] === m[b * W.rows + a]) same++;
    expect(same / m.length).toBeLessThan(0.6);
  }
});

test('every rule learns MNIST digits (reduced: 1,500 images, 784-64-64-10, 3 epochs)', () => {
  const data = loadData({ trainSize: 1500, testSize: 500 });
  for (const rule of ['bp', 'bp-hinge', 'frfb', 'urfb'] as const) {
    const r = trainNetwork({ ...trainDefaults, rule, hidden: [64, 64], epochs: 3, seed: 1, trainSize: 1500, testSize: 500 }, data);
    expect(r.epochs).toHaveLength(3);
    expect(r.epochs[2].loss).toBeLessThan(r.epochs[0].loss);
    expect(r.finalTestError, rule).toBeLessThan(0.3);
  }
});

test('bad settings say what to change', () => {
  expect(() => new FeedbackNet({ sizes: [4, 3], rule: 'nope' as never, mu: 0.2, sparsity: 0 }, 1)).toThrow(/rule must be one of bp, bp-hinge, frfb, urfb/);
  expect(() => new FeedbackNet({ sizes: [4, 3], rule: 'urfb', mu: 0.2, sparsity: 1 }, 1)).toThrow(/sparsity must be in \[0, 1\)/);
});
