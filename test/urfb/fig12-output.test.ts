/** `creditflow reproduce fig12`: output files and their schema, explicit T/R(0)/W(0), bad input. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import { Progress } from '../../src/io/progress';
import type { RunContext } from '../../src/experiment/context';
import { fig12Command } from '../../models/urfb/fig12-report';
import { parseFig12Input } from '../../models/urfb/fig12';

const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'urfb-fig12-'));

function quietContext(): RunContext & { lines: string[] } {
  const lines: string[] = [];
  return { json: false, lines, log: (l) => lines.push(l), progress: (label, total) => new Progress(label, total, { isTTY: false } as NodeJS.WriteStream) };
}

async function runCommand(args: string[]) {
  const opts = parseOptions(args, fig12Command.options);
  const ctx = quietContext();
  const code = await fig12Command.run(opts, ctx);
  return { code, ctx };
}

test('writes JSON, CSV, HTML and a manifest with the documented fields; prints the summary table', async () => {
  const out = path.join(tmp, 'run');
  const { code, ctx } = await runCommand(['--dims', '6,8,8,3', '--steps', '30', '--seeds', '1,2', '--epsilons', '0,1', '--step-scale', '0.03', '--no-png', '--out', out]);
  expect(code).toBe(0);
  const files = fs.readdirSync(out).sort();
  expect(files).toEqual(['claims.csv', 'claims.json', 'fig12.html', 'fig12.json', 'fig12_correlation.csv', 'fig12_error.csv', 'fig12_summary.csv', 'manifest.json']);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'fig12.json'), 'utf8'));
  expect(json.settings.dims).toEqual([6, 8, 8, 3]);
  expect(json.runs).toHaveLength(6); // 2 seeds x (BP, ε=0, ε=1)
  for (const r of json.runs) {
    expect(Object.keys(r).sort()).toEqual(['algorithm', 'correlation', 'epsilon', 'error', 'eta', 'finalCorrelation', 'finalRelError', 'itersTo1e3', 'itersTo1e6', 'message', 'normT', 'relError', 'seed', 'status'].sort());
    expect(r.error).toHaveLength(31);
    expect(r.relError).toHaveLength(31);
    expect(Object.keys(r.correlation)).toEqual(['layer1', 'layer2', 'layer3']);
    expect(r.correlation.layer1).toHaveLength(31);
    expect(r.relError[0]).toBeGreaterThan(0);
  }
  expect(json.runs.map((r: { algorithm: string }) => r.algorithm)).toEqual(['BP', 'ε=0', 'ε=1', 'BP', 'ε=0', 'ε=1']);
  const err = fs.readFileSync(path.join(out, 'fig12_error.csv'), 'utf8').trim().split('\n');
  expect(err[0]).toBe('seed,algorithm,epsilon,iteration,error,rel_error');
  expect(err).toHaveLength(1 + 6 * 31);
  const corr = fs.readFileSync(path.join(out, 'fig12_correlation.csv'), 'utf8').trim().split('\n');
  expect(corr[0]).toBe('seed,algorithm,epsilon,iteration,corr_layer1,corr_layer2,corr_layer3');
  expect(corr).toHaveLength(1 + 6 * 31);
  const summary = fs.readFileSync(path.join(out, 'fig12_summary.csv'), 'utf8').trim().split('\n');
  expect(summary[0]).toBe('algorithm,seed,eta,iters_to_1e-3,iters_to_1e-6,final_rel_error,final_corr_layer1,final_corr_layer2,final_corr_layer3,status');
  const html = fs.readFileSync(path.join(out, 'fig12.html'), 'utf8');
  expect(html).toContain('Plotly.newPlot');
  expect(html).toContain('"type":"log"');
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  expect(manifest.status).toBe('ok');
  expect(manifest.files).toContain('fig12.json');
  expect(ctx.lines.join('\n')).toMatch(/algorithm\s+seed\s+η\s+iters<1e-3\s+iters<1e-6/);
});

test('explicit T, R(0) and W(0) from a JSON file reproduce the run they came from', async () => {
  const a = path.join(tmp, 'a');
  await runCommand(['--dims', '4,5,5,2', '--steps', '20', '--seeds', '3', '--epsilons', '0.5', '--eta', '0.01', '--no-png', '--out', a]);
  // rebuild the same initial conditions with the seed and hand them over as a file
  const { seedSetup, fig12Defaults } = await import('../../models/urfb/fig12');
  const { toRows } = await import('../../src/linalg/mat');
  const dims = [4, 5, 5, 2];
  const s = seedSetup({ ...fig12Defaults, dims }, dims, 3);
  const file = path.join(tmp, 'input.json');
  fs.writeFileSync(file, JSON.stringify({ T: toRows(s.T), R0: s.R0.map(toRows), W0: s.W0.map(toRows) }));
  const b = path.join(tmp, 'b');
  await runCommand(['--input', file, '--steps', '20', '--seeds', '99', '--epsilons', '0.5', '--eta', '0.01', '--no-png', '--out', b]);
  const ja = JSON.parse(fs.readFileSync(path.join(a, 'fig12.json'), 'utf8'));
  const jb = JSON.parse(fs.readFileSync(path.join(b, 'fig12.json'), 'utf8'));
  expect(jb.runs.map((r: { relError: number[] }) => r.relError)).toEqual(ja.runs.map((r: { relError: number[] }) => r.relError));
});

test('an input T with wrong dimensions, ragged rows or a wrong R0 gives a clear error', () => {
  const bad = parseFig12Input(JSON.stringify({ T: [[1, 2, 3]] }), 'in.json');
  expect(bad.T.rows).toBe(1);
  expect(() => parseFig12Input('{"T": [[1, 2], [3]]}', 'in.json')).toThrow(/T in in.json: row 1 has 1 entries but row 0 has 2/);
  expect(() => parseFig12Input('{"R0": []}', 'in.json')).toThrow(/in.json has no "T"/);
  expect(() => parseFig12Input('{"T": [[1]], "Q": 1}', 'in.json')).toThrow(/unknown field\(s\) Q/);
  expect(() => parseFig12Input('not json', 'in.json')).toThrow(/in.json is not valid JSON/);
});

test('the CLI turns a wrong-size T and a negative ε into one-line messages (exit 2)', () => {
  const file = path.join(tmp, 'wrong.json');
  fs.writeFileSync(file, JSON.stringify({ T: Array.from({ length: 10 }, () => new Array(39).fill(1)) }));
  const bin = path.join(root, 'bin', 'creditflow.cjs');
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'reproduce', 'fig12', ...args], { cwd: root, encoding: 'utf8' });
  const r1 = run('--input', file, '--out', path.join(tmp, 'x'));
  expect(r1.status).toBe(2);
  expect(r1.stderr.trim()).toBe(`creditflow: T in ${file} is 10x39 but dims [40, 100, 100, 10] need 10x40`);
  const r2 = run('--epsilons', '0,-0.5', '--out', path.join(tmp, 'y'));
  expect(r2.status).toBe(2);
  expect(r2.stderr.trim()).toBe('creditflow: each value of --epsilons must be >= 0 (got -0.5)');
  const r3 = run('--input', path.join(tmp, 'missing.json'), '--out', path.join(tmp, 'z'));
  expect(r3.status).toBe(2);
  expect(r3.stderr).toMatch(/cannot read --input file/);
});
