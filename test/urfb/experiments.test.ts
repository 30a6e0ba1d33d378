/**
 * URFB's experiments as typed functions (issue 16): runUrfbFig12, runUrfbFig12Step, runUrfbMnist and
 * runTrainUrfb each return exactly the numbers their command (fig12, fig12-step, urfb-mnist,
 * train urfb) writes at a tiny size, and write nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import type { CommandSpec } from '../../src/registry';
import { fig12Command, runUrfbFig12 } from '../../models/urfb/fig12-report';
import { runUrfbFig12Step, stepCommand } from '../../models/urfb/step';
import { mnistCommand, runTrainUrfb, runUrfbMnist, trainCommand } from '../../models/urfb/mnist-report';
import { writesNothing } from '../helpers';

const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total, { isTTY: false } as NodeJS.WriteStream) };

/** The JSON files the command wrote (by name), after it exited 0. */
async function written(spec: CommandSpec, args: string[], files: string[]): Promise<Record<string, any>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `urfb-fn-${spec.name.replace(' ', '-')}-`));
  try {
    expect(await spec.run(parseOptions([...args, ...(spec.options.some((o) => o.name === 'png') ? ['--no-png'] : []), '--out', dir], spec.options), ctx)).toBe(0);
    return Object.fromEntries(files.map((f) => [f, JSON.parse(fs.readFileSync(path.join(dir, `${f}.json`), 'utf8'))]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** As the JSON files hold it (Float64Array as a list, NaN as null), without the measured wall times. */
function asWritten(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v) => (k === 'seconds' ? undefined : v instanceof Float64Array ? Array.from(v) : v)));
}

test('runUrfbFig12 returns the curves, summary and claims fig12 writes, and writes nothing', async () => {
  const w = await written(fig12Command, ['--dims', '6,8,8,3', '--steps', '60', '--seeds', '1,2', '--epsilons', '0,1', '--step-scale', '0.03', '--workers', '1'], ['fig12', 'claims']);
  const r = await writesNothing('out/fig12', () => runUrfbFig12({ dims: [6, 8, 8, 3], steps: 60, seeds: [1, 2], epsilons: [0, 1], stepScale: 0.03, workers: 1 }));
  expect(r.runs.map((x) => `${x.algorithm} seed ${x.seed}`)).toEqual(['BP seed 1', 'ε=0 seed 1', 'ε=1 seed 1', 'BP seed 2', 'ε=0 seed 2', 'ε=1 seed 2']);
  const runs = w.fig12.runs as { error: (number | null)[]; relError: (number | null)[]; correlation: Record<string, (number | null)[]>; finalCorrelation: (number | null)[]; eta: number; normT: number }[];
  expect(asWritten(r.runs.map((x) => [x.error, x.relError, x.correlation, x.eta, x.normT]))).toEqual(runs.map((x) => [x.error, x.relError, Object.values(x.correlation), x.eta, x.normT]));
  expect(r.runs[0].relError).toHaveLength(61);
  expect(asWritten(r.summary)).toEqual(asWritten(runs.map((x: Record<string, unknown>) => ({ algorithm: x.algorithm, seed: x.seed, eta: x.eta, itersTo1e3: x.itersTo1e3, itersTo1e6: x.itersTo1e6, finalRelError: x.finalRelError, finalCorrelation: x.finalCorrelation, status: x.status }))));
  expect(asWritten(r.claims)).toEqual(w.claims.claims);
  await expect(runUrfbFig12({ teacherSd: 0, steps: 5 })).rejects.toThrow('--teacher-sd 0 makes the teacher T = 0');
});

test('runUrfbFig12Step returns the largest stable steps and claims fig12-step writes, and writes nothing', async () => {
  const w = await written(stepCommand, ['--dims', '6,8,8,3', '--steps', '400', '--seeds', '1', '--epsilons', '1', '--teacher-sds', '1,2', '--workers', '1'], ['fig12_step', 'claims']);
  const r = await writesNothing('out/fig12-step', () => runUrfbFig12Step({ dims: [6, 8, 8, 3], steps: 400, seeds: [1], epsilons: [1], teacherSds: [1, 2], workers: 1 }));
  expect(r.rows.map((x) => `${x.algorithm} sd ${x.teacherSd}`)).toEqual(['BP sd 1', 'ε=1 sd 1', 'BP sd 2', 'ε=1 sd 2']);
  expect(r.rows.filter((x) => x.algorithm === 'ε=1').every((x) => x.maxStepScale > 0)).toBe(true); // the bisection found a stable step
  expect(asWritten({ steps: r.steps, rows: r.rows })).toEqual(w.fig12_step);
  expect(asWritten(r.claims)).toEqual(w.claims.claims);
  await expect(runUrfbFig12Step({ dt0: 0.5 })).rejects.toThrow('--dt0: fig12-step measures the largest stable step itself');
});

test('runUrfbMnist returns the runs, summary and claims urfb-mnist writes, and writes nothing', async () => {
  const w = await written(mnistCommand, ['--protocols', 'urfb,frfb-50', '--seeds', '1,2', '--hidden', '8', '--epochs', '2', '--train-size', '200', '--test-size', '100', '--batch-size', '20', '--workers', '1'], ['urfb_mnist', 'claims']);
  const r = await writesNothing('out/urfb-mnist', () => runUrfbMnist({ protocols: ['urfb', 'frfb-50'], seeds: [1, 2], hidden: [8], epochs: 2, trainSize: 200, testSize: 100, batchSize: 20, workers: 1 }));
  expect(r.summary.map((s) => s.protocol)).toEqual(['URFB', 'FRFB 50%']);
  expect([r.network, r.data]).toEqual([[784, 8, 10], 'MNIST 200/100']);
  const json = { network: r.network, settings: r.settings, summary: r.summary, runs: r.runs.map((x) => ({ protocol: x.protocol, seed: x.seed, finalTestError: x.result.finalTestError, epochs: x.result.epochs })) };
  expect(asWritten(json)).toEqual(asWritten(w.urfb_mnist));
  expect(asWritten(r.claims)).toEqual(w.claims.claims);
  await expect(runUrfbMnist({ trainSize: 9000 })).rejects.toThrow(/--train-size 9000 .*8,000 training/);
});

test('runTrainUrfb returns the per-epoch record train urfb writes, and writes nothing', async () => {
  const w = await written(trainCommand, ['--rule', 'frfb', '--sparse', '0.5', '--hidden', '8', '--epochs', '2', '--train-size', '200', '--test-size', '100', '--batch-size', '20'], ['train']);
  const log: string[] = [];
  const r = await writesNothing('out/train-urfb', () => runTrainUrfb({ rule: 'frfb', sparse: 0.5, hidden: [8], epochs: 2, trainSize: 200, testSize: 100, batchSize: 20 }, { log: (l) => log.push(l) }));
  expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2]);
  expect(asWritten(r)).toEqual(asWritten(w.train));
  expect(log[0]).toMatch(/^rule frfb, 50\.00% of connections zero, network 784-8-10, 200 train \/ 100 test images/);
  expect(log).toHaveLength(4); // the settings, the table header and one line per epoch
  await expect(runTrainUrfb({ seeds: [1, 2] })).rejects.toThrow('takes one seed here: train urfb trains one network (got 1,2)');
  await expect(runTrainUrfb({ resume: true })).rejects.toThrow("runTrainUrfb: resume and checkpointEvery keep state in the run folder; give out: '<folder>' as well");
});
