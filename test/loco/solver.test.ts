/**
 * The spiking network's integrator in the LOCO commands (--solver/--dt0, clock-driven spikes):
 * refused before any work when it cannot run the window, recorded in the manifest, and a second
 * solver on a learning path (XOR by LOCO with stochastic Heun: it learns, and differs from Euler).
 * How much the solver changes the network itself, with its order, is test/lif/solvers.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { continualExperiment } from '../../models/loco/experiments/continual';
import { mnistExperiment } from '../../models/loco/experiments/mnist';
import { trainXor, xorExperiment } from '../../models/loco/experiments/xor';
import { removeTmpDirs, runCommand, tmpDir } from './helpers';

afterAll(removeTmpDirs);

test('loco-xor, loco-mnist and loco-continual refuse a solver that cannot run the clock-driven window, before writing anything', async () => {
  const refused = async (cmd: typeof xorExperiment, args: string[], message: RegExp) => {
    const out = tmpDir(cmd.name);
    await expect(runCommand(cmd, args, out)).rejects.toThrow(message);
    expect(fs.readdirSync(out)).toEqual([]);
  };
  // membrane noise makes the window an SDE; an adaptive solver cannot keep the clock
  await refused(xorExperiment, ['--solver', 'rk4'], /--solver rk4 handles ODEs only, but the spiking network's window \(clock-driven spikes, membrane noise\) is an SDE; use --solver euler_maruyama/);
  await refused(xorExperiment, ['--solver', 'dopri5', '--noise', '0'], /--solver dopri5 chooses its own steps, but .* needs fixed steps/);
  await refused(xorExperiment, ['--dt0', '0.3', '--steps', '20'], /--dt0 0.3: the clock step dt0 = 0.3 ms must divide the window of 20 ms/);
  await refused(mnistExperiment, ['--dt0', '3'], /--dt0 3: clock-driven Euler needs dt <= tau_m \(got dt = 3 ms, tau_m = 2 ms\)/);
  await refused(continualExperiment, ['--net', 'snn', '--solver', 'heun'], /--solver heun handles ODEs only/);
});

test('the manifest and the results of loco-xor record the solver and step (stochastic Heun, dt0 = 0.5 ms)', async () => {
  const { out } = await runCommand(xorExperiment, ['--rules', 'loco', '--seeds', '1', '--epochs', '1', '--steps', '20', '--variant', 'paper', '--solver', 'stochastic_heun', '--dt0', '0.5']);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  expect(JSON.stringify(manifest)).toContain('"solver":"stochastic_heun"');
  expect(JSON.stringify(manifest)).toContain('"dt0":0.5');
  const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  expect(results[0].options.integrator).toEqual({ solver: 'stochastic_heun', dt0: 0.5, mode: 'clock' });
}, 60_000);

test('LOCO learns XOR with a second solver (stochastic Heun, dt = 1 ms) as with Euler–Maruyama, along a different path (measured: solved at epochs 21 and 22, seed 3)', () => {
  const heun = trainXor({ rule: 'loco', seed: 3, epochs: 100, stopWhenSolved: true, integrator: { solver: 'stochastic_heun' } });
  const euler = trainXor({ rule: 'loco', seed: 3, epochs: 100, stopWhenSolved: true });
  expect(heun.solvedAt).not.toBeNull();
  expect(euler.solvedAt).not.toBeNull();
  expect(heun.history.map((h) => h.loss)).not.toEqual(euler.history.map((h) => h.loss));
}, 60_000);
