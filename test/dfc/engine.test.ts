import { expect, test } from 'vitest';
import { mat } from '../../src/linalg/mat';
import { DfcEngine } from '../../models/dfc/engine';
import { dfcSystem, settle } from '../../models/dfc/terms';
import { maxAbs, randomBatch, smallNet } from './helpers';

test('the batched Euler engine equals solve(terms, euler) sample by sample (final state and buffered eq. 5 update)', () => {
  const { net, p, rng } = smallNet();
  const B = 3;
  const { X, Y } = randomBatch(rng, B, 4, 3);
  const cfg = { tauU: 1, tauV: 0.2, kp: 1.5, alpha: 0.0015, lambda: 0.05, dt: 0.005, steps: 150 };
  const Rstar = mat(B, 3);
  const sumDW = net.sizes.slice(1).map((n, i) => mat(n, net.sizes[i]));
  const finals: Float64Array[][] = [];
  for (let b = 0; b < B; b++) {
    const x = X.data.slice(b * 4, b * 4 + 4);
    const ff = net.feedforward(p.W, x);
    const { rStar } = net.outputTarget(ff.r[net.L], Y.data.slice(b * 3, b * 3 + 3), cfg.lambda);
    Rstar.data.set(rStar, b * 3);
    const sys = dfcSystem({ net, params: p, x, rStar, tauV: cfg.tauV, tauU: cfg.tauU, kp: cfg.kp, alpha: cfg.alpha, forward: { mode: 'buffered', tauW: 1 } });
    const { state, solution } = settle(sys, { t1: cfg.steps * cfg.dt, dt: cfg.dt });
    expect(solution.status).toBe('ok');
    expect(solution.stats.accepted).toBe(cfg.steps);
    state.dW!.forEach((d, i) => d.data.forEach((v, k) => (sumDW[i].data[k] += v)));
    finals.push(state.v);
  }
  const engine = new DfcEngine(net, B);
  const plain = engine.wake(p, X, Rstar, cfg, { accumulate: true, hoistInput: false }).dW!.map((m) => m.data.slice());
  const res = engine.wake(p, X, Rstar, cfg, { accumulate: true });
  expect(res.status).toBe('ok');
  plain.forEach((d, i) => expect(maxAbs(d, res.dW![i].data)).toBeLessThan(1e-13));
  for (let i = 0; i < net.L; i++) {
    expect(maxAbs(res.dW![i].data, sumDW[i].data)).toBeLessThan(1e-13);
    for (let b = 0; b < B; b++) {
      const n = net.sizes[i + 1];
      expect(maxAbs(res.V[i].data.subarray(b * n, (b + 1) * n), finals[b][i])).toBeLessThan(1e-13);
    }
  }
});

test('the sleep phase returns a finite time-average of v_fb uᵀ with the right shapes, reproducible from the seed', async () => {
  const { Rng } = await import('../../src/core/random');
  const { FIG3_FEEDBACK } = await import('../../models/dfc/config');
  const { net, p, rng } = smallNet();
  const { X } = randomBatch(rng, 5, 4, 3);
  const engine = new DfcEngine(net, 5);
  const a = engine.sleep(p, X, FIG3_FEEDBACK, new Rng(9));
  const b = engine.sleep(p, X, FIG3_FEEDBACK, new Rng(9));
  expect(a.status).toBe('ok');
  a.vfbU.forEach((m, i) => {
    expect([m.rows, m.cols]).toEqual([net.sizes[i + 1], 3]);
    expect(m.data.every(Number.isFinite)).toBe(true);
    expect(Array.from(m.data)).toEqual(Array.from(b.vfbU[i].data));
  });
});
