/**
 * How the default step of Fig. 12 was chosen: the largest stable Euler step, measured.
 * (`--solver heun` or `rk4` measures the largest stable step of that fixed-step method instead.)
 *
 * For each algorithm and seed, bisection (in log scale) on c = η·‖T‖₂ for the largest step whose
 * 1000 Euler iterations stay finite with the relative error below its starting value at the end
 * (BP starts from random W(0), so "below 1" is used there: below the error of W = 0). Repeating it for
 * several teacher scales shows that the limit is a constant c, i.e. η_max ∝ 1/‖T‖₂.
 * `creditflow reproduce fig12-step` prints the table (about 4 minutes at the default size on the
 * shared 2-core machine); the default step c = 0.003 sits about 7x below the smallest limit measured
 * (URFB, c ≈ 0.021 for teacher sd 1 and 2 alike). Each (teacher scale, seed, algorithm) is one run
 * on `--workers` threads; finished runs are kept under --out/checkpoints for `--resume`.
 */
import * as path from 'node:path';
import { defineCommand } from '../../src/registry';
import { runSweep, sweepOptions } from '../../src/experiment/sweep';
import { printClaims, writeClaims, type Claim } from '../../src/io/claims';
import { RunOutput } from '../../src/io/run';
import { formatTable } from '../../src/io/output';
import type { PlotlyFigure } from '../../src/io/plot';
import { above, opt, UsageError, type OptionsInput, type OptionsOf, type ParsedOf } from '../../src/experiment/options';
import { callContext, callOptions, type CallReporting } from '../../src/experiment/call';
import type { RunContext } from '../../src/experiment/context';
import { outputOptions, seedsOption } from '../../src/experiment/groups';
import { solverChoice, solverOptions } from '../../src/experiment/solver-options';
import { stepClaims } from './claims';
import { solve, type Reduction } from '../../src/core/solve';
import { constantStep } from '../../src/core/controller';
import '../../solvers/index';
import { initialState, LinearFlow, teacherData } from './linear';
import { paperIteration, type IterateSolver } from './iterate';
import { fig12Defaults, seedSetup, spectralNorm, algorithmLabel, type Fig12Settings } from './fig12';

/**
 * True when `steps` iterations with step η = c/‖T‖₂ (the paper's iteration, or `how`) stay finite,
 * every iterate before the last has relative error below 1e6 (the run stops at the first that
 * does not) and the last ends with relative error < 1.
 */
export function stableAt(settings: Fig12Settings, seed: number, epsilon: number | null, c: number, steps: number, how: IterateSolver = paperIteration): boolean {
  const dims = settings.dims;
  const { T, R0, W0 } = seedSetup(settings, dims, seed);
  const data = teacherData(T);
  const flow = new LinearFlow({ dims, algorithm: epsilon === null ? 'bp' : 'feedback', epsilon: epsilon ?? 1 }, data);
  const y0 = epsilon === null ? initialState(flow, W0, null) : initialState(flow, null, R0);
  const eta = c / spectralNorm(T);
  // The error of y_s, from the products the step's first evaluation formed at y_s when it was there.
  let blewUp = false;
  const watch: Reduction = {
    name: 'relative error of each iterate below 1e6',
    size: 1,
    step(_t0, ya) {
      const rel = (flow.lastInput === ya ? flow.errorFromLast() : flow.error(ya)) / data.trYY;
      if (!(rel < 1e6)) blewUp = true;
    },
  };
  const sol = solve(flow.iterationProblem(eta), how.solver, {
    t0: 0,
    t1: steps,
    y0,
    dt0: 1,
    controller: constantStep(),
    reductions: [watch],
    stopWhen: () => blewUp,
  });
  if (sol.status !== 'ok') return false;
  return flow.error(sol.y) / data.trYY < 1;
}

/** Largest stable c (to a factor `resolution`) by bisection on log c in [lo, hi]. */
export function largestStableScale(settings: Fig12Settings, seed: number, epsilon: number | null, steps: number, lo = 1e-4, hi = 1, resolution = 1.03, how: IterateSolver = paperIteration): number {
  if (!stableAt(settings, seed, epsilon, lo, steps, how)) return 0;
  while (hi / lo > resolution) {
    const mid = Math.sqrt(lo * hi);
    if (stableAt(settings, seed, epsilon, mid, steps, how)) lo = mid;
    else hi = mid;
  }
  return lo;
}

export type StepRow = {
  teacherSd: number;
  seed: number;
  normT: number;
  algorithm: string;
  maxStepScale: number;
  maxEta: number;
};

/** One row of `fig12-step` (a sweep task): the largest stable step of one algorithm for one teacher scale and seed (for `solver`, default euler). */
export function stepRow(args: { dims: number[]; teacherSd: number; seed: number; epsilon: number | null; steps: number; solver?: string }): StepRow {
  const settings: Fig12Settings = { ...fig12Defaults, dims: args.dims, teacherSd: args.teacherSd };
  const normT = spectralNorm(seedSetup(settings, settings.dims, args.seed).T);
  const c = largestStableScale(settings, args.seed, args.epsilon, args.steps, undefined, undefined, undefined, { solver: args.solver ?? 'euler' });
  return { teacherSd: args.teacherSd, seed: args.seed, normT, algorithm: algorithmLabel(args.epsilon), maxStepScale: c, maxEta: c / normT };
}

/** The largest stable c per algorithm (one marker per seed, one colour per teacher scale), log axis, with the default c. */
export function stepFigure(rows: readonly StepRow[], defaultScale: number): PlotlyFigure {
  const sds = [...new Set(rows.map((r) => r.teacherSd))];
  const algorithms = [...new Set(rows.map((r) => r.algorithm))];
  return {
    data: [
      ...sds.map((sd) => {
        const rs = rows.filter((r) => r.teacherSd === sd);
        return { type: 'scatter', mode: 'markers', name: `teacher sd ${sd}`, x: rs.map((r) => r.algorithm), y: rs.map((r) => r.maxStepScale), marker: { size: 10 } };
      }),
      { type: 'scatter', mode: 'lines', name: `default c = ${defaultScale}`, x: algorithms, y: algorithms.map(() => defaultScale), line: { dash: 'dash', color: '#444' } },
    ],
    layout: {
      title: { text: 'Largest stable Euler step c = η·‖T‖₂ (one marker per seed): the same c for every teacher scale' },
      xaxis: { title: { text: 'algorithm' }, type: 'category' },
      yaxis: { title: { text: 'largest stable c' }, type: 'log' },
    },
  };
}

/** The output group (--out, --png), each where --help has always listed it. */
const [stepOut, stepPng] = outputOptions('fig12-step');

/** The options of fig12-step (`creditflow reproduce fig12-step --help`). */
export const urfbFig12StepOptions = [
  seedsOption({ default: fig12Defaults.seeds, description: 'seeds (as in fig12)' }),
  opt.numbers('epsilons', 'ε values (BP is always included)', { default: fig12Defaults.epsilons, min: 0 }),
  opt.numbers('teacher-sds', 'teacher entry sds to compare (‖T‖₂ scales as sd³; each > 0)', { default: [1, 2], min: 0, validate: above(0) }),
  opt.integer('steps', 'iterations a stable step must survive', { default: 1000, min: 1 }),
  opt.integers('dims', 'layer widths', { default: fig12Defaults.dims, min: 1 }),
  stepOut,
  ...solverOptions({ solver: 'euler', dt0: 'not used: the step is what fig12-step measures' }),
  ...sweepOptions('teacher scales x seeds x algorithms', 1, null),
  stepPng,
] as const;

/** fig12-step's options by camelCase name, as `runUrfbFig12Step` takes them (all optional there: defaults fill the rest). */
export type UrfbFig12StepOptions = OptionsOf<typeof urfbFig12StepOptions>;

type StepParsed = ParsedOf<typeof urfbFig12StepOptions>;

/** What fig12-step measures: the largest stable step per teacher scale, seed and algorithm, and the claims. */
export interface UrfbFig12StepResult {
  /** The iterations a stable step had to survive. */
  steps: number;
  /** Teacher scale-major, then seed, then algorithm (BP first, then each ε). */
  rows: StepRow[];
  claims: Claim[];
}

/** The measurements as sweep tasks, checked (solver, --dt0) before any work. */
function stepPlan(opts: StepParsed) {
  const { solver } = solverChoice(opts, { what: 'fig12-step (the largest stable fixed step)', sde: false, fixedStep: true });
  if (opts.dt0 !== undefined) throw new UsageError('--dt0: fig12-step measures the largest stable step itself (bisection on c = η·‖T‖₂); leave --dt0 out');
  const algorithms: (number | null)[] = [null, ...opts.epsilons];
  const points = opts.teacherSds.flatMap((teacherSd) => opts.seeds.flatMap((seed) => algorithms.map((epsilon) => ({ dims: opts.dims, teacherSd, seed, epsilon, steps: opts.steps, solver }))));
  return points.map((p) => ({ module: path.join(__dirname, 'step.ts'), fn: 'stepRow', args: p, key: `sd${p.teacherSd}-seed${p.seed}-${p.epsilon === null ? 'bp' : `eps${p.epsilon}`}` }));
}

/** Measures every point on `--workers` threads and judges the claims. */
async function stepMeasure(tasks: ReturnType<typeof stepPlan>, opts: StepParsed, ctx: RunContext): Promise<UrfbFig12StepResult> {
  const rows = await runSweep<StepRow>(tasks, opts, ctx, 'fig12-step', (_i, r) => `${r.algorithm} sd ${r.teacherSd} seed ${r.seed}`);
  return { steps: opts.steps, rows, claims: stepClaims(rows, fig12Defaults.stepScale) };
}

/**
 * fig12-step as a function: bisects the largest stable step of every algorithm, seed and teacher
 * scale (on `workers` threads) and returns the table and the claims; writes nothing (see
 * src/experiment/call.ts). The figure is `stepFigure(result.rows, fig12Defaults.stepScale)`.
 *
 *     const r = await runUrfbFig12Step({ seeds: [1], teacherSds: [2], steps: 300 });
 *     r.rows.map((row) => [row.algorithm, row.maxStepScale]);
 */
export async function runUrfbFig12Step(options: OptionsInput<typeof urfbFig12StepOptions> = {}, reporting: CallReporting = {}): Promise<UrfbFig12StepResult> {
  const opts = callOptions(options, urfbFig12StepOptions, 'runUrfbFig12Step');
  return stepMeasure(stepPlan(opts), opts, callContext(reporting));
}

export const stepCommand = defineCommand({
  name: 'fig12-step',
  description: 'How the default Fig. 12 step was chosen: the largest stable c = η·‖T‖₂ per algorithm and seed, for several teacher scales (η_max ∝ 1/‖T‖₂).',
  options: urfbFig12StepOptions,
  async run(opts, ctx) {
    const tasks = stepPlan(opts);
    const out = new RunOutput('fig12-step', opts.out, opts, ctx);
    let result: UrfbFig12StepResult;
    try {
      result = await stepMeasure(tasks, opts, ctx);
    } catch (e) {
      out.finish('failed');
      throw e;
    }
    const { rows, claims } = result;
    out.json('fig12_step', { steps: result.steps, rows });
    out.csv('fig12_step', ['teacherSd', 'seed', 'normT', 'algorithm', 'maxStepScale', 'maxEta'], rows);
    out.figure('fig12_step', stepFigure(rows, fig12Defaults.stepScale), { title: 'fig12-step' });
    for (const r of rows.filter((q) => q.maxStepScale === 0)) out.note(`${r.algorithm}, teacher sd ${r.teacherSd}, seed ${r.seed}: unstable even at c = 1e-4 (shown as 0 in the table, absent from the log-scale figure)`);
    writeClaims(out, 'fig12-step', claims);
    out.finish('ok');
    if (ctx.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    else ctx.log(formatTable(['teacher sd', 'seed', '‖T‖₂', 'algorithm', 'max c = η‖T‖₂', 'max η'], rows.map((r) => [r.teacherSd, r.seed, r.normT, r.algorithm, r.maxStepScale, r.maxEta])));
    printClaims(ctx, claims);
    return 0;
  },
});
