/**
 * The fused Euler updates of URFB's terms (`drift(dim, vf, { euler })`, src/core/terms.ts): the
 * linear flow in iterations (`LinearFlow.iterationProblem`) and the minibatch flow
 * (`FeedbackFlow`) write y0 + h·f(y0) for the same f as their `vf`, and return the sum of the new
 * state, which is `solve`'s divergence check on 'euler'.
 */
import '../../solvers/index';
import { expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { solve } from '../../src/core/solve';
import { stateSum } from '../../src/core/solver';
import { constantStep } from '../../src/core/controller';
import type { Problem } from '../../src/core/terms';
import { LinearFlow, initialState, randomMatrix, teacherData, type LinearAlgorithm } from '../../models/urfb/linear';
import { FeedbackNet, FeedbackFlow, RULES } from '../../models/urfb/nonlinear';
import { blasAvailable, getBackend, setBackend, type Backend } from '../../src/linalg/backend';
import { maxAbsDiff } from '../helpers';

/** vf + combine (y0 + h·f) next to the term's fused update from y0: the two new states and the returned sum. */
function bothWays(problem: Problem, y0: Float64Array, h: number) {
  const f = new Float64Array(y0.length);
  problem.drift.vf(0, y0, f);
  const combined = y0.map((v, i) => v + h * f[i]);
  const fused = new Float64Array(y0.length);
  expect(problem.drift.euler).toBeTypeOf('function');
  const sum = problem.drift.euler!(0, y0, h, fused);
  return { combined, fused, sum };
}

/** max |a − b| / max |b| */
const relDiff = (a: Float64Array, b: Float64Array): number => maxAbsDiff(a, b) / maxAbsDiff(b, new Float64Array(b.length));

const dims = [6, 9, 7, 4];

function linearCase(algorithm: LinearAlgorithm) {
  const rng = new Rng(21);
  const T = randomMatrix(dims[3], dims[0], 1, rng);
  const flow = new LinearFlow({ dims, algorithm, epsilon: 0.5 }, teacherData(T));
  const W0 = Array.from({ length: 3 }, (_, j) => randomMatrix(dims[j + 1], dims[j], 0.5, rng));
  const R0 = algorithm === 'feedback' ? Array.from({ length: 3 }, (_, j) => randomMatrix(dims[j], dims[j + 1], 0.5, rng)) : null;
  return { flow, y0: initialState(flow, W0, R0) };
}

test("the linear flow's fused update is y0 + h·f(y0) (the same bits at h = 1, the paper's iteration) and returns Σ y1", () => {
  for (const algorithm of ['bp', 'feedback'] as const) {
    const { flow, y0 } = linearCase(algorithm);
    const problem = flow.iterationProblem(0.01);
    const one = bothWays(problem, y0, 1);
    expect(Array.from(one.fused)).toEqual(Array.from(one.combined));
    // the sum in the kernel's own order: equal to the plain sum up to rounding
    expect(Math.abs(one.sum - stateSum(one.fused))).toBeLessThan(1e-12 * stateSum(one.fused.map(Math.abs)));
    // another h: the increment is rounded as (hη)·D instead of h·(η D), an ulp-level difference
    const half = bothWays(problem, y0, 0.5);
    expect(relDiff(half.fused, half.combined)).toBeLessThan(1e-15);
    expect(relDiff(half.fused, y0)).toBeGreaterThan(1e-6);
    // the correlations recorded by the update are those of the new state
    const corr = new Float64Array(3);
    flow.momentCorrelations(one.fused, corr);
    bothWays(problem, y0, 1);
    expect(Array.from(flow.updateCorrelations())).toEqual(Array.from(corr));
  }
});

// 2,860 weights (with R): read as 5 rows of 512 and a tail of 300 by the unmasked sum
const SIZES = [50, 30, 20, 4];

test("the minibatch flow's fused update is y0 + h·f(y0) for every rule, masked or not, and returns Σ y1", () => {
  const sizes = SIZES;
  const rng = new Rng(5);
  const mb = { x: rng.fillNormal(new Float64Array(7 * 50), 0.5), labels: Int32Array.from({ length: 7 }, (_, i) => i % 4), size: 7 };
  for (const rule of RULES) {
    for (const sparsity of [0, 0.5]) {
      const net = new FeedbackNet({ sizes, rule, mu: 0.2, sparsity }, 2);
      const flow = new FeedbackFlow(net, 0.3, mb);
      for (const h of [1, 0.25]) {
        const r = bothWays(flow.problem, net.y, h);
        // the fused update accumulates the product onto y0 (as the SGD step does); vf + combine adds
        // h times the product formed on zeros: the same up to rounding
        expect(relDiff(r.fused, r.combined)).toBeLessThan(1e-15);
        expect(relDiff(r.fused, net.y)).toBeGreaterThan(1e-6);
        expect(Math.abs(r.sum - stateSum(r.fused))).toBeLessThan(1e-12 * stateSum(r.fused.map(Math.abs)));
      }
    }
  }
});

test('a non-finite weight reached by the fused update stops the run at that step, with the block (the returned sum is the check)', () => {
  // linear: a NaN target entry makes every W and R entry NaN at the first iteration
  const { flow, y0 } = linearCase('feedback');
  const bad = new LinearFlow({ dims, algorithm: 'feedback', epsilon: 0.5 }, teacherData(randomMatrix(dims[3], dims[0], 1, new Rng(1))));
  bad.data.T.data[3] = NaN;
  const lin = solve(bad.iterationProblem(0.01), 'euler', { t0: 0, t1: 10, y0, dt0: 1, controller: constantStep() });
  expect(lin.status).toBe('diverged');
  expect(lin.t).toBe(0);
  expect(lin.message).toMatch(/block 'W\d'/);
  expect(solve(flow.iterationProblem(0.01), 'euler', { t0: 0, t1: 10, y0, dt0: 1, controller: constantStep() }).status).toBe('ok');
  // minibatch flow: the third minibatch holds a NaN pixel; W1 becomes NaN at the step that reads it
  // (the sum goes through the backend's matrix-vector product: on every backend)
  const sizes = SIZES;
  const rng = new Rng(6);
  const xs = rng.fillNormal(new Float64Array(5 * 7 * 50), 0.5);
  xs[2 * 7 * 50 + 5] = NaN;
  const mb = { x: new Float64Array(7 * 50), labels: Int32Array.from({ length: 7 }, (_, i) => i % 4), size: 7 };
  const input = { jumps: [1, 2, 3, 4], enter: (k: number) => void mb.x.set(xs.subarray(k * 7 * 50, (k + 1) * 7 * 50)) };
  const before = getBackend();
  const backends: Backend[] = ['ts', 'wasm', ...(blasAvailable() ? (['blas'] as const) : [])];
  try {
    for (const backend of backends) {
      setBackend(backend);
      for (const sparsity of [0, 0.5]) {
        for (const rule of ['urfb', 'frfb'] as const) {
          const net = new FeedbackNet({ sizes, rule, mu: 0.2, sparsity }, 2);
          const sol = solve(new FeedbackFlow(net, 0.1, mb, input).problem, 'euler', { t0: 0, t1: 5, y0: net.y, dt0: 1, controller: constantStep() });
          expect(sol.status, `${backend}, ${rule}, sparsity ${sparsity}`).toBe('diverged');
          // the minibatch flow updates its weights in place (eulerInPlace): the state returned is
          // the diverged one, at the end of the step that read the NaN (the last finite is at 2)
          expect(sol.t).toBe(3);
          expect(sol.diverged?.t).toBe(3);
          expect(sol.message).toMatch(/block 'W1'/);
        }
      }
    }
  } finally {
    setBackend(before);
  }
});
