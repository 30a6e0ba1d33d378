/** Small tasks shared by the SAL tests. */
import '../../solvers/index'; // registers the built-in solvers by name
import { Rng } from '../../src/core/random';
import { solve } from '../../src/core/solve';
import { fixedBatch, SalCircuit, type SalConfig } from '../../models/sal/circuit';
import { randomBatch } from '../../models/sal/theory';

/**
 * XOR of quadrants: x ∈ R² uniform in [−1, 1]², a constant third input 1 (a bias for the first
 * layer), label 1 iff x₁x₂ > 0. No linear model does better than chance.
 */
export function xorTask(n: number, seed: number): { x: Float64Array; target: Float64Array; labels: Int32Array; n: number } {
  const rng = new Rng(seed);
  const x = new Float64Array(n * 3);
  const target = new Float64Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = 2 * rng.uniform() - 1;
    const b = 2 * rng.uniform() - 1;
    x.set([2 * a, 2 * b, 1], 3 * i);
    labels[i] = a * b > 0 ? 1 : 0;
    target[2 * i + labels[i]] = 1;
  }
  return { x, target, labels, n };
}

/**
 * Full-batch training by forward Euler (dt = 1: the paper's iteration) for `steps` steps: the
 * circuit's flow with the whole task as every step's minibatch (so the mirror-mode noise is new at
 * every step).
 */
export function trainFullBatch(config: SalConfig, task: ReturnType<typeof xorTask>, steps: number, seed: number) {
  const circuit = new SalCircuit(config);
  const y0 = circuit.initState(seed);
  const sol = solve(circuit.flow(fixedBatch(task.x, task.target, task.n), { t1: steps }).problem, 'euler', { t0: 0, t1: steps, dt0: 1, y0 });
  const before = circuit.evaluate(y0, task.x, task.target, task.n, task.labels);
  const after = circuit.evaluate(sol.y, task.x, task.target, task.n, task.labels);
  return { circuit, sol, before, after };
}

/**
 * One evaluation of the connections' flow (eqs. 5-8) at the circuit's seeded initial state on a
 * random batch of B samples (cross-entropy targets): the state, the batch, the pass and the drift.
 */
export function flowOnce(c: SalCircuit, at: { state: number; batch: number; B: number; step?: number }) {
  const y = c.initState(at.state);
  const dIn = c.d(1);
  const dOut = c.d(c.L);
  const { x, target } = randomBatch(new Rng(at.batch), at.B, dIn, dOut, 'cross-entropy');
  const w = c.work(at.B);
  w.X.data.set(x);
  w.T.set(target);
  const out = c.layout.create();
  c.pass(c.views(y), w);
  c.weightFlow(c.views(y), w, c.views(out), at.step ?? 0);
  return { y, x, target, w, o: c.views(out) };
}
