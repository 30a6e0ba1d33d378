/**
 * The two integrators of the LOCO commands (issue 14):
 * - the weights' learning flow (rules.ts NetworkLearner, --solver/--dt0/--rtol/--atol): minibatch k
 *   on [k, k + 1), dθ/dt = −η ĝ_k(θ), Euler with one step per minibatch the paper's update. Any ODE
 *   solver integrates it: on a smooth network Euler converges at order 1 and rk4 at order 4 to the
 *   same flow, and an rk4 run differs from Euler by Euler's discretisation error;
 * - the spiking network's window (--snn-solver/--snn-dt0, clock-driven spikes): refused before any
 *   work when it cannot run the window, recorded in the manifest, and a second solver on a learning
 *   path (XOR by LOCO with stochastic Heun: it learns, and differs from Euler). How much the solver
 *   changes the network itself, with its order, is test/lif/solvers.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { TanhNet } from '../../models/compare/perturbation';
import { continualExperiment } from '../../models/loco/experiments/continual';
import { mnistExperiment } from '../../models/loco/experiments/mnist';
import { sinData, sinExperiment } from '../../models/loco/experiments/sin';
import { trainXor, xorExperiment } from '../../models/loco/experiments/xor';
import { PerturbationLearner } from '../../models/loco/rules';
import { Rng } from '../../src/core/random';
import type { FlowSolver } from '../../src/experiment/minibatch-flow';
import { mat } from '../../src/linalg/mat';
import { onWasmBackend } from '../helpers';
import { removeTmpDirs, runCommand, tmpDir } from './helpers';
import type { CommandSpec } from '../../src/registry';

onWasmBackend();
afterAll(removeTmpDirs);

const refused = async (cmd: CommandSpec, args: string[], message: RegExp) => {
  const out = tmpDir(cmd.name);
  await expect(runCommand(cmd, args, out)).rejects.toThrow(message);
  expect(fs.readdirSync(out)).toEqual([]);
};

test('loco-xor, loco-mnist and loco-continual refuse an SNN solver that cannot run the clock-driven window, before writing anything', async () => {
  // membrane noise makes the window an SDE; an adaptive solver cannot keep the clock
  await refused(xorExperiment, ['--snn-solver', 'rk4'], /--snn-solver rk4 handles ODEs only, but the spiking network's window \(clock-driven spikes, membrane noise\) is an SDE; use --snn-solver euler_maruyama/);
  await refused(xorExperiment, ['--snn-solver', 'dopri5', '--noise', '0'], /--snn-solver dopri5 chooses its own steps, but .* needs fixed steps/);
  await refused(xorExperiment, ['--snn-dt0', '0.3', '--steps', '20'], /--snn-dt0 0.3: the clock step dt0 = 0.3 ms must divide the window of 20 ms/);
  await refused(mnistExperiment, ['--snn-dt0', '3'], /--snn-dt0 3: clock-driven Euler needs dt <= tau_m \(got dt = 3 ms, tau_m = 2 ms\)/);
  await refused(continualExperiment, ['--net', 'snn', '--snn-solver', 'heun'], /--snn-solver heun handles ODEs only/);
});

test("every LOCO command refuses a weights' flow it cannot integrate, before writing anything", async () => {
  await refused(xorExperiment, ['--solver', 'odex', '--variant', 'paper'], /--solver odex chooses its own steps, but the learning flow of the weights .*must stop where its input jumps/);
  await refused(mnistExperiment, ['--solver', 'rk4', '--dt0', '2', '--variant', 'paper'], /--dt0 2: the step of the learning flow of the weights is in presentations .* must be in \(0, 1\]/);
  // the code variant's Adam is a discrete map: only the paper's Euler step
  await refused(sinExperiment, ['--solver', 'rk4'], /--variant code trains with Adam, .* runs only as --solver euler --dt0 1; give --variant paper to integrate the flow with --solver rk4/);
  await refused(continualExperiment, ['--solver', 'heun', '--rtol', '1e-3'], /--rtol and --atol set the tolerances of an adaptive solver/);
});

test('the manifest and the results of loco-xor record both integrators (rk4 on the weights, stochastic Heun at 0.5 ms in the window)', async () => {
  const { out } = await runCommand(xorExperiment, ['--rules', 'loco', '--seeds', '1', '--epochs', '1', '--steps', '20', '--variant', 'paper', '--solver', 'rk4', '--snn-solver', 'stochastic_heun', '--snn-dt0', '0.5']);
  const manifest = JSON.stringify(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')));
  expect(manifest).toContain('"solver":"rk4"');
  expect(manifest).toContain('"snnSolver":"stochastic_heun"');
  expect(manifest).toContain('"snnDt0":0.5');
  const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  expect(results[0].options.integrator).toEqual({ solver: 'stochastic_heun', dt0: 0.5, mode: 'clock' });
  expect(results[0].options.flow).toEqual({ solver: 'rk4' });
}, 60_000);

test('LOCO learns XOR with a second SNN solver (stochastic Heun, dt = 1 ms) as with Euler–Maruyama, along a different path (measured: solved at epochs 21 and 22, seed 3)', () => {
  const heun = trainXor({ rule: 'loco', seed: 3, epochs: 100, stopWhenSolved: true, integrator: { solver: 'stochastic_heun' } });
  const euler = trainXor({ rule: 'loco', seed: 3, epochs: 100, stopWhenSolved: true });
  expect(heun.solvedAt).not.toBeNull();
  expect(euler.solvedAt).not.toBeNull();
  expect(heun.history.map((h) => h.loss)).not.toEqual(euler.history.map((h) => h.loss));
}, 60_000);

/**
 * NP and LOCO on a smooth network (the comparison's tanh MLP 1-16-16-2, the sin data, η = 0.05,
 * σ = 1e-3, 10 minibatches): the weights after the flow. The ReLU networks of the experiments have
 * kinks where a unit's input crosses zero, which caps every solver's order near 1, so the orders
 * are measured here, where the flow is smooth within each minibatch.
 */
function tanhWeights(rule: 'np' | 'loco', flow: FlowSolver, minibatches = 10): number[] {
  const { x, t } = sinData();
  const rng = new Rng(2);
  const sizes = [1, 16, 16, 2];
  const W = sizes.slice(1).map((n, l) => rng.fillNormal(mat(n, sizes[l]).data, 1 / Math.sqrt(sizes[l])));
  const net = new TanhNet(sizes, W.map((w, l) => mat(sizes[l + 1], sizes[l], w)));
  const learner = new PerturbationLearner(net, { rule, sigma: 1e-3, eta: 0.05, loco: { k: [1, 4, 4], clusters: 1 }, flow }, 3);
  if (minibatches > 0) learner.train(minibatches, () => ({ x, target: t, B: x.length, groups: null }));
  return net.W.flatMap((w) => Array.from(w.data));
}

const dist = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));

test("the weights' flow converges at Euler's order 1 and rk4's order 4, and rk4 at one step per minibatch differs from Euler by Euler's discretisation error (measured: Euler 1.9e-2, 8.3e-3, 4.0e-3; rk4 6.5e-5, 3.1e-6)", () => {
  for (const rule of ['np', 'loco'] as const) {
    const ref = tanhWeights(rule, { solver: 'rk4', dt0: 1 / 16 });
    const euler = [1, 1 / 2, 1 / 4].map((dt0) => dist(tanhWeights(rule, { solver: 'euler', dt0 }), ref));
    const rk4 = [1, 1 / 2].map((dt0) => dist(tanhWeights(rule, { solver: 'rk4', dt0 }), ref));
    for (let i = 1; i < euler.length; i++) expect(euler[i - 1] / euler[i], `${rule} Euler, halving the step`).toBeGreaterThan(1.7);
    for (let i = 1; i < euler.length; i++) expect(euler[i - 1] / euler[i], `${rule} Euler, halving the step`).toBeLessThan(2.6);
    expect(rk4[0] / rk4[1], `${rule} rk4, halving the step`).toBeGreaterThan(12);
    const eulerVsRk4 = dist(tanhWeights(rule, { solver: 'euler', dt0: 1 }), tanhWeights(rule, { solver: 'rk4', dt0: 1 }));
    expect(eulerVsRk4, `${rule}: rk4 differs from Euler`).toBeGreaterThan(0.5 * euler[0]);
    expect(eulerVsRk4, `${rule}: by Euler's error, no more`).toBeLessThan(1.5 * euler[0]);
    expect(euler[0], `${rule}: the flow moved the weights much more than Euler's error`).toBeLessThan(0.1 * dist(tanhWeights(rule, { solver: 'euler', dt0: 1 }, 0), ref));
  }
}, 60_000);

test('loco-sin --solver rk4 at a tiny size: the final loss differs from Euler by no more than Euler\'s discretisation error (reference rk4 at 1/8 of a minibatch)', async () => {
  const finalLoss = async (flow: string[]) => {
    const { out } = await runCommand(sinExperiment, ['--rules', 'loco', '--seeds', '2', '--epochs', '11', '--k', '4', '--variant', 'paper', ...flow]);
    const s = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    return s.summary[0].finalLossMean as number;
  };
  const euler = await finalLoss([]);
  const rk4 = await finalLoss(['--solver', 'rk4']);
  const ref = await finalLoss(['--solver', 'rk4', '--dt0', '0.125']);
  expect(rk4).not.toBe(euler);
  expect(Math.abs(rk4 - euler)).toBeLessThanOrEqual(1.5 * Math.abs(euler - ref));
  expect(Math.abs(rk4 - ref)).toBeLessThan(Math.abs(euler - ref));
}, 60_000);
