import { describe, expect, it } from 'vitest';
import { best, closeTo, nearValue, ordering, samples, spread, threshold, trend } from '../src/io/claims';

describe('claims rules: verdicts computed from numbers', () => {
  it('spread: mean and sample sd of the finite values', () => {
    const s = spread([1, 2, 3, NaN]);
    expect(s.mean).toBe(2);
    expect(s.sd).toBeCloseTo(1, 12);
    expect(s.n).toBe(3);
    expect(s.missing).toBe(1);
  });

  it('ordering: every seed / mean only / reversed / neither', () => {
    expect(ordering(samples('a', [0.9, 0.91, 0.92]), samples('b', [0.8, 0.85, 0.9]), 'higher').verdict).toBe('reproduced');
    expect(ordering(samples('a', [0.95, 0.8, 0.92]), samples('b', [0.8, 0.85, 0.9]), 'higher').verdict).toBe('partly');
    expect(ordering(samples('a', [0.7, 0.71, 0.72]), samples('b', [0.8, 0.85, 0.9]), 'higher').verdict).toBe('contradicted');
    expect(ordering(samples('a', [0.7, 0.9, 0.72]), samples('b', [0.8, 0.85, 0.9]), 'higher').verdict).toBe('not reproduced');
    expect(ordering(samples('a', [1, 2]), samples('b', [3, 4]), 'lower').verdict).toBe('reproduced');
    // a diverged seed of b counts as a win of a
    expect(ordering(samples('a', [0.9, 0.9]), samples('b', [NaN, 0.8]), 'higher').verdict).toBe('reproduced');
    expect(ordering(samples('a', []), samples('b', []), 'higher').verdict).toBe('not measured');
  });

  it('nearValue: within tolerance + 2 sd, partly within twice', () => {
    expect(nearValue(samples('acc', [0.975, 0.976], { scale: 100 }), 97.57, 0.5).verdict).toBe('reproduced');
    expect(nearValue(samples('acc', [0.96], { scale: 100 }), 97.57, 1).verdict).toBe('partly');
    expect(nearValue(samples('acc', [0.9], { scale: 100 }), 97.57, 1).verdict).toBe('not reproduced');
    expect(nearValue(samples('acc', [NaN], { scale: 100 }), 97.57, 1).verdict).toBe('not measured');
  });

  it('closeTo', () => {
    expect(closeTo(samples('a', [2.2]), samples('b', [2.0]), 0.5).verdict).toBe('reproduced');
    expect(closeTo(samples('a', [2.8]), samples('b', [2.0]), 0.5).verdict).toBe('partly');
    expect(closeTo(samples('a', [5]), samples('b', [2.0]), 0.5).verdict).toBe('not reproduced');
  });

  it('threshold', () => {
    expect(threshold(samples('angle', [10, 20]), 45, 'below').verdict).toBe('reproduced');
    expect(threshold(samples('angle', [10, 60]), 45, 'below').verdict).toBe('partly');
    expect(threshold(samples('angle', [50, 60]), 45, 'below').verdict).toBe('not reproduced');
  });

  it('trend: monotone in every seed / endpoints on the mean / reversed', () => {
    const p = (vs: number[][]) => vs.map((v, i) => samples(`x${i}`, v));
    expect(trend('acc', [1, 2, 3], p([[1, 1], [2, 2], [3, 3]]), 'increasing').verdict).toBe('reproduced');
    expect(trend('acc', [1, 2, 3], p([[1, 1], [3, 3], [2, 2]]), 'increasing').verdict).toBe('partly');
    expect(trend('acc', [1, 2, 3], p([[3, 3], [2, 2], [1, 1]]), 'increasing').verdict).toBe('contradicted');
    expect(trend('err', [1, 2, 3], p([[3, 3], [2, 2], [1, 1]]), 'decreasing').verdict).toBe('reproduced');
    expect(trend('acc', [1, 2], p([[1, 3], [2, 1]]), 'increasing').verdict).toBe('not reproduced');
    // a dip smaller than the tolerance still counts as monotone
    expect(trend('acc', [1, 2, 3], p([[1], [1.5], [1.49]]), 'increasing', 0.05).verdict).toBe('reproduced');
  });

  it('best: winner in every seed / on the mean / worst everywhere', () => {
    const a = samples('A', [0.9, 0.9]);
    const b = samples('B', [0.8, 0.95]);
    const c = samples('C', [0.7, 0.7]);
    expect(best('A', [a, samples('B', [0.8, 0.85]), c], 'higher').verdict).toBe('reproduced');
    expect(best('A', [a, samples('B', [0.8, 0.92]), c], 'higher').verdict).toBe('partly');
    expect(best('C', [a, b, c], 'higher').verdict).toBe('contradicted');
    expect(best('B', [a, samples('B', [0.8, 0.91]), samples('D', [0.95, 0.5])], 'higher').verdict).toBe('not reproduced');
  });
});

describe('claims rules: ties are not wins', () => {
  it('best and ordering need a strict difference', () => {
    const a = samples('A', [0.5, 0.5]);
    const b = samples('B', [0.5, 0.5]);
    expect(best('A', [a, b], 'higher').verdict).toBe('not reproduced');
    expect(ordering(a, b, 'higher').verdict).toBe('not reproduced');
  });
});

describe('claims rules: a margin for "significantly"', () => {
  it('ordering with a margin needs a win by more than it', () => {
    expect(ordering(samples('a', [1.0, 1.0]), samples('b', [1.05, 1.05]), 'lower', 'seed', 0.1).verdict).toBe('not reproduced');
    expect(ordering(samples('a', [1.0, 1.0]), samples('b', [1.2, 1.3]), 'lower', 'seed', 0.1).verdict).toBe('reproduced');
    expect(ordering(samples('a', [0.9, 0.9], { scale: 100 }), samples('b', [0.85, 0.88], { scale: 100 }), 'higher', 'seed', 3).verdict).toBe('partly');
  });
});

describe('claims rules: one seed cannot contradict', () => {
  it('a reversal in a single seed is "not reproduced", in two or more "contradicted"', () => {
    expect(ordering(samples('a', [1]), samples('b', [2]), 'higher').verdict).toBe('not reproduced');
    expect(ordering(samples('a', [1, 1]), samples('b', [2, 2]), 'higher').verdict).toBe('contradicted');
  });
});
