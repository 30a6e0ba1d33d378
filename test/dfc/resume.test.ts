/** DFC training runs resume from their checkpoints bit-identically, and sweeps run the same on 1 or 2 workers. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { Progress } from '../../src/io/progress';
import { runTasks } from '../../src/parallel/pool';
import { FIG3_FEEDBACK, FIG3_FORWARD } from '../../models/dfc/config';
import { fig3 } from '../../models/dfc/experiments/fig3';
import { type RunArgs, type RunResult } from '../../models/dfc/experiments/run';
import { teacherData } from '../../models/dfc/experiments/teacher';

const RUN_MODULE = path.join(__dirname, '..', '..', 'models', 'dfc', 'experiments', 'run.ts');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dfc-resume-'));

function args(epochs: number, dir: string, resume: boolean): RunArgs {
  const { train, test } = teacherData([6, 12, 3], 48, 16, 4);
  return {
    label: 'DFC', method: 'DFC', feedback: 'trained', sizes: [6, 5, 3], hidden: 'tanh', loss: 'mse', train, test, classes: false,
    forward: { ...FIG3_FORWARD, steps: 30 }, sleep: { ...FIG3_FEEDBACK, steps: 10 }, optimizer: 'adam', lr: 1e-3, lrQ: 3e-3,
    batchSize: 16, epochs, fbPretrainEpochs: 1, fbEpochsPerEpoch: 1, seed: 5, logEvery: 2,
    checkpoint: { dir, every: 1, resume },
  };
}

async function train(a: RunArgs): Promise<{ r: RunResult; progress: string[] }> {
  const progress: string[] = [];
  const [r] = await runTasks<RunResult>([{ module: RUN_MODULE, fn: 'trainRun', args: a }], { workers: 1, onProgress: (_i, n, label) => progress.push(`${n} ${label}`) });
  return { r, progress };
}

test('a DFC run stopped after epoch 2 and resumed trains only epoch 3 and ends bit-identical (weights, Adam moments, generators, records)', async () => {
  const whole = tmp();
  const ref = await train(args(3, whole, false));
  const part = tmp();
  await train(args(2, part, false)); // the "killed" run: its last checkpoint is after epoch 2
  expect(loadCheckpoint(part)!.epoch).toBe(2);
  const resumed = await train(args(3, part, true));
  expect(resumed.progress).toEqual(['2 DFC: resumed after epoch 2', expect.stringMatching(/^1 DFC epoch 3: test loss/)]);
  const a = loadCheckpoint(whole)!;
  const b = loadCheckpoint(part)!;
  expect(b.epoch).toBe(3);
  expect(Object.keys(b.arrays).sort()).toEqual(Object.keys(a.arrays).sort());
  expect(Object.keys(a.arrays)).toEqual(expect.arrayContaining(['W0', 'Q0', 'W.adamT', 'W.adamM0', 'Q.adamV1']));
  for (const k of Object.keys(a.arrays)) expect(Buffer.from(b.arrays[k].buffer).equals(Buffer.from(a.arrays[k].buffer)), k).toBe(true);
  expect(b.rng).toEqual(a.rng);
  const strip = (r: RunResult) => ({ ...r, seconds: 0 });
  expect(strip(resumed.r)).toEqual(strip(ref.r));
  expect(ref.r.epochs.length).toBe(3);
  await expect(train({ ...args(3, part, true), lr: 2e-3 })).rejects.toThrow(/made with other settings/);
});

const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total) };

test('dfc-fig3 gives the same numbers on 1 and 2 workers, and a resumed sweep loads its finished runs', async () => {
  const tiny = ['--teacher', '15,20,5', '--train-size', '48', '--test-size', '16', '--steps', '30', '--fb-pretrain-epochs', '1', '--batch-size', '16', '--epochs', '1', '--variants', 'DFC,DFC-SSA (fixed)', '--log-every', '2'];
  process.env.CREDITFLOW_NO_PNG = '1';
  const results = async (workers: number, dir: string, extra: string[] = []) => {
    await fig3.run(parseOptions([...tiny, '--out', dir, '--workers', String(workers), ...extra], fig3.options), ctx);
    return (JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')).results as RunResult[]).map((r) => ({ ...r, seconds: 0 }));
  };
  const dir = tmp();
  const one = await results(1, dir);
  expect(await results(2, tmp())).toEqual(one);
  const stored = fs.readdirSync(path.join(dir, 'checkpoints')).filter((f) => f.endsWith('.result')).sort();
  expect(stored).toHaveLength(2);
  expect(stored[0]).toMatch(/^DFC-SSA_fixed_-[0-9a-f]{8}\.result$/);
  expect(stored[1]).toBe('DFC.result');
  expect(await results(2, dir, ['--resume'])).toEqual(one);
});
