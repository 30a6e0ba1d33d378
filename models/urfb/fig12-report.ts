/**
 * `creditflow reproduce fig12`: options, output files (JSON, CSV, HTML/PNG figure laid out like
 * the paper's Fig. 12, manifest) and the summary table; `runUrfbFig12` is the same experiment as a
 * function that returns its data and writes nothing.
 *
 * Figure layout: one column per seed; the top row is the relative error tr(EᵀE)/tr(TᵀT) on a log
 * axis against iteration, one colour per algorithm; the rows below are the correlation of W_l with
 * R_lᵀ for l = k (output layer) down to l = 1, in the paper's order from the top of the network.
 *
 * Each (seed, algorithm) run is a task on `--workers` threads (results identical to a serial run);
 * the runs are too short to checkpoint part-way, so only finished runs are kept (with
 * --checkpoint-every > 0, default 0 here so the output folder holds only the results) for --resume.
 */
import * as path from 'node:path';
import { defineCommand } from '../../src/registry';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../src/experiment/options';
import { callContext, callOptions, type CallReporting } from '../../src/experiment/call';
import type { RunContext } from '../../src/experiment/context';
import { outputOptions, seedsOption } from '../../src/experiment/groups';
import { runSweep, sweepOptions } from '../../src/experiment/sweep';
import { checkFits, MAX_STRING_CHARS, usableMemory } from '../../src/io/memory';
import { printClaims, writeClaims, type Claim } from '../../src/io/claims';
import { RunOutput } from '../../src/io/run';
import { formatTable } from '../../src/io/output';
import type { PlotlyFigure } from '../../src/io/plot';
import { solverChoice, solverOptions } from '../../src/experiment/solver-options';
import { fig12Claims } from './claims';
import { fig12Defaults, fig12Footprint, fig12Plan, readFig12Input, validateFig12, type Fig12Result, type Fig12Run, type Fig12Settings } from './fig12';

/** Colours: BP black, FRFB (ε = 0) green as in the paper, then orange, red, URFB (ε = 1) blue. */
export function algorithmColour(epsilon: number | null): string {
  if (epsilon === null) return '#000000';
  const fixed: Record<string, string> = { '0': '#2ca02c', '0.25': '#ff7f0e', '0.5': '#d62728', '1': '#1f77b4' };
  if (fixed[String(epsilon)]) return fixed[String(epsilon)];
  // other ε: interpolate green → blue
  const t = Math.max(0, Math.min(1, epsilon));
  const c = (a: number, b: number) => Math.round(a + (b - a) * t).toString(16).padStart(2, '0');
  return `#${c(0x2c, 0x1f)}${c(0xa0, 0x77)}${c(0x2c, 0xb4)}`;
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);
/** Five significant digits are plenty for a drawn curve (the JSON/CSV keep full precision). */
const round = (v: number): number => Number(v.toPrecision(5));

export function fig12Figure(result: Fig12Result): { figure: PlotlyFigure; width: number; height: number } {
  const seeds = [...new Set(result.runs.map((r) => r.seed))];
  const k = result.runs[0].correlation.length;
  const rows = 1 + k;
  const cols = seeds.length;
  const data: Record<string, unknown>[] = [];
  const axis = (row: number, col: number) => row * cols + col + 1; // 1-based plotly axis index
  const shown = new Set<string>();
  for (const run of result.runs) {
    const col = seeds.indexOf(run.seed);
    const colour = algorithmColour(run.epsilon);
    const legend = !shown.has(run.algorithm);
    shown.add(run.algorithm);
    const a0 = axis(0, col);
    data.push({
      type: 'scattergl',
      mode: 'lines',
      x0: 0,
      dx: 1,
      y: Array.from(run.relError, (v) => (v > 0 && Number.isFinite(v) ? round(v) : null)),
      name: run.algorithm,
      legendgroup: run.algorithm,
      showlegend: legend,
      line: { color: colour, width: 1.5 },
      xaxis: `x${a0 === 1 ? '' : a0}`,
      yaxis: `y${a0 === 1 ? '' : a0}`,
    });
    for (let r = 1; r <= k; r++) {
      const layer = k - r + 1; // top of the network first
      const a = axis(r, col);
      data.push({
        type: 'scattergl',
        mode: 'lines',
        x0: 0,
        dx: 1,
        y: Array.from(run.correlation[layer - 1], (v) => (Number.isFinite(v) ? round(v) : null)),
        name: run.algorithm,
        legendgroup: run.algorithm,
        showlegend: false,
        line: { color: colour, width: 1.5 },
        xaxis: `x${a === 1 ? '' : a}`,
        yaxis: `y${a === 1 ? '' : a}`,
      });
    }
  }
  const layout: Record<string, unknown> = {
    grid: { rows, columns: cols, pattern: 'independent', roworder: 'top to bottom' },
    margin: { l: 70, r: 20, t: 60, b: 70 },
    legend: { orientation: 'h', x: 0, y: 1.06 },
    annotations: [] as unknown[],
  };
  const annotations = layout.annotations as unknown[];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const a = axis(r, c);
      const suffix = a === 1 ? '' : String(a);
      layout[`xaxis${suffix}`] = { title: r === rows - 1 ? { text: 'iteration' } : undefined, showgrid: true };
      layout[`yaxis${suffix}`] =
        r === 0
          ? { type: 'log', exponentformat: 'power', title: c === 0 ? { text: 'tr(EᵀE)/tr(TᵀT)' } : undefined }
          : { range: [-0.05, 1.05], title: c === 0 ? { text: `corr(W${k - r + 1}, R${k - r + 1}ᵀ)` } : undefined };
    }
    if (r === 0) {
      seeds.forEach((seed, c) =>
        annotations.push({ text: `run ${c + 1} (seed ${seed})`, showarrow: false, xref: `x${axis(0, c) === 1 ? '' : axis(0, c)} domain`, yref: `y${axis(0, c) === 1 ? '' : axis(0, c)} domain`, x: 0.5, y: 1.12, font: { size: 13 } }),
      );
    }
  }
  const width = Math.max(700, 360 * cols);
  const height = 300 + 210 * rows;
  return { figure: { data, layout }, width, height };
}

export interface SummaryRow {
  algorithm: string;
  seed: number;
  eta: number;
  itersTo1e3: number | null;
  itersTo1e6: number | null;
  finalRelError: number | null;
  finalCorrelation: (number | null)[];
  status: string;
}

export function fig12Summary(result: Fig12Result): SummaryRow[] {
  return result.runs.map((r) => ({
    algorithm: r.algorithm,
    seed: r.seed,
    eta: r.eta,
    itersTo1e3: r.itersTo1e3 >= 0 ? r.itersTo1e3 : null,
    itersTo1e6: r.itersTo1e6 >= 0 ? r.itersTo1e6 : null,
    finalRelError: finiteOrNull(r.finalRelError),
    finalCorrelation: r.finalCorrelation.map(finiteOrNull),
    status: r.status,
  }));
}

/** Write fig12.json, fig12_error.csv, fig12_correlation.csv, fig12_summary.csv and fig12.html (+png). */
export function writeFig12(result: Fig12Result, out: RunOutput, opts: { png?: boolean } = {}): void {
  const k = result.runs[0].correlation.length;
  const layers = Array.from({ length: k }, (_, i) => i + 1);
  const s = result.settings;
  out.json('fig12', {
    settings: { ...s, input: s.input ? { source: s.input.source, dims: s.input.dims, given: ['T', ...(s.input.R0 ? ['R0'] : []), ...(s.input.W0 ? ['W0'] : [])] } : null },
    errorDefinition: 'error = tr(EᵀE) with E = T − W_k⋯W_1; relError = error / tr(TᵀT)',
    correlationDefinition: 'Pearson correlation of the entries of W_l and R_lᵀ (BP: 1 by construction; null where W_l = 0)',
    runs: result.runs.map((r) => ({
      seed: r.seed,
      algorithm: r.algorithm,
      epsilon: r.epsilon,
      eta: r.eta,
      normT: r.normT,
      status: r.status,
      message: r.message,
      itersTo1e3: r.itersTo1e3 >= 0 ? r.itersTo1e3 : null,
      itersTo1e6: r.itersTo1e6 >= 0 ? r.itersTo1e6 : null,
      finalRelError: finiteOrNull(r.finalRelError),
      finalCorrelation: r.finalCorrelation.map(finiteOrNull),
      error: Array.from(r.error, finiteOrNull),
      relError: Array.from(r.relError, finiteOrNull),
      correlation: Object.fromEntries(layers.map((l) => [`layer${l}`, Array.from(r.correlation[l - 1], finiteOrNull)])),
    })),
  });
  const errRows: Record<string, unknown>[] = [];
  const corrRows: Record<string, unknown>[] = [];
  for (const r of result.runs) {
    for (let it = 0; it < r.error.length; it++) {
      errRows.push({ seed: r.seed, algorithm: r.algorithm, epsilon: r.epsilon ?? '', iteration: it, error: finiteOrNull(r.error[it]), rel_error: finiteOrNull(r.relError[it]) });
      const row: Record<string, unknown> = { seed: r.seed, algorithm: r.algorithm, epsilon: r.epsilon ?? '', iteration: it };
      for (const l of layers) row[`corr_layer${l}`] = finiteOrNull(r.correlation[l - 1][it]);
      corrRows.push(row);
    }
  }
  out.csv('fig12_error', ['seed', 'algorithm', 'epsilon', 'iteration', 'error', 'rel_error'], errRows);
  out.csv('fig12_correlation', ['seed', 'algorithm', 'epsilon', 'iteration', ...layers.map((l) => `corr_layer${l}`)], corrRows);
  const summary = fig12Summary(result);
  out.csv(
    'fig12_summary',
    ['algorithm', 'seed', 'eta', 'iters_to_1e-3', 'iters_to_1e-6', 'final_rel_error', ...layers.map((l) => `final_corr_layer${l}`), 'status'],
    summary.map((r) => ({
      algorithm: r.algorithm,
      seed: r.seed,
      eta: r.eta,
      'iters_to_1e-3': r.itersTo1e3,
      'iters_to_1e-6': r.itersTo1e6,
      final_rel_error: r.finalRelError,
      ...Object.fromEntries(layers.map((l) => [`final_corr_layer${l}`, r.finalCorrelation[l - 1]])),
      status: r.status,
    })),
  );
  const { figure, width, height } = fig12Figure(result);
  out.figure('fig12', figure, {
    title: `URFB Fig. 12: linear ${resultDims(result)} network, log relative error (top) and corr(W_l, R_lᵀ) per layer (below)`,
    width,
    height,
    png: opts.png,
  });
}

function resultDims(result: Fig12Result): string {
  const s = result.settings;
  return (s.input?.dims ?? s.dims).join('-');
}

export function fig12Table(result: Fig12Result): string {
  const k = result.runs[0].correlation.length;
  const cols = ['algorithm', 'seed', 'η', 'iters<1e-3', 'iters<1e-6', 'final rel err', ...Array.from({ length: k }, (_, i) => `corr L${i + 1}`), 'status'];
  const rows = fig12Summary(result).map((r) => [
    r.algorithm,
    r.seed,
    r.eta,
    r.itersTo1e3 ?? 'never',
    r.itersTo1e6 ?? 'never',
    r.finalRelError ?? 'n/a',
    ...r.finalCorrelation.map((c) => (c === null ? 'n/a' : c.toFixed(4))),
    r.status,
  ]);
  return formatTable(cols, rows);
}

/** --solver and its settings; time is counted in iterations of η, so --dt0 is in iterations. */
export const fig12SolverOptions = solverOptions({ solver: 'euler', dt0: '1: one Euler step of η per iteration, the paper\'s iteration; --dt0 is in iterations, since η = c/‖T‖₂ differs per seed' });

/** The output group (--out, --png), each where --help has always listed it. */
const [fig12Out, fig12Png] = outputOptions('fig12');

/** The options of fig12 (`creditflow reproduce fig12 --help`). */
export const urfbFig12Options = [
  seedsOption({ default: fig12Defaults.seeds, description: 'one run per seed (draws T, R(0), BP W(0))' }),
  opt.numbers('epsilons', 'feedback learning rates ε (0 = FRFB, 1 = URFB)', { default: fig12Defaults.epsilons, min: 0 }),
  opt.boolean('bp', 'include back-propagation (--no-bp to leave it out)', { default: true }),
  opt.integer('steps', 'iterations (Euler steps of size η)', { default: fig12Defaults.steps, min: 1 }),
  opt.number('eta', 'step η (overrides --step-scale)', { min: 0 }),
  opt.number('step-scale', 'c in the default step η = c/‖T‖₂ (URFB diverges above c ≈ 0.021)', { default: fig12Defaults.stepScale, min: 0 }),
  ...fig12SolverOptions,
  opt.integers('dims', 'layer widths n_0,...,n_k', { default: fig12Defaults.dims, min: 1 }),
  opt.number('teacher-sd', 'sd of the entries of the teacher factors A_i', { default: fig12Defaults.teacherSd, min: 0 }),
  opt.number('r0-sd', 'sd of the entries of R(0)', { default: fig12Defaults.r0Sd, min: 0 }),
  opt.number('w0-sd', "sd of the entries of BP's W(0)", { default: fig12Defaults.w0Sd, min: 0 }),
  opt.string('input', 'JSON file with explicit "T" (n_k x n_0) and optionally "R0" (list of n_{i-1} x n_i) and "W0" (list of n_i x n_{i-1}), "dims"'),
  fig12Png,
  fig12Out,
  ...sweepOptions('seeds x algorithms', 0, null),
] as const;

/** fig12's options by camelCase name, as `runUrfbFig12` takes them (all optional there: defaults fill the rest). */
export type UrfbFig12Options = OptionsOf<typeof urfbFig12Options>;

/** fig12's parsed options (with the options every command has). */
export type UrfbFig12Parsed = ParsedOf<typeof urfbFig12Options>;

/** The integrator from --solver/--dt0/--rtol/--atol (refused before any work when it cannot integrate the flow). */
export function fig12Solver(opts: UrfbFig12Parsed): Pick<Fig12Settings, 'solver' | 'dt0' | 'rtol' | 'atol'> {
  return solverChoice(opts, { what: 'the Fig. 12 learning flow (eqs. 7-9)', sde: false });
}

export function settingsFromOptions(opts: UrfbFig12Parsed): Fig12Settings {
  return {
    dims: opts.dims,
    seeds: opts.seeds,
    epsilons: opts.epsilons,
    bp: opts.bp,
    steps: opts.steps,
    eta: opts.eta,
    stepScale: opts.stepScale,
    ...fig12Solver(opts),
    teacherSd: opts.teacherSd,
    r0Sd: opts.r0Sd,
    w0Sd: opts.w0Sd,
    input: opts.input ? readFig12Input(opts.input) : undefined,
  };
}

/** What fig12 measures: the settings and every (seed, algorithm) run (error and correlation per iteration), the summary and the claims. */
export interface UrfbFig12Result extends Fig12Result {
  /** fig12_summary.csv: iterations to 1e-3 and 1e-6, final relative error and correlations per run. */
  summary: SummaryRow[];
  claims: Claim[];
}

/** The settings and the runs as sweep tasks, checked (values, solver, memory) before any work. */
function fig12RunPlan(opts: UrfbFig12Parsed) {
  const settings = settingsFromOptions(opts);
  validateFig12(settings);
  // Refuse a size that cannot fit before allocating (the largest --steps that fits, from the same estimate).
  const perStep = fig12Footprint({ ...settings, steps: 0 });
  if (perStep.stateBytes > usableMemory()) checkFits({ bytes: perStep.stateBytes }, `--dims ${settings.dims.join(',')} with ${fig12Plan(settings).length} runs`, 'lower the widths in --dims (or run fewer seeds or ε)');
  const maxSteps = Math.floor(Math.min((usableMemory() - perStep.bytes) / (perStep.bytes - 2e8 - perStep.stateBytes), MAX_STRING_CHARS / perStep.chars)) - 1;
  checkFits(fig12Footprint(settings), `--steps ${settings.steps} with ${fig12Plan(settings).length} runs`, `lower --steps to at most ${maxSteps} (or run fewer seeds or ε)`);
  const plan = fig12Plan(settings);
  const tasks = plan.map((run) => ({ module: path.join(__dirname, 'fig12.ts'), fn: 'fig12Run', args: { settings, ...run }, key: `seed${run.seed}-${run.epsilon === null ? 'bp' : `eps${run.epsilon}`}` }));
  return { settings, tasks };
}

/** Runs every (seed, algorithm) on `--workers` threads and summarises them. */
async function fig12Measure(plan: ReturnType<typeof fig12RunPlan>, opts: UrfbFig12Parsed, ctx: RunContext): Promise<UrfbFig12Result> {
  const result: Fig12Result = { settings: plan.settings, runs: await runSweep<Fig12Run>(plan.tasks, opts, ctx, 'fig12', (_i, r) => `${r.algorithm} seed ${r.seed}`) };
  return { ...result, summary: fig12Summary(result), claims: fig12Claims(result) };
}

/**
 * fig12 as a function: runs BP and the feedback algorithms for every seed (on `workers` threads)
 * and returns the error and correlation curves (`runs[i].relError`, `runs[i].correlation[l]`, one
 * value per iteration), the summary and the claims; writes nothing (see src/experiment/call.ts).
 * The figure is `fig12Figure(result).figure`.
 *
 *     const r = await runUrfbFig12({ steps: 300, seeds: [1], epsilons: [0, 1] });
 *     r.summary.map((s) => [s.algorithm, s.itersTo1e6, s.finalRelError]);
 */
export async function runUrfbFig12(options: OptionsInput<typeof urfbFig12Options> = {}, reporting: CallReporting = {}): Promise<UrfbFig12Result> {
  const opts = callOptions(options, urfbFig12Options, 'runUrfbFig12');
  return fig12Measure(fig12RunPlan(opts), opts, callContext(reporting));
}

export const fig12Command = defineCommand({
  name: 'fig12',
  description:
    'URFB Fig. 12: BP, FRFB (ε=0) and updated feedback (ε>0) on a linear 40-100-100-10 network (X = I, teacher T = A3A2A1, N(0, 2²) entries); log relative error and corr(W_l, R_lᵀ) per layer for 3 runs.',
  options: urfbFig12Options,
  async run(opts, ctx) {
    const plan = fig12RunPlan(opts);
    const { settings } = plan;
    const out = new RunOutput('fig12', opts.out, opts, ctx);
    const runsPlanned = settings.input?.R0 && settings.input?.W0 ? 1 : settings.seeds.length;
    let result: UrfbFig12Result;
    try {
      result = await fig12Measure(plan, opts, ctx);
    } catch (e) {
      out.finish('failed');
      throw e;
    }
    if (runsPlanned === 1 && settings.input && settings.seeds.length > 1) out.note(`T, R0 and W0 all come from ${settings.input.source}: one run, labelled seed ${settings.seeds[0]} (the other seeds would repeat it)`);
    writeFig12(result, out, { png: opts.png });
    for (const r of result.runs) if (r.status !== 'ok') out.note(`${r.algorithm} seed ${r.seed}: ${r.message}`);
    writeClaims(out, 'fig12', result.claims);
    const manifest = out.finish('ok');
    if (ctx.json) {
      process.stdout.write(JSON.stringify({ out: out.dir, files: manifest.files, summary: result.summary }, null, 2) + '\n');
    } else {
      ctx.log(fig12Table(result));
      ctx.log(`\nwrote ${manifest.files.length} files to ${out.dir} (${manifest.wallSeconds?.toFixed(1)} s)`);
      printClaims(ctx, result.claims);
    }
    return result.runs.every((r) => r.status === 'ok') ? 0 : 1;
  },
});
