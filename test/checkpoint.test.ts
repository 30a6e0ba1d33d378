import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { Rng } from '../src/core/random';
import { loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint';

test('a checkpoint round-trips arrays bit-identically and the generator continues the same stream', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-ck-'));
  expect(loadCheckpoint(dir)).toBeNull();
  const rng = new Rng(42);
  const W = rng.fillNormal(new Float64Array(37));
  const odd = Float64Array.of(Math.PI, -0, 1e-310, Number.MAX_VALUE);
  rng.normal(); // leave a spare normal in the Box–Muller cache
  saveCheckpoint(dir, { epoch: 3, arrays: { W, odd }, rng: rng.getState(), extra: { note: 'x' } });
  const ck = loadCheckpoint(dir)!;
  expect(ck.epoch).toBe(3);
  expect(ck.extra).toEqual({ note: 'x' });
  expect(Buffer.from(ck.arrays.W.buffer).equals(Buffer.from(W.buffer))).toBe(true);
  expect(Object.is(ck.arrays.odd[1], -0)).toBe(true);
  expect(ck.arrays.odd[2]).toBe(1e-310);
  const resumed = new Rng(0);
  resumed.setState(ck.rng as ReturnType<Rng['getState']>);
  expect([resumed.normal(), resumed.normal(), resumed.uniform()]).toEqual([rng.normal(), rng.normal(), rng.uniform()]);
  fs.writeFileSync(path.join(dir, 'checkpoint.bin'), Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{{{')]));
  expect(() => loadCheckpoint(dir)).toThrow(/corrupt; delete it/);
});
