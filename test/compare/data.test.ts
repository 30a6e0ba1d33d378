/** `reproduce compare --data … --data-dir …`: the image task on data read from files (tiny IDX and CIFAR-10 folders). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import { compareCommand } from '../../models/compare/experiment';
import { taskData } from '../../models/compare/tasks';
import { writeCifarFolder, writeIdxFolder } from '../data-fixtures';

const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total) };

async function compare(args: string[]) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-data-'));
  await compareCommand.run(parseOptions(['--quick', '--tasks', 'mnist', '--rules', 'BP,FA,URFB', '--seeds', '1', '--workers', '1', '--no-png', '--out', out, ...args], compareCommand.options), ctx);
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8'));
  const r = { manifest: read('manifest.json'), results: read('results.json'), claims: read('claims.json') };
  fs.rmSync(out, { recursive: true, force: true });
  return r;
}

test('compare --data fashion-mnist --data-dir: the image task trains on the folder (0 = its whole split) and says so', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fashion-idx-'));
  writeIdxFolder(dir, 64, 20);
  const r = await compare(['--data', 'fashion-mnist', '--data-dir', dir, '--train-size', '0', '--test-size', '0']);
  expect(r.manifest.options).toMatchObject({ data: 'fashion-mnist', dataDir: dir, trainSize: 0, testSize: 0 });
  for (const run of r.results.runs) {
    expect(run.sizes).toEqual([784, 32, 32, 10]);
    expect(run.status).toBe('ok');
  }
  expect(r.results.options.data).toEqual({ name: 'fashion-mnist', dir });
  expect(r.claims.claims[0].setting).toMatch(/Fashion-MNIST 64\/20/);
  // the data the runs saw: the folder's images, standardised by their own pixel mean and sd
  const d = taskData({ task: 'mnist', hidden: [4, 4], trainSize: 64, testSize: 20, teacher: [], data: r.results.options.data });
  expect([d.train.n, d.test.n]).toEqual([64, 20]);
  const mean = d.train.x.reduce((a, b) => a + b, 0) / d.train.x.length;
  expect(Math.abs(mean)).toBeLessThan(1e-12);
  expect(Array.from(d.train.labels!.subarray(0, 3))).toEqual([0, 1, 2]);
  // sizes beyond the folder's are refused before any work, naming the options
  await expect(compare(['--data', 'fashion-mnist', '--data-dir', dir, '--train-size', '65'])).rejects.toThrow(/64 training and 20 test images \(asked for 65 and 256\); use --train-size and --test-size/);
}, 60_000);

test('compare --data cifar10: 3,072 inputs from the binary batches; without --data-dir a one-line error', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cifar-'));
  writeCifarFolder(root, 8, 6);
  const r = await compare(['--data', 'cifar10', '--data-dir', root, '--train-size', '0', '--test-size', '0']);
  for (const run of r.results.runs) expect(run.sizes).toEqual([3072, 32, 32, 10]);
  expect(r.claims.claims[0].setting).toMatch(/CIFAR-10 40\/6/);
  await expect(compare(['--data', 'cifar10'])).rejects.toThrow(/--data cifar10 needs --data-dir/);
  const xorOnly = parseOptions(['--quick', '--tasks', 'xor', '--data', 'cifar10', '--data-dir', root, '--out', path.join(root, 'never')], compareCommand.options);
  await expect(compareCommand.run(xorOnly, ctx)).rejects.toThrow(/add mnist to --tasks/);
  expect(fs.existsSync(path.join(root, 'never'))).toBe(false);
}, 60_000);

test('compare without --data keeps the shipped MNIST subset and its standardisation (same data as before)', () => {
  const d = taskData({ task: 'mnist', hidden: [4, 4], trainSize: 10, testSize: 5, teacher: [] });
  expect(d.sizes).toEqual([784, 4, 4, 10]);
  expect(d.train.x[0]).toBe((0 - 0.1307) / 0.3081);
});
