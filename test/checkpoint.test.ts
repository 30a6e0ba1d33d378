import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { Rng } from '../src/core/random';
import { epochCheckpoints, loadCheckpoint, saveCheckpoint } from '../src/io/checkpoint';

test('a checkpoint round-trips arrays bit-identically and the generator continues the same stream', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-ck-'));
  expect(loadCheckpoint(dir)).toBeNull();
  const rng = new Rng(42);
  const W = rng.fillNormal(new Float64Array(37));
  const odd = Float64Array.of(Math.PI, -0, 1e-310, Number.MAX_VALUE);
  rng.normal(); // 38 draws: no spare normal pending in the Box–Muller cache (the test below has one)
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
  expect(() => loadCheckpoint(dir)).toThrow(/checkpoint\.bin is truncated \(13 bytes, a checkpoint is at least 48\); delete .* to start that run afresh/);
});

test("a generator's state carries the pending Box–Muller value, or null when there is none", () => {
  const rng = new Rng(5);
  rng.normal();
  const pending = rng.getState();
  expect(pending.spare).toEqual(expect.any(Number));
  rng.normal();
  const none = rng.getState();
  expect(none.spare).toBeNull();
  const a = new Rng(0);
  a.setState(pending);
  const b = new Rng(0);
  b.setState(none);
  expect(a.normal()).toBe(pending.spare); // the pending value first, then the stream after it
  const next = [rng.normal(), rng.normal(), rng.normal()];
  expect([a.normal(), a.normal(), a.normal()]).toEqual(next);
  expect([b.normal(), b.normal(), b.normal()]).toEqual(next);
});

test("rng.normals gives normal()'s draws bit for bit and in order, scaled, whatever the pending value and the lengths", () => {
  for (const [pending, lengths, scale] of [[false, [7, 4, 1, 0, 10], 1], [true, [6, 3, 3, 1, 9], 0.3], [true, [1, 1, 2], -2.5]] as const) {
    const one = new Rng(11);
    const bulk = new Rng(11);
    if (pending) {
      one.normal();
      bulk.normal();
    }
    const n = (lengths as readonly number[]).reduce((a, b) => a + b, 0);
    const want = Float64Array.from({ length: n }, () => scale * one.normal());
    const got = new Float64Array(n + 2).fill(7); // the entries outside [from, to) stay as they are
    let at = 1;
    for (const len of lengths) {
      bulk.normals(got, at, at + len, scale);
      at += len;
    }
    expect([got[0], got[n + 1]]).toEqual([7, 7]);
    expect(Buffer.from(got.buffer, 8, 8 * n).equals(Buffer.from(want.buffer))).toBe(true);
    expect(bulk.getState()).toEqual(one.getState()); // the same pending value afterwards
  }
});

/** A toy training loop: a seeded random walk of a weight vector, checkpointed by epochCheckpoints. */
function walk(dir: string, epochs: number, opts: { stopAfter?: number; resume?: boolean; lr?: number } = {}) {
  const W = new Float64Array(5);
  const rng = new Rng(9);
  const trained: number[] = [];
  const ck = epochCheckpoints({ dir, every: 2, resume: opts.resume ?? false }, {
    epochs,
    arrays: () => ({ W }),
    rngs: { order: rng },
    settings: { lr: opts.lr ?? 0.1 },
    extra: () => ({ trained }),
  });
  if (ck.extra) trained.push(...ck.extra.trained);
  for (let e = ck.start; e <= epochs; e++) {
    for (let i = 0; i < W.length; i++) W[i] += (opts.lr ?? 0.1) * rng.normal();
    trained.push(e);
    ck.done(e);
    if (e === opts.stopAfter) break;
  }
  return { W, trained, start: ck.start };
}

test('epochCheckpoints: a loop stopped after a checkpoint and resumed ends bit-identical, training only the remaining epochs', () => {
  const ref = walk(fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-ck-')), 6);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-ck-'));
  walk(dir, 6, { stopAfter: 3 }); // checkpoint at epoch 2; epoch 3 is lost with the "kill"
  expect(loadCheckpoint(dir)!.epoch).toBe(2);
  const resumed = walk(dir, 6, { resume: true });
  expect(resumed.start).toBe(3);
  expect(resumed.trained).toEqual([1, 2, 3, 4, 5, 6]);
  expect(Buffer.from(resumed.W.buffer).equals(Buffer.from(ref.W.buffer))).toBe(true);
  expect(() => walk(dir, 6, { resume: true, lr: 0.2 })).toThrow(/made with other settings \(lr: 0.1 in the checkpoint, 0.2 now\)/);
  // Without --resume the checkpoint is ignored and the run starts afresh.
  expect(walk(dir, 6).start).toBe(1);
});
