import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { buildReport } from '../src/cli/report';
import { RunOutput, type Manifest } from '../src/io/run';

test('a run folder gets a manifest saying how its files were made, and report indexes it', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-run-'));
  const dir = path.join(root, 'demo');
  const run = new RunOutput('demo', dir, { _: [], seeds: [1, 2], steps: 10, out: dir, help: false, png: false });
  const running = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  expect(running.status).toBe('running');
  run.json('errors', { a: Float64Array.of(1, 2) });
  run.table('summary', ['algorithm', 'iterations'], [['urfb', 120], ['bp', 3.5e-7]]);
  run.figure('curve', { data: [{ x: [1, 2], y: [3, 4] }] }); // --no-png in the run's options: HTML only, no note
  run.finish();
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  expect(m).toMatchObject({ experiment: 'demo', seed: [1, 2], options: { seeds: [1, 2], steps: 10 }, status: 'ok', node: process.version });
  expect(m.options).not.toHaveProperty('help');
  expect(m.notes).toEqual([]);
  expect(m.creditflowVersion).toMatch(/^\d+\.\d+\.\d+/);
  expect(m.gitCommit === null || /^[0-9a-f]{40}(\+dirty)?$/.test(m.gitCommit)).toBe(true);
  expect(m.command.startsWith('creditflow')).toBe(true);
  expect(Date.parse(m.end!)).toBeGreaterThanOrEqual(Date.parse(m.start));
  expect(m.wallSeconds).toBeGreaterThanOrEqual(0);
  expect(m.files.sort()).toEqual(['curve.html', 'errors.json', 'summary.csv']);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'errors.json'), 'utf8'))).toEqual({ a: [1, 2] });
  expect(fs.readFileSync(path.join(dir, 'summary.csv'), 'utf8')).toBe('algorithm,iterations\nurfb,120\nbp,3.5e-7\n');

  const { file, runs } = buildReport(root);
  expect(runs).toBe(1);
  const html = fs.readFileSync(file, 'utf8');
  expect(html).toContain('<h2>demo');
  expect(html).toContain('<td>urfb</td><td>120</td>');
  expect(html).toContain('href="demo/curve.html"');
});

test('report: a table of contents, and each run with claims shows its claims table first', async () => {
  const { writeClaims, claim, ordering, samples } = await import('../src/io/claims');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-report-'));
  const dir = path.join(root, 'exp');
  const run = new RunOutput('exp', dir, { _: [], out: dir, png: false });
  run.table('summary', ['a'], [[1]]);
  writeClaims(run, 'exp', [claim('Fig. 1', 'A beats B', 'tiny', ordering(samples('A', [2, 3]), samples('B', [1, 1]), 'higher'))]);
  run.finish();
  const csv = fs.readFileSync(path.join(dir, 'claims.csv'), 'utf8');
  expect(csv.split('\n')[0]).toBe('figure,variant,paper,measured,setting,rule,verdict');
  expect(csv).toContain('reproduced');
  const html = fs.readFileSync(buildReport(root).file, 'utf8');
  expect(html).toContain('<h2>Contents</h2>');
  expect(html).toContain('href="#run-exp"');
  expect(html.indexOf('Claims: the paper vs this run')).toBeLessThan(html.indexOf('<h4>summary</h4>'));
  expect(html).toContain('<b>reproduced</b>');
});
