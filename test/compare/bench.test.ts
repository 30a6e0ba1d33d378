import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { benchAgainst, benchModules, mainOf, runBench, speedDirection } from '../../bench/run';

test('the bench runner in --quick mode writes valid JSON with the rows and their spreads', async () => {
  expect(benchModules()).toEqual(expect.arrayContaining(['kernels', 'core', 'solvers', 'scaling', 'urfb', 'dfc', 'sal', 'dll', 'lif', 'loco']));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')), 'bench.json');
  const res = await runBench({ quick: true, only: ['solvers'], out: file, log: () => {} });
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(json.quick).toBe(true);
  expect(json.modules.map((m: { name: string }) => m.name)).toEqual(['solvers']);
  expect(json.rows.length).toBe(res.rows.length);
  // 2 problems x (2 adaptive + 3 fixed-step solvers) x 3 tolerances in quick mode
  expect(json.rows).toHaveLength(30);
  for (const r of json.rows) {
    expect(r.module).toBe('solvers');
    expect(typeof r.name).toBe('string');
    expect(r.value === null || typeof r.value === 'number').toBe(true); // NaN (a diverged fixed-step run) is written as null
    expect(r.min).toBeLessThanOrEqual(r.max);
    expect(r.nfe).toBeGreaterThan(0);
  }
  // dopri5 meets its tolerance on the linear system: error within 10x rtol at every rtol
  for (const r of json.rows.filter((r: { problem: string; solver: string }) => r.problem === 'linear' && r.solver === 'dopri5')) {
    const rtol = Number(/rtol=([0-9e.-]+)/.exec(r.size)![1]);
    expect(r.value).toBeLessThan(10 * rtol);
  }
  await expect(runBench({ quick: true, only: ['nope'], out: file })).rejects.toThrow(/unknown benchmark module 'nope'/);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}, 60_000);

test('the suite runs each module by its bench<Name> export, not its side-by-side functions (which sort first in dfc, dll and lif)', async () => {
  const modules = benchModules();
  expect(modules).not.toContain('checkout');
  for (const m of modules) {
    const fn = await mainOf(m);
    expect(fn.name).toBe(`bench${m[0].toUpperCase()}${m.slice(1)}`);
  }
});

test('--against reads each unit the right way round: times lower, rates higher, other figures no verdict', () => {
  for (const u of ['s', 'ms', 'ms/batch', 'ms/eval', 's CPU', 'µs/step', 'ratio']) expect(speedDirection(u)).toBe('lower');
  for (const u of ['samples/s', 'steps/s', 'neuron-steps/s', 'GFLOP/s', 'Gelem/s', 'x', 'x CPU']) expect(speedDirection(u)).toBe('higher');
  for (const u of ['', 'p (t ∝ n^p)', 'rel. error at t=10']) expect(speedDirection(u)).toBeNull();
});

test('--against times a module with sideBySide in one process with its own code: scaling gives every width of both models with a slowdown per round', async () => {
  const root = path.join(__dirname, '..', '..');
  const rows = await benchAgainst({ ref: root, rounds: 1, quick: true, only: ['scaling'], log: () => {} });
  expect(rows.map((r) => `${r.name} ${r.size}`)).toEqual(['dfc', 'sal'].flatMap((m) => [64, 128, 256, 512, 1024].map((n) => `${m}: time per step n=${n}`)));
  for (const r of rows) {
    expect(r.module).toBe('scaling');
    expect(r.unit).toBe('µs/step');
    expect(r.slowdowns).toHaveLength(1);
    expect(r.newValues[0]).toBeGreaterThan(0);
    expect(r.oldValues[0]).toBeGreaterThan(0);
    expect(r.slowdowns[0]).toBeCloseTo(r.newValues[0] / r.oldValues[0], 12);
  }
}, 120_000);
