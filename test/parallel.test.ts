import * as path from 'node:path';
import { expect, test } from 'vitest';
import { runTasks } from '../src/parallel/pool';

test('parallel worker threads give results identical to a serial run, in task order', async () => {
  const module = path.join(__dirname, 'fixtures', 'parallel-task.ts');
  const tasks = [3, 1, 4, 1, 5].map((seed) => ({ module, fn: 'noisyDecay', args: { seed } }));
  const serial = await runTasks<number[]>(tasks, 1);
  const parallel = await runTasks<number[]>(tasks, 2);
  expect(parallel).toEqual(serial);
  expect(serial[1]).toEqual(serial[3]);
  expect(serial[0]).not.toEqual(serial[1]);
  await expect(runTasks([{ module, fn: 'nope', args: {} }, { module, fn: 'nope', args: {} }], 2)).rejects.toThrow("does not export a function 'nope'");
});
