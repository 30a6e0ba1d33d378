/**
 * The three tasks of the comparison, each with one architecture shared by every rule.
 *
 * - 'teacher': the nonlinear student-teacher regression of DFC Fig. 3 (models/dfc/experiments/
 *   teacher.ts builds the data): inputs uniform on [−1, 1]^15, targets from a ReLU teacher,
 *   student 15-10-10-5. The teacher is smaller than the paper's 15-1000⁴-5 by default (15-100-100-5,
 *   our choice: the task is "small" in the comparison; `--teacher` restores the paper's).
 * - 'mnist': the shared 8,000/2,000 split (src/data/mnist.ts, split seed 0), a 784-h-h-10 MLP
 *   (2 hidden layers); pixels standardised with the MNIST mean/std (0.1307/0.3081) as the DFC
 *   experiment does; one-hot targets. The image task can read another data set instead
 *   (`--data mnist|fashion-mnist|cifar10 --data-dir DIR`, src/data/files.ts: the full IDX MNIST or
 *   Fashion-MNIST, CIFAR-10's binary batches): the first n images of its own train and test files,
 *   a d-h-h-10 MLP (d = 784, or 3,072 for CIFAR-10), standardised by the MNIST constants for MNIST
 *   and, for the others (our choice), by the mean and standard deviation of all pixels of the
 *   training images used.
 * - 'xor': the four points of {0, 1}² with target x₁ XOR x₂, a 2-h-h-1 MLP; the test set is the
 *   training set (XOR has no other points). Inputs are 0/1, not ±1: with no biases and an odd
 *   activation the network computes an odd function, and ±1-coded XOR (y = −x₁x₂) is even.
 *
 * One loss for every rule and task: the mean over the batch of ½‖y − t‖² (src/nn/losses `mse`).
 * It is the loss NP and LOCO are written for (eq. 27 of the LOCO paper, up to the factor 1/N, see
 * perturbation.ts), and every other model supports it. Accuracy: arg-max on MNIST; |y − t| < ½ on
 * XOR; none for the regression.
 *
 * The networks have no biases: DFC (eq. 1), SAL (eq. 20) and URFB (eq. 1) define none. A
 * consequence on the regression: the bias-free tanh student computes an odd function (f(−x) =
 * −f(x)) on inputs symmetric about 0, so it cannot fit the even part of the ReLU teacher, and every
 * tanh rule's test loss has that part's variance as a floor (BP-ReLU, the positively homogeneous
 * ReLU student, does not have it: its losses are lower and not comparable with the tanh rows).
 */
import { MNIST_CLASSES, mnistSplit, oneHot, take, type Dataset } from '../../src/data/mnist';
import { dataDescription, loadDataset, type DataName } from '../../src/data/files';
import { pixelStats, standardise } from '../../src/experiment/data';
import { teacherData } from '../dfc/experiments/teacher';

export const TASKS = ['teacher', 'mnist', 'xor'] as const;
export type TaskName = (typeof TASKS)[number];

export const TASK_LABELS: Record<TaskName, string> = {
  teacher: 'student-teacher regression',
  mnist: 'MNIST 8,000/2,000',
  xor: 'XOR',
};

/** How accuracy is scored. */
export type Scoring = 'none' | 'argmax' | 'threshold';

export interface Samples {
  /** n x d inputs, row-major. */
  x: Float64Array;
  /** n x k targets. */
  t: Float64Array;
  /** Class labels (MNIST), or null. */
  labels: Int32Array | null;
  n: number;
}

export interface TaskData {
  task: TaskName;
  /** Widths n_0..n_L, input first. */
  sizes: number[];
  train: Samples;
  test: Samples;
  scoring: Scoring;
}

/** What a task needs to build its data (part of every run's arguments, so a run is a pure function). */
export interface TaskSetup {
  task: TaskName;
  /** Hidden widths (two of them). */
  hidden: number[];
  /** Training / test samples used (teacher: generated; MNIST: the first n of the split). */
  trainSize: number;
  testSize: number;
  /** Teacher widths (teacher task only), input and output equal to the student's. */
  teacher: number[];
  /** The image task's data read from files (src/data/files.ts); absent: the shipped MNIST 8,000/2,000 subset. */
  data?: { name: DataName; dir?: string };
}

/** The image task's train and test sets: the shipped MNIST subset, or the data set named in the setup. */
function imageSplit(s: TaskSetup): { train: Dataset; test: Dataset } {
  return s.data ? loadDataset(s.data.name, s.data.dir) : mnistSplit(0);
}

/** The image task's data for tables and titles, e.g. 'MNIST 8,000/2,000' or 'Fashion-MNIST 60,000/10,000'. */
export function imageDataLabel(s: TaskSetup): string {
  return s.data ? dataDescription(s.data.name, s.data.dir, s.trainSize, s.testSize) : `MNIST ${s.trainSize.toLocaleString('en')}/${s.testSize.toLocaleString('en')}`;
}

const XOR_X = Float64Array.from([0, 0, 0, 1, 1, 0, 1, 1]);
const XOR_T = Float64Array.from([0, 1, 1, 0]);

export function checkTaskSetup(s: TaskSetup): void {
  if (!(TASKS as readonly string[]).includes(s.task)) throw new Error(`unknown task '${s.task}'; valid tasks: ${TASKS.join(', ')}`);
  if (s.hidden.length < 1 || s.hidden.some((h) => !(Number.isInteger(h) && h >= 1))) {
    throw new Error(`hidden widths for ${s.task} must be integers >= 1 (got [${s.hidden.join(', ')}])`);
  }
  if (s.task !== 'xor' && !(Number.isInteger(s.trainSize) && s.trainSize >= 1 && Number.isInteger(s.testSize) && s.testSize >= 1)) {
    throw new Error(`${s.task}: train and test sizes must be integers >= 1 (got ${s.trainSize}, ${s.testSize})`);
  }
  if (s.task === 'mnist') {
    const split = imageSplit(s);
    if (s.trainSize > split.train.n || s.testSize > split.test.n) {
      const what = s.data ? `--data ${s.data.name} has` : 'the shared split has';
      throw new Error(`mnist: ${what} ${split.train.n.toLocaleString('en')} training and ${split.test.n.toLocaleString('en')} test images (asked for ${s.trainSize} and ${s.testSize}); use --train-size and --test-size up to those, or 0 for all`);
    }
  }
  if (s.task === 'teacher' && (s.teacher.length < 2 || s.teacher[0] !== 15 || s.teacher[s.teacher.length - 1] !== 5)) {
    throw new Error(`the teacher must map 15 inputs to 5 outputs like the 15-h-h-5 student (got ${s.teacher.join('-')})`);
  }
}

/** Build a task's data. Deterministic: the data do not depend on the run's seed (only the split/teacher seed 0). */
export function taskData(s: TaskSetup): TaskData {
  checkTaskSetup(s);
  if (s.task === 'teacher') {
    const sizes = [15, ...s.hidden, 5];
    const { train, test } = teacherData(s.teacher, s.trainSize, s.testSize, 0);
    return {
      task: s.task,
      sizes,
      train: { x: train.x, t: train.y, labels: null, n: train.n },
      test: { x: test.x, t: test.y, labels: null, n: test.n },
      scoring: 'none',
    };
  }
  if (s.task === 'mnist') {
    const split = imageSplit(s);
    const tr = take(split.train, s.trainSize);
    const te = take(split.test, s.testSize);
    const sizes = [tr.d, ...s.hidden, MNIST_CLASSES];
    const st = pixelStats(s.data?.name ?? 'mnist', tr);
    return {
      task: s.task,
      sizes,
      train: { x: standardise(tr.x, st), t: oneHot(tr.y, MNIST_CLASSES), labels: tr.y, n: tr.n },
      test: { x: standardise(te.x, st), t: oneHot(te.y, MNIST_CLASSES), labels: te.y, n: te.n },
      scoring: 'argmax',
    };
  }
  const xor: Samples = { x: XOR_X.slice(), t: XOR_T.slice(), labels: Int32Array.from([0, 1, 1, 0]), n: 4 };
  return { task: 'xor', sizes: [2, ...s.hidden, 1], train: xor, test: { ...xor, x: XOR_X.slice(), t: XOR_T.slice() }, scoring: 'threshold' };
}

/** Accuracy of outputs (n x k) on samples, by the task's scoring (NaN for 'none'). */
export function score(scoring: Scoring, out: Float64Array, s: Samples): number {
  if (scoring === 'none') return NaN;
  const k = out.length / s.n;
  let correct = 0;
  for (let b = 0; b < s.n; b++) {
    if (scoring === 'threshold') {
      let ok = true;
      for (let j = 0; j < k; j++) if (!(Math.abs(out[b * k + j] - s.t[b * k + j]) < 0.5)) ok = false;
      if (ok) correct++;
    } else {
      let best = 0;
      for (let j = 1; j < k; j++) if (out[b * k + j] > out[b * k + best]) best = j;
      if (best === s.labels![b]) correct++;
    }
  }
  return correct / s.n;
}
