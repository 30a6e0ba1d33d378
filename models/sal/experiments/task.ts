/**
 * One training run of the SAL experiments as a worker-thread task (src/experiment/sweep.ts `runSweep`): a
 * pure function of its arguments (the circuit's seeded initial state and minibatch order, the MNIST
 * split loaded here from its seed), so the runs give the same numbers on any number of workers.
 * Progress is reported once per epoch; with `checkpoint` the run saves its epochs and resumes
 * bit-identically, per-epoch measurements included.
 */
import { mnistSplit, take, type Dataset } from '../../../src/data/mnist';
import { loadDataset, type DataName } from '../../../src/data/files';
import type { SolverChoice } from '../../../src/experiment/solver-options';
import type { CheckpointSettings } from '../../../src/io/checkpoint';
import { toRows, type Mat } from '../../../src/linalg/mat';
import { reportProgress } from '../../../src/parallel/pool';
import { effectiveRank, gram, spectralNorm } from '../analysis';
import { SalCircuit, type SalConfig } from '../circuit';
import { trainCircuit, type EpochRecord, type TrainResult } from '../train';

export interface RunSpec {
  key: string;
  label: string;
  group?: string;
  config: SalConfig;
  seed: number;
}

/** Which part of the shared MNIST 8,000/2,000 split a run trains and tests on. */
export interface DataArgs {
  seed: number;
  trainSize: number;
  testSize: number;
  /** A data set other than the shipped MNIST subset (src/data/files.ts), and its folder. */
  name?: DataName;
  dir?: string;
}

/** Per-epoch measurements a task can take (functions cannot cross to a worker, so they are named). */
export interface AssemblyMeasure {
  kind: 'assembly';
  /** Hidden layer k whose H = V̄ᵏ⁻¹V̄ᵏ⁻¹ᵀ and Wᵏ⁻¹Wᵏ⁻¹ᵀ are kept before (epoch 0) and after (last epoch) training. */
  layer: number;
  epochs: number;
}

/** sal-width's measurement: the spectral scales of the connections after every epoch. */
export interface SpectraMeasure {
  kind: 'spectra';
}

export type Measure = AssemblyMeasure | SpectraMeasure;

/**
 * λ_max(Hˡ) = σ_max(V̄ˡ)² (the largest eigenvalue of Theorem 1's learning-rate matrix, l = 1..L−2)
 * and σ_max of W̄ᵏ, Vᵏ (k = 2..L−1) and Wˡ (l = 1..L−1) after one epoch.
 */
export interface SpectraEpoch {
  epoch: number;
  lambdaH: number[];
  sigmaWbar: number[];
  sigmaV: number[];
  sigmaW: number[];
}

export interface RankRow {
  epoch: number;
  layer: number;
  erankH: number;
  erankWWt: number;
  testAccuracy: number;
}

/** sal-assembly's measurement of one epoch: effective ranks of every hidden layer, and the matrices of `layer` at the first and last epoch. */
export interface AssemblyEpoch {
  ranks: RankRow[];
  H?: number[][];
  WWt?: number[][];
}

export interface RunTaskArgs {
  run: RunSpec;
  epochs: number;
  batch: number;
  data: DataArgs;
  measure?: Measure;
  checkpoint?: CheckpointSettings;
  /** The integrator of the flow (default: forward Euler, one step per minibatch). */
  solver?: SolverChoice;
}

export interface RunRecord {
  key: string;
  label: string;
  group?: string;
  seed: number;
  status: TrainResult['status'];
  message: string;
  finalAccuracy: number;
  bestAccuracy: number;
  finalTestLoss: number;
  samplesPerSecond: number;
  seconds: number;
  curve: EpochRecord[];
  /** Per-epoch measurements (epoch 0 first), when the task was given `measure`. */
  measurements?: (AssemblyEpoch | SpectraEpoch)[];
}

export function loadSplit(d: DataArgs): { train: Dataset; test: Dataset } {
  const split = d.name ? loadDataset(d.name, d.dir, d.seed) : mnistSplit(d.seed);
  return { train: take(split.train, d.trainSize), test: take(split.test, d.testSize) };
}

/** Effective ranks of V̄V̄ᵀ and WWᵀ for every hidden layer (and the matrices of one layer at the first and last epoch). */
export function assemblyMeasure(circuit: SalCircuit, m: AssemblyMeasure, rec: EpochRecord, y: Float64Array): AssemblyEpoch {
  const c = circuit.views(y);
  const out: AssemblyEpoch = { ranks: [] };
  for (let k = 2; k <= circuit.L - 1; k++) {
    const H = gram(c.Vbar[k - 1]);
    const WWt = gram(c.W[k - 1]);
    out.ranks.push({ epoch: rec.epoch, layer: k, erankH: effectiveRank(H), erankWWt: effectiveRank(WWt), testAccuracy: rec.testAccuracy });
    if (k === m.layer && (rec.epoch === 0 || rec.epoch === m.epochs)) {
      out.H = toRows(H as Mat);
      out.WWt = toRows(WWt as Mat);
    }
  }
  return out;
}

export function spectraMeasure(circuit: SalCircuit, rec: EpochRecord, y: Float64Array): SpectraEpoch {
  const c = circuit.views(y);
  const L = circuit.L;
  const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
  return {
    epoch: rec.epoch,
    lambdaH: range(1, L - 2).map((l) => spectralNorm(c.Vbar[l]) ** 2),
    sigmaWbar: c.Wbar.length ? range(2, L - 1).map((k) => spectralNorm(c.Wbar[k])) : [],
    sigmaV: range(2, L - 1).map((k) => spectralNorm(c.V[k])),
    sigmaW: range(1, L - 1).map((l) => spectralNorm(c.W[l])),
  };
}

/** Train one run; one unit of progress per epoch trained. */
export function trainRunTask(a: RunTaskArgs): RunRecord {
  const { run } = a;
  const data = loadSplit(a.data);
  const circuit = new SalCircuit(run.config);
  const measure = a.measure;
  const r = trainCircuit<AssemblyEpoch | SpectraEpoch>(circuit, data, {
    epochs: a.epochs,
    batch: a.batch,
    seed: run.seed,
    checkpoint: a.checkpoint,
    solver: a.solver,
    measure: measure ? (rec, y) => (measure.kind === 'assembly' ? assemblyMeasure(circuit, measure, rec, y) : spectraMeasure(circuit, rec, y)) : undefined,
    onEpoch: (rec) => {
      if (rec.epoch > 0) reportProgress(1, `${run.label} epoch ${rec.epoch}: ${(100 * rec.testAccuracy).toFixed(1)}%`);
    },
  });
  const accs = r.curve.map((c) => c.testAccuracy);
  const last = r.curve[r.curve.length - 1];
  return {
    key: run.key,
    label: run.label,
    group: run.group,
    seed: run.seed,
    status: r.status,
    message: r.message,
    finalAccuracy: r.status === 'ok' ? last.testAccuracy : NaN,
    bestAccuracy: Math.max(...accs),
    finalTestLoss: last.testLoss,
    samplesPerSecond: r.samplesPerSecond,
    seconds: r.seconds,
    curve: r.curve,
    ...(measure ? { measurements: r.measurements } : {}),
  };
}
