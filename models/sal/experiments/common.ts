/**
 * What the SAL experiments share: the MNIST split, the options every one of them takes, training a
 * list of runs on worker threads (`runSweep`, one progress bar, checkpoints and --resume), and
 * writing curves, a summary table and a figure.
 */
import '../../../solvers/index'; // registers the built-in solvers by name (--solver lists them)
import * as path from 'node:path';
import type { RunContext } from '../../../src/experiment/context';
import { pngOption, type OptionSpec, type ParsedOptions } from '../../../src/experiment/options';
import { solverChoice, solverOptions, type SolverChoice } from '../../../src/experiment/solver-options';
import { runCheckpoint, runSweep, sweepOptions, type SweepTask } from '../../../src/experiment/sweep';
import { formatTable } from '../../../src/io/output';
import type { PlotlyFigure } from '../../../src/io/plot';
import type { RunOutput } from '../../../src/io/run';
import type { BaseConfig } from '../presets';
import type { DataName } from '../../../src/data/files';
import { dataOptions, dataSizes, externalData } from '../../../src/experiment/data';
import type { DataArgs, Measure, RunRecord, RunSpec, RunTaskArgs } from './task';

export type { RunRecord, RunSpec } from './task';
export { dataLabel, dataShape } from '../../../src/experiment/data';

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
    { name: 'batch', type: 'integer', description: 'minibatch size (minibatch k is the input on [k, k+1): one Euler step of dt0 = 1 per minibatch)', default: 32, min: 1 },
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
    ...dataOptions(),
    { name: 'data-seed', type: 'integer', description: 'seed of the shared MNIST 8,000/2,000 split (shipped MNIST only)', default: 0 },
    ...solverOptions({ solver: 'euler', dt0: '1, one step per minibatch (Algorithm 1); a fixed-step solver never steps across a minibatch change' }),
    pngOption,
    ...sweepOptions('training runs'),
  ];
}

/**
 * The integrator of the circuit's flow from --solver/--dt0/--rtol/--atol, refused (with the
 * solvers that can) before any work when it cannot integrate it. Any ODE solver can: the flow is an
 * ODE whose minibatch is a piecewise-constant input, fixed steps land on its changes and adaptive
 * steps are clipped to them. Adaptive steps suit SAL with D_d = I, whose field is continuous in the
 * connections; with a ReLU-Jacobian gate (D_d = ReLU′, and the special cases built on it) the
 * downstream activity jumps where a gate flips, and dopri5 at tight tolerances crawls there
 * (measured: 784-8-8-10 weight mirror, 10 minibatches, 1,474 steps at rtol 1e-6, over 20,000 at
 * 1e-8, against 32 and 82 for SAL).
 */
export function salSolver(opts: ParsedOptions): SolverChoice {
  return solverChoice(opts, { what: 'the SAL circuit (slow flows, eqs. 5-8, one minibatch per unit time)', sde: false, inputJumps: true });
}

/** The data of every task; the shipped MNIST's arguments are today's (seed, sizes), others add the name and folder. */
export function dataArgs(opts: ParsedOptions): DataArgs {
  const n = dataSizes(opts);
  return { seed: opts.dataSeed, trainSize: n.train, testSize: n.test, ...(externalData(opts) ? { name: opts.data as DataName, ...(opts.dataDir ? { dir: opts.dataDir } : {}) } : {}) };
}

export function baseConfig(opts: ParsedOptions, dIn: number, classes: number): BaseConfig {
  dataSizes(opts); // bad --data, --data-dir or sizes fail here, before any output or work
  salSolver(opts); // and an unsuitable --solver
  const sizes = [dIn, ...Array.from({ length: opts.hidden }, () => opts.width), classes];
  return {
    sizes,
    loss: opts.loss,
    rates: { W: opts.lr, Wbar: opts.lr, V: opts.lrInter, Vbar: opts.lrInter },
    decay: opts.decay,
    rateScaling: opts.rateScaling,
  };
}

/** At least one full minibatch per epoch (called before the run folder is opened, and again by trainRuns). */
export function checkBatch(opts: ParsedOptions): void {
  const n = dataSizes(opts).train; // --train-size 0 means the whole training set
  const what = opts.trainSize > 0 ? `--train-size ${n}` : `the ${n} training images`;
  if (opts.batch > n) throw new Error(`--batch ${opts.batch} is larger than ${what}, so an epoch has no full minibatch; use --batch ${n} or less`);
}

/**
 * Train every run as a task of `runSweep` (--workers threads, one progress bar over all epochs,
 * identical results to a serial run); each run checkpoints its epochs under --out/checkpoints and
 * --resume continues it. A diverged run is kept and reported. `measure` names a per-epoch
 * measurement returned with each record (sal-assembly).
 */
export async function trainRuns(runs: RunSpec[], opts: ParsedOptions, ctx: RunContext, label: string, measure?: Measure): Promise<RunRecord[]> {
  checkBatch(opts);
  const tasks: SweepTask<RunTaskArgs>[] = runs.map((run) => {
    const key = `${run.key}-seed${run.seed}`;
    const args: RunTaskArgs = { run, epochs: opts.epochs, batch: opts.batch, data: dataArgs(opts), solver: salSolver(opts), ...(measure ? { measure } : {}), checkpoint: runCheckpoint(opts, key) };
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
