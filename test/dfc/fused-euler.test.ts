/**
 * The fused Euler updates of both phases (models/dfc/batched.ts `fusedWake`, `fusedSleep`): the
 * term's `euler` on the field's workspace, wasm or its TypeScript twin, with the state in that
 * workspace (the problem's `storage`). It must be vf + the combine pass bit for bit, and the
 * eq. (5) sum must not depend on which loop of `solve` ran it (the fast loop, the general loop with
 * output between steps, or plain arrays).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import '../../solvers/index';
import { solve } from '../../src/core/solve';
import { stateSum } from '../../src/core/solver';
import { setBackend } from '../../src/linalg/backend';
import { mat } from '../../src/linalg/mat';
import type { Problem } from '../../src/core/terms';
import { FIG3_FEEDBACK, FIG3_FORWARD } from '../../models/dfc/config';
import { Rng } from '../../src/core/random';
import { TsWorkspace } from '../../src/linalg/workspace';
import { WasmWorkspace } from '../../src/linalg/kernels';
import { DfcBatchedField } from '../../models/dfc/batched';
import { randomBatch, smallNet } from './helpers';

beforeAll(() => setBackend('wasm'));
afterAll(() => setBackend('auto'));

function setup(sizes: number[], B: number, resident: boolean) {
  const { net, p, rng } = smallNet({ sizes, seed: 7 });
  const nL = sizes[sizes.length - 1];
  const { X } = randomBatch(rng, B, sizes[0], nL);
  const { R } = net.feedforwardBatch(p.W, X);
  const Rstar = mat(B, nL);
  for (let k = 0; k < Rstar.data.length; k++) Rstar.data[k] = R[net.L].data[k] + 0.3 * (rng.uniform() - 0.5);
  const field = new DfcBatchedField(net, B, resident);
  expect(field.ws).toBeInstanceOf(resident ? WasmWorkspace : TsWorkspace);
  return { field, p, X, Rstar, cfg: { ...FIG3_FORWARD, steps: 11 } };
}

/** y + h f(0, y) by the problem's vector field and the combine pass (what the fused update must equal). */
function byVf(problem: Problem, y: Float64Array, h: number): Float64Array {
  const f = new Float64Array(problem.dim);
  problem.drift.vf(0, y, f);
  return y.map((v, i) => v + h * f[i]);
}

/** One fused update from y0 into y1 equals byVf bit for bit; returns its Σ y1. */
function expectUpdate(problem: Problem, t: number, y0: Float64Array, h: number, y1: Float64Array): number {
  const want = byVf(problem, y0.slice(), h);
  const sum = problem.drift.euler!(t, y0, h, y1);
  expect(Array.from(y1)).toEqual(Array.from(want));
  return sum;
}

/** Σ y1 returned by a fused update: the state's sum in another order of additions. */
function expectSum(sum: number, y: Float64Array): void {
  expect(Math.abs(sum - stateSum(y))).toBeLessThanOrEqual(1e-14 * y.reduce((s, v) => s + Math.abs(v), 0));
}

describe.each([
  ['wasm', true],
  ['TypeScript', false],
] as const)('on the %s workspace', (_name, resident) => {
  test('the fused update is vf + combine bit for bit (state in wasm memory or in plain arrays, rates reused or not, any step) and returns Σ y1', () => {
    for (const sizes of [[15, 10, 10, 5], [30, 70, 65, 5]]) {
      const { field, p, X, Rstar, cfg } = setup(sizes, 6, resident);
      for (const accumulate of [true, false]) {
        const phase = field.wakeProblem(p, X, Rstar, cfg, { accumulate });
        const { problem } = phase;
        expect(problem.drift.euler).toBeDefined();
        expect(problem.storage).toBeDefined();
        const n = problem.dim;
        // two steps on the solve's buffers (the second reuses the rates the first computed), then plain arrays, then h = 0.5
        const a = problem.storage!(n);
        const b = problem.storage!(n);
        a.set(phase.y0);
        expectSum(expectUpdate(problem, 0, a, 1, b), b);
        expectUpdate(problem, 1, b, 1, a);
        expectUpdate(problem, 2, a.slice(), 1, new Float64Array(n));
        expectUpdate(problem, 3, a, 0.5, b);
      }
    }
  });

  test('the eq. (5) sum is the same from the fast loop (in place), the general loop (output between steps) and plain arrays (updated in the scratch slots); another step is refused', () => {
    const { field, p, X, Rstar, cfg } = setup([15, 10, 10, 5], 6, resident);
    const fast = field.wake(p, X, Rstar, cfg, { accumulate: true });
    const via = (opts: { saveAt?: { ts: number[] } }, plainArrays: boolean) => {
      const phase = field.wakeProblem(p, X, Rstar, cfg, { accumulate: true });
      const problem = plainArrays ? { ...phase.problem, storage: undefined } : phase.problem;
      const sol = solve(problem, 'euler', { t0: 0, t1: cfg.steps, dt0: 1, y0: phase.y0, reductions: [phase.check, phase.sum!.reduction], ...opts });
      expect(sol.status).toBe('ok');
      return { y: Array.from(sol.y), dW: phase.sum!.total(cfg.dt).map((m) => Array.from(m.data)) };
    };
    const want = fast.dW!.map((m) => Array.from(m.data));
    const general = via({ saveAt: { ts: [2.5, 7.25, 10] } }, false);
    expect(general.dW).toEqual(want);
    expect(via({}, true).dW).toEqual(want);
    expect(general.y).toEqual(via({}, false).y);
    expect(via({}, true).y).toEqual(general.y);
    const phase = field.wakeProblem(p, X, Rstar, cfg, { accumulate: true });
    expect(() => solve(phase.problem, 'euler', { t0: 0, t1: cfg.steps, dt0: 0.5, y0: phase.y0, reductions: [phase.sum!.reduction] })).toThrow(/built for Euler steps of the paper's dt .* took a step of 0\.5/);
  });

  test("the fused phase's eq. (5) sum redoes the update from y0 when a step did not use it (rk4 at the paper's step): the sum of one-step Euler phases from the rk4 states", () => {
    const { field, p, X, Rstar, cfg } = setup([15, 10, 10, 5], 6, resident);
    const phase = field.wakeProblem(p, X, Rstar, cfg, { accumulate: true });
    const ts = Array.from({ length: cfg.steps + 1 }, (_, k) => k);
    const sol = solve(phase.problem, 'rk4', { t0: 0, t1: cfg.steps, dt0: 1, y0: phase.y0, reductions: [phase.sum!.reduction], saveAt: { ts } });
    expect(sol.status).toBe('ok');
    const redone = phase.sum!.total(1).flatMap((m) => Array.from(m.data));
    // the eq. (5) integrand at each rk4 state y_k, from a phase's Euler step k → k + 1 (its own update)
    const want = new Float64Array(redone.length);
    for (let k = 0; k < cfg.steps; k++) {
      const one = field.wakeProblem(p, X, Rstar, cfg, { accumulate: true });
      expect(solve(one.problem, 'euler', { t0: k, t1: k + 1, dt0: 1, y0: sol.ys[k], reductions: [one.sum!.reduction] }).status).toBe('ok');
      one.sum!.total(1).flatMap((m) => Array.from(m.data)).forEach((v, i) => (want[i] += v));
    }
    const scale = Math.max(...want.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    expect(Math.max(...redone.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-12 * scale);
  });

  test("the sleep phase's fused update (the drift of Euler–Maruyama) is vf + combine bit for bit, reusing the rates across the compartments' noise", () => {
    for (const sizes of [[15, 10, 10, 5], [30, 70, 65, 5]]) {
      const { field, p, X } = setup(sizes, 6, resident);
      const { problem, y0 } = field.sleepProblem(p, X, FIG3_FEEDBACK, new Rng(1));
      const n = problem.dim;
      const a = problem.storage!(n);
      const b = problem.storage!(n);
      a.set(y0);
      expectSum(expectUpdate(problem, 0, a, 1, b), b);
      // noise on the compartments between updates (as Euler–Maruyama adds it): the rates of v still hold
      const vfb = problem.layout!.block('vfb');
      for (let k = vfb.offset; k < vfb.offset + vfb.size; k++) b[k] += 1e-3 * Math.sin(k);
      expectUpdate(problem, 1, b, 1, a);
      expectUpdate(problem, 2, a.slice(), 0.5, new Float64Array(n));
    }
  });
});
