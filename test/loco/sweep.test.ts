/** The LOCO reproductions' independent runs in worker threads give the same results as in series. */
import { afterAll, expect, test } from 'vitest';
import { mnistExperiment } from '../../models/loco/experiments/mnist';
import { xorExperiment } from '../../models/loco/experiments/xor';
import { readResults, readText, removeTmpDirs, runCommand, TINY_MNIST } from './helpers';

afterAll(removeTmpDirs);

test('loco-mnist at tiny size: --workers 2 gives results identical to --workers 1', async () => {
  const serial = await runCommand(mnistExperiment, [...TINY_MNIST, '--epochs', '2', '--workers', '1']);
  const parallel = await runCommand(mnistExperiment, [...TINY_MNIST, '--epochs', '2', '--workers', '2']);
  const runs = readResults(serial.out, 'runs.json') as { config: { net: string; rule: string }; accuracy: number[] }[];
  expect(runs.map((r) => `${r.config.net} ${r.config.rule}`)).toEqual(['ann np', 'ann loco', 'snn np', 'snn loco', 'rate np', 'rate loco']); // default --variant paper,code
  expect(runs.every((r) => r.accuracy.length === 3 && r.accuracy.every(Number.isFinite))).toBe(true);
  expect(readResults(parallel.out, 'runs.json')).toEqual(runs);
  expect(readText(parallel.out, 'accuracy.csv')).toBe(readText(serial.out, 'accuracy.csv'));
});

test('loco-xor at tiny size: --workers 2 gives results identical to --workers 1', async () => {
  const tiny = ['--seeds', '1,2', '--epochs', '3', '--steps', '20'];
  const serial = await runCommand(xorExperiment, [...tiny, '--workers', '1']);
  const parallel = await runCommand(xorExperiment, [...tiny, '--workers', '2']);
  expect(readText(parallel.out, 'history.csv')).toBe(readText(serial.out, 'history.csv'));
  expect(readResults(parallel.out, 'results.json')).toEqual(readResults(serial.out, 'results.json'));
});
