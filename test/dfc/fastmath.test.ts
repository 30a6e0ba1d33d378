import { expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { activations } from '../../src/nn/activations';
import { applyPhi, tanhInto } from '../../models/dfc/fastmath';

test('tanhInto matches Math.tanh to 5e-16 on the whole line, saturates at ±1 and propagates NaN', () => {
  const rng = new Rng(2);
  const x = new Float64Array(20000);
  for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() * 2 - 1) * (i % 2 ? 3 : 40);
  const y = new Float64Array(x.length);
  tanhInto(x, y);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(y[i] - Math.tanh(x[i])));
  expect(worst).toBeLessThan(5e-16);
  const special = Float64Array.of(Infinity, -Infinity, NaN, 0);
  tanhInto(special, special);
  expect(special[0]).toBe(1);
  expect(special[1]).toBe(-1);
  expect(Number.isNaN(special[2])).toBe(true);
  expect(Math.abs(special[3])).toBeLessThan(1e-16);
});

test('applyPhi dispatches linear and generic activations', () => {
  const x = Float64Array.of(-2, -0.5, 0.5, 2);
  const y = new Float64Array(4);
  applyPhi(activations.get('linear'), x, y);
  expect(Array.from(y)).toEqual(Array.from(x));
  applyPhi(activations.get('relu'), x, y);
  expect(Array.from(y)).toEqual([0, 0, 0.5, 2]);
});
