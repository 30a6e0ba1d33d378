import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { runTasks, safeName } from '../src/parallel/pool';

const module = path.join(__dirname, 'fixtures', 'parallel-task.ts');
const tasks = [3, 1, 4, 1, 5].map((seed, i) => ({ module, fn: 'noisyDecay', args: { seed }, key: `run${i}` }));

test('parallel worker threads give results identical to a serial run, in task order, with every progress report', async () => {
  const reports = (workers: number) => {
    const seen: string[] = [];
    return { seen, run: runTasks<number[]>(tasks, { workers, onProgress: (i, units, label) => seen.push(`${i}:${units}:${label}`) }) };
  };
  const s = reports(1);
  const p = reports(2);
  const serial = await s.run;
  const parallel = await p.run;
  expect(parallel).toEqual(serial);
  expect(serial[1]).toEqual(serial[3]);
  expect(serial[0]).not.toEqual(serial[1]);
  expect(s.seen).toEqual(['0:1:seed 3 started', '0:1:seed 3 done', '1:1:seed 1 started', '1:1:seed 1 done', '2:1:seed 4 started', '2:1:seed 4 done', '3:1:seed 1 started', '3:1:seed 1 done', '4:1:seed 5 started', '4:1:seed 5 done']);
  expect([...p.seen].sort()).toEqual([...s.seen].sort());
  await expect(runTasks([{ module, fn: 'nope', args: {} }, { module, fn: 'nope', args: {} }], { workers: 2 })).rejects.toThrow("does not export a function 'nope'");
  await expect(runTasks([{ module: module.replace(/\.ts$/, '.js'), fn: 'noisyDecay', args: {} }])).rejects.toThrow(/parallel-task.js is not an existing file/);
});

test('a stored sweep resumes: finished tasks are loaded, not run again; other settings are refused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-store-'));
  const ref = await runTasks<number[]>(tasks, { workers: 1 });
  await runTasks<number[]>(tasks.slice(0, 2), { workers: 1, store: { dir, resume: false } });
  const ran: number[] = [];
  const resumed = await runTasks<number[]>(tasks, { workers: 2, store: { dir, resume: true }, onProgress: (i) => ran.push(i) });
  expect(resumed).toEqual(ref);
  expect([...new Set(ran)].sort()).toEqual([2, 3, 4]);
  const moved = tasks.map((t) => ({ ...t, args: { ...t.args, checkpoint: { dir: '/elsewhere', every: 3, resume: true } } }));
  expect(await runTasks<number[]>(moved, { workers: 1, store: { dir, resume: true } })).toEqual(ref);
  const changed = tasks.map((t) => ({ ...t, args: { seed: t.args.seed + 1 } }));
  await expect(runTasks(changed, { workers: 1, store: { dir, resume: true } })).rejects.toThrow(/run0.result was made with other settings/);
  await expect(runTasks([tasks[0], { ...tasks[1], key: 'run0' }], { store: { dir, resume: false } })).rejects.toThrow(/distinct key/);
  expect(safeName('DFC (Q fixed)')).toMatch(/^DFC_Q_fixed_-[0-9a-f]{8}$/);
  expect(safeName('DFC_Q_fixed_')).toBe('DFC_Q_fixed_');
});
