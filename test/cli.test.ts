import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, test } from 'vitest';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'creditflow.cjs');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });

test('creditflow list shows the registered solvers', () => {
  const out = execFileSync(process.execPath, [bin, 'list'], { cwd: root, encoding: 'utf8' });
  for (const s of ['euler', 'euler_maruyama', 'heun', 'stochastic_heun', 'rk4', 'dopri5', 'odex']) expect(out).toContain(s);
  expect(out).toContain('core.order.rk4');
});

test('every command has --help', () => {
  for (const cmd of [['--help'], ['list', '--help'], ['verify', '--help']]) {
    const r = run(...cmd);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: creditflow/);
  }
});

test('verify runs the selected checks, prints a table and the pass count', () => {
  const r = run('verify', '--only', 'core.order.heun,core.order.rk4');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/core\.order\.rk4.*PASS/);
  expect(r.stdout).toContain('2 passed, 0 failed');
});

test('bad input ends with a one-line message and exit code 2, no stack trace', () => {
  for (const [args, msg] of [
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['verify', '--seeds', 'x'], 'each value of --seeds must be a number'],
    [['verify', '--bogus'], 'unknown option --bogus'],
    [['reproduce', 'nope'], "unknown experiment 'nope'"],
  ] as const) {
    const r = run(...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^creditflow: /);
    expect(lines[0]).toContain(msg);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
});
