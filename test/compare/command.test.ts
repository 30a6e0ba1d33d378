import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import { compareCommand, SUMMARY_COLUMNS } from '../../models/compare/experiment';
import { RULE_NAMES } from '../../models/compare/rules';
import { TASKS } from '../../models/compare/tasks';

test('reproduce compare --quick (one seed) writes a complete table: every rule on every task, finite numbers', async () => {
  process.env.CREDITFLOW_NO_PNG = '1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-'));
  const lines: string[] = [];
  const ctx: RunContext = { json: false, log: (l) => lines.push(l), progress: (label, total) => new Progress(label, total) };
  await compareCommand.run(parseOptions(['--quick', '--seeds', '1', '--workers', '2', '--out', dir], compareCommand.options), ctx);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
  expect(manifest.status).toBe('ok');
  for (const f of ['summary.csv', 'criteria.csv', 'curves.csv', 'results.json', ...TASKS.map((t) => `curves-${t}.html`)]) expect(manifest.files).toContain(f);
  const summary = manifest.tables.find((t: { name: string }) => t.name === 'summary');
  expect(summary.columns).toEqual([...SUMMARY_COLUMNS]);
  expect(summary.rows).toHaveLength(TASKS.length * RULE_NAMES.length);
  for (const task of TASKS) for (const rule of RULE_NAMES) expect(summary.rows.some((r: string[]) => r[0] === task && r[1] === rule)).toBe(true);
  expect(results.summary).toHaveLength(TASKS.length * RULE_NAMES.length);
  for (const row of results.summary) {
    const where = `${row.task}/${row.rule}`;
    expect(row.ok, where).toBe(1);
    for (const key of ['testLoss', 'angleHidden', 'angleAll', 'wallPerEpoch', 'simTimePerEpoch']) expect(Number.isFinite(row[key].mean), `${where} ${key}`).toBe(true);
    if (row.task !== 'teacher') expect(row.testAccuracy.mean, where).toBeGreaterThanOrEqual(0);
    expect(row.angleHidden.mean, where).toBeLessThanOrEqual(180);
  }
  // the BP rows are their own reference: angle 0 (BP-ReLU runs on SAL's circuit: equal up to rounding)
  for (const row of results.summary.filter((r: { rule: string }) => r.rule === 'BP' || r.rule === 'BP-ReLU')) expect(row.angleAll.mean).toBeLessThan(1e-4);
  // rules with simulated dynamics report their simulated time, the algebraic ones 0
  for (const row of results.summary) expect(row.simTimePerEpoch.mean > 0, `${row.task}/${row.rule}`).toBe(['DFC', 'DFC-SSA', 'DLL'].includes(row.rule));
  const text = lines.join('\n');
  for (const rule of RULE_NAMES) expect(text).toContain(rule);
  expect(text).toMatch(/C1\s+C2\s+C3/);
  // every finished run was kept; a resumed comparison loads them all and gives the same runs, wall times included (so none trained again)
  expect(fs.readdirSync(path.join(dir, 'checkpoints')).filter((f) => f.endsWith('.result'))).toHaveLength(TASKS.length * RULE_NAMES.length);
  const ticks: string[] = [];
  const quiet: RunContext = { ...ctx, log: () => {}, progress: (label, total) => Object.assign(new Progress(label, total), { tick: (_n: number, note: string) => ticks.push(note) }) };
  await compareCommand.run(parseOptions(['--quick', '--seeds', '1', '--workers', '2', '--out', dir, '--resume'], compareCommand.options), quiet);
  const again = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
  expect(again.runs).toEqual(results.runs);
  expect(ticks).toHaveLength(TASKS.length * RULE_NAMES.length);
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);
