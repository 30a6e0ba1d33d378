import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { mnistSplit, oneHot } from '../src/data/mnist';

test('the shared MNIST split: 8,000/2,000, stratified, deterministic, cached', () => {
  const a = mnistSplit(0);
  expect(a.train.n).toBe(8000);
  expect(a.test.n).toBe(2000);
  expect(a.train.x.length).toBe(8000 * 784);
  const counts = new Array(10).fill(0);
  for (const c of a.test.y) counts[c]++;
  // 20% of each class (class sizes 863..1127), within one image of exact.
  const classSizes = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  counts.forEach((c, k) => expect(Math.abs(c - 0.2 * classSizes[k])).toBeLessThanOrEqual(1));
  let max = 0;
  for (const v of a.train.x) max = Math.max(max, v);
  expect(max).toBeLessThanOrEqual(1);
  // Deterministic across a fresh load from the disk cache, different for another seed.
  const file = path.resolve(__dirname, '..', '.cache', 'mnist-0.bin');
  expect(fs.existsSync(file)).toBe(true);
  const b = mnistSplit(1);
  expect(Array.from(b.test.y.slice(0, 50))).not.toEqual(Array.from(a.test.y.slice(0, 50)));
  expect(oneHot(Int32Array.of(2, 0), 3)).toEqual(Float64Array.of(0, 0, 1, 1, 0, 0));
});
