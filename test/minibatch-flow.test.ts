/**
 * src/experiment/minibatch-flow.ts: the fused Euler step of the minibatch flow is the optimisers'
 * own in-place step, bit for bit, at one step per minibatch (SGD θ += ηΔ; Adam; arrays in no group
 * stay), and y0 + h·(displacement) at a smaller step.
 */
import { expect, test } from 'vitest';
import { MinibatchFlow } from '../src/experiment/minibatch-flow';
import { makeOptimizer } from '../src/nn/optim';

/** Δ_k(θ) = sin(θ + k) − 0.3 θ per entry, from arrays of lengths 5, 4, 3. */
function setup() {
  const sizes = [5, 4, 3];
  const dirs = sizes.map((n) => new Float64Array(n));
  let k = 0;
  const direction = (theta: readonly Float64Array[]) => {
    theta.forEach((a, m) => a.forEach((v, i) => (dirs[m][i] = Math.sin(v + k) - 0.3 * v)));
    return theta[0][0] ** 2;
  };
  const sgd = makeOptimizer('sgd', 0.07, [5]);
  const adam = makeOptimizer('adam', 0.01, [4]);
  const flow = new MinibatchFlow({ name: 'test', sizes, dirs, direction, load: (j) => (k = j), groups: [{ optimizer: sgd, members: [0] }, { optimizer: adam, members: [1] }] });
  const start = () => sizes.map((n, m) => Float64Array.from({ length: n }, (_, i) => 0.1 * (i + 1) * (m + 1) - 0.2));
  return { flow, dirs, start, direction, setK: (j: number) => (k = j) };
}

test('Euler at one step per minibatch is SGD θ += ηΔ and Adam in place, bit for bit; an array in no group stays', () => {
  const { flow, dirs, start, direction, setK } = setup();
  const arrays = start();
  const losses: number[] = [];
  const r = flow.run(arrays, 4, { solver: 'euler', dt0: 1 }, { onLoss: (_k, l) => losses.push(l) });
  expect(r.solution.status).toBe('ok');
  const ref = start();
  const adam = makeOptimizer('adam', 0.01, [4]);
  const refLosses: number[] = [];
  for (let k = 0; k < 4; k++) {
    setK(k);
    refLosses.push(direction(ref));
    for (let i = 0; i < 5; i++) ref[0][i] += 0.07 * dirs[0][i];
    adam.step([ref[1]], [dirs[1]]);
  }
  expect(arrays).toEqual(ref);
  expect(arrays[2]).toEqual(start()[2]);
  expect(losses).toEqual(refLosses);
});

test('Euler at half a minibatch adds h times the displacement (SGD: ηΔ) per step', () => {
  const { flow, dirs, start, direction, setK } = setup();
  const f = new MinibatchFlow({ ...flow.spec, groups: [flow.spec.groups[0]] });
  const arrays = start();
  f.run(arrays, 2, { solver: 'euler', dt0: 0.5 });
  const ref = start();
  for (let s = 0; s < 4; s++) {
    setK(Math.floor(s / 2));
    direction(ref);
    for (let i = 0; i < 5; i++) ref[0][i] = ref[0][i] + 0.5 * (0 + 0.07 * dirs[0][i]);
  }
  expect(arrays[0]).toEqual(ref[0]);
  expect(arrays[1]).toEqual(start()[1]);
});
