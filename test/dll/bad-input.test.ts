import { expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { mat } from '../../src/linalg/mat';
import { DllMlp } from '../../models/dll/mlp';
import { DllTrainer } from '../../models/dll/trainer';
import { DllRnn } from '../../models/dll/rnn';
import { makeOptimizer } from '../../src/nn/optim';

test('Θ of the wrong shape is refused with the shape it must have', () => {
  const net = new DllMlp({ sizes: [4, 6, 5, 2] });
  const p = net.init(new Rng(1));
  p.Theta[0] = mat(6, 5); // Θ_1 must be 5x6 like W_1
  expect(() => net.checkParams(p)).toThrow(/Θ_1 is 6x5 but it must have the shape of W_1, 5x6/);
  expect(() => new DllTrainer(net, p, 2, { optimizer: 'sgd', lr: 0.1 })).toThrow(/Θ_1/);
  p.Theta.pop();
  expect(() => net.checkParams(p)).toThrow(/need 2 \(Θ_1..Θ_2/);
  const rnn = new DllRnn({ nIn: 3, nHidden: 4, nOut: 2 });
  const q = rnn.init(new Rng(1));
  q.ThetaY = mat(4, 2);
  expect(() => rnn.checkParams(q)).toThrow(/Θ_y is 4x2 but must be 2x4/);
});

test('an empty sequence is refused', () => {
  const rnn = new DllRnn({ nIn: 3, nHidden: 4, nOut: 2 });
  expect(() => rnn.workspace(1, 0)).toThrow(/at least one time step/);
  const ws = rnn.workspace(1, 2);
  expect(() => rnn.setBatch(ws, [], [])).toThrow(/input sequence is empty/);
  expect(() => rnn.setBatch(ws, [1, 2, 3], [0, 1])).toThrow(/2 steps x batch 1 x 3 inputs need 6/);
});

test('non-finite targets and inputs are refused with their position', () => {
  const net = new DllMlp({ sizes: [2, 3, 1] });
  const p = net.init(new Rng(1));
  const ws = net.workspace(2);
  expect(() => net.present(p, ws, [0, 1, 2, 3], [0.5, NaN])).toThrow(/target entry 1 is NaN; targets must be finite/);
  expect(() => net.present(p, ws, [0, Infinity, 2, 3], [0.5, 1])).toThrow(/input entry 1 is Infinity/);
  expect(() => net.present(p, ws, [0, 1, 2], [0.5, 1])).toThrow(/batch 2 x width 2 needs 4/);
  const rnn = new DllRnn({ nIn: 1, nHidden: 2, nOut: 1 });
  const rws = rnn.workspace(1, 2);
  expect(() => rnn.setBatch(rws, [1, 2], [0, Infinity])).toThrow(/target entry 1 \(step 2\) is Infinity/);
});

test('bad specifications say what to change', () => {
  expect(() => new DllMlp({ sizes: [3] })).toThrow(/at least an input and an output/);
  expect(() => new DllMlp({ sizes: [3, 2], loss: 'hinge' as never })).toThrow(/'mse' or 'cross-entropy'/);
  expect(() => new DllMlp({ sizes: [3, 2], feedback: 'mirror' as never })).toThrow(/'learned' \(DLL\) or 'fixed' \(DLL-FA\)/);
  expect(() => new DllMlp({ sizes: [3, 2], hidden: 'swish' })).not.toThrow(); // output layer only: hidden unused
  expect(() => new DllMlp({ sizes: [3, 4, 2], hidden: 'swish' })).toThrow(/unknown activation 'swish'/);
  expect(() => new DllRnn({ nIn: 0, nHidden: 2, nOut: 1 })).toThrow(/nIn must be an integer >= 1/);
  expect(() => makeOptimizer('sgd', 0, [1])).toThrow(/learning rate must be a finite number > 0/);
  expect(() => makeOptimizer('rmsprop' as never, 0.1, [1])).toThrow(/valid optimizers: sgd, adam/);
});

test('divergence is surfaced, not a silent NaN', () => {
  const net = new DllMlp({ sizes: [2, 8, 1], loss: 'mse' });
  const p = net.init(new Rng(1));
  const tr = new DllTrainer(net, p, 2, { optimizer: 'sgd', lr: 1e6 });
  expect(() => {
    for (let k = 0; k < 50; k++) tr.step([1, -1, 0.5, 2], [3, -3]);
  }).toThrow(/non-finite; lower the learning rate/);
  const relaxDiverges = new DllTrainer(net, net.init(new Rng(2)), 2, { optimizer: 'sgd', lr: 0.01, relax: { solver: 'euler', dt: 3, tol: 1e-8, tMax: 1e6 } });
  // Euler with dt = 3τ_x is unstable for the apical flow (eigenvalues −1/τ_x): the relaxation reports it.
  expect(() => relaxDiverges.step([1, -1, 0.5, 2], [3, -3])).toThrow(/apical relaxation diverged.*smaller relaxation step/);
});
