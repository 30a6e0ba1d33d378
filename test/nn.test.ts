import { expect, test } from 'vitest';
import { Rng } from '../src/core/random';
import { mse, softmaxCrossEntropy } from '../src/nn/losses';
import { Mlp, initMlp } from '../src/nn/mlp';

for (const [hidden, loss] of [['tanh', mse], ['relu', softmaxCrossEntropy]] as const) {
  test(`backprop matches central finite differences (${hidden}, ${loss.name})`, () => {
    const rng = new Rng(3);
    const spec = { sizes: [5, 7, 6, 3], hidden };
    const net = new Mlp(spec);
    const p = initMlp(spec, rng);
    const B = 4;
    const x = rng.fillNormal(new Float64Array(B * 5));
    const t = new Float64Array(B * 3);
    for (let b = 0; b < B; b++) t[b * 3 + (b % 3)] = 1;
    const { gW, gb } = net.backward(p, net.forward(p, x, B), t, loss);
    const L = () => loss.evaluate(net.predict(p, x, B), t, B);
    const h = 1e-6;
    let worst = 0;
    for (let l = 0; l < p.W.length; l++) {
      for (let i = 0; i < p.W[l].data.length; i += 3) {
        const w0 = p.W[l].data[i];
        p.W[l].data[i] = w0 + h;
        const up = L();
        p.W[l].data[i] = w0 - h;
        const down = L();
        p.W[l].data[i] = w0;
        worst = Math.max(worst, Math.abs((up - down) / (2 * h) - gW[l].data[i]));
      }
      const b0 = p.b[l][0];
      p.b[l][0] = b0 + h;
      const up = L();
      p.b[l][0] = b0 - h;
      const down = L();
      p.b[l][0] = b0;
      worst = Math.max(worst, Math.abs((up - down) / (2 * h) - gb[l][0]));
    }
    expect(worst).toBeLessThan(1e-7);
  });
}
