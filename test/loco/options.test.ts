/**
 * One spelling per concept (issue 16): the LOCO commands take `--seeds` and `--batch-size`; the old
 * `--seed` and `--batch` are unknown options. loco-mnist runs every configuration once per seed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { continualExperiment } from '../../models/loco/experiments/continual';
import { mnistExperiment } from '../../models/loco/experiments/mnist';
import { sinExperiment } from '../../models/loco/experiments/sin';
import { xorExperiment } from '../../models/loco/experiments/xor';
import { parseOptions } from '../../src/experiment/options';
import { removeTmpDirs, runCommand } from './helpers';

afterAll(removeTmpDirs);

test('every LOCO command spells its options --seeds and --batch-size (where it has a batch), never --seed or --batch', () => {
  for (const cmd of [xorExperiment, sinExperiment, mnistExperiment, continualExperiment]) {
    const names = cmd.options.map((o) => o.name);
    expect(names, cmd.name).toContain('seeds');
    expect(names, cmd.name).not.toContain('seed');
    expect(names, cmd.name).not.toContain('batch');
    expect(() => parseOptions(['--seed', '1'], cmd.options), cmd.name).toThrow(/--seed/);
  }
  for (const cmd of [mnistExperiment, continualExperiment]) {
    expect(parseOptions(['--batch-size', '8'], cmd.options).batchSize).toBe(8);
    expect(() => parseOptions(['--batch', '8'], cmd.options), cmd.name).toThrow(/--batch/);
  }
});

test('loco-mnist --seeds 1,2 trains each configuration once per seed (seed 1 as the single-seed run), and the claims average the seeds', async () => {
  const tiny = ['--nets', 'ann', '--rules', 'np,loco', '--depths', '3', '--hidden', '6', '--k', '4', '--train-size', '60', '--test-size', '40', '--batch-size', '10', '--epochs', '1', '--variant', 'paper', '--workers', '1'];
  const two = await runCommand(mnistExperiment, [...tiny, '--seeds', '1,2']);
  const one = await runCommand(mnistExperiment, [...tiny, '--seeds', '1']);
  const runs = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'runs.json'), 'utf8')) as { config: { rule: string; seed: number; batch: number }; best: number; accuracy: number[] }[];
  const r2 = runs(two.out);
  const r1 = runs(one.out);
  expect(r2.map((r) => `${r.config.rule} ${r.config.seed}`).sort()).toEqual(['loco 1', 'loco 2', 'np 1', 'np 2']);
  expect(r2.every((r) => r.config.batch === 10)).toBe(true);
  for (const r of r1) expect(r2.find((q) => q.config.rule === r.config.rule && q.config.seed === 1)!.accuracy).toEqual(r.accuracy);
  expect(r2.find((q) => q.config.seed === 2)!.accuracy).not.toEqual(r2.find((q) => q.config.seed === 1 && q.config.rule === r2.find((x) => x.config.seed === 2)!.config.rule)!.accuracy);
  const claims = JSON.parse(fs.readFileSync(path.join(two.out, 'claims.json'), 'utf8')).claims;
  expect(claims[0].setting).toMatch(/mean of 2 seeds/);
  const mean = (rule: string) => (r2.filter((r) => r.config.rule === rule).reduce((s, r) => s + r.best, 0) / 2) * 100;
  expect(claims[0].measured).toContain(mean('loco').toFixed(1));
  const summary = fs.readFileSync(path.join(two.out, 'summary.csv'), 'utf8').split('\n')[0];
  expect(summary).toBe('net,rule,depth,seed,eta,best,final,diverged,seconds');
}, 60_000);
