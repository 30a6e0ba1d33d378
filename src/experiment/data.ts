/**
 * The data options of an experiment that trains on images, declared once: `--data
 * mnist|fashion-mnist|cifar10 --data-dir DIR --train-size N --test-size N` (moved here from the SAL
 * experiments, where they were first declared), read through the shared readers of
 * src/data/files.ts. 'mnist' without a folder is the shipped 8,000/2,000 subset (the default); a
 * size of 0 is the data set's whole split. Sizes beyond the data set are refused before any work.
 */
import { DATA_NAMES, DATA_SHAPES, dataDescription, loadDataset, type DataName } from '../data/files';
import type { Dataset } from '../data/mnist';
import { opt, type OptionsOf } from './options';

/** `--data` and `--data-dir` (`what`: how --help names the data). */
function dataSetOptions(what: string) {
  return [
    opt.choice('data', `${what}: 'mnist' (the shipped 8,000/2,000 subset, or the full IDX files with --data-dir), 'fashion-mnist' (IDX files; default folder: Debian's dataset-fashion-mnist), 'cifar10' (binary version, needs --data-dir)`, DATA_NAMES, { default: 'mnist' }),
    opt.string('data-dir', "folder with the data set's files (IDX: train-images-idx3-ubyte[.gz] …; CIFAR-10: data_batch_1.bin … test_batch.bin)"),
  ] as const;
}

/** The four options, a size of 0 (the default) being the data set's whole split (typed: `DataOptions`). */
export function dataOptions() {
  return [
    ...dataSetOptions('data set'),
    opt.integer('train-size', 'training images used (0 = all: 8,000 of the shipped MNIST, the full training set otherwise)', { default: 0, min: 0 }),
    opt.integer('test-size', 'test images used (0 = all: 2,000 of the shipped MNIST, the full test set otherwise)', { default: 0, min: 0 }),
  ] as const;
}

/**
 * The four options for a command whose sizes, when not given, are its own (e.g. its preset's:
 * `notGiven` says what they are, for --help); 0 is still the data set's whole split.
 */
export function dataOptionsSizedBy(notGiven: { train: string; test: string }, what = 'data set') {
  return [
    ...dataSetOptions(what),
    opt.integer('train-size', `training images (not given: ${notGiven.train}; 0: the whole training split of --data)`, { min: 0 }),
    opt.integer('test-size', `test images (not given: ${notGiven.test}; 0: the whole test split of --data)`, { min: 0 }),
  ] as const;
}

/** The parsed data options (a run's options object has these among others). */
export type DataOptions = OptionsOf<ReturnType<typeof dataOptions>>;

/** The data set options alone (--data, --data-dir). */
type DataSetOptions = Pick<DataOptions, 'data' | 'dataDir'>;

/** Whether the run reads a data set other than the shipped MNIST subset. */
export function externalData(opts: DataSetOptions): boolean {
  return opts.data !== 'mnist' || Boolean(opts.dataDir);
}

/** The data set read from files that --data/--data-dir name; undefined for the shipped MNIST subset. */
export function dataChoice(opts: DataSetOptions): { name: DataName; dir?: string } | undefined {
  return externalData(opts) ? { name: opts.data, ...(opts.dataDir ? { dir: opts.dataDir } : {}) } : undefined;
}

/** Train and test sizes of the run (0 = all), checked against the data set (loaded here when it is read from files). */
export function dataSizes(opts: DataOptions): { train: number; test: number } {
  const split = externalData(opts) ? loadDataset(opts.data, opts.dataDir) : { train: { n: 8000 }, test: { n: 2000 } };
  const pick = (asked: number, n: number, what: string) => {
    if (asked > n) throw new Error(`--${what}-size ${asked} is more than the ${n.toLocaleString('en')} ${what} images of --data ${opts.data}; use 0 for all`);
    return asked === 0 ? n : asked;
  };
  return { train: pick(opts.trainSize, split.train.n, 'train'), test: pick(opts.testSize, split.test.n, 'test') };
}

/** The data of a run, for settings and claims tables, e.g. 'Fashion-MNIST 60,000/10,000' or 'MNIST 8,000/2,000 split'. */
export function dataLabel(opts: DataOptions): string {
  const n = dataSizes(opts);
  return externalData(opts) ? dataDescription(opts.data, opts.dataDir, n.train, n.test) : `MNIST ${n.train.toLocaleString('en')}/${n.test.toLocaleString('en')} split`;
}

/** Input width and classes of the run's data. */
export function dataShape(opts: DataSetOptions): { d: number; classes: number } {
  return DATA_SHAPES[opts.data];
}

/**
 * Pixel standardisation: MNIST's mean/std (0.1307/0.3081) for MNIST (shipped or read), else the
 * mean and standard deviation of all pixels of the training images (one number each).
 */
export function pixelStats(name: DataName, train: Dataset): { mean: number; sd: number } {
  if (name === 'mnist') return { mean: 0.1307, sd: 0.3081 };
  let sum = 0;
  for (const v of train.x) sum += v;
  const mean = sum / train.x.length;
  let ss = 0;
  for (const v of train.x) ss += (v - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / train.x.length) };
}

/** x standardised: (x − mean)/sd, elementwise (a new array). */
export function standardise(x: Float64Array, st: { mean: number; sd: number }): Float64Array {
  return Float64Array.from(x, (v) => (v - st.mean) / st.sd);
}
