/**
 * `creditflow reproduce dfc-fig3`: the nonlinear student-teacher experiment of Fig. 3.
 *
 * Six variants (DFC, DFC-SS, DFC-SSA, each with trained or fixed feedback) train a 15-10-10-5 tanh
 * student (linear output, L2 loss) on data from a ReLU teacher (teacher.ts), with the settings of
 * the paper's code for Fig. 3 (config.ts FIG3_FORWARD / FIG3_FEEDBACK: k_p = 1.5, α = 0.0015,
 * λ = 0.05, τ_v/τ_u = 0.2, dt = 0.005, 1000 steps; feedback phase k_p = 0.1, α = 0.25,
 * τ_v/τ_u = 0.01, dt = 0.002, 50 steps, σ = 0.01, weight decay 0.025). Along training it records the
 * quantities of panels A-F (alignment.ts) on every `log-every`-th minibatch and plots their moving
 * average (window `window`) with the moving standard deviation as a band.
 *
 * Defaults (our choice, the paper trains longer): 5,000 training samples, 3 epochs, 20 feedback
 * pre-training epochs, Adam with lr 1e-3 (forward) and 3e-3 (feedback), minibatch 32, variants in 2
 * worker threads: about 4-6 minutes on 2 cores.
 */
import * as path from 'node:path';
import { runCheckpoint, runSweep, sweepOptions } from '../../../src/experiment/sweep';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import type { RunContext } from '../../../src/experiment/context';
import { outputOptions } from '../../../src/experiment/groups';
import { formatTable } from '../../../src/io/output';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import { RunOutput } from '../../../src/io/run';
import { defineCommand } from '../../../src/registry';
import { checkControllerConfig, FIG3_FEEDBACK, FIG3_FORWARD, type ControllerConfig, type FeedbackConfig } from '../config';
import type { Method } from '../rules';
import { movingAverage, runSeed, controllerOptions, sharedRunArgs, sharedRunOptions, type RunArgs, type RunResult, wakeSolverChoice } from './run';
import { teacherData } from './teacher';
import { fig3Claims } from '../claims';

/** The module with `trainRun`, for worker threads. */
export const RUN_MODULE = path.join(__dirname, 'run.ts');

export const FIG3_VARIANTS = ['DFC', 'DFC-SS', 'DFC-SSA', 'DFC (fixed)', 'DFC-SS (fixed)', 'DFC-SSA (fixed)'] as const;

export function parseVariant(label: string): { method: Method; feedback: 'trained' | 'fixed' } {
  const fixed = label.endsWith('(fixed)');
  return { method: label.replace(' (fixed)', '') as Method, feedback: fixed ? 'fixed' : 'trained' };
}

/** The panels of Fig. 3: key in the series, title, y label. */
export const FIG3_PANELS = [
  { key: 'condition2', title: 'A  Condition 2: ‖P_row(J) Q‖/‖Q‖', y: 'ratio' },
  { key: 'mn', title: 'B  angle with weighted MN update', y: 'degrees' },
  { key: 'condition1', title: 'C  Condition 1: std/mean of ‖r_i‖', y: 'ratio' },
  { key: 'gn', title: 'D  angle with GN update', y: 'degrees' },
  { key: 'maxEig', title: 'E  largest Re eigenvalue at equilibrium', y: 'Re λ' },
  { key: 'ssa', title: 'F  angle with DFC-SSA update', y: 'degrees' },
] as const;

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#d62728'];

export function seriesFigure(results: readonly RunResult[], window: number, title: string) {
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = { title: { text: title }, grid: { rows: 2, columns: 3, pattern: 'independent' }, annotations: [] as unknown[] };
  FIG3_PANELS.forEach((panel, pi) => {
    const ax = pi === 0 ? '' : String(pi + 1);
    layout[`xaxis${ax}`] = { title: { text: 'iteration' } };
    layout[`yaxis${ax}`] = { title: { text: panel.y } };
    (layout.annotations as unknown[]).push({ text: panel.title, xref: `x${ax} domain`, yref: `y${ax} domain`, x: 0, y: 1.12, showarrow: false, xanchor: 'left' });
    results.forEach((r, ri) => {
      if (r.series.length === 0) return;
      const xs = r.series.map((s) => s.iteration);
      const ys = r.series.map((s) => (s as unknown as Record<string, number>)[panel.key]);
      const m = movingAverage(ys, window);
      const sq = movingAverage(ys.map((v) => v * v), window);
      const sd = sq.map((v, i) => Math.sqrt(Math.max(0, v - m[i] * m[i])));
      const color = COLORS[ri % COLORS.length];
      data.push({
        x: [...xs, ...xs.slice().reverse()],
        y: [...m.map((v, i) => v + sd[i]), ...m.map((v, i) => v - sd[i]).reverse()],
        fill: 'toself',
        fillcolor: color + '22',
        line: { width: 0 },
        hoverinfo: 'skip',
        showlegend: false,
        legendgroup: r.label,
        xaxis: `x${ax}`,
        yaxis: `y${ax}`,
      });
      data.push({ x: xs, y: m, mode: 'lines', name: r.label, legendgroup: r.label, showlegend: pi === 0, line: { color, dash: r.feedback === 'fixed' ? 'dash' : 'solid' }, xaxis: `x${ax}`, yaxis: `y${ax}` });
    });
  });
  return { data, layout };
}

/** Mean of a series' key over its last quarter. */
export function tailMean(r: RunResult, key: string): number {
  const s = r.series.slice(Math.floor((3 * r.series.length) / 4));
  if (s.length === 0) return NaN;
  return s.reduce((a, p) => a + (p as unknown as Record<string, number>)[key], 0) / s.length;
}

/** The output group (--out, --png), each where --help has always listed it. */
const [fig3Out, fig3Png] = outputOptions('dfc-fig3');

/** The options of dfc-fig3 (`creditflow reproduce dfc-fig3 --help`). */
export const dfcFig3Options = [
  fig3Out,
  ...sharedRunOptions({ epochs: 3, lrQ: 3e-3, fbPretrainEpochs: 20, seed: 'seed (data, initialisation, noise)', fbPretrain: 'feedback pre-training epochs (paper: 50)' }),
  opt.choices('variants', 'variants to run', FIG3_VARIANTS, { default: [...FIG3_VARIANTS] }),
  opt.integer('train-size', 'training samples (paper: 5000)', { default: 5000, min: 32 }),
  opt.integer('test-size', 'test samples', { default: 1000, min: 1 }),
  opt.integers('teacher', 'teacher layer sizes (ReLU)', { default: [15, 1000, 1000, 1000, 1000, 5] }),
  opt.integers('student', 'student layer sizes (tanh, linear output)', { default: [15, 10, 10, 5] }),
  opt.integer('steps', 'Euler steps per sample in the forward phase (paper: 1000)', { default: FIG3_FORWARD.steps, min: 1 }),
  ...controllerOptions(FIG3_FORWARD),
  opt.integer('log-every', 'measure the panels every this many minibatches', { default: 5, min: 1 }),
  opt.integer('window', 'moving-average window (points) of the plotted curves', { default: 10, min: 1 }),
  ...sweepOptions('variants'),
  fig3Png,
] as const;

/** dfc-fig3's options by camelCase name, as `runDfcFig3` takes them (all optional there: defaults fill the rest). */
export type DfcFig3Options = OptionsOf<typeof dfcFig3Options>;

type Fig3Parsed = ParsedOf<typeof dfcFig3Options>;

/** One variant's row of summary.csv: its final test loss and the last-quarter means of panels A-F. */
export interface DfcFig3Row {
  variant: string;
  status: RunResult['status'];
  testLoss: number;
  condition2: number;
  mn: number;
  condition1: number;
  gn: number;
  maxEig: number;
  ssa: number;
  seconds: number;
}

/** What dfc-fig3 measures: every variant's run (epochs and the panel series), the summary, the settings and the claims. */
export interface DfcFig3Result {
  /** One per variant: per-epoch losses, the logged panel quantities (`series`), status, seconds. */
  results: RunResult[];
  /** summary.csv, one row per variant (last-quarter means of the logged points). */
  summary: DfcFig3Row[];
  /** The forward (wake) and feedback (sleep) phase settings every variant ran with. */
  forward: ControllerConfig;
  sleep: FeedbackConfig;
  claims: Claim[];
}

/** The columns of summary.csv and of the printed table (the fields of `DfcFig3Row`, in order). */
export const FIG3_SUMMARY_COLUMNS = ['variant', 'status', 'test loss', 'A cond2', 'B ∠MN°', 'C cond1', 'D ∠GN°', 'E max Re λ', 'F ∠SSA°', 'seconds'];

/** The variants as sweep tasks, checked (solver, controller, teacher and student widths) before any work. */
function fig3Plan(opts: Fig3Parsed) {
  wakeSolverChoice(opts); // an unsuitable --solver is refused before any work
  const forward = checkControllerConfig({ ...FIG3_FORWARD, steps: opts.steps, lambda: opts.lambda, alpha: opts.alpha, kp: opts.kp });
  const { teacher, student } = opts;
  if (teacher[0] !== student[0] || teacher[teacher.length - 1] !== student[student.length - 1]) {
    throw new Error(`--teacher and --student must share input and output widths (got ${teacher.join('-')} and ${student.join('-')})`);
  }
  const { train, test } = teacherData(teacher, opts.trainSize, opts.testSize, runSeed(opts));
  const tasks = opts.variants.map((label) => {
    const { method, feedback } = parseVariant(label);
    const args: RunArgs = {
      label,
      method,
      feedback,
      sizes: student,
      hidden: 'tanh',
      loss: 'mse',
      train,
      test,
      classes: false,
      forward,
      ...sharedRunArgs(opts),
      fbPretrainEpochs: opts.fbPretrainEpochs,
      fbEpochsPerEpoch: opts.fbEpochs,
      logEvery: opts.logEvery,
    };
    return { module: RUN_MODULE, fn: 'trainRun', args: { ...args, checkpoint: runCheckpoint(opts, label) }, key: label, units: opts.epochs };
  });
  return { forward, tasks };
}

/** Trains the variants (on `--workers` threads) and summarises them. */
async function fig3Measure(plan: ReturnType<typeof fig3Plan>, opts: Fig3Parsed, ctx: RunContext): Promise<DfcFig3Result> {
  const results = await runSweep<RunResult>(plan.tasks, opts, ctx, 'dfc-fig3 variants', (_i, r) => `${r.label} (${r.seconds.toFixed(0)} s)`);
  const summary = results.map((r) => ({
    variant: r.label,
    status: r.status,
    testLoss: r.epochs.length ? r.epochs[r.epochs.length - 1].testLoss : NaN,
    condition2: tailMean(r, 'condition2'),
    mn: tailMean(r, 'mn'),
    condition1: tailMean(r, 'condition1'),
    gn: tailMean(r, 'gn'),
    maxEig: tailMean(r, 'maxEig'),
    ssa: tailMean(r, 'ssa'),
    seconds: r.seconds,
  }));
  const claims = fig3Claims(results, tailMean, `student ${opts.student.join('-')}, ${opts.trainSize} samples, ${opts.epochs} epochs (paper: longer), one seed; numbers: last-quarter means of the logged points`);
  return { results, summary, forward: plan.forward, sleep: FIG3_FEEDBACK, claims };
}

/**
 * dfc-fig3 as a function: trains the variants (on `workers` threads) and returns their runs (the
 * panel series of Fig. 3 in `results[i].series`), the summary and the claims; writes nothing (see
 * src/experiment/call.ts). The figure is `seriesFigure(result.results, window, title)`.
 *
 *     const r = await runDfcFig3({ epochs: 1, trainSize: 500, variants: ['DFC', 'DFC (fixed)'] });
 *     r.summary.map((s) => [s.variant, s.mn, s.testLoss]);
 */
export async function runDfcFig3(options: OptionsInput<typeof dfcFig3Options> = {}, reporting: CallReporting = {}): Promise<DfcFig3Result> {
  const opts = callOptions(options, dfcFig3Options, 'runDfcFig3');
  return fig3Measure(fig3Plan(opts), opts, callContext(reporting));
}

export const fig3 = defineCommand({
  name: 'dfc-fig3',
  description: 'DFC Fig. 3: student-teacher regression (15-10-10-5 tanh), six DFC variants, Conditions 1-2, alignment with MN/GN/SSA updates, stability',
  options: dfcFig3Options,
  async run(opts, ctx) {
    const plan = fig3Plan(opts);
    const out = new RunOutput('dfc-fig3', opts.out, opts, ctx);
    const { results, summary, forward, sleep, claims } = await fig3Measure(plan, opts, ctx);
    const rows = summary.map((s) => [s.variant, s.status, s.testLoss, s.condition2, s.mn, s.condition1, s.gn, s.maxEig, s.ssa, s.seconds]);
    const columns = FIG3_SUMMARY_COLUMNS;
    out.table('summary', columns, rows);
    out.json('results', { options: opts, forward, sleep, results });
    out.csv(
      'series',
      ['variant', 'epoch', 'batch', 'iteration', 'loss', 'condition2', 'mn', 'condition1', 'gn', 'maxEig', 'ssa', 'bp'],
      results.flatMap((r) => r.series.map((s) => ({ variant: r.label, ...s }))),
    );
    out.figure('fig3', seriesFigure(results, opts.window, 'DFC Fig. 3 (student-teacher, 15-10-10-5)'), { width: 1400, height: 800 });
    for (const r of results) if (r.status !== 'ok') out.note(`${r.label}: ${r.message}`);
    writeClaims(out, 'dfc-fig3', claims);
    out.allowNonFinite('diagnostics (angles, conditions, eigenvalues) are NaN where undefined (a zero update)', ['mn', 'gn', 'ssa', 'bp', 'condition1', 'condition2', 'maxEig', 'A cond2', 'B ∠MN°', 'C cond1', 'D ∠GN°', 'E max Re λ', 'F ∠SSA°']);
    if (results.some((r) => r.status !== 'ok')) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
    out.finish();
    if (ctx.json) process.stdout.write(JSON.stringify({ columns, rows }, null, 2) + '\n');
    else ctx.log('\n' + formatTable(columns, rows) + `\n(last-quarter means of the logged points; files in ${out.dir})`);
    printClaims(ctx, claims);
  },
});
