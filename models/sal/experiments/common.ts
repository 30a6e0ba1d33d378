/**
 * What the SAL experiments share: the MNIST split, the options every one of them takes, training a
 * list of runs on worker threads (`runSweep`, one progress bar, checkpoints and --resume), and
 * writing curves, a summary table and a figure.
 */
import * as path from 'node:path';
import type { RunContext } from '../../../src/cli/context';
import { pngOption, type OptionSpec, type ParsedOptions } from '../../../src/cli/options';
import { runCheckpoint, runSweep, sweepOptions, type SweepTask } from '../../../src/cli/sweep';
import { formatTable } from '../../../src/io/output';
import type { PlotlyFigure } from '../../../src/io/plot';
import type { RunOutput } from '../../../src/io/run';
import type { BaseConfig } from '../presets';
import type { DataArgs, Measure, RunRecord, RunSpec, RunTaskArgs } from './task';

export type { RunRecord, RunSpec } from './task';

/** The module with `trainRunTask`, for worker threads. */
export const TASK_MODULE = path.join(__dirname, 'task.ts');

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
    {
      name: 'rate-scaling',
      type: 'string',
      description: "rates of W̄, V̄ for a downstream pathway wider than the upstream: 'fan-in' (η·d/d̄, the rates mean the same at every width) or 'none' (eqs. 5-8 verbatim); no effect where d̄ = d",
      default: 'fan-in',
      choices: ['fan-in', 'none'],
    },
    { name: 'train-size', type: 'integer', description: 'training images used (of the 8,000)', default: 8000, min: 1, max: 8000 },
    { name: 'test-size', type: 'integer', description: 'test images used (of the 2,000)', default: 2000, min: 1, max: 2000 },
    { name: 'data-seed', type: 'integer', description: 'seed of the shared MNIST 8,000/2,000 split', default: 0 },
    pngOption,
    ...sweepOptions('training runs'),
  ];
}

/** The data of a run, for the claims tables' setting column. */
export function dataLabel(opts: ParsedOptions): string {
  return `MNIST ${opts.trainSize.toLocaleString('en')}/${opts.testSize.toLocaleString('en')} split`;
}

export function dataArgs(opts: ParsedOptions): DataArgs {
  return { seed: opts.dataSeed, trainSize: opts.trainSize, testSize: opts.testSize };
}

export function baseConfig(opts: ParsedOptions, dIn: number, classes: number): BaseConfig {
  const sizes = [dIn, ...Array.from({ length: opts.hidden }, () => opts.width), classes];
  return {
    sizes,
    loss: opts.loss,
    rates: { W: opts.lr, Wbar: opts.lr, V: opts.lrInter, Vbar: opts.lrInter },
    decay: opts.decay,
    rateScaling: opts.rateScaling,
  };
}

/**
 * Train every run as a task of `runSweep` (--workers threads, one progress bar over all epochs,
 * identical results to a serial run); each run checkpoints its epochs under --out/checkpoints and
 * --resume continues it. A diverged run is kept and reported. `measure` names a per-epoch
 * measurement returned with each record (sal-assembly).
 */
export async function trainRuns(runs: RunSpec[], opts: ParsedOptions, ctx: RunContext, label: string, measure?: Measure): Promise<RunRecord[]> {
  const tasks: SweepTask<RunTaskArgs>[] = runs.map((run) => {
    const key = `${run.key}-seed${run.seed}`;
    const args: RunTaskArgs = { run, epochs: opts.epochs, batch: opts.batch, data: dataArgs(opts), ...(measure ? { measure } : {}), checkpoint: runCheckpoint(opts, key) };
    return { module: TASK_MODULE, fn: 'trainRunTask', args, key, units: opts.epochs };
  });
  const records = await runSweep<RunRecord>(tasks, opts, ctx, label, (_i, r) => `${r.label}: ${r.status === 'ok' ? `${pct(r.finalAccuracy)}%` : 'diverged'}`);
  for (const r of records) if (r.status !== 'ok') ctx.log(`${r.label} (seed ${r.seed}): ${r.message}`);
  return records;
}

export function writeCurves(out: RunOutput, records: RunRecord[]): void {
  const rows = records.flatMap((r) => r.curve.map((c) => ({ run: r.key, label: r.label, group: r.group ?? '', seed: r.seed, ...c })));
  out.csv('curves', ['run', 'label', 'group', 'seed', 'epoch', 't', 'trainLoss', 'testLoss', 'testAccuracy'], rows);
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const DASHES = ['solid', 'dash', 'dot', 'dashdot', 'longdash'];

/** Test accuracy against epoch, one line per run: one colour per configuration, one dash per seed. */
export function accuracyFigure(records: RunRecord[], title: string): PlotlyFigure {
  const keys = [...new Set(records.map((r) => r.key))];
  const seeds = [...new Set(records.map((r) => r.seed))];
  return {
    data: records.map((r) => ({
      type: 'scatter',
      mode: 'lines+markers',
      name: seeds.length > 1 ? `${r.label} (seed ${r.seed})` : r.label,
      legendgroup: r.key,
      line: { color: PALETTE[keys.indexOf(r.key) % PALETTE.length], dash: DASHES[seeds.indexOf(r.seed) % DASHES.length] },
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
