import { expect, test } from 'vitest';
import { mat } from '../../src/linalg/mat';
import { checkControllerConfig, checkFeedbackConfig, FIG3_FEEDBACK, FIG3_FORWARD } from '../../models/dfc/config';
import { DfcEngine } from '../../models/dfc/engine';
import { DfcNet } from '../../models/dfc/network';
import { DfcDivergenceError, forwardUpdate } from '../../models/dfc/rules';
import { dfcSystem } from '../../models/dfc/terms';
import { DfcTrainer } from '../../models/dfc/trainer';
import { randomBatch, smallNet } from './helpers';

test('bad settings give messages that say what to change', () => {
  expect(() => checkControllerConfig({ ...FIG3_FORWARD, tauV: -1 })).toThrow(/tau_v \(tauV\) must be a finite number > 0 \(got -1\)/);
  expect(() => checkControllerConfig({ ...FIG3_FORWARD, tauU: 0 })).toThrow(/tau_u/);
  expect(() => checkControllerConfig({ ...FIG3_FORWARD, kp: -0.5 })).toThrow(/k_p \(kp\) must be a finite number >= 0 \(got -0.5\)/);
  expect(() => checkControllerConfig({ ...FIG3_FORWARD, steps: 2.5 })).toThrow(/steps must be an integer >= 1/);
  expect(() => checkControllerConfig({ ...FIG3_FORWARD, dt: 1 })).toThrow(/forward Euler is unstable.*use dt <= 0.2/);
  expect(() => checkFeedbackConfig({ ...FIG3_FEEDBACK, sigma: 0 })).toThrow(/needs noise in the feedback compartment/);
  expect(() => checkFeedbackConfig({ ...FIG3_FEEDBACK, tauFb: -2 })).toThrow(/tau_fb/);
  const { net, p } = smallNet();
  const x = new Float64Array(4);
  const rStar = new Float64Array(3);
  expect(() => dfcSystem({ net, params: p, x, rStar, tauV: -0.2, tauU: 1, kp: 1, alpha: 0 })).toThrow(/tau_v must be a finite number > 0/);
  expect(() => dfcSystem({ net, params: p, x, rStar, tauV: 0.2, tauU: 1, kp: -1, alpha: 0 })).toThrow(/k_p must be >= 0/);
  const badQ = { W: p.W, Q: [p.Q[0], mat(6, 2), p.Q[2]] };
  expect(() => dfcSystem({ net, params: badQ, x, rStar, tauV: 0.2, tauU: 1, kp: 1, alpha: 0 })).toThrow(/Q_2 is 6x2 but the feedback to layer 2 must be n_2 x n_L = 6x3/);
  expect(() => new DfcEngine(net, 2).wake(badQ, mat(2, 4), mat(2, 3), FIG3_FORWARD, { accumulate: true })).toThrow(/Q_2 is 6x2/);
  expect(() => dfcSystem({ net, params: p, x: new Float64Array(5), rStar, tauV: 0.2, tauU: 1, kp: 1, alpha: 0 })).toThrow(/input x has 5 entries but n_0 = 4/);
  expect(() => new DfcNet({ sizes: [4], hidden: 'tanh' })).toThrow(/at least an input and an output width/);
  expect(() => new DfcNet({ sizes: [4, 0, 2], hidden: 'tanh' })).toThrow(/sizes\[1\] = 0/);
  expect(() => new DfcNet({ sizes: [4, 3], hidden: 'tahn' })).toThrow(/unknown activation 'tahn'/);
  expect(() => new DfcTrainer(net, { method: 'DFC', feedback: 'fixed', forward: FIG3_FORWARD, sleep: FIG3_FEEDBACK, optimizer: 'adam', lr: 0, lrQ: 1, batchSize: 4, fbEpochsPerEpoch: 1, seed: 1 })).toThrow(/learning rate lr must be > 0/);
  expect(() => new DfcEngine(net, 2).wake(p, mat(3, 4), mat(3, 3), FIG3_FORWARD, { accumulate: true })).toThrow(/at most 2; build DfcEngine\(net, 3\)/);
});

test('an unstable configuration is reported as diverged with its largest eigenvalue, not as NaN', () => {
  const { net, p, rng } = smallNet({ seed: 2 });
  // Negative feedback flips the controller's sign: JQ has eigenvalues far below −α.
  const Q = p.Q.map((m) => mat(m.rows, m.cols, m.data.map((v) => -5 * v)));
  const batch = randomBatch(rng, 4, 4, 3);
  const engine = new DfcEngine(net, 4);
  const cfg = { ...FIG3_FORWARD, steps: 1000 };
  let err: unknown;
  try {
    forwardUpdate('DFC', net, { W: p.W, Q }, batch, cfg, { engine });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DfcDivergenceError);
  const d = err as DfcDivergenceError;
  expect(d.maxEigenvalue).toBeGreaterThan(0);
  expect(Number.isFinite(d.maxEigenvalue)).toBe(true);
  expect(d.message).toMatch(/diverged at t = .* largest eigenvalue real part [0-9.]+/);
  expect(d.divergence.block === 'uInt' || d.divergence.block === 'v3').toBe(true);
});
