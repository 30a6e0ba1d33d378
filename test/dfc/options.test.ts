/** The DFC reproductions' option spelling (issue 16): --seeds with one value, --batch-size. */
import { expect, test } from 'vitest';
import { parseOptions } from '../../src/experiment/options';
import { fig3 } from '../../models/dfc/experiments/fig3';
import { fig4 } from '../../models/dfc/experiments/fig4';
import { mnistExperiment } from '../../models/dfc/experiments/mnist';
import { runSeed, sharedRunArgs, type DfcRunOptions } from '../../models/dfc/experiments/run';

test.each([fig3, fig4, mnistExperiment])('$name takes --seeds with one value (default 1), refuses a list in one line, and has no --seed', (cmd) => {
  // The options every DFC command receives include the shared group (parseOptions gives exactly the declared keys).
  const parse = (args: string[]) => parseOptions(args, cmd.options) as DfcRunOptions;
  expect(runSeed(parse([]))).toBe(1);
  const o = parse(['--seeds', '7', '--batch-size', '8']);
  expect(o.seeds).toEqual([7]);
  expect(sharedRunArgs(o)).toMatchObject({ seed: 7, batchSize: 8 });
  expect(() => parseOptions(['--seeds', '1,2,3'], cmd.options)).toThrow(
    /^--seeds takes one seed here: each DFC reproduction trains one network per row, with its curves and claims \(got 1,2,3\); run the command once per seed, e\.g\. --seeds 1$/,
  );
  expect(() => parseOptions(['--seed', '2'], cmd.options)).toThrow(/--seed/);
  expect(() => parseOptions(['--batch', '8'], cmd.options)).toThrow(/--batch/);
  expect(cmd.options.some((s) => s.name === 'seed' || s.name === 'batch')).toBe(false);
});
