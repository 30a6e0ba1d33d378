/**
 * What the SAL experiments share: the MNIST split, the options every one of them takes, training a
 * list of runs with one progress bar, and writing curves, a summary table and a figure.
 */
import * as path from 'node:path';
import type { RunContext } from '../../../src/cli/context';
import type { OptionSpec, ParsedOptions } from '../../../src/cli/options';
import { mnistSplit, take, type Dataset } from '../../../src/data/mnist';
import { formatTable } from '../../../src/io/output';
import type { PlotlyFigure } from '../../../src/io/plot';
import type { RunOutput } from '../../../src/io/run';
import { SalCircuit, type SalConfig } from '../circuit';
import type { BaseConfig } from '../presets';
import { trainCircuit, type EpochRecord, type TrainResult } from '../train';

/** Options of every SAL training experiment (defaults per experiment). */
export function trainingOptions(name: string, d: { epochs: number; width: number; hidden: number; seeds?: number[]; decay?: number; lr?: number; lrInter?: number }): OptionSpec[] {
  return [
    { name: 'out', type: 'string', description: 'output folder', default: `out/${name}` },
    d.seeds
      ? { name: 'seeds', type: 'integers', description: 'seeds (initial connections and minibatch order)', default: d.seeds }
      : { name: 'seed', type: 'integer', description: 'seed (initial connections and minibatch order)', default: 1 },
    { name: 'epochs', type: 'integer', description: 'training epochs', default: d.epochs, min: 1 },
    { name: 'batch', type: 'integer', description: 'minibatch size (one Euler step of dt = 1 per minibatch)', default: 32, min: 1 },
    { name: 'width', type: 'integer', description: 'upstream hidden width', default: d.width, min: 1 },
    { name: 'hidden', type: 'integer', description: 'number of hidden layers', default: d.hidden, min: 1 },
    { name: 'lr', type: 'number', description: 'η_W = η_W̄ (learning rate of the forward and feedback weights)', default: d.lr ?? 0.01, min: 0 },
    { name: 'lr-inter', type: 'number', description: 'η_V = η_V̄ (learning rate of the inter-stream connections)', default: d.lrInter ?? 0.001, min: 0 },
    { name: 'decay', type: 'number', description: 'weight decay γ (all connections)', default: d.decay ?? 1e-4, min: 0 },
    { name: 'loss', type: 'string', description: 'objective F', default: 'cross-entropy', choices: ['cross-entropy', 'mse'] },
    { name: 'train-size', type: 'integer', description: 'training images used (of the 8,000)', default: 8000, min: 1, max: 8000 },
    { name: 'test-size', type: 'integer', description: 'test images used (of the 2,000)', default: 2000, min: 1, max: 2000 },
    { name: 'data-seed', type: 'integer', description: 'seed of the shared MNIST 8,000/2,000 split', default: 0 },
    { name: 'png', type: 'boolean', description: 'also render PNGs of the figures (headless chromium); --no-png for HTML only', default: true },
    { name: 'checkpoint-every', type: 'integer', description: 'checkpoint each run every n epochs under --out/checkpoints (0 = never)', default: 1, min: 0 },
    { name: 'resume', type: 'boolean', description: 'continue the runs from their checkpoints in --out (same options)', default: false },
  ];
}

export function loadData(opts: ParsedOptions): { train: Dataset; test: Dataset } {
  const split = mnistSplit(opts.dataSeed);
  return { train: take(split.train, opts.trainSize), test: take(split.test, opts.testSize) };
}

export function baseConfig(opts: ParsedOptions, dIn: number, classes: number): BaseConfig {
  const sizes = [dIn, ...Array.from({ length: opts.hidden }, () => opts.width), classes];
  return {
    sizes,
    loss: opts.loss,
    rates: { W: opts.lr, Wbar: opts.lr, V: opts.lrInter, Vbar: opts.lrInter },
    decay: opts.decay,
  };
}

export interface RunSpec {
  key: string;
  label: string;
  group?: string;
  config: SalConfig;
  seed: number;
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
}

/** Train every run in turn (one progress bar over all epochs); a diverged run is kept and reported. */
export function trainRuns(runs: RunSpec[], data: { train: Dataset; test: Dataset }, opts: ParsedOptions, ctx: RunContext, label: string, hook?: (run: RunSpec, circuit: SalCircuit, rec: EpochRecord, y: Float64Array) => void): RunRecord[] {
  const progress = ctx.progress(label, runs.length * opts.epochs);
  const records: RunRecord[] = [];
  for (const run of runs) {
    const circuit = new SalCircuit(run.config);
    // Per-epoch hooks (e.g. the assembly experiment's rank curves) need every epoch replayed, so
    // runs with a hook are not resumed.
    const checkpoint =
      !hook && (opts.checkpointEvery > 0 || opts.resume)
        ? { dir: path.join(opts.out, 'checkpoints', `${run.key}-seed${run.seed}`), every: Math.max(1, opts.checkpointEvery), resume: Boolean(opts.resume) }
        : undefined;
    const r = trainCircuit(circuit, data, {
      epochs: opts.epochs,
      batch: opts.batch,
      seed: run.seed,
      checkpoint,
      onEpoch: (rec, y) => {
        hook?.(run, circuit, rec, y);
        if (rec.epoch > 0) progress.tick(1, `${run.label} epoch ${rec.epoch}: ${(100 * rec.testAccuracy).toFixed(1)}%`);
      },
    });
    const left = opts.epochs - (r.curve.length - 1);
    if (left > 0) progress.tick(left, `${run.label} diverged`);
    const accs = r.curve.map((c) => c.testAccuracy);
    const last = r.curve[r.curve.length - 1];
    records.push({
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
    });
    if (r.status !== 'ok') ctx.log(`${run.label} (seed ${run.seed}): ${r.message}`);
  }
  progress.finish();
  return records;
}

export function writeCurves(out: RunOutput, records: RunRecord[]): void {
  const rows = records.flatMap((r) => r.curve.map((c) => ({ run: r.key, label: r.label, group: r.group ?? '', seed: r.seed, ...c })));
  out.csv('curves', ['run', 'label', 'group', 'seed', 'epoch', 't', 'trainLoss', 'testLoss', 'testAccuracy'], rows);
}

/** Test accuracy against epoch, one line per run. */
export function accuracyFigure(records: RunRecord[], title: string): PlotlyFigure {
  return {
    data: records.map((r) => ({
      type: 'scatter',
      mode: 'lines+markers',
      name: r.seed !== undefined && records.filter((q) => q.key === r.key).length > 1 ? `${r.label} (seed ${r.seed})` : r.label,
      x: r.curve.map((c) => c.epoch),
      y: r.curve.map((c) => 100 * c.testAccuracy),
    })),
    layout: { title: { text: title }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'test accuracy (%)' } } },
  };
}

export function pct(v: number): string {
  return Number.isFinite(v) ? (100 * v).toFixed(2) : 'diverged';
}

export function printTable(ctx: RunContext, columns: string[], rows: unknown[][]): void {
  ctx.log(formatTable(columns, rows));
}
