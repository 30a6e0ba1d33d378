/**
 * What the SAL experiments share: the MNIST split, the options every one of them takes, training a
 * list of runs on worker threads (`runSweep`, one progress bar, checkpoints and --resume), and
 * writing curves, a summary table and a figure.
 */
import '../../../solvers/index'; // registers the built-in solvers by name (--solver lists them)
import * as path from 'node:path';
import type { RunContext } from '../../../src/experiment/context';
import { opt, type ParsedOf } from '../../../src/experiment/options';
import { batchSizeOption, epochsOption, lrOption, outputOptions, seedsOption } from '../../../src/experiment/groups';
import { solverChoice, solverOptions, type SolverChoice } from '../../../src/experiment/solver-options';
import { runCheckpoint, runSweep, sweepOptions, type SweepTask } from '../../../src/experiment/sweep';
import { formatTable } from '../../../src/io/output';
import type { PlotlyFigure } from '../../../src/io/plot';
import type { RunOutput } from '../../../src/io/run';
import type { BaseConfig } from '../presets';
import { dataOptions, dataSizes, externalData } from '../../../src/experiment/data';
import type { DataArgs, Measure, RunRecord, RunSpec, RunTaskArgs } from './task';

export type { RunRecord, RunSpec } from './task';
export { dataLabel, dataShape } from '../../../src/experiment/data';

/** The module with `trainRunTask`, for worker threads. */
export const TASK_MODULE = path.join(__dirname, 'task.ts');

/** Options of every SAL training experiment (defaults per experiment). */
export function salTrainingOptions(name: string, d: { epochs: number; width: number; hidden: number; seeds?: readonly number[]; decay?: number; lr?: number; lrInter?: number; single?: string }) {
  const [out, png] = outputOptions(name);
  return [
    out,
    seedsOption({ default: d.seeds ?? [1], description: d.single ? 'seed (initial connections and minibatch order)' : 'seeds (initial connections and minibatch order): every configuration runs once per seed', single: d.single }),
    epochsOption(d.epochs),
    batchSizeOption(32, 'minibatch size (minibatch k is the input on [k, k+1): one Euler step of dt0 = 1 per minibatch)'),
    opt.integer('width', 'upstream hidden width', { default: d.width, min: 1 }),
    opt.integer('hidden', 'number of hidden layers', { default: d.hidden, min: 1 }),
    lrOption(d.lr ?? 0.01, 'η_W = η_W̄ (learning rate of the forward and feedback weights)'),
    opt.number('lr-inter', 'η_V = η_V̄ (learning rate of the inter-stream connections)', { default: d.lrInter ?? 0.001, min: 0 }),
    opt.number('decay', 'weight decay γ (all connections)', { default: d.decay ?? 1e-4, min: 0 }),
    opt.choice('loss', 'objective F', ['cross-entropy', 'mse'], { default: 'cross-entropy' }),
    opt.choice('rate-scaling', "rates of W̄, V̄ for a downstream pathway wider than the upstream: 'fan-in' (η·d/d̄, the rates mean the same at every width) or 'none' (eqs. 5-8 verbatim); no effect where d̄ = d", ['fan-in', 'none'], { default: 'fan-in' }),
    ...dataOptions(),
    opt.integer('data-seed', 'seed of the shared MNIST 8,000/2,000 split (shipped MNIST only)', { default: 0 }),
    ...solverOptions({ solver: 'euler', dt0: '1, one step per minibatch (Algorithm 1); a fixed-step solver never steps across a minibatch change' }),
    png,
    ...sweepOptions('training runs'),
  ] as const;
}

/** The parsed options every SAL training experiment has (each experiment adds its own). */
export type SalTrainingOptions = ParsedOf<ReturnType<typeof salTrainingOptions>>;

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
export function salSolver(opts: SalTrainingOptions): SolverChoice {
  return solverChoice(opts, { what: 'the SAL circuit (slow flows, eqs. 5-8, one minibatch per unit time)', sde: false, inputJumps: true });
}

/** The data of every task; the shipped MNIST's arguments are today's (seed, sizes), others add the name and folder. */
export function dataArgs(opts: SalTrainingOptions): DataArgs {
  const n = dataSizes(opts);
  return { seed: opts.dataSeed, trainSize: n.train, testSize: n.test, ...(externalData(opts) ? { name: opts.data, ...(opts.dataDir ? { dir: opts.dataDir } : {}) } : {}) };
}

export function baseConfig(opts: SalTrainingOptions, dIn: number, classes: number): BaseConfig {
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
export function checkBatch(opts: SalTrainingOptions): void {
  const n = dataSizes(opts).train; // --train-size 0 means the whole training set
  const what = opts.trainSize > 0 ? `--train-size ${n}` : `the ${n} training images`;
  if (opts.batchSize > n) throw new Error(`--batch-size ${opts.batchSize} is larger than ${what}, so an epoch has no full minibatch; use --batch-size ${n} or less`);
}

/**
 * Train every run as a task of `runSweep` (--workers threads, one progress bar over all epochs,
 * identical results to a serial run); each run checkpoints its epochs under --out/checkpoints and
 * --resume continues it. A diverged run is kept and reported. `measure` names a per-epoch
 * measurement returned with each record (sal-assembly).
 */
export async function trainRuns(runs: RunSpec[], opts: SalTrainingOptions, ctx: RunContext, label: string, measure?: Measure): Promise<RunRecord[]> {
  checkBatch(opts);
  const tasks: SweepTask<RunTaskArgs>[] = runs.map((run) => {
    const key = `${run.key}-seed${run.seed}`;
    const args: RunTaskArgs = { run, epochs: opts.epochs, batch: opts.batchSize, data: dataArgs(opts), solver: salSolver(opts), ...(measure ? { measure } : {}), checkpoint: runCheckpoint(opts, key) };
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
