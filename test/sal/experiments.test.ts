import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/experiment/context';
import { parseOptions } from '../../src/experiment/options';
import { salExperiments } from '../../models/sal/experiments';
import { runSalAblation } from '../../models/sal/experiments/ablation';
import { runSalAssembly } from '../../models/sal/experiments/assembly';
import { runSalWidth } from '../../models/sal/experiments/width';
import { runSalTable } from '../../models/sal/experiments/table';
import { runExperiment as pinnedRun } from './pinned';

describe('SAL experiments at a tiny size', () => {
  it('sal-assembly writes curves, effective ranks, heatmaps and a manifest', async () => {
    const spec = salExperiments.find((e) => e.name === 'sal-assembly')!;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sal-assembly-'));
    const opts = parseOptions(['--epochs', '1', '--train-size', '200', '--test-size', '100', '--width', '12', '--hidden', '3', '--out', out, '--json', '--no-png'], spec.options);
    await spec.run(opts, makeContext(true));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('ok');
    for (const f of ['curves.csv', 'effective-rank.csv', 'results.json', 'heatmaps.html']) expect(manifest.files).toContain(f);
    const ranks = fs.readFileSync(path.join(out, 'effective-rank.csv'), 'utf8').trim().split('\n');
    expect(ranks.length).toBe(1 + 2 * 3); // header + (epochs 0, 1) x (hidden layers 2, 3, 4)
    fs.rmSync(out, { recursive: true, force: true });
  });
  it('every experiment declares out, --seeds and --batch-size (one spelling: no --seed, no --batch)', () => {
    expect(salExperiments.map((e) => e.name).sort()).toEqual(['sal-ablation', 'sal-assembly', 'sal-table', 'sal-width']);
    for (const e of salExperiments) {
      const names = e.options.map((o) => o.name);
      expect(names).toContain('out');
      expect(names).toContain('seeds');
      expect(names).toContain('batch-size');
      expect(names).not.toContain('seed');
      expect(names).not.toContain('batch');
    }
  });
  it('sal-assembly trains one network: --seeds takes one value and refuses a list in one line', () => {
    const spec = salExperiments.find((e) => e.name === 'sal-assembly')!;
    expect(parseOptions(['--seeds', '4'], spec.options).seeds).toEqual([4]);
    expect(() => parseOptions(['--seeds', '1,2'], spec.options)).toThrow(/^--seeds takes one seed here: sal-assembly trains one network \(got 1,2\); run it once per seed for several$/);
  });
});

describe('SAL experiments as typed functions', () => {
  const tiny = { epochs: 1, trainSize: 96, testSize: 40, width: 8, hidden: 2, batchSize: 16, workers: 1 };
  it('runSalTable returns the numbers the command writes, and writes nothing', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sal-table-fn-'));
    const cwd = process.cwd();
    try {
      const r = await runSalTable({ ...tiny, seeds: [1, 2], methods: ['sal', 'sgd'] });
      const method: 'sal' | 'sgd' | 'fa' | 'kp' | 'wm' = r.summary[0].method;
      expect(method).toBe('sal');
      expect(r.records.map((x) => `${x.key}-${x.seed}`)).toEqual(['sal-1', 'sal-2', 'sgd-1', 'sgd-2']);
      expect(r.claims.length).toBeGreaterThan(0);
      const spec = salExperiments.find((e) => e.name === 'sal-table')!;
      const args = ['--epochs', '1', '--train-size', '96', '--test-size', '40', '--width', '8', '--hidden', '2', '--batch-size', '16', '--workers', '1', '--seeds', '1,2', '--methods', 'sal,sgd', '--out', out, '--json', '--no-png'];
      const write = process.stdout.write;
      process.stdout.write = (() => true) as typeof process.stdout.write;
      try {
        await spec.run(parseOptions(args, spec.options), makeContext(true));
      } finally {
        process.stdout.write = write;
      }
      const written = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
      expect(written.summary.map((s: { mean: number }) => s.mean)).toEqual(r.summary.map((s) => s.mean));
      expect(fs.existsSync(path.join(cwd, 'out', 'sal-table', 'checkpoints', 'sal-seed1'))).toBe(false);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
  it('runSalAblation: typed result, options checked once with the one-line errors', async () => {
    await expect(runSalAblation({ ...tiny, batchSize: 0 })).rejects.toThrow("runSalAblation: field 'batch-size' must be >= 1 (got 0)");
    await expect(runSalAblation({ ...tiny, resume: true })).rejects.toThrow(/^runSalAblation: resume and checkpointEvery keep state in the run folder/);
    // The pinned reduced size (test/sal/pinned.ts, held to literals by pinned-core.test.ts): the function's numbers are the command's.
    const r = await runSalAblation({ epochs: 3, trainSize: 160, testSize: 40, width: 8, hidden: 2, batchSize: 16, seeds: [3], lr: 0.02, lrInter: 0.005, workers: 1, backend: 'wasm' });
    const command = await pinnedRun('sal-ablation', ['--backend', 'wasm']);
    expect(r.summary.map((s) => s.run)).toEqual(command.map((c) => c.key));
    expect(r.records.map((x) => x.curve.map((c) => c.testLoss))).toEqual(command.map((c) => c.testLoss));
    expect(r.records.map((x) => x.curve.map((c) => c.trainLoss))).toEqual(command.map((c) => c.trainLoss));
    expect(r.sizes).toEqual([784, 8, 8, 10]);
    expect(r.seeds).toEqual([3]);
  }, 120_000);
  it('runSalWidth and runSalAssembly: the numbers of the commands at the pinned sizes', async () => {
    const width = await runSalWidth({ epochs: 2, trainSize: 96, testSize: 40, width: 6, hidden: 2, batchSize: 16, ratios: [0.5, 1, 2], loss: 'mse', workers: 1, backend: 'wasm' });
    const widthCommand = await pinnedRun('sal-width', ['--backend', 'wasm']);
    expect(width.records.map((r) => r.curve.map((c) => c.testAccuracy))).toEqual(widthCommand.map((c) => c.testAccuracy));
    expect(width.summary.map((r) => [r.gate, r.ratio])).toEqual([['identity', 0.5], ['identity', 1], ['identity', 2], ['relu-jacobian', 0.5], ['relu-jacobian', 1], ['relu-jacobian', 2]]);
    expect(width.spectra.length).toBe(6 * 3); // 6 runs x epochs 0..2
    const assembly = await runSalAssembly({ epochs: 2, trainSize: 96, testSize: 40, width: 8, hidden: 3, batchSize: 12, lr: 0.02, lrInter: 0.004, workers: 1, backend: 'wasm' });
    const [assemblyCommand] = await pinnedRun('sal-assembly', ['--backend', 'wasm']);
    expect(assembly.record.curve.map((c) => c.testLoss)).toEqual(assemblyCommand.testLoss);
    expect(assembly.layer).toBe(3);
    expect(assembly.ranks.length).toBe(3 * 3); // epochs 0..2 x hidden layers 2..4
    expect(assembly.snapshots.after.H.length).toBe(8);
  }, 120_000);
});

describe('SAL experiments on data read from files (--data, --data-dir)', () => {
  it('sal-ablation runs on a tiny Fashion-MNIST-format folder (gzipped IDX) and says so in its claims', async () => {
    const zlib = await import('node:zlib');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fashion-idx-'));
    const idx = (dims: number[], data: Uint8Array) => {
      const head = Buffer.alloc(4 + 4 * dims.length);
      head.writeUInt32BE(0x0800 | dims.length, 0);
      dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
      return zlib.gzipSync(Buffer.concat([head, Buffer.from(data)]));
    };
    const images = (n: number) => Uint8Array.from({ length: n * 784 }, (_, i) => (i * 37) % 256);
    const labels = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 10);
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), idx([60, 28, 28], images(60)));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), idx([60], labels(60)));
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), idx([20, 28, 28], images(20)));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), idx([20], labels(20)));
    const spec = salExperiments.find((e) => e.name === 'sal-ablation')!;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sal-ablation-'));
    const opts = parseOptions(['--data', 'fashion-mnist', '--data-dir', dir, '--epochs', '1', '--width', '6', '--hidden', '2', '--workers', '1', '--out', out, '--json', '--no-png'], spec.options);
    await spec.run(opts, makeContext(true));
    const claims = JSON.parse(fs.readFileSync(path.join(out, 'claims.json'), 'utf8'));
    expect(claims.claims[0].setting).toMatch(/^Fashion-MNIST 60\/20/);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.options).toMatchObject({ data: 'fashion-mnist', dataDir: dir });
    const bad = parseOptions(['--data', 'fashion-mnist', '--data-dir', dir, '--train-size', '61', '--out', out], spec.options);
    await expect(spec.run(bad, makeContext(true))).rejects.toThrow(/--train-size 61 is more than the 60 train images/);
  });
});
