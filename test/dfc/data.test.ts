/** `reproduce dfc-mnist --data … --data-dir … --train-size … --test-size …` on tiny IDX (gzipped or not) and CIFAR-10 folders. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { dataSizes } from '../../src/experiment/data';
import { callOptions } from '../../src/experiment/call';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import { mnistExperiment } from '../../models/dfc/experiments/mnist';
import { writeCifarFolder, writeIdxFolder } from '../data-fixtures';

const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total) };

async function dfcMnist(args: string[]) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dfc-mnist-data-'));
  try {
    await mnistExperiment.run(parseOptions(['--hidden', '6', '--steps', '5', '--epochs', '1', '--rows', 'DFC-SS,BP', '--batch-size', '8', '--fb-pretrain-epochs', '0', '--workers', '1', '--no-png', '--out', out, ...args], mnistExperiment.options), ctx);
    const read = (f: string) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8'));
    return { manifest: read('manifest.json'), results: read('results.json'), claims: read('claims.json') };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

test('dfc-mnist --data fashion-mnist --data-dir: trains on the folder (0 = its whole split, or the sizes asked) and names the data', async () => {
  for (const gzip of [true, false]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfc-fashion-'));
    writeIdxFolder(dir, 24, 10, gzip);
    const r = await dfcMnist(['--data', 'fashion-mnist', '--data-dir', dir, '--train-size', '0', '--test-size', '0']);
    expect(r.manifest.options).toMatchObject({ data: 'fashion-mnist', dataDir: dir, trainSize: 0, testSize: 0 });
    expect(r.results.sizes).toEqual([784, 6, 10]);
    expect(r.results.data).toBe('Fashion-MNIST 24/10');
    expect(r.claims.claims[0].setting).toMatch(/Fashion-MNIST 24\/10/);
    for (const run of r.results.results) {
      expect(run.status).toBe('ok');
      expect(Number.isInteger(Math.round(run.epochs[0].testAccuracy * 10 * 1e9) / 1e9)).toBe(true); // a count out of the 10 test images
    }
    const some = await dfcMnist(['--data', 'mnist', '--data-dir', dir, '--train-size', '16', '--test-size', '5']);
    expect(some.results.data).toBe('MNIST 16/5');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test('dfc-mnist --data cifar10: 3,072 inputs; sizes beyond the folder and a missing --data-dir are refused before any work', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dfc-cifar-'));
  writeCifarFolder(root, 4, 6);
  const r = await dfcMnist(['--data', 'cifar10', '--data-dir', root]);
  expect(r.results.sizes).toEqual([3072, 6, 10]);
  expect(r.results.data).toBe('CIFAR-10 20/6');
  const never = path.join(root, 'never');
  const refused = (args: string[]) => mnistExperiment.run(parseOptions([...args, '--out', never], mnistExperiment.options), ctx);
  await expect(refused(['--data', 'cifar10', '--data-dir', root, '--train-size', '21'])).rejects.toThrow(/--train-size 21 is more than the 20 train images of --data cifar10; use 0 for all/);
  await expect(refused(['--data', 'cifar10'])).rejects.toThrow(/--data cifar10 needs --data-dir/);
  expect(fs.existsSync(never)).toBe(false);
  fs.rmSync(root, { recursive: true, force: true });
}, 120_000);

test('dfc-mnist without --data keeps the shipped MNIST subset: 8,000/2,000 by default, --test-size takes the first images', async () => {
  expect(dataSizes(callOptions({}, mnistExperiment.options, 'test'))).toEqual({ train: 8000, test: 2000 });
  const r = await dfcMnist(['--train-size', '32', '--test-size', '20']);
  expect(r.results.sizes).toEqual([784, 6, 10]);
  expect(r.results.data).toBe('MNIST 32/20 split');
  expect(r.manifest.options).toMatchObject({ data: 'mnist', trainSize: 32, testSize: 20 });
}, 60_000);
