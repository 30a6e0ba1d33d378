/**
 * `reproduce compare --solver` (issue 14): every rule's minibatch flow dθ/dt = ηΔ_k(θ) integrated
 * by the chosen solver (models/compare/learners.ts MinibatchStep, the SAL circuit's own term, DLL's
 * slow flow). The default is pinned bit for bit in pinned.test.ts; here:
 * - another solver changes the weights by the discretisation error of the default and no more:
 *   against rk4 at a quarter of a minibatch (the reference), Euler's error halves when its step
 *   halves (order 1), and rk4 at one step per minibatch is far closer to the reference than Euler;
 * - a solver that cannot integrate the flow is refused before any work, with a one-line message;
 * - the choice is recorded in the manifest and results.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions, UsageError } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import { compareCommand, compareSolver, type CompareSolverOptions } from '../../models/compare/experiment';
import { taskConfig } from '../../models/compare/config';
import { LEARNERS, sharedInit } from '../../models/compare/run';
import { RULE_NAMES, RULES, type RuleName } from '../../models/compare/rules';
import { taskData } from '../../models/compare/tasks';
import type { FlowSolver } from '../../src/experiment/minibatch-flow';
import { TanhNet } from '../../models/compare/perturbation';
import { PerturbationLearner } from '../../models/loco/rules';
import { onWasmBackend } from '../helpers';

onWasmBackend();

const cfg = taskConfig('teacher', true);
const data = taskData({ ...cfg.setup, trainSize: 64, testSize: 16 });
const { W0, B0, ruleSeed } = sharedInit(data.sizes, 2);
// DFC's wake phase at the quick settings, and no sleep phase (the flow of W is what is tested)
const settings = { ...cfg.settings, dfc: { ...cfg.settings.dfc, pretrainEpochs: 0 } };
const B = 16;

/** The forward weights after 4 minibatches of the rule's flow, integrated by `solver`. */
function weightsAfter(rule: RuleName, solver: FlowSolver | undefined, lr: number): Float64Array {
  const learner = LEARNERS[rule]({ rule, data, W0, B0, lr, batch: B, seed: ruleSeed, settings, ...(solver ? { solver } : {}) });
  const d = data.sizes[0];
  const k = data.sizes[data.sizes.length - 1];
  for (let b = 0; b < 4; b++) {
    learner.step(data.train.x.subarray(b * B * d, (b + 1) * B * d), data.train.t.subarray(b * B * k, (b + 1) * B * k), null, B);
  }
  return Float64Array.from(learner.weights().flatMap((m) => Array.from(m.data)));
}

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

test.each([...RULE_NAMES])('%s: another solver moves the weights by the default Euler step’s discretisation error (order 1), no more', (rule) => {
  const lr = 0.05; // small enough for Euler's asymptotic order, large enough that its error is far above rounding
  const reference = weightsAfter(rule, { solver: 'rk4', dt0: 0.25 }, lr);
  const euler = weightsAfter(rule, undefined, lr);
  const eulerHalf = weightsAfter(rule, { solver: 'euler', dt0: 0.5 }, lr);
  const rk4 = weightsAfter(rule, { solver: 'rk4' }, lr);
  const e1 = distance(euler, reference);
  const eHalf = distance(eulerHalf, reference);
  const moved = distance(euler, Float64Array.from(W0.flatMap((m) => Array.from(m.data))));
  expect(e1, 'the default differs from the reference').toBeGreaterThan(1e-9 * moved);
  // measured (4 minibatches, η = 0.05): 2.00-2.17, KP 1.57
  expect(e1 / eHalf, `Euler's error ratio at steps 1 and 1/2 (${e1.toExponential(3)}, ${eHalf.toExponential(3)})`).toBeGreaterThan(1.5);
  expect(e1 / eHalf).toBeLessThan(2.5);
  // rk4's error at one step per minibatch: below 0.002 of Euler's on the tanh rows; on the ReLU
  // rows a unit crossing its kink inside a step costs rk4 its order (measured 0.09-0.27 of Euler's)
  const tol = RULES[rule].family === 'relu' ? 0.35 : 0.01;
  expect(distance(rk4, reference), 'rk4 at one step per minibatch').toBeLessThan(tol * e1);
  // so rk4 differs from the default by Euler's error, within rk4's own (smaller) one
  expect(Math.abs(distance(rk4, euler) - e1)).toBeLessThan(tol * e1);
}, 60_000);

test('a solver that cannot integrate the flow is refused before any work, with the options to use', () => {
  // parseOptions returns the options untyped; the command's declarations give them the type compareSolver reads
  const parsed = (args: string[]) => parseOptions(args, compareCommand.options) as CompareSolverOptions;
  const refuse = (args: string[]) => () => compareSolver(parsed(args));
  expect(refuse(['--solver', 'odex'])).toThrow(UsageError);
  expect(refuse(['--solver', 'odex'])).toThrow(/--solver odex chooses its own steps.*use --solver euler or .*rk4 or dopri5/);
  expect(refuse(['--dt0', '2'])).toThrow(/--dt0 2: .*must be in \(0, 1\]/);
  expect(refuse(['--rtol', '1e-3'])).toThrow(/--rtol and --atol .* --solver euler takes fixed steps/);
  expect(compareSolver(parsed([]))).toBeUndefined();
  expect(compareSolver(parsed(['--solver', 'dopri5', '--rtol', '1e-4']))).toEqual({ solver: 'dopri5', rtol: 1e-4 });
});

test('reproduce compare --solver rk4 at a tiny size: recorded in the manifest and results.json, away from Euler by Euler’s error', async () => {
  process.env.CREDITFLOW_NO_PNG = '1';
  const run = async (extra: string[]) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-solver-'));
    const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total) };
    const args = ['--quick', '--seeds', '1', '--workers', '1', '--tasks', 'teacher', '--rules', 'BP,URFB,NP,SAL', '--out', dir, ...extra];
    await compareCommand.run(parseOptions(args, compareCommand.options), ctx);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
    return { manifest, results };
  };
  const euler = await run([]);
  const eulerHalf = await run(['--dt0', '0.5']);
  const rk4 = await run(['--solver', 'rk4']);
  expect(euler.manifest.options.solver).toBe('euler');
  expect(euler.results.solver).toEqual({ solver: 'euler', dt0: 1 });
  expect(eulerHalf.results.solver).toEqual({ solver: 'euler', dt0: 0.5 });
  expect(rk4.manifest.options.solver).toBe('rk4');
  expect(rk4.results.solver).toEqual({ solver: 'rk4' });
  for (const [i, r] of rk4.results.runs.entries()) {
    const loss = (x: { results: { runs: { final: { testLoss: number } }[] } }) => x.results.runs[i].final.testLoss;
    expect(r.status, r.rule).toBe('ok');
    // the final test loss after 48 minibatches: Euler's error in it halves with its step
    const e1 = Math.abs(loss(euler) - loss(rk4));
    const eHalf = Math.abs(loss(eulerHalf) - loss(rk4));
    expect(e1, r.rule).toBeGreaterThan(0);
    expect(e1 / eHalf, `${r.rule}: ${e1}, ${eHalf}`).toBeGreaterThan(1.5);
    expect(e1 / eHalf, r.rule).toBeLessThan(2.7);
  }
}, 120_000);

test('compare’s LOCO integrates the flow of models/loco under a multi-stage solver: projections fixed at the minibatch’s first evaluation', () => {
  const lr = 0.05;
  const N = data.sizes[data.sizes.length - 1];
  const d = data.sizes[0];
  // k = 4 < the hidden width 10, so the hidden layers' projections depend on the weights
  const lo = { ...settings.loco, k: 4 };
  const ours = LEARNERS.LOCO({ rule: 'LOCO', data, W0, B0, lr, batch: B, seed: ruleSeed, settings: { ...settings, loco: lo }, solver: { solver: 'rk4' } });
  const batch = (b: number) => ({ x: data.train.x.subarray(b * B * d, (b + 1) * B * d), target: data.train.t.subarray(b * B * N, (b + 1) * B * N), B, groups: null });
  for (let b = 0; b < 4; b++) ours.step(batch(b).x, batch(b).target, null, B);
  const net = new TanhNet(data.sizes, W0.map((w) => ({ rows: w.rows, cols: w.cols, data: w.data.slice() })));
  // compare's flow is Δ = −N·ĝ at rate lr; the LOCO learner's is −η ĝ: the same at η = N·lr
  const k = data.sizes.slice(0, -1).map((n) => Math.min(lo.k, n));
  const learner = new PerturbationLearner(net, { rule: 'loco', sigma: settings.sigma, eta: N * lr, loco: { k, clusters: 1, buffer: lo.buffer }, flow: { solver: 'rk4' } }, ruleSeed);
  learner.train(4, batch);
  const flat = (ms: readonly { data: Float64Array }[]) => Float64Array.from(ms.flatMap((m) => Array.from(m.data)));
  const moved = distance(flat(ours.weights()), flat(W0));
  expect(moved).toBeGreaterThan(0);
  expect(distance(flat(ours.weights()), flat(net.W))).toBeLessThan(1e-12 * moved);
});
