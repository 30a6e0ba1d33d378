import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/cli/context';
import { parseOptions } from '../../src/cli/options';
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
