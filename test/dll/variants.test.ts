/**
 * DLL's Θ rules (--theta-rule): 'paper' (eq. 9 as printed, the default) must give today's numbers
 * (pinned below at a reduced size, measured before the variants were added); 'fixed' is DLL-FA's
 * Θ; 'code' is the authors' released rule (trainer.ts codeThetaUpdate).
 */
import { expect, test } from 'vitest';
import { runMnist, type MnistRunOptions } from '../../models/dll/mnist-train';
import { onWasmBackend } from '../helpers';

onWasmBackend(); // pinned on the wasm kernels

const base: Omit<MnistRunOptions, 'method'> = { sizes: [784, 16, 12, 10], epochs: 2, batch: 32, lr: 1e-3, optimizer: 'adam', loss: 'cross-entropy', seed: 3, trainSize: 256, relax: { solver: 'euler', dt: 1, tol: 1e-8 } };

test('the default (paper) Θ rule, DLL-FA and BP give the numbers pinned before the variants existed', () => {
  const dll = runMnist({ ...base, method: 'dll' });
  expect(dll.testAccuracy).toBe(0.1945);
  expect(dll.testLoss).toBe(2.2800673139713603);
  expect(dll.thetaNorm).toBe(4.722172168767335);
  expect(runMnist({ ...base, method: 'dll', thetaRule: 'paper' }).testLoss).toBe(2.2800673139713603);
  const fa = runMnist({ ...base, method: 'dll-fa' });
  expect(fa.testAccuracy).toBe(0.196);
  expect(fa.testLoss).toBe(2.2811136363194975);
  expect(runMnist({ ...base, method: 'bp' }).testLoss).toBe(1.9302424530496507);
});

test("'fixed' is DLL with Θ never updated (= DLL-FA); 'code' changes Θ and grows it", () => {
  const fixed = runMnist({ ...base, method: 'dll', thetaRule: 'fixed' });
  const fa = runMnist({ ...base, method: 'dll-fa' });
  expect(fixed.testLoss).toBe(fa.testLoss);
  expect(fixed.thetaNorm).toBe(fa.thetaNorm);
  const code = runMnist({ ...base, method: 'dll', thetaRule: 'code' });
  expect(code.thetaRule).toBe('code');
  expect(Number.isFinite(code.testLoss)).toBe(true);
  // the released rule has no fixed point: ‖Θ‖ grows from its start (the paper rule shrinks it)
  expect(code.thetaNorm!).toBeGreaterThan(fa.thetaNorm!);
  expect(runMnist({ ...base, method: 'dll' }).thetaNorm!).toBeLessThan(fa.thetaNorm!);
});

// --- the RNN (dll-rnn --theta-rule): the released DLL-RNN keeps the paper's sign -------------------

import { Rng } from '../../src/core/random';
import { DllRnn, RNN_CODE_THETA, RnnRelaxer, rnnParamArrays } from '../../models/dll/rnn';
import { trainRnn, sequenceSource, type RnnRunOptions } from '../../models/dll/rnn-train';

/** One presented, relaxed batch of a small DLL-RNN. */
function rnnBatch(seed: number) {
  const rng = new Rng(seed);
  const net = new DllRnn({ nIn: 3, nHidden: 5, nOut: 4, loss: 'cross-entropy' });
  const p = net.init(rng);
  const [steps, B] = [4, 3];
  const ws = net.workspace(B, steps);
  const inputs = rng.fillNormal(new Float64Array(steps * B * 3));
  const targets = new Float64Array(steps * B * 4);
  for (let k = 0; k < steps * B; k++) targets[k * 4 + rng.int(4)] = 1;
  net.present(p, ws, inputs, targets);
  new RnnRelaxer(net, ws, { closed: true }).relax(p);
  return { net, ws, B };
}

test("RNN 'code' Θ directions are the paper's summed over the batch (B × the mean) and clipped; W's are unchanged", () => {
  const { net, ws, B } = rnnBatch(4);
  const paper = net.zeroParams();
  net.updates(ws, paper);
  const code = net.zeroParams();
  net.updates(ws, code, RNN_CODE_THETA);
  const [pa, ca] = [rnnParamArrays(paper), rnnParamArrays(code)];
  for (let k = 0; k < 5; k++) expect(Array.from(ca[k])).toEqual(Array.from(pa[k])); // W_x, W_h, b_h, W_y, b_y
  let largest = 0;
  for (const k of [5, 6]) {
    for (let i = 0; i < pa[k].length; i++) {
      expect(ca[k][i]).toBeCloseTo(B * pa[k][i], 13);
      largest = Math.max(largest, Math.abs(ca[k][i]));
    }
  }
  expect(largest).toBeGreaterThan(0);
  expect(largest).toBeLessThan(RNN_CODE_THETA.clip); // unclipped here; the clip is tested next
  const clipped = net.zeroParams();
  const clip = largest / 2;
  net.updates(ws, clipped, { scale: -1, clip });
  const cl = rnnParamArrays(clipped);
  for (const k of [5, 6]) for (let i = 0; i < cl[k].length; i++) expect(cl[k][i]).toBe(Math.max(-clip, Math.min(clip, ca[k][i])));
  expect(Math.max(...[5, 6].flatMap((k) => Array.from(cl[k], Math.abs)))).toBe(clip);
});

const rnnBase: Omit<RnnRunOptions, 'method'> = { hidden: 6, steps: 5, batch: 4, iterations: 20, lr: 0.05, optimizer: 'sgd', seed: 2, relaxMode: 'closed', evalEvery: 10 };
const series = sequenceSource({ task: 'series', length: 600, channels: 3, seed: 0 });

test("RNN: 'fixed' is DLL-FA-RNN; 'code' differs from 'paper' and records its rule; 'paper' is the default", () => {
  const paper = trainRnn(series, { ...rnnBase, method: 'dll' });
  expect(trainRnn(series, { ...rnnBase, method: 'dll', thetaRule: 'paper' }).mse).toBe(paper.mse);
  expect(paper.thetaRule).toBeUndefined();
  const fa = trainRnn(series, { ...rnnBase, method: 'dll-fa' });
  const fixed = trainRnn(series, { ...rnnBase, method: 'dll', thetaRule: 'fixed' });
  expect(fixed.thetaRule).toBe('fixed');
  expect([fixed.mse, fixed.thetaNorm]).toEqual([fa.mse, fa.thetaNorm]);
  const code = trainRnn(series, { ...rnnBase, method: 'dll', thetaRule: 'code' });
  expect(code.thetaRule).toBe('code');
  expect(Number.isFinite(code.mse!)).toBe(true);
  expect(code.mse).not.toBe(paper.mse);
  // Θ's rate scale acts on Θ alone: a tiny scale leaves Θ near its start (DLL-FA's) and W's path near DLL-FA's.
  const slow = trainRnn(series, { ...rnnBase, method: 'dll', thetaRule: 'code', thetaLrScale: 1e-9 });
  expect(Math.abs(slow.thetaNorm - fa.thetaNorm)).toBeLessThan(1e-6 * fa.thetaNorm);
  expect(Math.abs(code.thetaNorm - fa.thetaNorm)).toBeGreaterThan(1e-3 * fa.thetaNorm);
  // The rules ignore BPTT and DLL-FA.
  expect(trainRnn(series, { ...rnnBase, method: 'dll-fa', thetaRule: 'code' }).mse).toBe(fa.mse);
});
