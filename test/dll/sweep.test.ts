/** The DLL experiments on worker threads: --workers 1 and 2 give identical results; a resumed sweep loads its finished runs. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import type { RunContext } from '../../src/experiment/context';
import { Progress } from '../../src/io/progress';
import { mnistExperiment } from '../../models/dll/experiments/mnist';
import { rnnExperiment } from '../../models/dll/experiments/rnn';
import type { CommandSpec } from '../../src/registry';

/** The runs, summary and curves a command wrote (not its options, which name the output folder). */
async function results(spec: CommandSpec, args: string[], workers: number, keep?: string): Promise<{ runs: unknown[]; summary: unknown; curves: string }> {
  const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), `dll-sweep-${spec.name}-`));
  const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Progress(label, total, { isTTY: false } as NodeJS.WriteStream) };
  expect(await spec.run(parseOptions([...args, '--workers', String(workers), '--no-png', '--out', dir], spec.options), ctx)).toBe(0);
  const { runs, summary } = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
  const out = { runs, summary, curves: fs.readFileSync(path.join(dir, 'curves.csv'), 'utf8') };
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

test('dll-mnist: two worker threads give the same results as one, bit for bit', async () => {
  const args = ['--sizes', '784,8,10', '--epochs', '2', '--seeds', '1,2', '--methods', 'dll,bp', '--train-size', '256', '--batch-size', '32', '--lr', '3e-3'];
  const serial = await results(mnistExperiment, args, 1);
  const parallel = await results(mnistExperiment, args, 2);
  expect(parallel).toEqual(serial);
  expect(serial.runs).toHaveLength(6); // dll (paper Θ), bp and dll (code Θ) for 2 seeds
});

const rnnArgs = ['--iterations', '20', '--seeds', '1', '--methods', 'dll,bptt', '--tasks', 'series', '--hidden', '6', '--steps', '4', '--batch-size', '4', '--series-length', '600', '--eval-every', '10', '--checkpoint-every', '5'];

test('dll-rnn: two worker threads give the same results as one, bit for bit', async () => {
  const serial = await results(rnnExperiment, rnnArgs, 1);
  const parallel = await results(rnnExperiment, rnnArgs, 2);
  expect(parallel).toEqual(serial);
});

test('dll-rnn --resume loads the finished runs instead of training them again', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dll-sweep-resume-'));
  const first = await results(rnnExperiment, rnnArgs, 1, dir);
  const ck = path.join(dir, 'checkpoints');
  const stored = fs.readdirSync(ck).filter((f) => f.endsWith('.result')).sort();
  expect(stored).toEqual(['series-bptt-seed1.result', 'series-dll-seed1.result']);
  const mtime = (f: string) => fs.statSync(path.join(ck, f)).mtimeMs;
  const before = stored.map(mtime);
  fs.rmSync(path.join(ck, 'series-dll-seed1.result')); // killed after its last checkpoint, before its result was stored
  await new Promise((r) => setTimeout(r, 20));
  const resumed = await results(rnnExperiment, [...rnnArgs, '--resume'], 2, dir);
  expect(resumed).toEqual(first);
  expect(mtime(stored[0])).toBe(before[0]); // loaded, not run again
  expect(mtime(stored[1])).toBeGreaterThan(before[1]);
  fs.rmSync(dir, { recursive: true, force: true });
});
