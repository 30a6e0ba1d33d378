/** Every reproduce command runs its independent runs on worker threads, can resume (issues 8 and 9) and can skip PNGs. */
import { expect, test } from 'vitest';
import { defaultWorkers } from '../src/parallel/pool';
import { experiments, loadModels } from '../src/registry';

test('every reproduce command takes --workers (default: the number of cores), --checkpoint-every, --resume and --png', async () => {
  await loadModels();
  const names = experiments.names();
  expect(names.length).toBeGreaterThanOrEqual(17);
  for (const name of names) {
    const options = experiments.get(name).options;
    const workers = options.find((o) => o.name === 'workers');
    expect(workers, `${name} --workers`).toBeDefined();
    expect(workers!.default, `${name} --workers default`).toBe(defaultWorkers());
    for (const o of ['checkpoint-every', 'resume', 'png']) expect(options.some((s) => s.name === o), `${name} --${o}`).toBe(true);
  }
});
