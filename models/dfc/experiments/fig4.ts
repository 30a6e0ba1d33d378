/**
 * `creditflow reproduce dfc-fig4`: robustness of the alignment with the weighted MN updates
 * (Fig. 4) on the Fig. 3 student-teacher task, for λ ∈ [1e-3, 1e-1] (α = 0.0015), for the clamped
 * target λ = 0.5, and for α ∈ [1e-4, 1e-1] (λ = 0.05).
 *
 * The feedback weights are pre-trained once (sleep phase, as in Fig. 3) and every setting starts
 * from the same weights; each setting then trains for `epochs` with wake-sleep alternation and
 * records the MN angle (alignment.ts) on every `log-every`-th minibatch. Reported: mean and std of
 * the angle over the run. Defaults (our choice): 2,000 training samples, 1 epoch, DFC and DFC-SS,
 * 1000 steps per sample, 2 worker threads: about 3-5 minutes on 2 cores.
 */
import { runCheckpoint, runSweep, sweepOptions } from '../../../src/experiment/sweep';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import type { RunContext } from '../../../src/experiment/context';
import { outputOptions } from '../../../src/experiment/groups';
import { formatTable } from '../../../src/io/output';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import type { PlotlyFigure } from '../../../src/io/plot';
import { RunOutput } from '../../../src/io/run';
import { defineCommand } from '../../../src/registry';
import { checkControllerConfig, FIG3_FORWARD } from '../config';
import type { Method } from '../rules';
import { RUN_MODULE } from './fig3';
import { pretrainFeedback, runSeed, sharedRunArgs, sharedRunOptions, type RunArgs, type RunResult, wakeSolverChoice } from './run';
import { teacherData } from './teacher';
import { fig4Claims } from '../claims';

/** The DFC variants of Fig. 4 (trained feedback). */
export const FIG4_METHODS = ['DFC', 'DFC-SS', 'DFC-SSA'] as const satisfies readonly Method[];

/** The output group (--out, --png), each where --help has always listed it. */
const [fig4Out, fig4Png] = outputOptions('dfc-fig4');

/** The options of dfc-fig4 (`creditflow reproduce dfc-fig4 --help`). */
export const dfcFig4Options = [
  fig4Out,
  ...sharedRunOptions({ epochs: 1, lrQ: 3e-3, fbPretrainEpochs: 20, seed: 'seed (data, initialisation, noise)', fbPretrain: 'feedback pre-training epochs (shared by all settings)' }),
  opt.choices('methods', 'DFC variants (trained feedback)', FIG4_METHODS, { default: ['DFC', 'DFC-SS'] }),
  opt.numbers('lambdas', 'λ values (at α = --alpha-fixed)', { default: [0.001, 0.01, 0.1, 0.5] }),
  opt.numbers('alphas', 'α values (at λ = --lambda-fixed)', { default: [1e-4, 1e-3, 1e-2, 1e-1] }),
  opt.number('alpha-fixed', 'α of the λ sweep', { default: FIG3_FORWARD.alpha, min: 0 }),
  opt.number('lambda-fixed', 'λ of the α sweep', { default: FIG3_FORWARD.lambda, min: 0 }),
  opt.integer('train-size', 'training samples', { default: 2000, min: 32 }),
  opt.integer('test-size', 'test samples', { default: 500, min: 1 }),
  opt.integers('teacher', 'teacher layer sizes (ReLU)', { default: [15, 1000, 1000, 1000, 1000, 5] }),
  opt.integers('student', 'student layer sizes (tanh)', { default: [15, 10, 10, 5] }),
  opt.integer('steps', 'Euler steps per sample', { default: FIG3_FORWARD.steps, min: 1 }),
  opt.integer('log-every', 'measure the MN angle every this many minibatches', { default: 4, min: 1 }),
  ...sweepOptions('settings'),
  fig4Png,
] as const;

/** dfc-fig4's options by camelCase name, as `runDfcFig4` takes them (all optional there: defaults fill the rest). */
export type DfcFig4Options = OptionsOf<typeof dfcFig4Options>;

type Fig4Parsed = ParsedOf<typeof dfcFig4Options>;

/** A point of Fig. 4: the λ sweep (at α = --alpha-fixed) or the α sweep (at λ = --lambda-fixed). */
export interface Fig4Setting {
  sweep: 'lambda' | 'alpha';
  lambda: number;
  alpha: number;
}

/** One run's row of summary.csv: the angle with the weighted MN update, mean and std over the run (degrees). */
export interface DfcFig4Row extends Fig4Setting {
  method: Method;
  mean: number;
  std: number;
  status: RunResult['status'];
  testLoss: number;
}

/** What dfc-fig4 measures: the settings, every run (setting × method) and its MN-angle statistics, the claims. */
export interface DfcFig4Result {
  settings: Fig4Setting[];
  /** Setting-major, then method: per-epoch losses and the logged MN angles (`series`). */
  results: RunResult[];
  /** One row per run, in the order of `results`. */
  summary: DfcFig4Row[];
  claims: Claim[];
}

/** The columns of summary.csv and of the printed table. */
export const FIG4_SUMMARY_COLUMNS = ['sweep', 'λ', 'α', 'method', 'status', '∠MN mean°', '∠MN std°', 'test loss'];

/** The settings of the two sweeps, checked (solver) before any work. */
function fig4Plan(opts: Fig4Parsed): Fig4Setting[] {
  wakeSolverChoice(opts); // an unsuitable --solver is refused before any work
  return [
    ...opts.lambdas.map((lambda) => ({ sweep: 'lambda' as const, lambda, alpha: opts.alphaFixed })),
    ...opts.alphas.map((alpha) => ({ sweep: 'alpha' as const, lambda: opts.lambdaFixed, alpha })),
  ];
}

/** Pre-trains the feedback weights once, trains every setting × method from them (on `--workers` threads) and summarises the MN angles. */
async function fig4Measure(settings: Fig4Setting[], opts: Fig4Parsed, ctx: RunContext): Promise<DfcFig4Result> {
  const { train, test } = teacherData(opts.teacher, opts.trainSize, opts.testSize, runSeed(opts));
  const base = (lambda: number, alpha: number, method: Method): RunArgs => ({
    label: `${method} λ=${lambda} α=${alpha}`,
    method,
    feedback: 'trained',
    sizes: opts.student,
    hidden: 'tanh',
    loss: 'mse',
    train,
    test,
    classes: false,
    forward: checkControllerConfig({ ...FIG3_FORWARD, steps: opts.steps, lambda, alpha }),
    ...sharedRunArgs(opts),
    fbPretrainEpochs: 0,
    fbEpochsPerEpoch: 1,
    logEvery: opts.logEvery,
  });
  ctx.log(`pre-training the feedback weights (${opts.fbPretrainEpochs} epochs)...`);
  const init = pretrainFeedback({ ...base(FIG3_FORWARD.lambda, FIG3_FORWARD.alpha, 'DFC'), fbPretrainEpochs: opts.fbPretrainEpochs });
  const tasks = settings.flatMap((s) =>
    opts.methods.map((m) => {
      const args = { ...base(s.lambda, s.alpha, m), init };
      const key = `${s.sweep} ${args.label}`;
      return { module: RUN_MODULE, fn: 'trainRun', args: { ...args, checkpoint: runCheckpoint(opts, key) }, key, units: opts.epochs };
    }),
  );
  const results = await runSweep<RunResult>(tasks, opts, ctx, 'dfc-fig4 settings', (_i, r) => `${r.label} (${r.seconds.toFixed(0)} s)`);
  const summary = results.map((r, i) => {
    const s = settings[Math.floor(i / opts.methods.length)];
    const a = r.series.map((p) => p.mn);
    const mean = a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN;
    const std = a.length ? Math.sqrt(a.reduce((x, y) => x + (y - mean) ** 2, 0) / a.length) : NaN;
    const testLoss = r.epochs.length ? r.epochs[r.epochs.length - 1].testLoss : NaN;
    return { sweep: s.sweep, lambda: s.lambda, alpha: s.alpha, method: r.method, mean, std, status: r.status, testLoss };
  });
  const claims = fig4Claims(summary, `student ${opts.student.join('-')}, ${opts.trainSize} samples, ${opts.epochs} epoch(s) (paper: longer), one seed; angle: mean over the run`);
  return { settings, results, summary, claims };
}

/** Fig. 4: the MN angle (mean ± std over the run) against λ (left) and α (right), one line per method. */
export function fig4Figure(summary: readonly DfcFig4Row[], methods: readonly string[], fixed: { alpha: number; lambda: number }): PlotlyFigure {
  const data: Record<string, unknown>[] = [];
  for (const [k, sweep] of [['lambda', 'lambda'], ['alpha', 'alpha']] as const) {
    for (const m of methods) {
      const pts = summary.filter((p) => p.sweep === sweep && p.method === m);
      data.push({
        x: pts.map((p) => p[k]),
        y: pts.map((p) => p.mean),
        error_y: { type: 'data', array: pts.map((p) => p.std), visible: true },
        mode: 'lines+markers',
        name: `${m}`,
        legendgroup: m,
        showlegend: sweep === 'lambda',
        xaxis: sweep === 'lambda' ? 'x' : 'x2',
        yaxis: sweep === 'lambda' ? 'y' : 'y2',
      });
    }
  }
  return {
    data,
    layout: {
      title: { text: 'DFC Fig. 4: angle with the weighted MN update' },
      grid: { rows: 1, columns: 2, pattern: 'independent' },
      xaxis: { type: 'log', title: { text: `λ (α = ${fixed.alpha})` } },
      xaxis2: { type: 'log', title: { text: `α (λ = ${fixed.lambda})` } },
      yaxis: { title: { text: 'angle (degrees)' }, rangemode: 'tozero' },
      yaxis2: { title: { text: 'angle (degrees)' }, rangemode: 'tozero' },
    },
  };
}

/**
 * dfc-fig4 as a function: pre-trains the feedback weights, trains every setting × method (on
 * `workers` threads) and returns the runs, the MN-angle summary and the claims; writes nothing (see
 * src/experiment/call.ts). The figure is `fig4Figure(result.summary, methods, { alpha, lambda })`.
 *
 *     const r = await runDfcFig4({ trainSize: 300, lambdas: [0.01, 0.5], alphas: [0.001], methods: ['DFC'] });
 *     r.summary.map((s) => [s.sweep, s.lambda, s.alpha, s.mean]);
 */
export async function runDfcFig4(options: OptionsInput<typeof dfcFig4Options> = {}, reporting: CallReporting = {}): Promise<DfcFig4Result> {
  const opts = callOptions(options, dfcFig4Options, 'runDfcFig4');
  return fig4Measure(fig4Plan(opts), opts, callContext(reporting));
}

export const fig4 = defineCommand({
  name: 'dfc-fig4',
  description: 'DFC Fig. 4: alignment with weighted-MN updates for λ ∈ [1e-3, 1e-1] and 0.5, α ∈ [1e-4, 1e-1] (student-teacher)',
  options: dfcFig4Options,
  async run(opts, ctx) {
    const plan = fig4Plan(opts);
    const out = new RunOutput('dfc-fig4', opts.out, opts, ctx);
    const { settings, results, summary, claims } = await fig4Measure(plan, opts, ctx);
    for (const r of results) if (r.status !== 'ok') out.note(`${r.label}: ${r.message}`);
    const rows = summary.map((p) => [p.sweep, p.lambda, p.alpha, p.method, p.status, p.mean, p.std, p.testLoss]);
    const columns = FIG4_SUMMARY_COLUMNS;
    out.table('summary', columns, rows);
    out.json('results', { options: opts, settings, results });
    out.figure('fig4', fig4Figure(summary, opts.methods, { alpha: opts.alphaFixed, lambda: opts.lambdaFixed }), { width: 1200, height: 500 });
    writeClaims(out, 'dfc-fig4', claims);
    out.allowNonFinite('angles are NaN where undefined (a zero update)', ['mean', 'std', '∠MN mean°', '∠MN std°', 'mn']);
    if (summary.some((r) => r.status !== 'ok')) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
    out.finish();
    if (ctx.json) process.stdout.write(JSON.stringify({ columns, rows }, null, 2) + '\n');
    else ctx.log('\n' + formatTable(columns, rows) + `\n(files in ${out.dir})`);
    printClaims(ctx, claims);
  },
});
