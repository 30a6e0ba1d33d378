/**
 * `reproduce urfb-mnist` and `train urfb` read other data with the options every image experiment takes
 * (issue 18 item 3: --data mnist|fashion-mnist|cifar10 --data-dir DIR --train-size --test-size,
 * src/experiment/data.ts), from tiny files written in each format (test/data-fixtures.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import { mnistCommand, trainCommand } from '../../models/urfb/mnist-report';
import { compareCommand } from '../../models/compare/experiment';
import { dataOptions } from '../../src/experiment/data';
import type { OptionSpec } from '../../src/experiment/options';
import { loadData } from '../../models/urfb/train';
import type { CommandSpec } from '../../src/registry';
import { writeCifarFolder, writeIdxFolder } from '../data-fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'urfb-data-'));
const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total, { isTTY: false } as NodeJS.WriteStream) };
const run = async (spec: CommandSpec, args: string[]) => spec.run(parseOptions(spec === mnistCommand ? [...args, '--no-png'] : args, spec.options), ctx);

const idxDir = path.join(tmp, 'fashion');
fs.mkdirSync(idxDir);
writeIdxFolder(idxDir, 60, 30);
writeCifarFolder(tmp, 12, 20);
const cifarDir = path.join(tmp, 'cifar-10-batches-bin');

test('the data options are the shared declaration (src/experiment/data.ts); compare has its own sizes when not given', () => {
  const names = ['data', 'data-dir', 'train-size', 'test-size'];
  const pick = (options: readonly OptionSpec[]) => options.filter((o) => names.includes(o.name)).map((o) => ({ ...o, validate: undefined }));
  expect(pick(mnistCommand.options)).toEqual(pick(dataOptions()));
  expect(pick(trainCommand.options)).toEqual(pick(dataOptions()));
  const both = (options: readonly OptionSpec[]) => pick(options).filter((o) => o.name === 'data' || o.name === 'data-dir').map((o) => ({ ...o, description: undefined }));
  expect(both(compareCommand.options)).toEqual(both(dataOptions()));
  expect(compareCommand.options.find((o) => o.name === 'train-size')?.default).toBeUndefined();
});

test('urfb-mnist --data fashion-mnist --data-dir: trains on the IDX files, the whole split with sizes not given', async () => {
  const out = path.join(tmp, 'fm');
  expect(await run(mnistCommand, ['--data', 'fashion-mnist', '--data-dir', idxDir, '--protocols', 'urfb,frfb', '--seeds', '1', '--hidden', '8', '--epochs', '1', '--batch-size', '10', '--workers', '1', '--out', out])).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'urfb_mnist.json'), 'utf8'));
  expect(json.network).toEqual([784, 8, 10]);
  expect(json.settings.data).toEqual({ name: 'fashion-mnist', dir: idxDir });
  for (const r of json.runs) expect(Number.isFinite(r.finalTestError)).toBe(true);
  // the test error is counted on the 30 test images of the files: a multiple of 1/30
  for (const r of json.runs) expect(Math.abs(r.finalTestError * 30 - Math.round(r.finalTestError * 30))).toBeLessThan(1e-9);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  expect(manifest.options).toMatchObject({ data: 'fashion-mnist', dataDir: idxDir });
  const claims = fs.readFileSync(path.join(out, 'claims.csv'), 'utf8');
  expect(claims).toContain('Fashion-MNIST 60/30');
});

test('train urfb --data cifar10: 3,072 inputs, the first --train-size / --test-size images of the batches', async () => {
  const out = path.join(tmp, 'cifar');
  expect(await run(trainCommand, ['--data', 'cifar10', '--data-dir', cifarDir, '--train-size', '40', '--test-size', '15', '--hidden', '6', '--epochs', '1', '--batch-size', '10', '--out', out])).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'train.json'), 'utf8'));
  expect(json.sizes).toEqual([3072, 6, 10]);
  const data = loadData({ trainSize: 40, testSize: 15, data: { name: 'cifar10', dir: cifarDir } });
  expect([data.train.n, data.test.n, data.train.d]).toEqual([40, 15, 3072]);
  expect(Math.abs(json.finalTestError * 15 - Math.round(json.finalTestError * 15))).toBeLessThan(1e-9);
});

test('bad data options are refused before any work, naming the option', async () => {
  await expect(run(mnistCommand, ['--data', 'cifar10', '--seeds', '1', '--out', path.join(tmp, 'x1')])).rejects.toThrow(/--data cifar10 needs --data-dir/);
  await expect(run(mnistCommand, ['--data-dir', path.join(tmp, 'nowhere'), '--seeds', '1', '--out', path.join(tmp, 'x2')])).rejects.toThrow(/--data-dir .*nowhere does not exist/);
  await expect(run(mnistCommand, ['--data', 'fashion-mnist', '--data-dir', idxDir, '--train-size', '61', '--seeds', '1', '--out', path.join(tmp, 'x3')])).rejects.toThrow(/--train-size 61 .* 60 training and 30 test images; ask for at most those, or 0 for all/);
  await expect(run(trainCommand, ['--train-size', '9000', '--out', path.join(tmp, 'x4')])).rejects.toThrow(/--train-size 9000 .*8,000 training/);
  for (const x of ['x1', 'x2', 'x3', 'x4']) expect(fs.existsSync(path.join(tmp, x))).toBe(false);
});
