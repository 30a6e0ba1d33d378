/**
 * The integrator of DFC's phases is a choice: --solver/--dt0/--rtol/--atol on every DFC command
 * (the wake phase), refused before work when unsuitable; a second solver learns, and its result
 * differs from Euler's by what Euler's step explains.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions, UsageError } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import { Rng } from '../../src/core/random';
import { mat } from '../../src/linalg/mat';
import { DfcBatchedField } from '../../models/dfc/batched';
import { FIG3_FEEDBACK, FIG3_FORWARD } from '../../models/dfc/config';
import { fig3 } from '../../models/dfc/experiments/fig3';
import { fig4 } from '../../models/dfc/experiments/fig4';
import { mnistExperiment } from '../../models/dfc/experiments/mnist';
import { DfcNet } from '../../models/dfc/network';
import { DfcTrainer, type Data } from '../../models/dfc/trainer';
import { randomBatch, smallNet } from './helpers';

const norm = (a: ArrayLike<number>, b?: ArrayLike<number>): number => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k] - (b ? b[k] : 0)) ** 2;
  return Math.sqrt(s);
};
const flat = (ms: { data: Float64Array }[]): Float64Array => Float64Array.from(ms.flatMap((m) => Array.from(m.data)));

test('one wake phase: rk4 and dopri5 agree with Euler up to Euler\'s own error (Richardson estimate from dt and dt/2)', () => {
  const { net, p, rng } = smallNet({ sizes: [15, 10, 10, 5], seed: 3 });
  const B = 6;
  const { X, Y } = randomBatch(rng, B, 15, 5);
  const Rstar = mat(B, 5, Y.data.map((y) => 0.1 * y));
  const field = new DfcBatchedField(net, B);
  const cfg = { ...FIG3_FORWARD, steps: 200 };
  const dW = (solver: string, dt0?: number, tol?: number) => {
    const r = field.wake(p, X, Rstar, cfg, { accumulate: true, solver: { solver, dt0, rtol: tol, atol: tol === undefined ? undefined : tol * 1e-3 } });
    expect(r.status).toBe('ok');
    return { dW: flat(r.dW!), nfe: r.nfe };
  };
  const e1 = dW('euler');
  const e2 = dW('euler', cfg.dt / 2);
  const rk4 = dW('rk4');
  const dp = dW('dopri5', undefined, 1e-8);
  expect(e1.nfe).toBe(200);
  expect(rk4.nfe).toBe(800);
  // Euler is first order: err(dt) ≈ 2 (y(dt) − y(dt/2)); rk4 (order 4) is exact to far below that
  const eulerError = 2 * norm(e1.dW, e2.dW);
  const ratio = norm(e1.dW, rk4.dW) / eulerError;
  expect(ratio).toBeGreaterThan(0.8);
  expect(ratio).toBeLessThan(1.25);
  // rk4 at the paper's step and tight dopri5 agree far more closely than either does with Euler
  expect(norm(rk4.dW, dp.dW)).toBeLessThan(1e-3 * eulerError);
});

test('training with rk4 learns, and its weights differ from Euler\'s by what Euler\'s step explains', () => {
  const rng = new Rng(11);
  const n = 64;
  const data: Data = { x: rng.fillUniform(new Float64Array(n * 15), -1, 1), y: rng.fillNormal(new Float64Array(n * 5), 0.3), n };
  const train = (solver: string, dt0?: number) => {
    const net = new DfcNet({ sizes: [15, 10, 10, 5], hidden: 'tanh' });
    const tr = new DfcTrainer(net, {
      method: 'DFC', feedback: 'fixed', forward: { ...FIG3_FORWARD, steps: 100 }, sleep: FIG3_FEEDBACK,
      optimizer: 'sgd', lr: 0.5, lrQ: 1e-3, batchSize: 16, fbEpochsPerEpoch: 0, seed: 2, wakeSolver: { solver, dt0 },
    });
    const before = tr.evaluate(data).loss;
    for (let e = 0; e < 3; e++) tr.forwardEpoch(data, e);
    return { before, after: tr.evaluate(data).loss, W: flat(tr.params.W) };
  };
  const e1 = train('euler');
  const e2 = train('euler', FIG3_FORWARD.dt / 2);
  const rk4 = train('rk4');
  expect(rk4.after).toBeLessThan(0.9 * rk4.before);
  // plain SGD: the weights are a smooth function of the per-minibatch updates, so Euler's first-order
  // error carries over: ‖W_euler − W_rk4‖ ≈ 2 ‖W_euler(dt) − W_euler(dt/2)‖
  const ratio = norm(e1.W, rk4.W) / (2 * norm(e1.W, e2.W));
  expect(ratio).toBeGreaterThan(0.8);
  expect(ratio).toBeLessThan(1.25);
});

test('the sleep phase is an SDE: an ODE-only solver is refused with the solvers that can', () => {
  const { net, p, rng } = smallNet();
  const { X } = randomBatch(rng, 3, 4, 3);
  const field = new DfcBatchedField(net, 3);
  expect(() => field.sleep(p, X, FIG3_FEEDBACK, new Rng(1), { solver: 'rk4' })).toThrow(/solver 'rk4' handles ODEs only but the problem has a diffusion term; choose an SDE solver: euler_maruyama/);
});

const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total) };

test('every DFC command takes --solver/--dt0/--rtol/--atol, records them, and refuses tolerances for a fixed-step solver before work', async () => {
  for (const cmd of [fig3, fig4, mnistExperiment]) {
    const names = cmd.options.map((o) => o.name);
    for (const o of ['solver', 'dt0', 'rtol', 'atol']) expect(names, `${cmd.name} --${o}`).toContain(o);
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dfc-solver-')), 'out');
    const t0 = Date.now();
    const run = cmd.run(parseOptions(['--rtol', '1e-6', '--out', dir], cmd.options), ctx);
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow('--rtol and --atol set the tolerances of an adaptive solver, but --solver euler takes fixed steps');
    expect(Date.now() - t0).toBeLessThan(5000); // refused before any training
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfc-solver-'));
  const tiny = ['--teacher', '15,20,5', '--train-size', '64', '--test-size', '16', '--steps', '20', '--fb-pretrain-epochs', '1', '--batch-size', '16', '--epochs', '1', '--variants', 'DFC', '--log-every', '2'];
  await fig3.run(parseOptions([...tiny, '--solver', 'heun', '--dt0', '0.01', '--out', dir, '--workers', '1'], fig3.options), ctx);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  expect(JSON.stringify(manifest)).toContain('"solver":"heun"');
  expect(JSON.stringify(manifest)).toContain('"dt0":0.01');
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);
