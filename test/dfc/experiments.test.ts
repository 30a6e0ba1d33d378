/**
 * Smoke runs of the three reproductions at tiny sizes (options parse, files are written, numbers are
 * finite), and their typed functions (runDfcFig3, runDfcFig4, runDfcMnist) against the commands.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import type { CommandSpec } from '../../src/registry';
import { fig3, runDfcFig3 } from '../../models/dfc/experiments/fig3';
import { fig4, runDfcFig4 } from '../../models/dfc/experiments/fig4';
import { mnistExperiment, runDfcMnist } from '../../models/dfc/experiments/mnist';
import { writesNothing } from '../helpers';

const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total) };

async function run(cmd: CommandSpec, args: string[]): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dfc-${cmd.name}-`));
  await cmd.run(parseOptions([...args, '--out', dir, '--workers', '1'], cmd.options), ctx);
  return dir;
}

function csvRows(file: string): string[][] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
}

test('dfc-fig3, dfc-fig4 and dfc-mnist run at tiny sizes and write their tables, series and figures', async () => {
  const tiny = ['--teacher', '15,20,5', '--train-size', '64', '--test-size', '16', '--steps', '40', '--fb-pretrain-epochs', '1', '--batch-size', '16'];
  const d3 = await run(fig3, [...tiny, '--epochs', '1', '--variants', 'DFC,DFC-SSA (fixed)', '--log-every', '2']);
  for (const f of ['summary.csv', 'series.csv', 'results.json', 'fig3.html', 'manifest.json']) expect(fs.existsSync(path.join(d3, f)), f).toBe(true);
  const s3 = csvRows(path.join(d3, 'summary.csv'));
  expect(s3.map((r) => r[0])).toEqual(['DFC', 'DFC-SSA (fixed)']);
  for (const r of s3) expect(r.slice(2, 9).every((v) => Number.isFinite(Number(v)))).toBe(true);

  const d4 = await run(fig4, [...tiny, '--methods', 'DFC-SS', '--lambdas', '0.01,0.5', '--alphas', '0.01', '--log-every', '2']);
  const s4 = csvRows(path.join(d4, 'summary.csv'));
  expect(s4.length).toBe(3);
  for (const r of s4) expect(Number(r[5])).toBeGreaterThanOrEqual(0);
  expect(fs.existsSync(path.join(d4, 'fig4.html'))).toBe(true);

  const dm = await run(mnistExperiment, ['--train-size', '64', '--hidden', '8', '--steps', '10', '--epochs', '1', '--rows', 'DFC (fixed),BP', '--batch-size', '16']);
  const sm = csvRows(path.join(dm, 'table1.csv'));
  expect(sm.map((r) => r[0])).toEqual(['DFC (fixed)', 'BP']);
  for (const r of sm) {
    expect(r[1]).toBe('ok');
    const err = Number(r[2]);
    expect(err).toBeGreaterThanOrEqual(0);
    expect(err).toBeLessThan(100);
  }
  for (const d of [d3, d4, dm]) fs.rmSync(d, { recursive: true, force: true });
});

// The typed functions (issue 16): each returns exactly the numbers its command writes, and writes nothing.

/** What the command wrote: results.json, claims.json and a CSV table (cells as numbers where they are, NaN for 'nan'). */
async function written(cmd: CommandSpec, args: string[], table: string) {
  const dir = await run(cmd, [...args, '--no-png']);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const cell = (c: string): string | number => (c === 'nan' ? NaN : c === 'inf' ? Infinity : c === '-inf' ? -Infinity : /^[-+.\d]/.test(c) && Number.isFinite(Number(c)) ? Number(c) : c);
  const written = { results: JSON.parse(read('results.json')), claims: JSON.parse(read('claims.json')).claims, table: csvRows(path.join(dir, `${table}.csv`)).map((r) => r.map(cell)) };
  fs.rmSync(dir, { recursive: true, force: true });
  return written;
}

/** As results.json holds it (NaN as null), without the measured wall times. */
function asWritten(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v) => (k === 'seconds' ? undefined : v)));
}

const small = ['--teacher', '15,20,5', '--train-size', '48', '--test-size', '16', '--steps', '30', '--fb-pretrain-epochs', '1', '--batch-size', '16'];
const smallFn = { teacher: [15, 20, 5], trainSize: 48, testSize: 16, steps: 30, fbPretrainEpochs: 1, batchSize: 16, workers: 1 };
const noSeconds = (rows: (string | number)[][]) => rows.map((r) => r.slice(0, -1));

test('runDfcFig3 returns the numbers dfc-fig3 writes (runs, series, summary, claims), and writes nothing', async () => {
  const w = await written(fig3, [...small, '--epochs', '1', '--variants', 'DFC,DFC-SSA (fixed)', '--log-every', '2'], 'summary');
  const r = await writesNothing('out/dfc-fig3', () => runDfcFig3({ ...smallFn, epochs: 1, variants: ['DFC', 'DFC-SSA (fixed)'], logEvery: 2 }));
  expect(r.summary.map((s) => s.variant)).toEqual(['DFC', 'DFC-SSA (fixed)']);
  expect(r.results[0].series.length).toBeGreaterThan(0);
  expect(asWritten(r.results)).toEqual(asWritten(w.results.results));
  expect(asWritten({ forward: r.forward, sleep: r.sleep })).toEqual({ forward: w.results.forward, sleep: w.results.sleep });
  expect(noSeconds(r.summary.map((s) => [s.variant, s.status, s.testLoss, s.condition2, s.mn, s.condition1, s.gn, s.maxEig, s.ssa, s.seconds]))).toEqual(noSeconds(w.table));
  expect(asWritten(r.claims)).toEqual(w.claims);
  await expect(runDfcFig3({ seeds: [1, 2] })).rejects.toThrow('takes one seed here: each DFC reproduction trains one network per row, with its curves and claims (got 1,2); run the command once per seed, e.g. --seeds 1');
}, 60_000);

test('runDfcFig4 returns the numbers dfc-fig4 writes (settings, runs, MN-angle summary, claims), and writes nothing', async () => {
  const w = await written(fig4, [...small, '--methods', 'DFC-SS', '--lambdas', '0.01,0.5', '--alphas', '0.01', '--log-every', '2'], 'summary');
  const r = await writesNothing('out/dfc-fig4', () => runDfcFig4({ ...smallFn, methods: ['DFC-SS'], lambdas: [0.01, 0.5], alphas: [0.01], logEvery: 2 }));
  expect(r.summary.map((s) => [s.sweep, s.lambda, s.alpha])).toEqual([['lambda', 0.01, 0.0015], ['lambda', 0.5, 0.0015], ['alpha', 0.05, 0.01]]);
  expect(asWritten(r.settings)).toEqual(w.results.settings);
  expect(asWritten(r.results)).toEqual(asWritten(w.results.results));
  expect(r.summary.map((p) => [p.sweep, p.lambda, p.alpha, p.method, p.status, p.mean, p.std, p.testLoss])).toEqual(w.table);
  expect(asWritten(r.claims)).toEqual(w.claims);
}, 60_000);

test('runDfcMnist returns the numbers dfc-mnist writes (runs, Table 1, claims), and writes nothing', async () => {
  const w = await written(mnistExperiment, ['--train-size', '64', '--test-size', '50', '--hidden', '8', '--steps', '10', '--epochs', '1', '--rows', 'DFC (fixed),BP', '--batch-size', '16'], 'table1');
  const r = await writesNothing('out/dfc-mnist', () => runDfcMnist({ trainSize: 64, testSize: 50, hidden: [8], steps: 10, epochs: 1, rows: ['DFC (fixed)', 'BP'], batchSize: 16, workers: 1 }));
  expect([r.data, r.sizes]).toEqual(['MNIST 64/50 split', [784, 8, 10]]);
  expect(asWritten({ data: r.data, sizes: r.sizes, forward: r.forward, sleep: r.sleep, results: r.results })).toEqual(asWritten({ ...w.results, options: undefined }));
  expect(noSeconds(r.summary.map((s) => [s.method, s.status, s.testError, s.testLoss, s.trainLoss, s.seconds]))).toEqual(noSeconds(w.table));
  expect(asWritten(r.claims)).toEqual(w.claims);
}, 60_000);
