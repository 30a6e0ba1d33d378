/**
 * The wake phase's fused Euler update (models/dfc/batched.ts `fusedWake`): the term's `euler` on
 * the wasm kernels, with the state in the field's wasm memory (the problem's `storage`). It must be
 * vf + the combine pass bit for bit, and the eq. (5) sum must not depend on which loop of `solve`
 * ran it (the fast loop, the general loop with output between steps, or plain arrays).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import '../../solvers/index';
import { solve } from '../../src/core/solve';
import { stateSum } from '../../src/core/solver';
import { setBackend } from '../../src/linalg/backend';
import { mat } from '../../src/linalg/mat';
import { FIG3_FEEDBACK, FIG3_FORWARD } from '../../models/dfc/config';
import { Rng } from '../../src/core/random';
import { DfcBatchedField } from '../../models/dfc/batched';
import { randomBatch, smallNet } from './helpers';

beforeAll(() => setBackend('wasm'));
afterAll(() => setBackend('auto'));

function setup(sizes: number[], B: number) {
  const { net, p, rng } = smallNet({ sizes, seed: 7 });
  const nL = sizes[sizes.length - 1];
  const { X } = randomBatch(rng, B, sizes[0], nL);
  const { R } = net.feedforwardBatch(p.W, X);
  const Rstar = mat(B, nL);
  for (let k = 0; k < Rstar.data.length; k++) Rstar.data[k] = R[net.L].data[k] + 0.3 * (rng.uniform() - 0.5);
  return { field: new DfcBatchedField(net, B), p, X, Rstar, cfg: { ...FIG3_FORWARD, steps: 11 } };
}

test('the fused update is vf + combine bit for bit (state in wasm memory or in plain arrays, rates reused or not, any step) and returns Σ y1', () => {
  for (const sizes of [[15, 10, 10, 5], [30, 70, 65, 5]]) {
    const { field, p, X, Rstar, cfg } = setup(sizes, 6);
    for (const accumulate of [true, false]) {
      const phase = field.wakeProblem(p, X, Rstar, cfg, { accumulate });
      const { problem } = phase;
      const euler = problem.drift.euler!;
      expect(euler).toBeDefined();
      expect(problem.storage).toBeDefined();
      const n = problem.dim;
      const reference = (y0: Float64Array, h: number): Float64Array => {
        const f = new Float64Array(n);
        problem.drift.vf(0, y0, f);
        return y0.map((v, i) => v + h * f[i]);
      };
      // two steps on the solve's buffers (the second reuses the rates the first computed), then plain arrays, then h = 0.5
      const a = problem.storage!(n);
      const b = problem.storage!(n);
      a.set(phase.y0);
      const want1 = reference(a.slice(), 1);
      const sum = euler(0, a, 1, b); // Σ y1 in its own order of additions
      expect(Math.abs(sum - stateSum(b))).toBeLessThanOrEqual(1e-14 * b.reduce((s, v) => s + Math.abs(v), 0));
      expect(Array.from(b)).toEqual(Array.from(want1));
      const want2 = reference(b.slice(), 1);
      euler(1, b, 1, a);
      expect(Array.from(a)).toEqual(Array.from(want2));
      const plain = new Float64Array(n);
      euler(2, a.slice(), 1, plain);
      expect(Array.from(plain)).toEqual(Array.from(reference(a.slice(), 1)));
      euler(3, a, 0.5, b);
      expect(Array.from(b)).toEqual(Array.from(reference(a.slice(), 0.5)));
    }
  }
});

test('the eq. (5) sum is the same from the fast loop, the general loop (output between steps) and plain arrays (update redone from y0); another step is refused', () => {
  const { field, p, X, Rstar, cfg } = setup([15, 10, 10, 5], 6);
  const fast = field.wake(p, X, Rstar, cfg, { accumulate: true });
  const via = (opts: { saveAt?: { ts: number[] } }, plainArrays: boolean) => {
    const phase = field.wakeProblem(p, X, Rstar, cfg, { accumulate: true });
    const problem = plainArrays ? { ...phase.problem, storage: undefined } : phase.problem;
    const sol = solve(problem, 'euler', { t0: 0, t1: cfg.steps, dt0: 1, y0: phase.y0, reductions: [phase.check, phase.sum!.reduction], ...opts });
    expect(sol.status).toBe('ok');
    return { y: Array.from(sol.y), dW: phase.sum!.total().map((m) => Array.from(m.data).map((v) => v * cfg.dt)) };
  };
  const want = fast.dW!.map((m) => Array.from(m.data));
  const general = via({ saveAt: { ts: [2.5, 7.25, 10] } }, false);
  expect(general.dW).toEqual(want);
  expect(via({}, true).dW).toEqual(want);
  expect(general.y).toEqual(via({}, false).y);
  const phase = field.wakeProblem(p, X, Rstar, cfg, { accumulate: true });
  expect(() => solve(phase.problem, 'euler', { t0: 0, t1: cfg.steps, dt0: 0.5, y0: phase.y0, reductions: [phase.sum!.reduction] })).toThrow(/built for Euler steps of the paper's dt .* took a step of 0\.5/);
});

test("the sleep phase's fused update (the drift of Euler–Maruyama) is vf + combine bit for bit, reusing the rates across the compartments' noise", () => {
  for (const sizes of [[15, 10, 10, 5], [30, 70, 65, 5]]) {
    const { field, p, X } = setup(sizes, 6);
    const { problem, y0 } = field.sleepProblem(p, X, FIG3_FEEDBACK, new Rng(1));
    const euler = problem.drift.euler!;
    const n = problem.dim;
    const reference = (y: Float64Array, h: number): Float64Array => {
      const f = new Float64Array(n);
      problem.drift.vf(0, y, f);
      return y.map((v, i) => v + h * f[i]);
    };
    const a = problem.storage!(n);
    const b = problem.storage!(n);
    a.set(y0);
    const want1 = reference(a.slice(), 1);
    const sum = euler(0, a, 1, b);
    expect(Array.from(b)).toEqual(Array.from(want1));
    expect(Math.abs(sum - stateSum(b))).toBeLessThanOrEqual(1e-14 * b.reduce((s, v) => s + Math.abs(v), 0));
    // noise on the compartments between updates (as Euler–Maruyama adds it): the rates of v still hold
    const noisy = field.sleepProblem(p, X, FIG3_FEEDBACK, new Rng(1)).layout.block('vfb');
    for (let k = noisy.offset; k < noisy.offset + noisy.size; k++) b[k] += 1e-3 * Math.sin(k);
    const want2 = reference(b.slice(), 1);
    euler(1, b, 1, a);
    expect(Array.from(a)).toEqual(Array.from(want2));
    const plain = new Float64Array(n);
    euler(2, a.slice(), 0.5, plain);
    expect(Array.from(plain)).toEqual(Array.from(reference(a.slice(), 0.5)));
  }
});
