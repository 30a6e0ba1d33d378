/** The SAL experiments on worker threads: --workers 1 and 2 give identical results. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { makeContext } from '../../src/experiment/context';
import { parseOptions } from '../../src/experiment/options';
import { salExperiments } from '../../models/sal/experiments';
import type { RunRecord } from '../../models/sal/experiments/common';

const tiny = ['--ratios', '0.5,2', '--hidden', '2', '--width', '8', '--epochs', '2', '--batch-size', '16', '--train-size', '160', '--test-size', '80', '--no-png', '--checkpoint-every', '0'];

/** A record without its wall-clock fields (the only things that may differ between runs). */
function untimed(r: RunRecord) {
  const { samplesPerSecond: _s, seconds: _t, ...rest } = r;
  return rest;
}

test('sal-width at a tiny size gives identical results with --workers 1 and --workers 2', async () => {
  const spec = salExperiments.find((e) => e.name === 'sal-width')!;
  const results: RunRecord[][] = [];
  for (const workers of [1, 2]) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `sal-width-w${workers}-`));
    await spec.run(parseOptions([...tiny, '--out', out, '--workers', String(workers)], spec.options), makeContext(true));
    results.push((JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { records: RunRecord[] }).records);
    fs.rmSync(out, { recursive: true, force: true });
  }
  expect(results[0]).toHaveLength(4); // 2 gates x 2 ratios
  expect(results[1].map(untimed)).toEqual(results[0].map(untimed));
  expect(results[0].every((r) => r.status === 'ok' && r.curve.length === 3)).toBe(true);
}, 60_000);
