/**
 * Bad input to the library's public functions (seeds, generators, Brownian paths, checkpoints,
 * stored results, run folders): each case with its exact outcome. The solve/steadyState/event cases
 * of issue #15 are in the solver tests.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { BrownianIncrements, BrownianTree } from '../../src/core/brownian';
import { checkSeed, hashNormal, Rng, seedWords } from '../../src/core/random';
import { epochCheckpoints, loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint';
import { acquireLock, LOCK_FILE, pidAlive, prepareOutDir, removeTempFiles } from '../../src/io/lock';
import { markInterrupted, resumeCommand, RunOutput } from '../../src/io/run';
import { readSealed, writeSealed } from '../../src/io/sealed';
import { runTasks } from '../../src/parallel/pool';
import { shownStatus } from '../../src/cli/report';
import { refusal, scratch } from './helpers';

const tmp = scratch('cf-lib-');
const draws = (r: Rng) => [r.uniform(), r.uniform(), r.uniform()];
const inc = (seed: number) => {
  const out = new Float64Array(2);
  new BrownianIncrements(2, seed).increment(0, 1, out);
  return Array.from(out);
};
const tree = (seed: number) => {
  const out = new Float64Array(2);
  new BrownianTree(2, 0, 1, seed).increment(0, 0.5, out);
  return Array.from(out);
};

describe('seeds: every safe integer its own stream, anything else refused', () => {
  test.each([
    [-1, 0],
    [-2, 1],
    [2 ** 32, 0],
    [2 ** 32, 1],
    [2 ** 32 + 5, 5],
    [-(2 ** 32), 0],
    [2 ** 53 - 1, 2 ** 53 - 1 - 2 ** 32],
  ])('Rng(%d) and Rng(%d) differ (they aliased when the seed was folded to 32 bits)', (a, b) => {
    expect(draws(new Rng(a))).not.toEqual(draws(new Rng(b)));
  });

  test('seeds in [0, 2^32) keep the streams they had (pinned first draws)', () => {
    expect([new Rng(0).nextUint32(), new Rng(1).nextUint32(), new Rng(4294967295).nextUint32()]).toEqual(PINNED);
  });

  test('seedWords is a bijection: seed = hi * 2^32 + lo', () => {
    for (const s of [0, 1, -1, -2, 2 ** 32, 2 ** 32 - 1, -(2 ** 53 - 1), 2 ** 53 - 1]) {
      const { lo, hi } = seedWords(s);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(lo).toBeLessThan(2 ** 32);
      expect(hi * 2 ** 32 + lo).toBe(s);
    }
  });

  test.each([
    [2 ** 53, 'seed must be an integer between -(2^53 - 1) and 2^53 - 1 (got 9007199254740992); pass a whole number such as 1'],
    [1.5, 'seed must be an integer between -(2^53 - 1) and 2^53 - 1 (got 1.5); pass a whole number such as 1'],
    [NaN, 'seed must be an integer between -(2^53 - 1) and 2^53 - 1 (got NaN); pass a whole number such as 1'],
    [Infinity, 'seed must be an integer between -(2^53 - 1) and 2^53 - 1 (got Infinity); pass a whole number such as 1'],
  ])('new Rng(%d) is refused', async (seed, message) => {
    expect(await refusal(() => new Rng(seed))).toBe(message);
  });

  test('checkSeed names what it checks (the SDE seed, an option)', async () => {
    expect(await refusal(() => checkSeed('7', 'solve option seed'))).toBe('solve option seed must be an integer between -(2^53 - 1) and 2^53 - 1 (got "7"); pass a whole number such as 1');
    expect(await refusal(() => new BrownianTree(1, 0, 1, 0.25))).toBe('BrownianTree seed must be an integer between -(2^53 - 1) and 2^53 - 1 (got 0.25); pass a whole number such as 1');
  });

  test('the SDE seed: BrownianIncrements paths differ for seeds that aliased (-1/0, 2^32/1)', () => {
    expect(inc(-1)).not.toEqual(inc(0));
    expect(inc(2 ** 32)).not.toEqual(inc(1));
    expect(inc(7)).toEqual(inc(7));
  });

  test('BrownianTree and hashNormal: seeds beyond 32 bits no longer alias a 32-bit seed', () => {
    expect(tree(-1)).not.toEqual(tree(2 ** 32 - 1));
    expect(tree(2 ** 32 + 1)).not.toEqual(tree(1));
    expect(hashNormal(2 ** 32 + 3, 1, 2, 0)).not.toBe(hashNormal(3, 1, 2, 0));
    expect(hashNormal(3, 1, 2, 0)).toBe(HASH_PINNED);
  });

  test.each([
    [() => new Rng(1).int(0), 'rng.int(n) needs a whole number n >= 1 (got 0)'],
    [() => new Rng(1).int(-3), 'rng.int(n) needs a whole number n >= 1 (got -3)'],
    [() => new Rng(1).int(2.5), 'rng.int(n) needs a whole number n >= 1 (got 2.5)'],
    [() => new Rng(1).fork(0.5), 'rng.fork(label) needs a whole-number label (got 0.5); labels are truncated to 32 bits, so 0.5 would alias 0'],
  ])('generator arguments that returned values outside their range are refused (%#)', async (fn, message) => {
    expect(await refusal(fn)).toBe(message);
  });
});

// First draws of seeds 0, 1 and 2^32 − 1 and one Brownian-tree normal, as creditflow gave them before the change (commit 9f0038b).
const PINNED = [3809008728, 2442144158, 835879718];
const HASH_PINNED = -0.906037979091998;

describe('checkpoints and stored results are checked on load', () => {
  const good = (name: string) => {
    const dir = path.join(tmp, name);
    saveCheckpoint(dir, { epoch: 2, arrays: { W: Float64Array.of(1, 2, 3) }, rng: new Rng(1).getState(), extra: { settings: { lr: 0.1 } } });
    return { dir, file: path.join(dir, 'checkpoint.bin') };
  };
  const fix = (dir: string) => `delete ${dir} to start that run afresh, or choose another --out`;
  /** Re-seal a checkpoint whose header was edited (so only the header checks can catch it). */
  const reseal = (file: string, edit: (h: Record<string, unknown>) => void) => {
    const body = readSealed(file, 'CFCKPT\0\0', 2, 'checkpoint', '');
    const hlen = body.readUInt32LE(0);
    const pad = body.readUInt32LE(4);
    const h = JSON.parse(body.subarray(8, 8 + hlen).toString('utf8'));
    edit(h);
    const hb = Buffer.from(JSON.stringify(h));
    const p = (8 - ((8 + hb.length) % 8)) % 8;
    const head = Buffer.alloc(8 + hb.length + p);
    head.writeUInt32LE(hb.length, 0);
    head.writeUInt32LE(p, 4);
    hb.copy(head, 8);
    writeSealed(file, 'CFCKPT\0\0', 2, Buffer.concat([head, body.subarray(8 + hlen + pad)]));
  };

  test('a checkpoint round-trips through its seal', () => {
    const { dir } = good('ok');
    expect(loadCheckpoint(dir)).toMatchObject({ epoch: 2, extra: { settings: { lr: 0.1 } } });
  });

  test.each([
    ['empty', (_f: string) => Buffer.alloc(0), (f: string) => `${f} is empty (a checkpoint is at least 48 bytes)`],
    ['cut in the frame', (f: string) => fs.readFileSync(f).subarray(0, 20), (f: string) => `${f} is truncated (20 bytes, a checkpoint is at least 48)`],
    ['cut in the payload', (f: string) => fs.readFileSync(f).subarray(0, 100), (f: string) => `${f} is truncated (100 bytes, the header says ${fs.statSync(f).size})`],
    ['with bytes appended', (f: string) => Buffer.concat([fs.readFileSync(f), Buffer.from('xx')]), (f: string) => `${f} is longer than written (${fs.statSync(f).size + 2} bytes, the header says ${fs.statSync(f).size})`],
    ['another program\'s file', (_f: string) => Buffer.from('%PDF-1.4' + ' '.repeat(60)), (f: string) => `${f} is not a creditflow checkpoint (it starts with "%PDF-1.4", not "CFCKPT\\u0000\\u0000")`],
    ['of another format', (f: string) => { const b = Buffer.from(fs.readFileSync(f)); b.writeUInt32LE(1, 8); return b; }, (f: string) => `${f} is a checkpoint of format 1, and this creditflow reads format 2`],
    ['with one payload bit flipped', (f: string) => { const b = Buffer.from(fs.readFileSync(f)); b[b.length - 1] ^= 1; return b; }, (f: string) => `${f} is corrupt (its checksum does not match its contents)`],
  ])('a checkpoint %s is refused, naming the file and the fix', async (name, damage, problem) => {
    const { dir, file } = good(`bad-${name.replace(/\W+/g, '-')}`);
    const expected = `${problem(file)}; ${fix(dir)}`;
    fs.writeFileSync(file, damage(file));
    expect(await refusal(() => loadCheckpoint(dir))).toBe(expected);
  });

  test.each([
    ['epoch -1', (h: Record<string, unknown>) => (h.epoch = -1), 'has epoch -1 (a whole number >= 0 expected)'],
    ['epoch 2.5', (h: Record<string, unknown>) => (h.epoch = 2.5), 'has epoch 2.5 (a whole number >= 0 expected)'],
    ['a generator state of strings', (h: Record<string, unknown>) => (h.rng = { s: ['a', 0, 0, 0], spare: null }), 'has a generator state that is not four 32-bit words (not all zero) and a finite or null spare'],
    ['an all-zero generator state', (h: Record<string, unknown>) => (h.rng = { s: [0, 0, 0, 0], spare: null }), 'has a generator state that is not four 32-bit words (not all zero) and a finite or null spare'],
    ['an array longer than the data', (h: Record<string, unknown>) => (h.arrays = [{ name: 'W', length: 4 }]), 'holds 24 bytes of arrays where its header lists 32'],
    ['an array of negative length', (h: Record<string, unknown>) => (h.arrays = [{ name: 'W', length: -3 }]), 'has an array list that is not [{ name, length }]'],
  ])('a hand-edited header (%s) is refused even with a valid seal', async (_name, edit, problem) => {
    const { dir, file } = good(`hdr-${_name.replace(/\W+/g, '-')}`);
    reseal(file, edit);
    expect(await refusal(() => loadCheckpoint(dir))).toBe(`${file} ${problem}; ${fix(dir)}`);
  });

  test('resuming a checkpoint past the epochs asked for is refused (it reported the checkpoint\'s epochs as if asked for)', async () => {
    const dir = path.join(tmp, 'epochs');
    const W = new Float64Array(2);
    const g = new Rng(1);
    const loop = epochCheckpoints({ dir, every: 1, resume: false }, { epochs: 4, arrays: () => ({ W }), rngs: { g } });
    for (let e = 1; e <= 4; e++) loop.done(e);
    expect(await refusal(() => epochCheckpoints({ dir, every: 1, resume: true }, { epochs: 2, arrays: () => ({ W }), rngs: { g } }))).toBe(
      `the checkpoint in ${dir} is at epoch 4, past the 2 epochs asked for; resume with --epochs 4 or more, or choose another --out`,
    );
    expect(epochCheckpoints({ dir, every: 1, resume: true }, { epochs: 6, arrays: () => ({ W }), rngs: { g } }).start).toBe(5);
  });

  test('a damaged stored result is refused naming the file; a half-written temporary one is ignored and removed', async () => {
    const dir = path.join(tmp, 'store');
    const mod = path.join(tmp, 'task.ts');
    fs.writeFileSync(mod, 'export function twice(a: number) { return 2 * a; }\n');
    const tasks = [{ module: mod, fn: 'twice', args: 3, key: 'k' }];
    expect(await runTasks(tasks, { workers: 1, store: { dir, resume: false } })).toEqual([6]);
    const file = path.join(dir, 'k.result');
    fs.writeFileSync(`${file}.tmp-12345`, 'half');
    expect(await runTasks(tasks, { workers: 1, store: { dir, resume: true } })).toEqual([6]);
    expect(removeTempFiles(tmp)).toEqual([`${file}.tmp-12345`]);
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 7));
    expect(await refusal(() => runTasks(tasks, { workers: 1, store: { dir, resume: true } }))).toBe(
      `${file} is truncated (7 bytes, a stored result is at least 48); delete it to run that task again, or choose another --out`,
    );
    fs.writeFileSync(file, 'garbage that is long enough to pass the length check of the frame');
    expect(await refusal(() => runTasks(tasks, { workers: 1, store: { dir, resume: true } }))).toBe(
      `${file} is not a creditflow stored result (it starts with "garbage ", not "CFRESULT"); delete it to run that task again, or choose another --out`,
    );
  });
});

describe('run folders: --out checked, locked, closed', () => {
  const opts = { _: [] as string[] };

  test.each([
    ['', "--out must name a folder (got ''); pass e.g. --out out/run"],
    ['FILE', '--out FILE is a file, not a folder; choose another --out'],
    ['FILE/sub', '--out FILE/sub: FILE is a file, not a folder; choose another --out'],
  ])('RunOutput into %j is refused with one line naming --out', async (where, message) => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    const dir = where.replace('FILE', file);
    expect(await refusal(() => new RunOutput('x', dir, opts))).toBe(message.replace(/FILE/g, file));
  });

  test('prepareOutDir creates a folder under /proc without looping (refused at once)', async () => {
    const t0 = Date.now();
    expect(await refusal(() => prepareOutDir('/proc/creditflow-x/y'))).toBe('--out /proc/creditflow-x/y cannot be created: the file system does not allow it (ENOENT) at /proc/creditflow-x; choose a folder you can write');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  test('a second run into an open folder is refused, naming the holder', async () => {
    const dir = path.join(tmp, 'locked');
    const first = new RunOutput('x', dir, opts);
    const holder = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
    expect(await refusal(() => new RunOutput('y', dir, opts))).toBe(
      `--out ${dir} is in use by another creditflow run (pid ${process.pid}, started ${holder.start}: ${holder.command}); wait for it to finish or choose another --out`,
    );
    first.finish();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    new RunOutput('y', dir, opts).finish();
  });

  test('a lock held by another live process is refused; a stale one (dead pid) is taken over and noted', async () => {
    const dir = prepareOutDir(path.join(tmp, 'stale'));
    const live = { pid: process.ppid, host: os.hostname(), command: 'creditflow other', start: '2026-01-01T00:00:00.000Z' };
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(live));
    expect(await refusal(() => new RunOutput('x', dir, opts))).toBe(`--out ${dir} is in use by another creditflow run (pid ${process.ppid}, started 2026-01-01T00:00:00.000Z: creditflow other); wait for it to finish or choose another --out`);
    const dead = { ...live, pid: 2 ** 22 + 12345 };
    expect(pidAlive(dead.pid)).toBe(false);
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(dead));
    const run = new RunOutput('x', dir, opts);
    expect(run.finish().notes).toEqual([`took over the lock of a run that is gone (pid ${dead.pid}, started 2026-01-01T00:00:00.000Z)`]);
    const other = { ...live, host: 'elsewhere' };
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(other));
    expect(await refusal(() => acquireLock(dir, 'c'))).toBe(
      `--out ${dir} is in use by another creditflow run (pid ${process.ppid} on host elsewhere; if that run is gone, delete ${path.join(dir, LOCK_FILE)}, started 2026-01-01T00:00:00.000Z: creditflow other); wait for it to finish or choose another --out`,
    );
  });

  test('opening a run removes half-written checkpoint files of a killed one', () => {
    const dir = path.join(tmp, 'halfwritten');
    const ck = path.join(dir, 'checkpoints', 'train');
    fs.mkdirSync(ck, { recursive: true });
    fs.writeFileSync(path.join(ck, 'checkpoint.bin.tmp-999999'), 'half');
    fs.writeFileSync(path.join(ck, 'keep.bin'), 'x');
    new RunOutput('x', dir, opts).finish();
    expect(fs.readdirSync(ck)).toEqual(['keep.bin']);
  });

  test('a run that fails before writing anything puts the finished run\'s manifest back', () => {
    const dir = path.join(tmp, 'refused');
    const a = new RunOutput('x', dir, { ...opts, seed: 1 });
    a.json('result', { v: 1 });
    a.finish('ok');
    const before = fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8');
    new RunOutput('x', dir, { ...opts, seed: 2 }).finish('failed');
    expect(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe(before);
  });

  test('finishing "ok" with NaN in the files is refused: status failed, the first NaN named (nothing writes NaN and exits 0)', async () => {
    const dir = path.join(tmp, 'nan');
    const run = new RunOutput('x', dir, opts);
    run.json('curve', { loss: [1, 0.5, NaN], w: Float64Array.of(1, Infinity) });
    expect(await refusal(() => run.finish('ok'))).toBe(`the run wrote 2 non-finite numbers (first: curve.json: loss[2] = NaN): it diverged or an option is outside the range its model works in; the files are kept in ${dir} for inspection`);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).status).toBe('failed');
    const allowed = new RunOutput('x', path.join(tmp, 'nan-ok'), opts);
    allowed.csv('c', ['a'], [{ a: NaN }]);
    allowed.allowNonFinite('a diverged run is recorded as NaN on purpose');
    expect(allowed.finish('ok').status).toBe('ok');
  });

  test("creditflow report shows a 'running' manifest whose process is gone as killed", () => {
    const m = { status: 'running', pid: 2 ** 22 + 999 } as Parameters<typeof shownStatus>[0];
    expect(shownStatus(m)).toBe('killed (its process is gone; continue it with --resume)');
    expect(shownStatus({ ...m, pid: process.pid })).toBe('running');
    expect(shownStatus({ ...m, status: 'ok' })).toBe('ok');
  });

  test('markInterrupted closes a running manifest with how it stopped and the command that continues it', () => {
    const dir = path.join(tmp, 'interrupted');
    const run = new RunOutput('x', dir, { ...opts, resume: false });
    fs.writeFileSync(path.join(dir, 'x.tmp-4242'), 'half');
    fs.mkdirSync(path.join(dir, 'checkpoints'));
    fs.writeFileSync(path.join(dir, 'checkpoints', 'c.bin.tmp-4242'), 'half');
    const line = markInterrupted(dir, 'SIGTERM', ['train', 'urfb', '--out', "it's here"], true);
    expect(line).toBe(`interrupted (SIGTERM): partial results are in ${dir}; continue with: creditflow train urfb --out 'it'\\''s here' --resume`);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(m).toMatchObject({ status: 'interrupted', notes: [`interrupted by SIGTERM; continue with: creditflow train urfb --out 'it'\\''s here' --resume`] });
    expect(fs.existsSync(path.join(dir, 'checkpoints', 'c.bin.tmp-4242'))).toBe(false);
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    expect(resumeCommand(['reproduce', 'fig12', '--resume'])).toBe('creditflow reproduce fig12 --resume');
    run.finish('interrupted');
  });
});
