/**
 * Issue 14: URFB's learning flows with other solvers than the paper's Euler iteration, and the
 * shared --solver/--dt0/--rtol/--atol of its commands.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions, type OptionSpec } from '../../src/experiment/options';
import { Progress } from '../../src/io/progress';
import type { RunContext } from '../../src/experiment/context';
import type { CommandSpec } from '../../src/registry';
import { constantStep } from '../../src/core/controller';
import { solve } from '../../src/core/solve';
import { Rng } from '../../src/core/random';
import { fig12Defaults, fig12Run } from '../../models/urfb/fig12';
import { fig12Command } from '../../models/urfb/fig12-report';
import { stepCommand } from '../../models/urfb/step';
import { trainCommand } from '../../models/urfb/mnist-report';
import { FeedbackNet, FeedbackFlow } from '../../models/urfb/nonlinear';
import { loadData, trainDefaults, trainNetwork } from '../../models/urfb/train';
import { maxAbsDiff } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'urfb-solvers-'));

function quietContext(): RunContext & { lines: string[] } {
  const lines: string[] = [];
  return { json: false, lines, log: (l) => lines.push(l), progress: (label, total) => new Progress(label, total, { isTTY: false } as NodeJS.WriteStream) };
}

async function run(cmd: CommandSpec, args: string[]) {
  const opts = parseOptions(args, cmd.options as OptionSpec[]);
  const ctx = quietContext();
  const code = await cmd.run(opts, ctx);
  return { code, ctx, opts };
}

test('Fig. 12 with rk4 and heun learns like Euler, and Euler differs from rk4 by its first-order error (halving the step halves it)', () => {
  const settings = { ...fig12Defaults, dims: [10, 12, 12, 4], seeds: [1], steps: 300, stepScale: 0.02 };
  const runWith = (solver: string, dt0?: number) => fig12Run({ settings: { ...settings, solver, dt0 }, seed: 1, epsilon: 1 });
  const euler = runWith('euler');
  const eulerHalf = runWith('euler', 0.5);
  const heun = runWith('heun');
  const rk4 = runWith('rk4');
  for (const r of [euler, heun, rk4]) {
    expect(r.status).toBe('ok');
    expect(r.finalRelError).toBeLessThan(1e-3 * r.relError[0]);
    expect(r.finalCorrelation[2]).toBeGreaterThan(0.9);
  }
  // The relative error at a mid-run iteration, where it still changes fast: Euler's global error is
  // O(η) (first order), so |Euler − rk4| halves with the step; Heun (second order) is much closer.
  const s = 100;
  const d1 = Math.abs(euler.relError[s] - rk4.relError[s]);
  const dHalf = Math.abs(eulerHalf.relError[s] - rk4.relError[s]);
  const dHeun = Math.abs(heun.relError[s] - rk4.relError[s]);
  // measured: d1 / dHalf = 1.96, dHeun / d1 = 0.008
  expect(d1).toBeGreaterThan(0);
  expect(d1 / dHalf).toBeGreaterThan(1.7);
  expect(d1 / dHalf).toBeLessThan(2.3);
  expect(dHeun).toBeLessThan(0.2 * d1);
});

test('the minibatch flow with heun: SGD (Euler) differs from it at first order in the step (halving dt0 halves the gap)', () => {
  // 20 minibatches of 10 random inputs, one after another, on a small URFB network.
  const sizes = [20, 16, 12, 5];
  const rng = new Rng(4);
  const xs = rng.fillNormal(new Float64Array(20 * 10 * 20), 0.5);
  const labels = Int32Array.from({ length: 200 }, (_, i) => i % 5);
  const endState = (solver: string, dt0: number) => {
    const net = new FeedbackNet({ sizes, rule: 'urfb', mu: 0.2, sparsity: 0 }, 3);
    const mb = { x: new Float64Array(10 * 20), labels: new Int32Array(10), size: 10 };
    const jumps = Array.from({ length: 19 }, (_, k) => k + 1);
    const input = { jumps, enter: (k: number) => { mb.x.set(xs.subarray(k * 200, (k + 1) * 200)); mb.labels.set(labels.subarray(k * 10, (k + 1) * 10)); } };
    const flow = new FeedbackFlow(net, 0.1, mb, input);
    const sol = solve(flow.problem, solver, { t0: 0, t1: 20, y0: net.y, dt0, controller: constantStep(), reductions: [flow.statistics()] });
    expect(sol.status).toBe('ok');
    return { y: sol.y, loss: sol.reductions[0][0] };
  };
  const euler = endState('euler', 1);
  const eulerHalf = endState('euler', 0.5);
  const heun = endState('heun', 1);
  const heunFine = endState('heun', 0.25);
  const d1 = maxAbsDiff(euler.y, heunFine.y);
  const dHalf = maxAbsDiff(eulerHalf.y, heunFine.y);
  // measured: d1 / dHalf ≈ 2; Heun's own gap ≈ 0.28·d1: smaller, but not second order, because
  // the flow has kinks (σ's saturation, the hinge) inside the steps
  expect(d1).toBeGreaterThan(0);
  expect(d1 / dHalf).toBeGreaterThan(1.7);
  expect(d1 / dHalf).toBeLessThan(2.3);
  expect(maxAbsDiff(heun.y, heunFine.y)).toBeLessThan(0.5 * d1);
  // the loss recorded per step is weighted by the step: summed over 20 minibatches either way
  expect(Math.abs(eulerHalf.loss - euler.loss) / euler.loss).toBeLessThan(0.05);
});

test('train urfb with heun learns MNIST digits like Euler (reduced), with different numbers', () => {
  const data = loadData({ trainSize: 1000, testSize: 300 });
  const base = { ...trainDefaults, rule: 'urfb' as const, hidden: [32, 32], epochs: 3, seed: 1, trainSize: 1000, testSize: 300 };
  const euler = trainNetwork(base, data);
  const heun = trainNetwork({ ...base, solver: 'heun' }, data);
  // measured: test error 0.30 (Euler) and 0.27 (Heun) after 3 epochs; chance is 0.9
  for (const r of [euler, heun]) expect(r.finalTestError).toBeLessThan(0.4);
  // measured: the epoch-3 mean losses differ by 6% (1.250 vs 1.178): at η = 0.1 a minibatch's SGD
  // step is a coarse Euler step of the flow (the first-order gap is measured in the test above)
  const gap = Math.abs(heun.epochs[2].loss - euler.epochs[2].loss) / euler.epochs[2].loss;
  expect(gap).toBeGreaterThan(0);
  expect(gap).toBeLessThan(0.15);
});

test('reproduce fig12 --solver rk4 runs and the manifest records the solver; euler refuses --rtol', async () => {
  const out = path.join(tmp, 'fig12-rk4');
  const { code } = await run(fig12Command, ['--dims', '6,8,8,3', '--steps', '20', '--seeds', '1', '--epsilons', '1', '--no-bp', '--step-scale', '0.03', '--solver', 'rk4', '--no-png', '--out', out]);
  expect(code).toBe(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  expect(JSON.stringify(manifest)).toMatch(/"solver":\s*"rk4"/);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'fig12.json'), 'utf8'));
  expect(json.runs[0].message).toMatch(/^rk4: 20 steps, 80 evaluations/);
  await expect(run(fig12Command, ['--steps', '5', '--rtol', '1e-6', '--out', path.join(tmp, 'x')])).rejects.toThrow(/--rtol and --atol set the tolerances of an adaptive solver, but --solver euler takes fixed steps/);
});

test('train urfb --solver heun runs; --solver odex (cannot stop at minibatch boundaries) is refused before any work, naming the ones that can', async () => {
  const out = path.join(tmp, 'train-heun');
  const { code, ctx } = await run(trainCommand, ['--hidden', '8', '--epochs', '1', '--train-size', '100', '--test-size', '50', '--solver', 'heun', '--out', out]);
  expect(code).toBe(0);
  expect(ctx.lines[0]).toMatch(/solver heun/);
  const bad = path.join(tmp, 'train-odex');
  await expect(run(trainCommand, ['--hidden', '8', '--epochs', '1', '--train-size', '100', '--solver', 'odex', '--out', bad])).rejects.toThrow(/--solver odex chooses its own steps and cannot stop at the minibatch boundaries of the learning flow; use --solver euler or .*dopri5/);
  expect(fs.existsSync(bad)).toBe(false);
});

test('fig12-step refuses an adaptive solver and --dt0', async () => {
  await expect(run(stepCommand, ['--solver', 'dopri5', '--out', path.join(tmp, 's1')])).rejects.toThrow(/--solver dopri5 chooses its own steps, but fig12-step .* needs fixed steps; use --solver euler or/);
  await expect(run(stepCommand, ['--dt0', '0.5', '--out', path.join(tmp, 's2')])).rejects.toThrow(/--dt0: fig12-step measures the largest stable step itself/);
});
