/**
 * Experiments as functions (src/experiment/index.ts): a run in memory returns the data the command would
 * write, writes nothing, and equals the run written to a folder; bad options are refused before
 * any work with the option named.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentNames, runExperiment } from '../src/experiment';
import { tableExperiment } from '../models/sal/experiments/table';

const tiny = { seeds: [1], epochs: 1, trainSize: 256, testSize: 128, width: 16, batchSize: 32 };

describe('runExperiment', () => {
  it('returns the tables, figures and claims of a run, writes nothing, and equals the same run written to a folder', async () => {
    const defaultManifest = path.resolve('out/sal-table/manifest.json');
    const before = fs.existsSync(defaultManifest) ? fs.readFileSync(defaultManifest, 'utf8') : null;
    const mem = await runExperiment('sal-table', tiny);
    expect(mem.status).toBe('ok');
    expect(mem.dir).toBeNull();
    expect(fs.existsSync(defaultManifest) ? fs.readFileSync(defaultManifest, 'utf8') : null).toBe(before);
    expect(mem.tables.summary.length).toBeGreaterThan(0);
    expect(mem.figures.table.data.length).toBeGreaterThan(0);
    expect(mem.claims.length).toBeGreaterThan(0);
    for (const c of mem.claims) expect(['reproduced', 'partly', 'not reproduced', 'contradicted']).toContain(c.verdict);
    expect(mem.options.epochs).toBe(1);

    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-experiment-'));
    try {
      const disk = await runExperiment('sal-table', { ...tiny, out });
      expect(disk.dir).toBe(out);
      for (const f of ['summary.csv', 'claims.json', 'manifest.json']) expect(fs.existsSync(path.join(out, f))).toBe(true);
      expect(disk.tables.summary).toEqual(mem.tables.summary);
      expect(disk.claims).toEqual(mem.claims);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses bad options before any work, naming the option', async () => {
    expect(await experimentNames()).toContain('fig12');
    await expect(runExperiment('no-such', {})).rejects.toThrow(/unknown experiment 'no-such'; valid experiments: .*fig12/);
    await expect(runExperiment('sal-table', { bogus: 1 })).rejects.toThrow(/runExperiment\('sal-table'\): unknown field 'bogus'; valid fields: .*epochs/);
    await expect(runExperiment('sal-table', { epochs: 1.5 })).rejects.toThrow(/field 'epochs' must be an integer \(got 1\.5\)/);
    await expect(runExperiment('sal-table', { epochs: 0 })).rejects.toThrow(/field 'epochs' must be >= 1/);
    await expect(runExperiment(tableExperiment, { 'train-size': -1 })).rejects.toThrow(/runExperiment\('sal-table'\): field 'train-size' must be >= 0/);
    await expect(runExperiment('sal-table', { resume: true })).rejects.toThrow(/resume and checkpointEvery keep state in the run folder; give out/);
  });
});
