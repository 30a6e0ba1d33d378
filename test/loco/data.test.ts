/** `reproduce loco-mnist --data … --data-dir … --train-size … --test-size …` on tiny IDX (gzipped or not) and CIFAR-10 folders. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { mnistExperiment } from '../../models/loco/experiments/mnist';
import { writeCifarFolder, writeIdxFolder } from '../data-fixtures';
import { removeTmpDirs, runCommand, tmpDir } from './helpers';

afterAll(removeTmpDirs);

/** Both nets and rules at a tiny size (784-6-10 or 3072-6-10, T = 3), one epoch. */
const TINY = ['--nets', 'ann,snn', '--rules', 'np,loco', '--depths', '3', '--hidden', '6', '--batch-size', '4', '--steps', '3', '--k', '3', '--epochs', '1', '--variant', 'paper', '--workers', '1'];

async function locoMnist(args: string[]) {
  const { out } = await runCommand(mnistExperiment, [...TINY, ...args]);
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8'));
  return { manifest: read('manifest.json'), runs: read('runs.json') as { config: { inputs?: number; trainSize: number; testSize: number; data?: unknown }; accuracy: number[] }[], claims: read('claims.json') };
}

test('loco-mnist --data fashion-mnist --data-dir: trains on the folder (0 = its whole split, or the sizes asked) and names the data', async () => {
  for (const gzip of [true, false]) {
    const dir = tmpDir('fashion');
    writeIdxFolder(dir, 24, 10, gzip);
    const r = await locoMnist(['--data', 'fashion-mnist', '--data-dir', dir, '--train-size', '0', '--test-size', '0']);
    expect(r.manifest.options).toMatchObject({ data: 'fashion-mnist', dataDir: dir, trainSize: 0, testSize: 0 });
    expect(r.runs).toHaveLength(4);
    for (const run of r.runs) {
      expect(run.config).toMatchObject({ trainSize: 24, testSize: 10, inputs: 784, data: { name: 'fashion-mnist', dir } });
      for (const a of run.accuracy) expect(Math.abs(a * 10 - Math.round(a * 10))).toBeLessThan(1e-9); // a count out of the 10 test images
    }
    expect(r.claims.claims[0].setting).toMatch(/Fashion-MNIST 24\/10/);
    const some = await locoMnist(['--data', 'mnist', '--data-dir', dir, '--train-size', '16', '--test-size', '5']);
    expect(some.runs[0].config).toMatchObject({ trainSize: 16, testSize: 5 });
    expect(some.claims.claims[0].setting).toMatch(/MNIST 16\/5 \(paper/);
    for (const a of some.runs[0].accuracy) expect(Math.abs(a * 5 - Math.round(a * 5))).toBeLessThan(1e-9);
  }
}, 120_000);

test('loco-mnist --data cifar10: 3,072 inputs; sizes beyond the folder and a missing --data-dir are refused before any work', async () => {
  const root = tmpDir('cifar');
  writeCifarFolder(root, 4, 6);
  const r = await locoMnist(['--data', 'cifar10', '--data-dir', root]);
  for (const run of r.runs) expect(run.config).toMatchObject({ trainSize: 20, testSize: 6, inputs: 3072 });
  expect(r.claims.claims[0].setting).toMatch(/^\w+ 3072-6…-10 .*CIFAR-10 20\/6/);
  const refused = async (args: string[], message: RegExp) => {
    const out = tmpDir('never');
    await expect(runCommand(mnistExperiment, [...TINY, ...args], out)).rejects.toThrow(message);
    expect(fs.readdirSync(out)).toEqual([]);
  };
  await refused(['--data', 'cifar10', '--data-dir', root, '--train-size', '21'], /--train-size 21 is more than the 20 train images of --data cifar10; use 0 for all/);
  await refused(['--data', 'cifar10'], /--data cifar10 needs --data-dir/);
  await refused(['--data-dir', path.join(os.tmpdir(), 'no-such-loco-folder')], /--data-dir .*no-such-loco-folder does not exist/);
}, 120_000);

test('loco-mnist without --data keeps the shipped MNIST subset: --test-size takes the first of its 2,000 test images', async () => {
  const r = await locoMnist(['--train-size', '40', '--test-size', '20']);
  expect(r.manifest.options).toMatchObject({ data: 'mnist', trainSize: 40, testSize: 20 });
  for (const run of r.runs) {
    expect(run.config).toMatchObject({ trainSize: 40, testSize: 20 });
    expect(run.config.data).toBeUndefined();
  }
  expect(r.claims.claims[0].setting).toMatch(/MNIST 40\/20 split/);
  await expect(runCommand(mnistExperiment, [...TINY, '--test-size', '2001'], tmpDir('never'))).rejects.toThrow(/--test-size 2001 is more than the 2,000 test images of --data mnist/);
}, 60_000);
