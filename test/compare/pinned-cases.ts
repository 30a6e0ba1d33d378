/**
 * The reduced-size runs that test/compare/pinned.test.ts pins (issue 14): every rule of
 * `reproduce compare` on every task, one seed, at a size that runs in seconds, on the wasm backend
 * (so the pinned bits do not depend on whether BLAS is installed). `summariseRun` keeps every number
 * a run produces except its wall times.
 */
import { getBackend, setBackend } from '../../src/linalg/backend';
import { compareTasks, type CompareOptions } from '../../models/compare/experiment';
import { compareRun, type RunArgs, type RunResult } from '../../models/compare/run';
import { RULE_NAMES } from '../../models/compare/rules';
import type { SolverChoice } from '../../src/experiment/solver-options';

/** Every rule, every task, seed 1: quick settings cut to 64/32 samples, 8-8 hidden on MNIST, 1-2 epochs. */
export const pinnedOptions: CompareOptions = {
  tasks: ['teacher', 'mnist', 'xor'],
  rules: [...RULE_NAMES],
  seeds: [1],
  quick: true,
  workers: 1,
  override: {
    teacher: { trainSize: 64, testSize: 32, epochs: 2, batch: 16, anglesPerEpoch: 2 },
    mnist: { trainSize: 64, testSize: 32, hidden: [8, 8], epochs: 1, batch: 16, anglesPerEpoch: 2 },
    xor: { epochs: 12 },
  },
};

/** The run arguments of the pinned cases, DFC's feedback pre-training cut to one sleep epoch. */
export function pinnedArgs(o: CompareOptions = pinnedOptions): RunArgs[] {
  return compareTasks(o).map((a) => ({ ...a, settings: { ...a.settings, dfc: { ...a.settings.dfc, pretrainEpochs: 1 } } }));
}

/** A run's numbers without its wall times. */
export function summariseRun(r: RunResult) {
  return {
    key: `${r.task}/${r.rule}/${r.seed}`,
    lr: r.lr,
    halvings: r.halvings,
    status: r.status,
    message: r.message ?? null,
    beginSimTime: r.beginSimTime,
    curve: r.curve.map((p) => [p.trainLoss, p.testLoss, p.testAccuracy, p.angleHidden, p.angleAll, ...p.angleLayers, p.simTime]),
    final: [r.final.testLoss, r.final.testAccuracy, r.final.angleHidden, r.final.angleAll, r.final.simTimePerEpoch],
  };
}

/** Every pinned case on the wasm backend (`extra`: more run arguments, e.g. a solver choice). */
export function runPinned(extra: Partial<RunArgs> & { solver?: SolverChoice } = {}, args = pinnedArgs()) {
  const before = getBackend();
  setBackend('wasm');
  try {
    return args.map((a) => summariseRun(compareRun({ ...a, ...extra })));
  } finally {
    setBackend(before);
  }
}
