import { expect, test } from 'vitest';
import { logLogSlope } from '../../src/analysis/fit';
import { mat, type Mat } from '../../src/linalg/mat';
import { dfcSystem, settle } from '../../models/dfc/terms';
import { smallNet } from './helpers';

/**
 * Coupled learning (W in the state, τ_W) and buffered learning (W frozen, eq. 5 integrated into dW
 * and applied after the sample) agree as τ_W/τ_v grows: the relative difference of the weight
 * changes falls like τ_v/τ_W.
 */
function couplingGap(ratio: number, samples = 2): number {
  const { net, p, rng } = smallNet({ seed: 4 });
  const tauV = 0.2;
  const dt = 0.005;
  const steps = 400;
  let Wc: Mat[] = p.W.map((m) => mat(m.rows, m.cols, m.data.slice()));
  let Wb: Mat[] = p.W.map((m) => mat(m.rows, m.cols, m.data.slice()));
  for (let s = 0; s < samples; s++) {
    const x = rng.fillUniform(new Float64Array(4), -1, 1);
    const y = rng.fillNormal(new Float64Array(3));
    const common = { net, x, tauV, tauU: 1, kp: 1.5, alpha: 0.01 };
    const ffC = net.feedforward(Wc, x);
    const coupled = dfcSystem({ ...common, params: { W: Wc, Q: p.Q }, rStar: net.outputTarget(ffC.r[3], y, 0.1).rStar, forward: { mode: 'coupled', tauW: ratio * tauV } });
    const c = settle(coupled, { t1: steps * dt, dt });
    const ffB = net.feedforward(Wb, x);
    const buffered = dfcSystem({ ...common, params: { W: Wb, Q: p.Q }, rStar: net.outputTarget(ffB.r[3], y, 0.1).rStar, forward: { mode: 'buffered', tauW: ratio * tauV } });
    const b = settle(buffered, { t1: steps * dt, dt });
    Wc = c.state.W;
    Wb = Wb.map((m, i) => mat(m.rows, m.cols, m.data.map((v, k) => v + b.state.dW![i].data[k])));
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < p.W.length; i++)
    for (let k = 0; k < p.W[i].data.length; k++) {
      num += (Wc[i].data[k] - Wb[i].data[k]) ** 2;
      den += (Wb[i].data[k] - p.W[i].data[k]) ** 2;
    }
  return Math.sqrt(num / den);
}

test('coupled and buffered forward learning agree as τ_W/τ_v grows (gap ∝ τ_v/τ_W)', () => {
  const ratios = [10, 100, 1000];
  const gaps = ratios.map((r) => couplingGap(r));
  // measured: 0.31, 0.040, 0.0041
  expect(gaps[1]).toBeLessThan(gaps[0] / 5);
  expect(gaps[2]).toBeLessThan(gaps[1] / 5);
  expect(gaps[2]).toBeLessThan(1e-2);
  const slope = logLogSlope(ratios, gaps);
  expect(slope).toBeGreaterThan(-1.2);
  expect(slope).toBeLessThan(-0.8);
});
