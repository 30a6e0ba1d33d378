/**
 * DLL's Θ rules (--theta-rule): 'paper' (eq. 9 as printed, the default) must give today's numbers
 * (pinned below at a reduced size, measured before the variants were added); 'fixed' is DLL-FA's
 * Θ; 'code' is the authors' released rule (trainer.ts codeThetaUpdate).
 */
import { expect, test } from 'vitest';
import { runMnist, type MnistRunOptions } from '../../models/dll/mnist-train';
import { usePinnedBackend } from './pinned-runs';

// The pinned numbers are the 'wasm' backend's ('auto' picks OpenBLAS where installed: other sums).
usePinnedBackend();

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
