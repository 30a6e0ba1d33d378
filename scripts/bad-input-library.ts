/**
 * The library half of the bad-input sweep (issue #15): public functions called with bad or edge
 * input, each case saying what a correct creditflow does ('throw' naming `names`, or 'distinct'
 * streams). Run against a checkout: `CF_ROOT=<root> npx tsx scripts/bad-input-library.ts`.
 * Prints one line per case and the counts per outcome. (Solve/steadyState/event cases are left to
 * test/solve.test.ts.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(process.env.CF_ROOT ?? path.join(__dirname, '..'));
type Outcome = { threw: string } | { value: unknown };

async function main(): Promise<void> {
  const random = await import(path.join(root, 'src/core/random.ts'));
  const brownian = await import(path.join(root, 'src/core/brownian.ts'));
  const ck = await import(path.join(root, 'src/io/checkpoint.ts'));
  const run = await import(path.join(root, 'src/io/run.ts'));
  const pool = await import(path.join(root, 'src/parallel/pool.ts'));
  const fit = await import(path.join(root, 'src/analysis/fit.ts'));
  const optim = await import(path.join(root, 'src/nn/optim.ts'));
  const { Rng } = random;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-lib-'));
  const draws = (r: { uniform(): number }) => [r.uniform(), r.uniform(), r.uniform()].join(',');
  const same = (a: () => string, b: () => string) => a() === b();
  const inc = (seed: number) => {
    const b = new brownian.BrownianIncrements(2, seed);
    const out = new Float64Array(2);
    b.increment(0, 1, out);
    return Array.from(out).join(',');
  };
  const tree = (seed: number) => {
    const b = new brownian.BrownianTree(2, 0, 1, seed);
    const out = new Float64Array(2);
    b.increment(0, 0.5, out);
    return Array.from(out).join(',');
  };
  const ckDir = (name: string, bytes: (good: Buffer) => Buffer) => {
    const d = path.join(tmp, name);
    ck.saveCheckpoint(d, { epoch: 2, arrays: { W: Float64Array.of(1, 2, 3) }, rng: new Rng(1).getState() });
    const f = path.join(d, 'checkpoint.bin');
    fs.writeFileSync(f, bytes(fs.readFileSync(f)));
    return d;
  };
  const editHeader = (edit: (h: Record<string, unknown>) => void) => (good: Buffer) => {
    // find the JSON header wherever the format puts it, edit it, keep its length by padding with spaces
    const text = good.toString('latin1');
    const start = text.indexOf('{"');
    let depth = 0;
    let end = start;
    for (; end < text.length; end++) {
      if (text[end] === '{') depth++;
      if (text[end] === '}' && --depth === 0) break;
    }
    const h = JSON.parse(text.slice(start, end + 1));
    edit(h);
    const s = JSON.stringify(h);
    const len = end + 1 - start;
    const padded = s.length <= len ? s + ' '.repeat(len - s.length) : s;
    return Buffer.concat([good.subarray(0, start), Buffer.from(padded, 'latin1'), good.subarray(end + 1)]);
  };

  /** [case, run it, 'throw' with words the message must contain | 'false' (a boolean check that must be false)] */
  const cases: [string, () => unknown, 'throw' | 'false', string?][] = [
    ['Rng(-1) and Rng(0) give the same stream', () => same(() => draws(new Rng(-1)), () => draws(new Rng(0))), 'false'],
    ['Rng(-2) and Rng(1) give the same stream', () => same(() => draws(new Rng(-2)), () => draws(new Rng(1))), 'false'],
    ['Rng(2^32) and Rng(1) give the same stream', () => same(() => draws(new Rng(2 ** 32)), () => draws(new Rng(1))), 'false'],
    ['Rng(2^32 + 5) and Rng(4) give the same stream', () => same(() => draws(new Rng(2 ** 32 + 5)), () => draws(new Rng(4))), 'false'],
    ['Rng(2^53) (not a safe integer)', () => new Rng(2 ** 53), 'throw', 'seed'],
    ['Rng(1.5)', () => new Rng(1.5), 'throw', 'seed'],
    ['SDE seed: BrownianIncrements(-1) and (0) give the same path', () => same(() => inc(-1), () => inc(0)), 'false'],
    ['SDE seed: BrownianIncrements(2^32) and (1) give the same path', () => same(() => inc(2 ** 32), () => inc(1)), 'false'],
    ['BrownianTree seed -1 and 2^32 - 1 give the same path', () => same(() => tree(-1), () => tree(2 ** 32 - 1)), 'false'],
    ['BrownianTree seed 2^32 + 1 and 1 give the same path', () => same(() => tree(2 ** 32 + 1), () => tree(1)), 'false'],
    ['hashNormal seed 2^32 + 3 and 3 agree', () => random.hashNormal(2 ** 32 + 3, 1, 2, 0) === random.hashNormal(3, 1, 2, 0), 'false'],
    ['rng.int(0)', () => new Rng(1).int(0), 'throw', 'int'],
    ['rng.int(-3)', () => new Rng(1).int(-3), 'throw', 'int'],
    ['rng.int(2.5)', () => new Rng(1).int(2.5), 'throw', 'int'],
    ['rng.fork(0.5) (aliased fork(0))', () => same(() => draws(new Rng(1).fork(0.5)), () => draws(new Rng(1).fork(0))), 'throw', 'fork'],
    ['loadCheckpoint: empty file', () => ck.loadCheckpoint(ckDir('empty', () => Buffer.alloc(0))), 'throw', 'checkpoint.bin'],
    ['loadCheckpoint: truncated file', () => ck.loadCheckpoint(ckDir('trunc', (g) => g.subarray(0, g.length - 5))), 'throw', 'checkpoint.bin'],
    ['loadCheckpoint: a payload byte flipped', () => ck.loadCheckpoint(ckDir('flip', (g) => { const b = Buffer.from(g); b[b.length - 3] ^= 0x40; return b; })).arrays.W[2] === 3, 'throw', 'checkpoint.bin'],
    ['loadCheckpoint: header epoch -1 (hand-edited)', () => ck.loadCheckpoint(ckDir('neg', editHeader((h) => (h.epoch = -1)))), 'throw', 'checkpoint.bin'],
    ['loadCheckpoint: generator state garbage', () => ck.loadCheckpoint(ckDir('rng', editHeader((h) => (h.rng = { s: ['a', 0, 0, 0], spare: 'x' })))), 'throw', 'checkpoint.bin'],
    ['loadCheckpoint: another program\'s file', () => ck.loadCheckpoint(ckDir('png', () => Buffer.from('\x89PNG\r\n\x1a\n' + 'x'.repeat(100), 'latin1'))), 'throw', 'checkpoint.bin'],
    ['epochCheckpoints: resume a 4-epoch checkpoint with 2 epochs', () => {
      const d = path.join(tmp, 'ep');
      const W = new Float64Array(2);
      const g = new Rng(1);
      const a = ck.epochCheckpoints({ dir: d, every: 1, resume: false }, { epochs: 4, arrays: () => ({ W }), rngs: { g } });
      for (let e = 1; e <= 4; e++) a.done(e);
      return ck.epochCheckpoints({ dir: d, every: 1, resume: true }, { epochs: 2, arrays: () => ({ W }), rngs: { g } }).start;
    }, 'throw', 'epoch'],
    ['runTasks: a corrupt stored result', async () => {
      const d = path.join(tmp, 'store');
      const mod = path.join(tmp, 'task.ts');
      fs.writeFileSync(mod, 'export function f(a: number) { return a * 2; }\n');
      const tasks = [{ module: mod, fn: 'f', args: 3, key: 'k' }];
      await pool.runTasks(tasks, { workers: 1, store: { dir: d, resume: false } });
      const f = fs.readdirSync(d).find((n: string) => n.endsWith('.result'))!;
      fs.writeFileSync(path.join(d, f), fs.readFileSync(path.join(d, f)).subarray(0, 7));
      return pool.runTasks(tasks, { workers: 1, store: { dir: d, resume: true } });
    }, 'throw', '.result'],
    ['RunOutput into a file', () => { fs.writeFileSync(path.join(tmp, 'f'), 'x'); return new run.RunOutput('x', path.join(tmp, 'f'), { _: [] }); }, 'throw', '--out'],
    ['RunOutput: two open runs in one folder', () => { const a = new run.RunOutput('x', path.join(tmp, 'two'), { _: [] }); try { return new run.RunOutput('x', path.join(tmp, 'two'), { _: [] }); } finally { a.finish(); } }, 'throw', 'in use'],
    ['logLogSlope with a zero', () => fit.logLogSlope([1, 2, 4], [1, 0, 3]), 'throw', 'logLogSlope'],
    ['linearFit with one point', () => fit.linearFit([1], [2]).slope, 'throw', 'linearFit'],
    ['makeOptimizer lr NaN', () => optim.makeOptimizer('sgd', NaN, [3]), 'throw', 'learning rate'],
  ];

  const counts: Record<string, number> = {};
  for (const [name, fn, expected, words] of cases) {
    let outcome: Outcome;
    try {
      outcome = { value: await fn() };
    } catch (e) {
      outcome = { threw: e instanceof Error ? e.message : String(e) };
    }
    let kind: string;
    if (expected === 'false') kind = 'threw' in outcome ? 'wrong-message' : outcome.value === false ? 'ok' : 'library-silently-wrong';
    else if (!('threw' in outcome)) kind = 'library-silently-wrong';
    else kind = outcome.threw.toLowerCase().includes(words!.toLowerCase()) && !outcome.threw.includes('\n') ? 'ok' : 'wrong-message';
    counts[kind] = (counts[kind] ?? 0) + 1;
    const detail = 'threw' in outcome ? outcome.threw : JSON.stringify(outcome.value);
    console.log(`${kind.padEnd(23)} ${name.padEnd(62)} | ${String(detail).replace(tmp, '$TMP').slice(0, 140)}`);
  }
  console.log(JSON.stringify(counts));
}

void main();
