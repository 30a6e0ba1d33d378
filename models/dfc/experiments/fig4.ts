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
import { pngOption } from '../../../src/experiment/options';
import { formatTable } from '../../../src/io/output';
import { printClaims, writeClaims } from '../../../src/io/claims';
import { RunOutput } from '../../../src/io/run';
import type { CommandSpec } from '../../../src/registry';
import { checkControllerConfig, FIG3_FORWARD } from '../config';
import type { Method } from '../rules';
import { RUN_MODULE } from './fig3';
import { pretrainFeedback, runSeed, sharedRunArgs, sharedRunOptions, type RunArgs, type RunResult, wakeSolverChoice } from './run';
import { teacherData } from './teacher';
import { fig4Claims } from '../claims';

export const fig4: CommandSpec = {
  name: 'dfc-fig4',
  description: 'DFC Fig. 4: alignment with weighted-MN updates for λ ∈ [1e-3, 1e-1] and 0.5, α ∈ [1e-4, 1e-1] (student-teacher)',
  options: [
    { name: 'out', type: 'string', description: 'output folder', default: 'out/dfc-fig4' },
    ...sharedRunOptions({ epochs: 1, lrQ: 3e-3, fbPretrainEpochs: 20, seed: 'seed (data, initialisation, noise)', fbPretrain: 'feedback pre-training epochs (shared by all settings)' }),
    { name: 'methods', type: 'strings', description: 'DFC variants (trained feedback)', choices: ['DFC', 'DFC-SS', 'DFC-SSA'], default: ['DFC', 'DFC-SS'] },
    { name: 'lambdas', type: 'numbers', description: 'λ values (at α = --alpha-fixed)', default: [0.001, 0.01, 0.1, 0.5] },
    { name: 'alphas', type: 'numbers', description: 'α values (at λ = --lambda-fixed)', default: [1e-4, 1e-3, 1e-2, 1e-1] },
    { name: 'alpha-fixed', type: 'number', description: 'α of the λ sweep', default: FIG3_FORWARD.alpha, min: 0 },
    { name: 'lambda-fixed', type: 'number', description: 'λ of the α sweep', default: FIG3_FORWARD.lambda, min: 0 },
    { name: 'train-size', type: 'integer', description: 'training samples', default: 2000, min: 32 },
    { name: 'test-size', type: 'integer', description: 'test samples', default: 500, min: 1 },
    { name: 'teacher', type: 'integers', description: 'teacher layer sizes (ReLU)', default: [15, 1000, 1000, 1000, 1000, 5] },
    { name: 'student', type: 'integers', description: 'student layer sizes (tanh)', default: [15, 10, 10, 5] },
    { name: 'steps', type: 'integer', description: 'Euler steps per sample', default: FIG3_FORWARD.steps, min: 1 },
    { name: 'log-every', type: 'integer', description: 'measure the MN angle every this many minibatches', default: 4, min: 1 },
    ...sweepOptions('settings'),
    pngOption,
  ],
  async run(opts, ctx) {
    wakeSolverChoice(opts); // an unsuitable --solver is refused before any work
    const out = new RunOutput('dfc-fig4', opts.out, opts, ctx);
    const { train, test } = teacherData(opts.teacher, opts.trainSize, opts.testSize, runSeed(opts));
    const settings = [
      ...(opts.lambdas as number[]).map((lambda) => ({ sweep: 'lambda', lambda, alpha: opts.alphaFixed as number })),
      ...(opts.alphas as number[]).map((alpha) => ({ sweep: 'alpha', lambda: opts.lambdaFixed as number, alpha })),
    ];
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
      (opts.methods as Method[]).map((m) => {
        const args = { ...base(s.lambda, s.alpha, m), init };
        const key = `${s.sweep} ${args.label}`;
        return { module: RUN_MODULE, fn: 'trainRun', args: { ...args, checkpoint: runCheckpoint(opts, key) }, key, units: opts.epochs };
      }),
    );
    const results = await runSweep<RunResult>(tasks, opts, ctx, 'dfc-fig4 settings', (_i, r) => `${r.label} (${r.seconds.toFixed(0)} s)`);
    const rows: (string | number)[][] = [];
    const perPoint: { sweep: string; lambda: number; alpha: number; method: string; mean: number; std: number; status: string; testLoss: number }[] = [];
    results.forEach((r, i) => {
      const s = settings[Math.floor(i / (opts.methods as string[]).length)];
      const a = r.series.map((p) => p.mn);
      const mean = a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN;
      const std = a.length ? Math.sqrt(a.reduce((x, y) => x + (y - mean) ** 2, 0) / a.length) : NaN;
      const testLoss = r.epochs.length ? r.epochs[r.epochs.length - 1].testLoss : NaN;
      perPoint.push({ sweep: s.sweep, lambda: s.lambda, alpha: s.alpha, method: r.method, mean, std, status: r.status, testLoss });
      rows.push([s.sweep, s.lambda, s.alpha, r.method, r.status, mean, std, testLoss]);
      if (r.status !== 'ok') out.note(`${r.label}: ${r.message}`);
    });
    const columns = ['sweep', 'λ', 'α', 'method', 'status', '∠MN mean°', '∠MN std°', 'test loss'];
    out.table('summary', columns, rows);
    out.json('results', { options: opts, settings, results });
    const data: Record<string, unknown>[] = [];
    for (const [k, sweep] of [['lambda', 'lambda'], ['alpha', 'alpha']] as const) {
      for (const m of opts.methods as string[]) {
        const pts = perPoint.filter((p) => p.sweep === sweep && p.method === m);
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
    out.figure(
      'fig4',
      {
        data,
        layout: {
          title: { text: 'DFC Fig. 4: angle with the weighted MN update' },
          grid: { rows: 1, columns: 2, pattern: 'independent' },
          xaxis: { type: 'log', title: { text: `λ (α = ${opts.alphaFixed})` } },
          xaxis2: { type: 'log', title: { text: `α (λ = ${opts.lambdaFixed})` } },
          yaxis: { title: { text: 'angle (degrees)' }, rangemode: 'tozero' },
          yaxis2: { title: { text: 'angle (degrees)' }, rangemode: 'tozero' },
        },
      },
      { width: 1200, height: 500 },
    );
    const claims = fig4Claims(perPoint, `student ${opts.student.join('-')}, ${opts.trainSize} samples, ${opts.epochs} epoch(s) (paper: longer), one seed; angle: mean over the run`);
    writeClaims(out, 'dfc-fig4', claims);
    out.allowNonFinite('angles are NaN where undefined (a zero update)', ['mean', 'std', '∠MN mean°', '∠MN std°', 'mn']);
    if (perPoint.some((r) => r.status !== 'ok')) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
    out.finish();
    if (ctx.json) process.stdout.write(JSON.stringify({ columns, rows }, null, 2) + '\n');
    else ctx.log('\n' + formatTable(columns, rows) + `\n(files in ${out.dir})`);
    printClaims(ctx, claims);
  },
};
