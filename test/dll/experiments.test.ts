import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import { lrExperiment, mnistExperiment, runDllLr, runDllMnist } from '../../models/dll/experiments/mnist';
import { rnnExperiment, runDllRnn } from '../../models/dll/experiments/rnn';
import type { CommandSpec } from '../../src/registry';
import type { OptionSpec } from '../../src/experiment/options';
import { dataOptions } from '../../src/experiment/data';
import { writeCifarFolder } from '../data-fixtures';


async function run(spec: CommandSpec, args: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dll-${spec.name}-`));
  const lines: string[] = [];
  const ctx: RunContext = { json: false, log: (l) => lines.push(l), progress: (label, total) => new Progress(label, total) };
  const code = await spec.run(parseOptions([...args, '--no-png', '--out', dir], spec.options), ctx);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
  const claimsFile = path.join(dir, 'claims.json');
  const claims = fs.existsSync(claimsFile) ? JSON.parse(fs.readFileSync(claimsFile, 'utf8')) : null;
  fs.rmSync(dir, { recursive: true, force: true });
  return { lines, code, manifest, results, claims };
}

test('dll-mnist at toy size writes results, curves, a summary, a figure and a manifest', async () => {
  const r = await run(mnistExperiment, ['--sizes', '784,16,10', '--epochs', '2', '--seeds', '1', '--train-size', '512', '--batch-size', '32', '--lr', '3e-3']);
  expect(r.code).toBe(0);
  expect(r.manifest.status).toBe('ok');
  for (const f of ['results.json', 'curves.csv', 'summary.csv', 'test-accuracy.html']) expect(r.manifest.files).toContain(f);
  const res = r.results;
  expect(res.summary.map((s: { method: string }) => s.method)).toEqual(['dll', 'dll-fa', 'bp', 'dll (code Θ)']); // default --theta-rule paper,code
  expect(r.manifest.files).toContain('claims.json');
  expect(r.manifest.options.thetaRule).toEqual(['paper', 'code']);
  for (const s of res.summary) expect(s.accuracyMean).toBeGreaterThan(0.2); // above chance (0.1) after two epochs of 512 images
  expect(r.lines.join('\n')).toMatch(/dll-fa/);
});

test('runDllMnist: the typed function returns the numbers the command writes, and writes nothing', async () => {
  const args = ['--sizes', '784,12,10', '--epochs', '1', '--seeds', '1,2', '--methods', 'dll,bp', '--theta-rule', 'paper', '--train-size', '256', '--batch-size', '32', '--lr', '3e-3', '--workers', '1'];
  const command = await run(mnistExperiment, args);
  const before = fs.existsSync('out/dll-mnist') ? fs.readdirSync('out/dll-mnist').sort() : null;
  const r = await runDllMnist({ sizes: [784, 12, 10], epochs: 1, seeds: [1, 2], methods: ['dll', 'bp'], thetaRule: ['paper'], trainSize: 256, batchSize: 32, lr: 3e-3, workers: 1 });
  expect(fs.existsSync('out/dll-mnist') ? fs.readdirSync('out/dll-mnist').sort() : null).toEqual(before);
  const accuracy: number = r.summary[0].accuracyMean;
  expect(r.summary.map((s) => s.method)).toEqual(['dll', 'bp']);
  expect(r.summary.map((s) => s.accuracyMean)).toEqual(command.results.summary.map((s: { accuracyMean: number }) => s.accuracyMean));
  expect(r.runs.map((x) => x.curve.map((c) => c.testLoss))).toEqual(command.results.runs.map((x: { curve: { testLoss: number }[] }) => x.curve.map((c) => c.testLoss)));
  expect(r.unconverged).toEqual([]);
  expect(r.claims.length).toBeGreaterThan(0);
  expect(Number.isFinite(accuracy)).toBe(true);
  await expect(runDllMnist({ batchSize: 9000, trainSize: 256 })).rejects.toThrow('--batch-size 9000 is larger than --train-size 256, so an epoch has no full minibatch; use --batch-size 256 or less');
}, 120_000);

test('runDllLr and runDllRnn: the typed functions return the numbers the commands write', async () => {
  const lrCommand = await run(lrExperiment, ['--sizes', '784,8,10', '--epochs', '1', '--lrs', '1e-3,1e300', '--train-size', '128', '--batch-size', '64', '--optimizer', 'sgd', '--workers', '1']);
  const lr = await runDllLr({ sizes: [784, 8, 10], epochs: 1, lrs: [1e-3, 1e300], trainSize: 128, batchSize: 64, optimizer: 'sgd', workers: 1 });
  expect(lr.runs.map((r) => [r.lr, r.status])).toEqual(lrCommand.results.runs.map((r: { lr: number; status: string }) => [r.lr, r.status]));
  expect(lr.runs.map((r) => r.testLoss)).toEqual(lrCommand.results.runs.map((r: { testLoss: number | null }) => r.testLoss ?? NaN));
  expect(lr.summary.map((r) => r.diverged)).toEqual([0, 1]);
  const rnnArgs = ['--iterations', '10', '--seeds', '1', '--hidden', '6', '--steps', '4', '--batch-size', '4', '--tasks', 'series', '--methods', 'dll,bptt', '--series-length', '600', '--eval-every', '5', '--workers', '1'];
  const rnnCommand = await run(rnnExperiment, rnnArgs);
  const rnn = await runDllRnn({ iterations: 10, seeds: [1], hidden: 6, steps: 4, batchSize: 4, tasks: ['series'], methods: ['dll', 'bptt'], seriesLength: 600, evalEvery: 5, workers: 1 });
  const task: 'text' | 'series' = rnn.runs[0].task;
  expect(task).toBe('series');
  expect(rnn.runs.map((r) => r.mse)).toEqual(rnnCommand.results.runs.map((r: { mse: number }) => r.mse));
  expect(rnn.summary.map((r) => r.method)).toEqual(['dll', 'bptt']);
}, 120_000);

test('dll-rnn at toy size runs both tasks and the three methods', async () => {
  const r = await run(rnnExperiment, ['--iterations', '30', '--seeds', '1', '--hidden', '8', '--steps', '6', '--batch-size', '8', '--text-length', '3000', '--series-length', '800', '--eval-every', '10']);
  expect(r.code).toBe(0);
  const res = r.results;
  expect(res.summary).toHaveLength(6);
  for (const s of res.summary) {
    if (s.task === 'text') expect(s.accuracyMean).toBeGreaterThan(0);
    else expect(s.mseMean).toBeGreaterThan(0);
  }
  expect(r.manifest.files).toContain('text-curve.html');
});

test('dll-rnn with the flow relaxation (eqs. 17-18 by a solver) runs', async () => {
  const r = await run(rnnExperiment, ['--iterations', '5', '--seeds', '1', '--hidden', '6', '--steps', '4', '--batch-size', '4', '--tasks', 'series', '--methods', 'dll', '--series-length', '600', '--relax', 'flow', '--relax-solver', 'rk4', '--relax-dt', '0.5', '--eval-every', '0']);
  expect(r.code).toBe(0);
});

test('dll-lr records a diverging learning rate as a result instead of failing', async () => {
  const r = await run(lrExperiment, ['--sizes', '784,8,10', '--epochs', '1', '--lrs', '1e-3,1e300', '--train-size', '128', '--batch-size', '64', '--optimizer', 'sgd']);
  expect(r.code).toBe(0);
  const res = r.results;
  expect(res.summary[0].diverged).toBe(0);
  expect(res.summary[1].diverged).toBe(1);
});

test('dll-rnn --theta-rule runs DLL once per Θ rule beside DLL-FA and BPTT, records the rules and judges each', async () => {
  const r = await run(rnnExperiment, ['--iterations', '20', '--seeds', '1', '--hidden', '6', '--steps', '5', '--batch-size', '4', '--tasks', 'series', '--series-length', '600', '--eval-every', '0', '--theta-rule', 'paper,code,fixed', '--theta-lr-scale', '0.5']);
  expect(r.code).toBe(0);
  expect(r.manifest.options).toMatchObject({ thetaRule: ['paper', 'code', 'fixed'], thetaLrScale: 0.5 });
  expect(r.results.summary.map((s: { method: string }) => s.method)).toEqual(['dll', 'dll-fa', 'bptt', 'dll (code Θ)', 'dll (fixed Θ)']);
  const runs = r.results.runs as { method: string; thetaRule?: string; mse: number }[];
  // 'fixed' is DLL-FA: same start, Θ never updated
  expect(runs.find((x) => x.thetaRule === 'fixed')!.mse).toBe(runs.find((x) => x.method === 'dll-fa')!.mse);
  // each Θ rule gets its own DLL claims (Table 3: DLL vs DLL-FA; Table 2: DLL vs BPTT), side by side
  const claims = r.claims.claims as { variant?: string; figure: string; verdict: string }[];
  for (const v of ['Θ rule: paper', 'Θ rule: code', 'Θ rule: fixed']) expect(claims.filter((c) => c.variant === v).map((c) => c.figure)).toEqual(['Table 3, RNN forecasting', 'Table 2, forecasting']);
  expect(r.lines.join('\n')).toContain('Θ rule: code');
  await expect(run(rnnExperiment, ['--theta-rule', 'code', '--theta-lr-scale', '0'])).rejects.toThrow(/--theta-lr-scale must be > 0/);
});

test('dll-lr --theta-rule sweeps each Θ rule as its own row and claim', async () => {
  const r = await run(lrExperiment, ['--sizes', '784,8,10', '--epochs', '1', '--lrs', '1e-4,1e-3', '--train-size', '128', '--batch-size', '64', '--theta-rule', 'paper,code']);
  expect(r.code).toBe(0);
  expect(r.manifest.options.thetaRule).toEqual(['paper', 'code']);
  expect(r.results.summary.map((s: { method: string; lr: number }) => `${s.method}@${s.lr}`)).toEqual(['dll@0.0001', 'dll@0.001', 'dll (code Θ)@0.0001', 'dll (code Θ)@0.001']);
  const claims = r.claims.claims as { variant?: string; figure: string }[];
  expect(claims.map((c) => `${c.figure} (${c.variant})`)).toEqual(['Fig. 3a (Θ rule: paper)', 'Fig. 3a (Θ rule: code)']);
});

test('dll-mnist takes the shared data options (src/experiment/data.ts): CIFAR-10 with 3,072 inputs, --test-size, refusals before work', async () => {
  const pick = (options: readonly OptionSpec[]) => options.filter((o) => ['data', 'data-dir', 'train-size', 'test-size'].includes(o.name)).map((o) => ({ ...o, validate: undefined }));
  expect(pick(mnistExperiment.options)).toEqual(pick(dataOptions()));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dll-data-'));
  writeCifarFolder(root, 12, 20);
  const dir = path.join(root, 'cifar-10-batches-bin');
  const r = await runDllMnist({ data: 'cifar10', dataDir: dir, sizes: [3072, 6, 10], trainSize: 40, testSize: 15, epochs: 1, seeds: [1], methods: ['dll', 'bp'], thetaRule: ['paper'], batchSize: 10, workers: 1 });
  for (const run of r.runs) {
    expect(run.curve).toHaveLength(1);
    // accuracy on the first 15 test images: a multiple of 1/15
    expect(Math.abs(run.testAccuracy * 15 - Math.round(run.testAccuracy * 15))).toBeLessThan(1e-9);
  }
  expect(r.claims[0].setting).toContain('CIFAR-10 40/15');
  await expect(runDllMnist({ data: 'cifar10', dataDir: dir, trainSize: 40 })).rejects.toThrow('--sizes must start with 3072 (the inputs of --data cifar10) and end with 10 (its classes); got 784,256,128,10');
  await expect(runDllMnist({ testSize: 2001 })).rejects.toThrow(/--test-size 2001/);
  fs.rmSync(root, { recursive: true, force: true });
});
