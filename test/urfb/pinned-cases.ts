/**
 * The reduced-size runs that test/urfb/pinned-core.test.ts pins (issue 14): every path of the
 * URFB model that integrates its dynamics, at a size that runs in seconds. `summarise*` turn a
 * result into the numbers that are pinned: values at a few iterations plus a checksum (the sum,
 * in order, of every recorded value) so that any change anywhere in a series shows.
 */
import { getBackend, setBackend } from '../../src/linalg/backend';
import { fig12Defaults, runFig12, type Fig12Result, type Fig12Settings } from '../../models/urfb/fig12';
import { stepRow } from '../../models/urfb/step';
import { loadData, trainDefaults, trainNetwork, type TrainResult, type TrainSettings } from '../../models/urfb/train';

/** Fig. 12 at 10-12-12-4, two seeds, BP and four ε, 60 Euler iterations (the default path). */
export const fig12Case: Fig12Settings = { ...fig12Defaults, dims: [10, 12, 12, 4], seeds: [1, 2], steps: 60, stepScale: 0.02 };
/** The same flow with --solver rk4 (t = s·η, saving every iteration), 30 iterations. */
export const fig12Rk4Case: Fig12Settings = { ...fig12Case, seeds: [1], steps: 30, solver: 'rk4' };
/** A step above the stable one (c = 0.08): every feedback run diverges. */
export const fig12DivergingCase: Fig12Settings = { ...fig12Case, seeds: [1], steps: 400, stepScale: 0.08, bp: false, epsilons: [0, 1] };
/** fig12-step: the bisection on c for 120 iterations at 10-12-12-4. */
export const stepCases = [null, 0, 1].map((epsilon) => ({ dims: [10, 12, 12, 4], teacherSd: 2, seed: 1, epsilon, steps: 120 }));
/** train urfb / urfb-mnist: 210 training images (the last minibatch of 10 is short), 100 test, 2 epochs. */
export const trainCases: TrainSettings[] = (
  [
    ['bp', 0],
    ['bp-hinge', 0],
    ['urfb', 0],
    ['frfb', 0],
    ['urfb', 0.5],
    ['frfb', 0.5],
  ] as const
).map(([rule, sparsity]) => ({ ...trainDefaults, rule, sparsity, hidden: [16, 12], epochs: 2, batch: 25, seed: 3, trainSize: 210, testSize: 100 }));

const at = [0, 1, 5, 20];
const pick = (a: ArrayLike<number>, completed: number) => [...at.filter((s) => s <= completed), completed].map((s) => a[s]);
const checksum = (a: ArrayLike<number>, completed: number) => {
  let s = 0;
  for (let i = 0; i <= completed; i++) if (Number.isFinite(a[i])) s += a[i];
  return s;
};

export function summariseFig12(r: Fig12Result) {
  return r.runs.map((run) => {
    const completed = run.status === 'ok' ? run.error.length - 1 : (run.error.findIndex((e) => !Number.isFinite(e)) + run.error.length) % run.error.length;
    return {
      seed: run.seed,
      algorithm: run.algorithm,
      status: run.status,
      eta: run.eta,
      error: pick(run.error, completed),
      errorSum: checksum(run.error, completed),
      correlation: run.correlation.map((c) => pick(c, completed)),
      correlationSum: run.correlation.map((c) => checksum(c, completed)),
      itersTo1e3: run.itersTo1e3,
      finalRelError: run.finalRelError,
      finalCorrelation: run.finalCorrelation,
    };
  });
}

export function summariseTrain(r: TrainResult) {
  return r.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, trainError: e.trainError, testError: e.testError, alignment: e.alignment }));
}

/**
 * Every case, on the wasm linear-algebra backend (always available, so the pinned bits do not
 * depend on whether BLAS is installed: BLAS's dgemm rounds differently, e.g. with fused
 * multiply-adds).
 */
export function runCases() {
  const before = getBackend();
  setBackend('wasm');
  try {
    const data = loadData({ trainSize: 210, testSize: 100 });
    return {
      fig12: summariseFig12(runFig12(fig12Case)),
      fig12Rk4: summariseFig12(runFig12(fig12Rk4Case)),
      fig12Diverging: summariseFig12(runFig12(fig12DivergingCase)),
      step: stepCases.map((c) => stepRow(c).maxStepScale),
      train: trainCases.map((s) => summariseTrain(trainNetwork(s, data))),
    };
  } finally {
    setBackend(before);
  }
}
