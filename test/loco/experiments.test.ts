/**
 * The LOCO experiments as typed functions (issue 16): runLocoXor, runLocoSin, runLocoMnist and
 * runLocoContinual return exactly what their commands write (results JSON, CSV tables, claims,
 * notes) at the tiny sizes of the other LOCO tests, and write nothing themselves.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { continualExperiment, continualRows, runLocoContinual } from '../../models/loco/experiments/continual';
import { mnistAccuracyRows, mnistExperiment, runLocoMnist } from '../../models/loco/experiments/mnist';
import { runLocoSin, sinExperiment, sinLossRows } from '../../models/loco/experiments/sin';
import { runLocoXor, xorExperiment, xorHistoryRows } from '../../models/loco/experiments/xor';
import { writeCsv } from '../../src/io/output';
import { readResults, readText, removeTmpDirs, runCommand, tmpDir } from './helpers';

afterAll(removeTmpDirs);

/** A value as the command's JSON files hold it (NaN and ±Infinity become null). */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** Rows as the command's CSV writer writes them. */
function asCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const file = path.join(tmpDir('csv'), 'rows.csv');
  writeCsv(file, columns, rows);
  return fs.readFileSync(file, 'utf8');
}

const readJson = (dir: string, file: string) => JSON.parse(readText(dir, file));

/** What is in out/<name> under the working directory (a function that wrote its default folder would change it). */
const defaultFolder = (name: string) => (fs.existsSync(path.join('out', name)) ? fs.readdirSync(path.join('out', name)).sort() : null);

test('runLocoXor returns the runs, summary, history and claims loco-xor writes', async () => {
  const before = defaultFolder('loco-xor');
  const r = await runLocoXor({ seeds: [1, 2], epochs: 3, steps: 20, workers: 1 });
  expect(defaultFolder('loco-xor')).toEqual(before);
  const { out } = await runCommand(xorExperiment, ['--seeds', '1,2', '--epochs', '3', '--steps', '20', '--workers', '1']);
  expect(r.results.map((x) => `${x.options.rule}${x.options.variant === 'code' ? ' code' : ''} ${x.options.seed}`)).toEqual(['loco 1', 'loco 2', 'np 1', 'np 2', 'loco code 1', 'loco code 2', 'np code 1', 'np code 2']);
  expect(asJson(r.results)).toEqual(readJson(out, 'results.json'));
  expect(asCsv(Object.keys(r.summary[0]), r.summary)).toBe(readText(out, 'summary.csv'));
  const solvedAt: number | 'no' = r.summary[0].solvedAt;
  expect(solvedAt).toBe(r.results[0].solvedAt ?? 'no');
  const cases = ['(0,0)', '(0,1)', '(1,0)', '(1,1)'].map((c) => `output ${c} Hz`);
  expect(asCsv(['rule', 'seed', 'epoch', 'loss', ...cases], xorHistoryRows(r.results))).toBe(readText(out, 'history.csv'));
  expect(asJson(r.claims)).toEqual(readJson(out, 'claims.json').claims);
  await expect(runLocoXor({ steps: 5 })).rejects.toThrow("runLocoXor: field 'steps' must be >= 10 (got 5)");
}, 60_000);

test('runLocoSin returns the loss curves, summary and claims loco-sin writes', async () => {
  const r = await runLocoSin({ seeds: [1], epochs: 15, k: 4, workers: 1 });
  const { out } = await runCommand(sinExperiment, ['--seeds', '1', '--epochs', '15', '--k', '4', '--workers', '1']);
  expect(r.summary.map((s) => s.rule)).toEqual(['bp', 'np', 'loco', 'np (code)', 'loco (code)']);
  expect(asJson({ summary: r.summary, results: r.results })).toEqual(readJson(out, 'summary.json'));
  expect(asCsv(['rule', 'seed', 'epoch', 'loss'], sinLossRows(r.results))).toBe(readText(out, 'losses.csv'));
  expect(asJson(r.claims)).toEqual(readJson(out, 'claims.json').claims);
  await expect(runLocoSin({ solver: 'rk4' })).rejects.toThrow(/^--variant code trains with Adam/);
}, 60_000);

test('runLocoMnist returns the runs, summary, claims and notes loco-mnist writes (wall times aside)', async () => {
  // TINY_MNIST (helpers.ts) with BP as a third rule and 60 test images
  const args = ['--nets', 'ann,snn', '--rules', 'np,loco,bp', '--depths', '3', '--hidden', '8', '--train-size', '100', '--test-size', '60', '--batch-size', '25', '--steps', '4', '--k', '4', '--epochs', '1', '--workers', '1'];
  const { out } = await runCommand(mnistExperiment, args);
  const r = await runLocoMnist({ nets: ['ann', 'snn'], rules: ['np', 'loco', 'bp'], depths: [3], hidden: 8, trainSize: 100, testSize: 60, batchSize: 25, steps: 4, k: 4, epochs: 1, workers: 1 });
  expect(r.runs.map((x) => `${x.config.net} ${x.config.rule}`)).toEqual(['ann np', 'ann loco', 'ann bp', 'snn np', 'snn loco', 'rate np', 'rate loco']);
  const noSeconds = (v: unknown) => JSON.parse(JSON.stringify(v), (k, x) => (k === 'seconds' ? undefined : x));
  expect(noSeconds(r.runs)).toEqual(readResults(out, 'runs.json'));
  expect(asCsv(['net', 'rule', 'depth', 'seed', 'epoch', 'testAccuracy', 'trainLoss'], mnistAccuracyRows(r.runs))).toBe(readText(out, 'accuracy.csv'));
  const withoutSeconds = (csv: string) => csv.split('\n').map((line) => line.split(',').slice(0, -1).join(',')).join('\n');
  expect(withoutSeconds(asCsv(['net', 'rule', 'depth', 'seed', 'eta', 'best', 'final', 'diverged', 'seconds'], r.summary))).toBe(withoutSeconds(readText(out, 'summary.csv')));
  expect(asJson(r.claims)).toEqual(readJson(out, 'claims.json').claims);
  expect(r.notes).toEqual(['BP trains the ANN only: no SNN BP runs']);
  expect(r.notes).toEqual(readJson(out, 'manifest.json').notes);
}, 60_000);

test('runLocoContinual returns the runs, seen-digit accuracies, claims and notes loco-continual writes', async () => {
  // BP at η = 1e100: its weights become non-finite while it learns digit 0, the run stops there, with a note
  const r = await runLocoContinual({ net: 'ann', rules: ['np', 'loco', 'bp'], etaBp: 1e100, hidden: 8, trainSize: 100, batchSize: 25, k: 4, buffer: 40, workers: 1 });
  const { out } = await runCommand(continualExperiment, ['--net', 'ann', '--rules', 'np,loco,bp', '--eta-bp', '1e100', '--hidden', '8', '--train-size', '100', '--batch-size', '25', '--k', '4', '--buffer', '40', '--workers', '1']);
  expect(r.runs.map((x) => [x.config.rule, x.seenAccuracy.length])).toEqual([['np', 10], ['loco', 10], ['bp', 1]]);
  expect(asJson(r.runs)).toEqual(readJson(out, 'runs.json'));
  expect(asCsv(['rule', 'seed', 'classesSeen', 'lastClass', 'accuracy'], continualRows(r.runs, r.order))).toBe(readText(out, 'seen-accuracy.csv'));
  expect(asJson(r.claims)).toEqual(readJson(out, 'claims.json').claims);
  expect(r.notes).toEqual(['bp seed 1: the weights became non-finite while learning digit 0; the run stopped there (lower its learning rate)']);
  expect(r.notes).toEqual(readJson(out, 'manifest.json').notes);
  await expect(runLocoContinual({ net: 'snn', snnSolver: 'heun' })).rejects.toThrow(/^--snn-solver heun handles ODEs only/);
}, 60_000);
