import { expect, test } from 'vitest';
import { measureRnnBptt, rnnSize } from '../../models/dll/checks';
import { Rng } from '../../src/core/random';
import { DllRnn, bpttDirections, rnnParamArrays } from '../../models/dll/rnn';

test('BPTT directions are minus the finite-difference gradient of the time-summed, batch-mean loss', () => {
  for (const loss of ['mse', 'cross-entropy'] as const) {
    const rng = new Rng(9);
    const net = new DllRnn({ nIn: 3, nHidden: 5, nOut: 4, loss });
    const p = net.init(rng);
    const steps = 4;
    const B = 2;
    const ws = net.workspace(B, steps);
    const inputs = rng.fillNormal(new Float64Array(steps * B * 3));
    const targets = new Float64Array(steps * B * 4);
    for (let k = 0; k < steps * B; k++) targets[k * 4 + rng.int(4)] = 1;
    net.present(p, ws, inputs, targets);
    const d = net.zeroParams();
    bpttDirections(net, p, ws, d);
    const L = () => {
      net.forward(p, ws);
      return net.sequenceLoss(ws);
    };
    const h = 1e-6;
    let worst = 0;
    const ps = rnnParamArrays(p, false);
    const ds = rnnParamArrays(d, false);
    for (let m = 0; m < ps.length; m++) {
      for (let i = 0; i < ps[m].length; i += 2) {
        const w0 = ps[m][i];
        ps[m][i] = w0 + h;
        const up = L();
        ps[m][i] = w0 - h;
        const down = L();
        ps[m][i] = w0;
        worst = Math.max(worst, Math.abs(-(up - down) / (2 * h) - ds[m][i]));
      }
    }
    expect(worst).toBeLessThan(1e-7);
  }
});

test('DLL-RNN with Θ = W: relaxed errors and updates (eqs. 17-26) match BPTT on a short sequence', () => {
  const r = measureRnnBptt({ ...rnnSize(true), seed: 4 });
  expect(r.cosine).toBeGreaterThanOrEqual(0.9999);
  expect(r.relError).toBeLessThanOrEqual(1e-6);
  expect(r.errorRelError).toBeLessThanOrEqual(1e-6);
  expect(r.relaxMaxDiff).toBeLessThanOrEqual(1e-8);
  // With random Θ (DLL-FA-RNN) the update is not the gradient.
  expect(r.randomThetaCosine).toBeLessThan(0.99);
});

test('DLL-RNN with Θ = W and a cross-entropy output matches BPTT', () => {
  const r = measureRnnBptt({ ...rnnSize(true), seed: 5, loss: 'cross-entropy' });
  expect(r.cosine).toBeGreaterThanOrEqual(0.9999);
  expect(r.relError).toBeLessThanOrEqual(1e-6);
});
