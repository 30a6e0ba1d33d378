import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseOptions, type OptionSpec } from '../src/experiment/options';

const specs: OptionSpec[] = [
  { name: 'steps', type: 'integer', description: 'steps', default: 1000, min: 1 },
  { name: 'step-size', type: 'number', description: 'η', min: 0 },
  { name: 'epsilons', type: 'numbers', description: 'ε values', default: [0, 1], min: 0, max: 1 },
  { name: 'seeds', type: 'integers', description: 'seeds', default: [1, 2, 3] },
  { name: 'solver', type: 'string', description: 'solver', default: 'euler', choices: ['euler', 'rk4'] },
  { name: 'out', type: 'string', description: 'folder', default: 'out/x' },
  { name: 'sparse', type: 'boolean', description: 'sparsity', default: false },
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-config-'));
const config = (obj: unknown, name = `c${Math.random().toString(36).slice(2)}.json`) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof obj === 'string' ? obj : JSON.stringify(obj));
  return file;
};

describe('command-line options and config files', () => {
  test('flags parse, convert and default', () => {
    const o = parseOptions(['--steps', '20', '--step-size=0.01', '--epsilons', '0,0.5,1', '--sparse'], specs);
    expect(o).toMatchObject({ steps: 20, stepSize: 0.01, epsilons: [0, 0.5, 1], seeds: [1, 2, 3], solver: 'euler', sparse: true });
  });

  test('a config file supplies values and flags override it', () => {
    const file = config({ steps: 50, epsilons: [0.25], solver: 'rk4', stepSize: 0.002 });
    const o = parseOptions(['--config', file, '--steps', '7'], specs);
    expect(o).toMatchObject({ steps: 7, epsilons: [0.25], solver: 'rk4', stepSize: 0.002 });
  });

  const bad: [unknown, string][] = [
    [{ stepz: 1 }, "unknown field 'stepz'; valid fields: json, backend, steps, step-size"],
    [{ steps: 0 }, "field 'steps' must be >= 1 (got 0)"],
    [{ steps: 2.5 }, "field 'steps' must be an integer (got 2.5)"],
    [{ steps: '10' }, "field 'steps' must be an integer (got \"10\")"],
    [{ 'step-size': -1 }, "field 'step-size' must be >= 0 (got -1)"],
    [{ 'step-size': null }, "field 'step-size' must be a finite number (got null)"],
    [{ epsilons: [] }, "field 'epsilons' must be a non-empty array of numbers"],
    [{ epsilons: 0.5 }, "field 'epsilons' must be a non-empty array of numbers (got 0.5)"],
    [{ epsilons: [0, 2] }, "field 'epsilons' entries must be <= 1 (got 2)"],
    [{ seeds: [1, 'a'] }, "field 'seeds' entries must be an integer (got \"a\")"],
    [{ solver: 'rk45' }, "field 'solver' must be one of euler, rk4 (got 'rk45')"],
    [{ sparse: 'yes' }, "field 'sparse' must be true or false (got \"yes\")"],
    [{ out: 3 }, "field 'out' must be a string (got 3)"],
    [[1, 2], 'must be a JSON object of option names to values'],
    ['{ not json', 'cannot read config'],
  ];
  for (const [obj, msg] of bad) {
    test(`rejects a malformed config: ${JSON.stringify(obj)}`, () => {
      expect(() => parseOptions(['--config', config(obj)], specs)).toThrow(msg);
    });
  }

  test('flag errors name the option and the allowed values', () => {
    expect(() => parseOptions(['--steps', 'ten'], specs)).toThrow('--steps must be a number');
    expect(() => parseOptions(['--epsilons', '0,-1'], specs)).toThrow('each value of --epsilons must be >= 0 (got -1)');
    expect(() => parseOptions(['--solver', 'x'], specs)).toThrow('--solver must be one of euler, rk4');
    expect(() => parseOptions(['--nope'], specs)).toThrow('unknown option --nope; valid options:');
    expect(() => parseOptions(['--config', path.join(dir, 'missing.json')], specs)).toThrow('cannot read config');
  });
});
