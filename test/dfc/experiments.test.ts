/** Smoke runs of the three reproductions at tiny sizes: options parse, files are written, numbers are finite. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import type { CommandSpec } from '../../src/registry';
import { fig3 } from '../../models/dfc/experiments/fig3';
import { fig4 } from '../../models/dfc/experiments/fig4';
import { mnistExperiment } from '../../models/dfc/experiments/mnist';

const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total) };

async function run(cmd: CommandSpec, args: string[]): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dfc-${cmd.name}-`));
  await cmd.run(parseOptions([...args, '--out', dir, '--workers', '1'], cmd.options), ctx);
  return dir;
}

function csvRows(file: string): string[][] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
}

test('dfc-fig3, dfc-fig4 and dfc-mnist run at tiny sizes and write their tables, series and figures', async () => {
  const tiny = ['--teacher', '15,20,5', '--train-size', '64', '--test-size', '16', '--steps', '40', '--fb-pretrain-epochs', '1', '--batch-size', '16'];
  const d3 = await run(fig3, [...tiny, '--epochs', '1', '--variants', 'DFC,DFC-SSA (fixed)', '--log-every', '2']);
  for (const f of ['summary.csv', 'series.csv', 'results.json', 'fig3.html', 'manifest.json']) expect(fs.existsSync(path.join(d3, f)), f).toBe(true);
  const s3 = csvRows(path.join(d3, 'summary.csv'));
  expect(s3.map((r) => r[0])).toEqual(['DFC', 'DFC-SSA (fixed)']);
  for (const r of s3) expect(r.slice(2, 9).every((v) => Number.isFinite(Number(v)))).toBe(true);

  const d4 = await run(fig4, [...tiny, '--methods', 'DFC-SS', '--lambdas', '0.01,0.5', '--alphas', '0.01', '--log-every', '2']);
  const s4 = csvRows(path.join(d4, 'summary.csv'));
  expect(s4.length).toBe(3);
  for (const r of s4) expect(Number(r[5])).toBeGreaterThanOrEqual(0);
  expect(fs.existsSync(path.join(d4, 'fig4.html'))).toBe(true);

  const dm = await run(mnistExperiment, ['--train-size', '64', '--hidden', '8', '--steps', '10', '--epochs', '1', '--rows', 'DFC (fixed),BP', '--batch-size', '16']);
  const sm = csvRows(path.join(dm, 'table1.csv'));
  expect(sm.map((r) => r[0])).toEqual(['DFC (fixed)', 'BP']);
  for (const r of sm) {
    expect(r[1]).toBe('ok');
    const err = Number(r[2]);
    expect(err).toBeGreaterThanOrEqual(0);
    expect(err).toBeLessThan(100);
  }
  for (const d of [d3, d4, dm]) fs.rmSync(d, { recursive: true, force: true });
});
