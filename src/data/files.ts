/**
 * Image data sets read from a user's folder, in their standard distribution formats:
 *
 * - IDX (MNIST, Fashion-MNIST): `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 *   `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each optionally gzipped (`.gz`; detected
 *   by its magic bytes, not its name). Header: a big-endian magic 0x0000080D (D = number of
 *   dimensions, 0x08 = unsigned bytes), then D big-endian uint32 sizes, then the bytes.
 * - CIFAR-10 binary (`cifar-10-batches-bin`): `data_batch_1.bin` … `data_batch_5.bin` and
 *   `test_batch.bin`, 10,000 records each of 1 label byte and 3,072 pixel bytes (the 1,024 red,
 *   then green, then blue values of a 32x32 image, row-major).
 *
 * Pixels are scaled to [0, 1]; train and test are the distribution's own full splits (60,000/10,000
 * and 50,000/10,000). `loadDataset` picks a data set by name: 'mnist' without a folder is the
 * shipped 8,000/2,000 subset (src/data/mnist.ts), the default everywhere; 'fashion-mnist' without
 * a folder reads Debian's `dataset-fashion-mnist` package (/usr/share/datasets/fashion-mnist).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { mnistSplit, type Dataset, type Split } from './mnist';

export const DATA_NAMES = ['mnist', 'fashion-mnist', 'cifar10'] as const;
export type DataName = (typeof DATA_NAMES)[number];

/** Where Debian's dataset-fashion-mnist package puts its IDX files. */
export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/** Input width and classes of each data set. */
export const DATA_SHAPES: Record<DataName, { d: number; classes: number }> = {
  mnist: { d: 784, classes: 10 },
  'fashion-mnist': { d: 784, classes: 10 },
  cifar10: { d: 3072, classes: 10 },
};

/** The bytes of a file, gunzipped when it starts with the gzip magic (1f 8b). */
export function readMaybeGzip(file: string): Uint8Array {
  const raw = fs.readFileSync(file);
  return raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? zlib.gunzipSync(raw) : raw;
}

/** Parse an IDX file of unsigned bytes: its dimensions and data (a view, no copy). */
export function parseIdx(bytes: Uint8Array, what = 'IDX file'): { dims: number[]; data: Uint8Array } {
  if (bytes.length < 4) throw new Error(`${what} is ${bytes.length} bytes long; an IDX file starts with a 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = (magic >> 8) & 0xff;
  const nd = magic & 0xff;
  if (magic >>> 16 !== 0 || type !== 0x08 || nd < 1 || nd > 4) {
    throw new Error(`${what}: magic number 0x${magic.toString(16).padStart(8, '0')} is not an IDX file of unsigned bytes (expected 0x0000080N); is it a gzip file that did not unpack, or another format?`);
  }
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * nd;
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== offset + count) throw new Error(`${what}: header says ${dims.join(' x ')} = ${count} bytes of data, the file holds ${bytes.length - offset}`);
  return { dims, data: bytes.subarray(offset) };
}

/** The first of `names` (each also tried with '.gz') that exists in `dir`. */
function findFile(dir: string, names: readonly string[], what: string): string {
  for (const n of names) for (const f of [n, `${n}.gz`]) if (fs.existsSync(path.join(dir, f))) return path.join(dir, f);
  throw new Error(`${what}: none of ${names.map((n) => `${n}[.gz]`).join(', ')} in ${dir}; --data-dir must be the folder holding the data set's files`);
}

/** An IDX image file and its label file as a Dataset (pixels / 255). */
export function readIdxPair(imagesFile: string, labelsFile: string, classes = 10): Dataset {
  const img = parseIdx(readMaybeGzip(imagesFile), imagesFile);
  const lab = parseIdx(readMaybeGzip(labelsFile), labelsFile);
  if (img.dims.length < 2) throw new Error(`${imagesFile}: an image file needs at least 2 dimensions (count x pixels), got ${img.dims.join(' x ')}`);
  if (lab.dims.length !== 1) throw new Error(`${labelsFile}: a label file has 1 dimension, got ${lab.dims.join(' x ')}`);
  const n = img.dims[0];
  if (lab.dims[0] !== n) throw new Error(`${imagesFile} has ${n} images but ${labelsFile} has ${lab.dims[0]} labels`);
  const d = img.dims.slice(1).reduce((a, b) => a * b, 1);
  const x = new Float64Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i] / 255;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (lab.data[i] >= classes) throw new Error(`${labelsFile}: label ${lab.data[i]} at item ${i} is not below ${classes}`);
    y[i] = lab.data[i];
  }
  return { x, y, n, d, classes };
}

/** The IDX train/test split in `dir` (MNIST's file names, also with '.' for the last '-', as some mirrors have). */
export function readIdxDir(dir: string): { train: Dataset; test: Dataset } {
  const file = (set: 'train' | 't10k', kind: 'images' | 'labels') => {
    const dim = kind === 'images' ? 'idx3' : 'idx1';
    return findFile(dir, [`${set}-${kind}-${dim}-ubyte`, `${set}-${kind}.${dim}-ubyte`], `${set} ${kind}`);
  };
  return { train: readIdxPair(file('train', 'images'), file('train', 'labels')), test: readIdxPair(file('t10k', 'images'), file('t10k', 'labels')) };
}

const CIFAR_RECORD = 1 + 3072;

/** CIFAR-10 binary batches (each a whole number of 3,073-byte records) as one Dataset. */
export function readCifarBatches(files: readonly string[]): Dataset {
  const bufs = files.map((f) => {
    const b = readMaybeGzip(f);
    if (b.length === 0 || b.length % CIFAR_RECORD !== 0) throw new Error(`${f}: ${b.length} bytes is not a whole number of CIFAR-10 records (1 label + 3,072 pixel bytes each)`);
    return b;
  });
  const n = bufs.reduce((s, b) => s + b.length / CIFAR_RECORD, 0);
  const x = new Float64Array(n * 3072);
  const y = new Int32Array(n);
  let k = 0;
  bufs.forEach((b, fi) => {
    for (let r = 0; r < b.length / CIFAR_RECORD; r++, k++) {
      const o = r * CIFAR_RECORD;
      if (b[o] > 9) throw new Error(`${files[fi]}: label ${b[o]} in record ${r} is not a CIFAR-10 class (0-9)`);
      y[k] = b[o];
      for (let i = 0; i < 3072; i++) x[k * 3072 + i] = b[o + 1 + i] / 255;
    }
  });
  return { x, y, n, d: 3072, classes: 10 };
}

/** CIFAR-10's train (data_batch_1-5) and test (test_batch) from `dir` or its `cifar-10-batches-bin` subfolder. */
export function readCifarDir(dir: string): { train: Dataset; test: Dataset } {
  const base = fs.existsSync(path.join(dir, 'cifar-10-batches-bin')) ? path.join(dir, 'cifar-10-batches-bin') : dir;
  const train = [1, 2, 3, 4, 5].map((i) => findFile(base, [`data_batch_${i}.bin`], 'CIFAR-10 training batch'));
  return { train: readCifarBatches(train), test: readCifarBatches([findFile(base, ['test_batch.bin'], 'CIFAR-10 test batch')]) };
}

const loaded = new Map<string, Split>();

/**
 * A data set by name (see the header). `seed` only affects the shipped MNIST subset's split; the
 * read data sets keep their own train/test split and file order. Cached per process.
 */
export function loadDataset(name: DataName, dir?: string, seed = 0): Split {
  if (!DATA_NAMES.includes(name)) throw new Error(`--data must be one of ${DATA_NAMES.join(', ')} (got '${name}')`);
  if (name === 'mnist' && !dir) return mnistSplit(seed);
  const folder = dir ?? (name === 'fashion-mnist' ? DEBIAN_FASHION_MNIST : undefined);
  if (!folder) throw new Error(`--data ${name} needs --data-dir: the folder with the data set's files (CIFAR-10: the binary version, cifar-10-batches-bin)`);
  if (!fs.existsSync(folder)) {
    const hint = name === 'fashion-mnist' && !dir ? ' (install Debian\'s dataset-fashion-mnist package, or pass --data-dir)' : '';
    throw new Error(`--data-dir ${folder} does not exist${hint}`);
  }
  const key = `${name}:${path.resolve(folder)}`;
  let split = loaded.get(key);
  if (!split) {
    const s = name === 'cifar10' ? readCifarDir(folder) : readIdxDir(folder);
    split = { ...s, seed };
    loaded.set(key, split);
  }
  return split;
}

/** A short description of the data for settings and manifests, e.g. 'Fashion-MNIST 60,000/10,000'. */
export function dataDescription(name: DataName, dir: string | undefined, train: number, test: number): string {
  const label = name === 'mnist' ? (dir ? 'MNIST' : 'MNIST (shipped subset)') : name === 'fashion-mnist' ? 'Fashion-MNIST' : 'CIFAR-10';
  return `${label} ${train.toLocaleString('en')}/${test.toLocaleString('en')}`;
}
