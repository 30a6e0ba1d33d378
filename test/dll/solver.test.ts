/**
 * Issue 14, the integrator of DLL's slow flows (models/dll/flow.ts): any ODE solver integrates the
 * buffered W/Θ flow dθ/dt = η Δ_k(θ) (minibatch k on [k, k + 1)); the commands take
 * --solver/--dt0/--rtol/--atol for it, record them, and refuse what cannot run it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import { DllMlp, cloneParams, paramArrays, type DllParams } from '../../models/dll/mlp';
import { DllTrainer } from '../../models/dll/trainer';
import { rnnTask } from '../../models/dll/rnn-train';
import { mnistExperiment } from '../../models/dll/experiments/mnist';
import { rnnExperiment } from '../../models/dll/experiments/rnn';
import type { FlowSolver } from '../../src/experiment/minibatch-flow';
import type { CommandSpec } from '../../src/registry';
import { regressionData } from './helpers';

const net = new DllMlp({ sizes: [2, 8, 6, 1], hidden: 'tanh', loss: 'mse' });
const p0 = net.init(new Rng(11));
const data = regressionData(64, 12);
const B = 16;
const batch = (k: number) => {
  const b = k % 4;
  return { input: data.x.subarray(b * B * 2, (b + 1) * B * 2), target: data.t.subarray(b * B, (b + 1) * B) };
};

/** Train `count` presentations with SGD at η along the slow flow integrated by `flow`: each minibatch's loss and the parameters. */
function train(flow: FlowSolver, eta: number, count: number): { losses: number[]; p: DllParams } {
  const p = cloneParams(p0);
  const tr = new DllTrainer(net, p, B, { optimizer: 'sgd', lr: eta, relax: { solver: 'euler', dt: 1, tol: 1e-12 }, flow });
  const losses: number[] = [];
  tr.run(count, batch, (_k, l) => losses.push(l));
  return { losses, p };
}

function distance(a: DllParams, b: DllParams): number {
  const x = paramArrays(a);
  const y = paramArrays(b);
  let s = 0;
  for (let m = 0; m < x.length; m++) for (let i = 0; i < x[m].length; i++) s += (x[m][i] - y[m][i]) ** 2;
  return Math.sqrt(s);
}

test('the buffered slow flow learns with euler, heun, rk4 and dopri5, and Euler differs from rk4 by a first-order error', () => {
  // η = 0.1, 100 presentations (25 passes over 4 minibatches): measured loss 0.108 -> 0.088 for each
  // solver; Euler's distance to rk4 1.2e-2, halving its step gives the ratio 2.07; heun 0.02x, dopri5 5e-5x Euler's.
  const eta = 0.1;
  const n = 100;
  const runs = {
    euler: train({ solver: 'euler', dt0: 1 }, eta, n),
    eulerHalf: train({ solver: 'euler', dt0: 0.5 }, eta, n),
    heun: train({ solver: 'heun', dt0: 1 }, eta, n),
    rk4: train({ solver: 'rk4', dt0: 1 }, eta, n),
    dopri5: train({ solver: 'dopri5', rtol: 1e-8, atol: 1e-10 }, eta, n),
  };
  // Every integrator learns: the mean loss over the last pass is well below the first pass's.
  const pass = (l: number[], from: number) => (l[from] + l[from + 1] + l[from + 2] + l[from + 3]) / 4;
  for (const [name, r] of Object.entries(runs)) expect(pass(r.losses, n - 4) / pass(r.losses, 0), name).toBeLessThan(0.85);
  // rk4 and dopri5 (rtol 1e-8) agree to far below Euler's error: the reference.
  const ref = runs.rk4.p;
  const eulerGap = distance(runs.euler.p, ref);
  expect(distance(runs.dopri5.p, ref)).toBeLessThan(1e-3 * eulerGap);
  // Euler is first order in its step: halving dt0 halves its distance to the reference (ratio 2 + O(η)).
  const ratio = eulerGap / distance(runs.eulerHalf.p, ref);
  expect(ratio).toBeGreaterThan(1.8);
  expect(ratio).toBeLessThan(2.3);
  // Heun (second order) is much closer to the reference than Euler at the same step.
  expect(distance(runs.heun.p, ref)).toBeLessThan(0.1 * eulerGap);
  // The difference is the integrator's, not rounding.
  expect(eulerGap).toBeGreaterThan(1e-3);
}, 60_000);

test('Adam runs only as the paper\'s Euler step; odex and steps above one minibatch are refused for the slow flow', () => {
  const p = cloneParams(p0);
  expect(() => new DllTrainer(net, p, B, { optimizer: 'adam', lr: 1e-3, flow: { solver: 'rk4', dt0: 1 } })).toThrow(/adam is a discrete optimiser.*use optimizer sgd/);
  expect(() => new DllTrainer(net, p, B, { optimizer: 'adam', lr: 1e-3, flow: { solver: 'euler', dt0: 0.5 } })).toThrow(/adam is a discrete optimiser/);
  expect(() => new DllTrainer(net, p, B, { optimizer: 'sgd', lr: 1e-3, flow: { solver: 'odex' } })).toThrow(/cannot stop at the minibatch boundaries/);
  expect(() => new DllTrainer(net, p, B, { optimizer: 'sgd', lr: 1e-3, flow: { solver: 'euler', dt0: 2 } })).toThrow(/must be in \(0, 1\]/);
});

test('DLL-RNN trains with rk4 on its slow flow (SGD), close to Euler at a small rate', () => {
  const data = { task: 'series' as const, length: 600, channels: 3, seed: 0 };
  const run = { method: 'dll' as const, hidden: 8, steps: 5, batch: 4, iterations: 40, lr: 0.01, optimizer: 'sgd' as const, seed: 2, relaxMode: 'closed' as const, evalEvery: 0 };
  const euler = rnnTask({ data, run });
  const rk4 = rnnTask({ data, run: { ...run, flow: { solver: 'rk4', dt0: 1 } } });
  expect(Number.isFinite(rk4.loss)).toBe(true);
  expect(rk4.loss).not.toBe(euler.loss);
  // η = 0.01 on 40 iterations: the integrators agree to about η (first-order error of Euler).
  expect(Math.abs(rk4.loss - euler.loss) / euler.loss).toBeLessThan(0.01);
  expect(() => rnnTask({ data, run: { ...run, optimizer: 'adam', flow: { solver: 'heun', dt0: 1 } } })).toThrow(/adam is a discrete optimiser/);
});

async function runCommand(spec: CommandSpec, args: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dll-solver-${spec.name}-`));
  const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total) };
  try {
    const code = await spec.run(parseOptions([...args, '--no-png', '--out', dir, '--workers', '1'], spec.options), ctx);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    return { code, manifest, results };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('dll-mnist --optimizer sgd --solver rk4 runs at a tiny size and records the solver; Adam with rk4, odex and tolerances for a fixed step are refused before work', async () => {
  const tiny = ['--sizes', '784,12,10,10', '--epochs', '1', '--seeds', '1', '--train-size', '128', '--batch-size', '32', '--methods', 'dll,bp', '--theta-rule', 'paper'];
  const euler = await runCommand(mnistExperiment, [...tiny, '--optimizer', 'sgd', '--lr', '0.05']);
  const rk4 = await runCommand(mnistExperiment, [...tiny, '--optimizer', 'sgd', '--lr', '0.05', '--solver', 'rk4']);
  expect(rk4.code).toBe(0);
  expect(rk4.manifest.options.solver).toBe('rk4');
  expect(euler.manifest.options.solver).toBe('euler');
  const acc = (r: typeof euler, m: string) => r.results.summary.find((s: { method: string }) => s.method === m).testLossMean;
  for (const m of ['dll', 'bp']) {
    expect(acc(rk4, m)).not.toBe(acc(euler, m));
    // 4 minibatches at η = 0.05: the integrators agree to a few η² per step
    expect(Math.abs(acc(rk4, m) - acc(euler, m)) / acc(euler, m)).toBeLessThan(0.01);
  }
  await expect(runCommand(mnistExperiment, [...tiny, '--solver', 'rk4'])).rejects.toThrow(/--optimizer adam is a discrete optimiser.*--solver euler --dt0 1; use --optimizer sgd/);
  await expect(runCommand(mnistExperiment, [...tiny, '--solver', 'odex', '--optimizer', 'sgd'])).rejects.toThrow(/--solver odex chooses its own steps, but the slow W\/Θ flow .* must stop where its input jumps; use --solver euler/);
  await expect(runCommand(mnistExperiment, [...tiny, '--solver', 'euler', '--rtol', '1e-6', '--optimizer', 'sgd'])).rejects.toThrow(/--rtol and --atol set the tolerances of an adaptive solver/);
  await expect(runCommand(rnnExperiment, ['--iterations', '5', '--solver', 'heun'])).rejects.toThrow(/--optimizer adam is a discrete optimiser/);
}, 120_000);
