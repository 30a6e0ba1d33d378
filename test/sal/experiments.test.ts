import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/experiment/context';
import { parseOptions } from '../../src/experiment/options';
import { salExperiments } from '../../models/sal/experiments';

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
  it('every experiment declares out and a seed option', () => {
    expect(salExperiments.map((e) => e.name).sort()).toEqual(['sal-ablation', 'sal-assembly', 'sal-table', 'sal-width']);
    for (const e of salExperiments) {
      const names = e.options.map((o) => o.name);
      expect(names).toContain('out');
      expect(names.some((n) => n === 'seed' || n === 'seeds')).toBe(true);
    }
  });
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
