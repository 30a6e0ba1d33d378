/** The data readers on tiny files written in each format (IDX raw and gzipped, CIFAR-10 binary). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadDataset, parseIdx, readCifarDir, readIdxDir } from '../src/data/files';
import { idx } from './data-fixtures';

function writeIdxSet(dir: string, gzip: boolean): void {
  const put = (name: string, b: Buffer) => fs.writeFileSync(path.join(dir, gzip ? `${name}.gz` : name), gzip ? zlib.gzipSync(b) : b);
  // 3 training images of 2x2, 2 test images
  put('train-images-idx3-ubyte', idx([3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]));
  put('train-labels-idx1-ubyte', idx([3], [7, 0, 9]));
  put('t10k-images-idx3-ubyte', idx([2, 2, 2], [10, 20, 30, 40, 50, 60, 70, 80]));
  put('t10k-labels-idx1-ubyte', idx([2], [1, 2]));
}

describe('IDX (MNIST, Fashion-MNIST)', () => {
  for (const gzip of [false, true]) {
    it(`reads a train/test folder ${gzip ? 'gzipped' : 'uncompressed'}`, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-idx-'));
      writeIdxSet(dir, gzip);
      const { train, test } = readIdxDir(dir);
      expect([train.n, train.d, test.n, test.d]).toEqual([3, 4, 2, 4]);
      expect(Array.from(train.y)).toEqual([7, 0, 9]);
      expect(Array.from(train.x.subarray(0, 4))).toEqual([0, 1, 0.2, 0.4]);
      expect(Array.from(test.y)).toEqual([1, 2]);
      expect(test.x[7]).toBeCloseTo(80 / 255, 15);
      const viaName = loadDataset('fashion-mnist', dir);
      expect(viaName.train.n).toBe(3);
    });
  }
  it('bad files get a message that says what is wrong', () => {
    expect(() => parseIdx(Buffer.from([1, 2, 3, 4, 5]), 'f')).toThrow(/not an IDX file of unsigned bytes/);
    expect(() => parseIdx(idx([3], [1, 2]), 'f')).toThrow(/header says 3 = 3 bytes of data, the file holds 2/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-idx-'));
    expect(() => readIdxDir(dir)).toThrow(/--data-dir must be the folder/);
    expect(() => loadDataset('cifar10')).toThrow(/--data cifar10 needs --data-dir/);
    expect(() => loadDataset('mnist', path.join(dir, 'missing'))).toThrow(/does not exist/);
  });
  it("'mnist' without a folder is the shipped 8,000/2,000 subset", () => {
    const s = loadDataset('mnist');
    expect([s.train.n, s.test.n]).toEqual([8000, 2000]);
  });
});

describe('CIFAR-10 binary', () => {
  it('reads data_batch_1-5 and test_batch (label byte, then R, G, B planes)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-cifar-'));
    const dir = path.join(root, 'cifar-10-batches-bin');
    fs.mkdirSync(dir);
    const record = (label: number, v: number) => Buffer.concat([Buffer.from([label]), Buffer.alloc(1024, v), Buffer.alloc(1024, 0), Buffer.alloc(1024, 255)]);
    for (let i = 1; i <= 5; i++) fs.writeFileSync(path.join(dir, `data_batch_${i}.bin`), Buffer.concat([record(i, 10 * i), record(9, 0)]));
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), record(3, 255));
    const { train, test } = readCifarDir(root);
    expect([train.n, train.d, test.n]).toEqual([10, 3072, 1]);
    expect(Array.from(train.y)).toEqual([1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    expect(train.x[0]).toBeCloseTo(10 / 255, 15);
    expect(train.x[1024]).toBe(0);
    expect(train.x[2048]).toBe(1);
    expect(test.x[0]).toBe(1);
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), Buffer.alloc(100));
    expect(() => readCifarDir(root)).toThrow(/not a whole number of CIFAR-10 records/);
  });
});
