import { expect, test } from 'vitest';
import { angleDegrees, cosine } from '../src/analysis/similarity';

test('cosine and angle over one array or concatenated blocks', () => {
  expect(cosine([1, 0], [0, 2])).toBe(0);
  expect(angleDegrees([1, 0], [1, 1])).toBeCloseTo(45, 12);
  // Blocks are concatenated: [1,0 | 0,1] against [1,0 | 0,-1] has cosine 0.
  expect(cosine([Float64Array.of(1, 0), Float64Array.of(0, 1)], [Float64Array.of(1, 0), Float64Array.of(0, -1)])).toBe(0);
  expect(angleDegrees([Float64Array.of(3)], [Float64Array.of(-2)])).toBeCloseTo(180, 12);
  expect(cosine([0, 0], [1, 2])).toBeNaN();
  expect(cosine([0, 0], [1, 2], 0)).toBe(0);
  expect(() => cosine([Float64Array.of(1)], [Float64Array.of(1, 2)])).toThrow('block 0 has 1 entries on one side and 2 on the other');
});
