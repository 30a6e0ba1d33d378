/** Tiny data sets written in their distribution formats (IDX, CIFAR-10 binary), for tests of --data / --data-dir. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** An IDX file of unsigned bytes: magic 0x0000080D (D dimensions), the sizes big-endian, the bytes. */
export function idx(dims: number[], data: ArrayLike<number>): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x0800 | dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(Array.from(data))]);
}

/** Deterministic pixel bytes and labels 0..9 cycling, for n items of d pixels. */
function pixels(n: number, d: number, salt: number): Uint8Array {
  return Uint8Array.from({ length: n * d }, (_, i) => (i * 37 + salt * 11) % 256);
}

/** An MNIST-format folder of nTrain / nTest 28x28 images (labels i mod 10), gzipped or not. */
export function writeIdxFolder(dir: string, nTrain: number, nTest: number, gzip = true): void {
  const put = (name: string, b: Buffer) => fs.writeFileSync(path.join(dir, gzip ? `${name}.gz` : name), gzip ? zlib.gzipSync(b) : b);
  const labels = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 10);
  put('train-images-idx3-ubyte', idx([nTrain, 28, 28], pixels(nTrain, 784, 1)));
  put('train-labels-idx1-ubyte', idx([nTrain], labels(nTrain)));
  put('t10k-images-idx3-ubyte', idx([nTest, 28, 28], pixels(nTest, 784, 2)));
  put('t10k-labels-idx1-ubyte', idx([nTest], labels(nTest)));
}

/** A cifar-10-batches-bin folder under `root`: 5 training batches of `perBatch` records and a test batch of nTest. */
export function writeCifarFolder(root: string, perBatch: number, nTest: number): void {
  const dir = path.join(root, 'cifar-10-batches-bin');
  fs.mkdirSync(dir, { recursive: true });
  const batch = (n: number, salt: number) => {
    const b = Buffer.alloc(n * 3073);
    const px = pixels(n, 3072, salt);
    for (let r = 0; r < n; r++) {
      b[r * 3073] = (r + salt) % 10;
      b.set(px.subarray(r * 3072, (r + 1) * 3072), r * 3073 + 1);
    }
    return b;
  };
  for (let i = 1; i <= 5; i++) fs.writeFileSync(path.join(dir, `data_batch_${i}.bin`), batch(perBatch, i));
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), batch(nTest, 7));
}
