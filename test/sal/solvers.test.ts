/**
 * The solver matters as the theory of one-step methods says (issue 14, item 5): the SAL training
 * flow (minibatch k the piecewise-constant input on [k, k+1), the loss a reduction) integrated by
 * Euler, Heun, RK4 and dopri5 approaches one exact flow, Euler at first order and Heun at second,
 * and every solver learns. The reference is RK4 at dt0 = 1/4.
 *
 * Bounds: Euler's global error is C·h + O(h²), so halving its step halves its distance to the
 * reference (ratio 2; measured 2.03, 2.02 on the task below; allowed [1.7, 2.4]); Heun's is
 * C·h² + O(h³) (ratio 4; measured 4.4; allowed [3, 5.5]). RK4 at dt0 = 1 is a 4th-order method
 * (local error O(h⁵) against Euler's O(h²)): required at least 100× closer than Euler at the same
 * step (measured 2,800×; the ReLU kinks of the upstream pathway keep it from its full order).
 */
import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/experiment/context';
import { parseOptions } from '../../src/experiment/options';
import type { SolverChoice } from '../../src/experiment/solver-options';
import type { Dataset } from '../../src/data/mnist';
import { fixedBatch, SalCircuit } from '../../models/sal/circuit';
import { salExperiments } from '../../models/sal/experiments';
import { methodConfig } from '../../models/sal/presets';
import { diffNorm, randomBatch } from '../../models/sal/theory';
import { trainCircuit } from '../../models/sal/train';
import { Rng } from '../../src/core/random';
import { xorTask } from './helpers';
import { runExperiment } from './pinned';

const task = xorTask(64, 3);
const ds: Dataset = { x: task.x, y: task.labels, n: task.n, d: 3, classes: 2 };
const config = methodConfig('sal', { sizes: [3, 8, 8, 2], loss: 'cross-entropy', rates: { W: 0.05, Wbar: 0.05, V: 0.02, Vbar: 0.02 }, decay: 1e-4 });
const train = (solver: SolverChoice) => trainCircuit(new SalCircuit(config), { train: ds, test: ds }, { epochs: 6, batch: 8, seed: 4, solver });

describe('SAL training with any solver', () => {
  const ref = train({ solver: 'rk4', dt0: 0.25 });
  const moved = diffNorm(ref.y, new SalCircuit(config).initState(4));
  const err = (solver: SolverChoice) => diffNorm(train(solver).y, ref.y) / moved;

  it('Euler converges at first order and Heun at second to the same flow; RK4 is far closer', () => {
    const euler = [1, 0.5, 0.25].map((dt0) => err({ solver: 'euler', dt0 }));
    const heun = [1, 0.5].map((dt0) => err({ solver: 'heun', dt0 }));
    const rk4 = err({ solver: 'rk4' }); // dt0 = 1 by default: one step per minibatch
    for (let i = 0; i < 2; i++) {
      expect(euler[i] / euler[i + 1]).toBeGreaterThan(1.7);
      expect(euler[i] / euler[i + 1]).toBeLessThan(2.4);
    }
    expect(heun[0] / heun[1]).toBeGreaterThan(3);
    expect(heun[0] / heun[1]).toBeLessThan(5.5);
    expect(rk4).toBeLessThan(euler[0] / 100);
    expect(euler[0]).toBeGreaterThan(1e-3); // the solvers do differ: Euler's step is not negligible here
  });

  it('every solver learns, and the loss is counted once per step (not once per stage)', () => {
    const euler = train({ solver: 'euler', dt0: 1 });
    for (const solver of [{ solver: 'heun' }, { solver: 'rk4' }, { solver: 'dopri5', rtol: 1e-8, atol: 1e-10 }] as SolverChoice[]) {
      const r = train(solver);
      expect(r.status).toBe('ok');
      const last = r.curve[r.curve.length - 1];
      expect(last.testLoss).toBeLessThan(0.85 * r.curve[0].testLoss); // measured 0.771 of the start for each
      // The mean minibatch loss of each epoch within 3% of Euler's (measured 0.37% Heun, 0.31% RK4,
      // 1.2% dopri5, whose steps differ from one per minibatch, so its time average is another
      // Riemann sum); a loss summed in the vector field would be 2× (Heun), 4× (RK4), ~6× (dopri5).
      for (let e = 1; e < r.curve.length; e++) expect(Math.abs(r.curve[e].trainLoss / euler.curve[e].trainLoss - 1)).toBeLessThan(0.03);
    }
    // dopri5 (adaptive, clipped to every minibatch change) lands on the reference flow.
    expect(err({ solver: 'dopri5', rtol: 1e-8, atol: 1e-10 })).toBeLessThan(1e-4);
  });

  it("a step's loss is its first evaluation's when that was at the step's start, else an upstream pass of the same value", () => {
    const c = new SalCircuit(config);
    const { x, target } = randomBatch(new Rng(9), 8, 3, 2, 'cross-entropy');
    const term = c.term(fixedBatch(x, target, 8));
    const y = c.initState(2);
    const out = new Float64Array(y.length);
    term.vf(0, y, out);
    const fromEvaluation = term.stepLoss(0, y);
    const fromPass = term.stepLoss(0, y); // nothing evaluated since: computed afresh
    expect(fromPass).toBe(fromEvaluation);
    expect(fromEvaluation).toBe(c.wUpdate(y, x, target, 8).loss);
  });
});

describe('the SAL commands take --solver', () => {
  it('sal-table with --solver rk4 differs from Euler by Euler’s first-order error', async () => {
    const extra = ['--methods', 'sal'];
    const maxDev = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    const ref = await runExperiment('sal-table', [...extra, '--solver', 'rk4', '--dt0', '0.25']);
    const rk4 = await runExperiment('sal-table', [...extra, '--solver', 'rk4']);
    const e1 = await runExperiment('sal-table', extra);
    const e05 = await runExperiment('sal-table', [...extra, '--dt0', '0.5']);
    for (let i = 0; i < ref.length; i++) {
      const d1 = maxDev(e1[i].testLoss, ref[i].testLoss);
      const d05 = maxDev(e05[i].testLoss, ref[i].testLoss);
      expect(d1 / d05).toBeGreaterThan(1.5); // measured 2.5, 2.15 (test losses: first order, noisier than the weights)
      expect(d1 / d05).toBeLessThan(3);
      expect(maxDev(rk4[i].testLoss, ref[i].testLoss)).toBeLessThan(d1 / 10); // measured 230×, 300×
    }
  }, 60_000);

  it('a solver that drives its own steps is refused before any work, naming those that can', async () => {
    const spec = salExperiments.find((e) => e.name === 'sal-width')!;
    const opts = parseOptions(['--solver', 'odex', '--out', '/nonexistent/never-written'], spec.options);
    await expect(spec.run(opts, makeContext(true))).rejects.toThrow(/--solver odex chooses its own steps, but the SAL circuit .* must stop where its input jumps; use --solver euler or .*rk4 or dopri5/);
    const tol = parseOptions(['--solver', 'rk4', '--rtol', '1e-6', '--out', '/nonexistent/never-written'], spec.options);
    await expect(spec.run(tol, makeContext(true))).rejects.toThrow(/--rtol and --atol set the tolerances of an adaptive solver, but --solver rk4 takes fixed steps/);
  });
});
