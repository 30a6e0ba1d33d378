/**
 * `--data mnist|fashion-mnist|cifar10 --data-dir DIR --train-size N --test-size N`: the image data
 * of a command, declared once for `reproduce compare` (its image task) and `reproduce urfb-mnist` /
 * `train urfb` (issue 18 item 3), read by src/data/files.ts `loadDataset`.
 *
 * 'mnist' without a folder is the shipped 8,000/2,000 subset (the default: nothing to download);
 * with `--data-dir` the full IDX files; 'fashion-mnist' reads IDX files (default folder: Debian's
 * dataset-fashion-mnist); 'cifar10' the binary batches. What a size that is not given means is the
 * command's (its `sizes` descriptions); 0 is always the data set's whole split.
 */
import { DATA_NAMES, type DataName } from '../../src/data/files';
import type { OptionSpec, ParsedOptions } from '../../src/experiment/options';

/** The four options; `sizes` says, for --help, what each size means when it is not given. */
export function dataOptions(sizes: { train: string; test: string }, what = 'data'): OptionSpec[] {
  return [
    { name: 'data', type: 'string', description: `${what}: 'mnist' (the shipped 8,000/2,000 subset, or the full IDX files with --data-dir), 'fashion-mnist' (IDX; default folder: Debian's dataset-fashion-mnist), 'cifar10' (binary version, needs --data-dir)`, default: 'mnist', choices: [...DATA_NAMES] },
    { name: 'data-dir', type: 'string', description: "folder with the data set's files (IDX: train-images-idx3-ubyte[.gz] …; CIFAR-10: data_batch_1.bin … test_batch.bin)" },
    { name: 'train-size', type: 'integer', description: `training images (${sizes.train}; 0: the whole training split of --data)`, min: 0 },
    { name: 'test-size', type: 'integer', description: `test images (${sizes.test}; 0: the whole test split of --data)`, min: 0 },
  ];
}

/** The data set read from files that --data/--data-dir name; undefined for the shipped MNIST subset. */
export function dataChoice(opts: ParsedOptions | Record<string, any>): { name: DataName; dir?: string } | undefined {
  const external = opts.data !== 'mnist' || Boolean(opts.dataDir);
  return external ? { name: opts.data as DataName, ...(opts.dataDir ? { dir: opts.dataDir as string } : {}) } : undefined;
}
