/**
 * `creditflow reproduce sal-ablation` (Fig. 4): W always plastic, every subset of {V̄, W̄, V} plastic
 * (the rest fixed at their random initial values), plus a linear model (input → output) trained by
 * SGD, on the shared MNIST 8,000/2,000 split. Test accuracy curves and a table.
 *
 * Defaults (about 10-15 min on 2 cores): the paper's 5-layer MLP (3 hidden layers of 200, D_d = I),
 * 20 epochs, batch 32, η_W = η_W̄ = 0.01, η_V = η_V̄ = 0.001, γ = 1e-4, cross-entropy.
 */
import { defineCommand } from '../../../src/registry';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import type { RunContext } from '../../../src/experiment/context';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import { RunOutput } from '../../../src/io/run';
import { ablationConfig, ablationSubsets, linearConfig, subsetLabel } from '../presets';
import { salAblationClaims } from '../claims';
import { accuracyFigure, baseConfig, checkBatch, dataLabel, dataShape, pct, printTable, salTrainingOptions, trainRuns, writeCurves, type RunRecord, type RunSpec } from './common';
import type { PlotlyFigure } from '../../../src/io/plot';

/**
 * Where the curves overlap: the final test accuracy of each configuration as a bar (mean over
 * seeds, ± sd when there are several) with every seed as a dot, on an axis zoomed to the bars.
 */
export function finalAccuracyFigure(records: readonly RunRecord[], seedCount: number): PlotlyFigure {
  const keys = [...new Set(records.map((r) => r.key))];
  const rows = keys.map((key) => {
    const rs = records.filter((r) => r.key === key);
    const accs = rs.map((r) => (r.status === 'ok' ? 100 * r.finalAccuracy : NaN)).filter(Number.isFinite);
    const mean = accs.reduce((a, v) => a + v, 0) / Math.max(1, accs.length);
    const sd = accs.length > 1 ? Math.sqrt(accs.reduce((a, v) => a + (v - mean) ** 2, 0) / (accs.length - 1)) : 0;
    return { label: rs[0].label, accs, mean, sd, diverged: rs.length - accs.length, runs: rs.length };
  });
  const all = rows.flatMap((r) => r.accs);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const pad = Math.max(0.5, 0.1 * (hi - lo));
  return {
    data: [
      { type: 'bar', name: seedCount > 1 ? `mean ± sd (${seedCount} seeds)` : 'final accuracy', x: rows.map((r) => r.label), y: rows.map((r) => r.mean), error_y: { type: 'data', array: rows.map((r) => r.sd), visible: seedCount > 1 }, marker: { color: '#9ecae1' } },
      { type: 'scatter', mode: 'markers', name: 'each seed', x: rows.flatMap((r) => r.accs.map(() => r.label)), y: all, marker: { color: '#08519c', size: 7 } },
      ...(rows.some((r) => r.diverged > 0)
        ? [{ type: 'scatter', mode: 'text', name: 'diverged runs', showlegend: false, x: rows.filter((r) => r.diverged > 0).map((r) => r.label), y: rows.filter((r) => r.diverged > 0).map(() => lo - 0.5 * pad), text: rows.filter((r) => r.diverged > 0).map((r) => `${r.diverged}/${r.runs} diverged`), textfont: { color: '#b2182b' } }]
        : []),
    ],
    layout: {
      title: { text: `SAL plasticity ablation: final test accuracy per configuration${seedCount > 1 ? ` (mean ± sd over ${seedCount} seeds)` : ''}` },
      xaxis: { title: { text: 'plastic connections' }, type: 'category' },
      yaxis: { title: { text: 'final test accuracy (%)' }, range: [lo - pad, hi + pad] },
      showlegend: true,
    },
  };
}

/** The options of sal-ablation (`creditflow reproduce sal-ablation --help`). */
export const salAblationOptions = [
  ...salTrainingOptions('sal-ablation', { epochs: 20, width: 200, hidden: 3 }),
  opt.choice('down-gate', 'D_d of the downstream pathway', ['identity', 'relu-jacobian'], { default: 'identity' }),
] as const;

/** sal-ablation's options by camelCase name, as `runSalAblation` takes them (all optional there: defaults fill the rest). */
export type SalAblationOptions = OptionsOf<typeof salAblationOptions>;

/** One run's row of summary.csv. */
export type SalAblationRow = {
  run: string;
  label: string;
  finalAccuracy: number;
  bestAccuracy: number;
  finalTestLoss: number;
  status: RunRecord['status'];
  samplesPerSecond: number;
};

/** What sal-ablation measures: every run's curve, the summary table and the paper's claims judged on them. */
export interface SalAblationResult {
  /** Every configuration × seed: per-epoch curve, final and best test accuracy, status. */
  records: RunRecord[];
  summary: SalAblationRow[];
  claims: Claim[];
  /** The seeds run and the layer sizes of the MLP. */
  seeds: number[];
  sizes: number[];
}

type AblationParsed = ParsedOf<typeof salAblationOptions>;

/** The runs of the ablation (every subset of {V̄, W̄, V} plastic, and the linear model, per seed), checked before any work. */
function ablationRuns(opts: AblationParsed): { runs: RunSpec[]; sizes: number[] } {
  const base = { ...baseConfig(opts, dataShape(opts).d, dataShape(opts).classes), downGate: opts.downGate };
  const runs: RunSpec[] = opts.seeds.flatMap((seed) => [
    ...ablationSubsets().map((parts) => ({ key: ['W', ...parts].join('+'), label: subsetLabel(parts), config: ablationConfig(parts, base), seed })),
    { key: 'linear', label: 'Linear (SGD)', config: linearConfig(base), seed },
  ]);
  checkBatch(opts);
  return { runs, sizes: [...base.sizes] };
}

async function trainAblation(runs: RunSpec[], sizes: number[], opts: AblationParsed, ctx: RunContext): Promise<SalAblationResult> {
  const records = await trainRuns(runs, opts, ctx, 'sal-ablation');
  const summary = records.map((r) => ({ run: r.key, label: r.label, finalAccuracy: r.finalAccuracy, bestAccuracy: r.bestAccuracy, finalTestLoss: r.finalTestLoss, status: r.status, samplesPerSecond: r.samplesPerSecond }));
  const claims = salAblationClaims(records, { data: dataLabel(opts), sizes, epochs: opts.epochs, seeds: opts.seeds });
  return { records, summary, claims, seeds: opts.seeds, sizes };
}

/**
 * sal-ablation as a function: trains every configuration (on `workers` threads) and returns the
 * curves, the summary and the claims; writes nothing (see src/experiment/call.ts). The figures are
 * `accuracyFigure(result.records, title)` and `finalAccuracyFigure(result.records, seeds)`.
 *
 *     const r = await runSalAblation({ epochs: 2, trainSize: 2000, testSize: 500, seeds: [1, 2] });
 *     r.summary.map((s) => [s.label, s.finalAccuracy]);
 */
export async function runSalAblation(options: OptionsInput<typeof salAblationOptions> = {}, reporting: CallReporting = {}): Promise<SalAblationResult> {
  const opts = callOptions(options, salAblationOptions, 'runSalAblation');
  const { runs, sizes } = ablationRuns(opts);
  return trainAblation(runs, sizes, opts, callContext(reporting));
}

export const ablationExperiment = defineCommand({
  name: 'sal-ablation',
  description: 'SAL Fig. 4: plasticity ablation (W plastic + every subset of V̄, W̄, V) and a linear model, MNIST 8k/2k',
  options: salAblationOptions,
  async run(opts, ctx) {
    const { runs, sizes } = ablationRuns(opts);
    const out = new RunOutput('sal-ablation', opts.out, opts, ctx);
    const { records, summary, claims } = await trainAblation(runs, sizes, opts, ctx);
    writeCurves(out, records);
    out.csv('summary', ['run', 'label', 'finalAccuracy', 'bestAccuracy', 'finalTestLoss', 'status', 'samplesPerSecond'], summary);
    out.json('results', { summary, records });
    out.figure('ablation', accuracyFigure(records, 'SAL plasticity ablation on MNIST (plastic connections in the legend)'), { png: opts.png });
    out.figure('ablation-final', finalAccuracyFigure(records, opts.seeds.length), { width: 900, height: 520, png: opts.png });
    writeClaims(out, 'sal-ablation', claims);
    if (records.some((r) => r.status !== 'ok')) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
    out.finish();
    if (opts.json) process.stdout.write(JSON.stringify({ summary, dir: out.dir }, null, 2) + '\n');
    else printTable(ctx, ['plastic', 'final test acc (%)', 'best (%)', 'test loss', 'status'], records.map((r) => [r.label, pct(r.finalAccuracy), pct(r.bestAccuracy), r.finalTestLoss, r.status]));
    ctx.log(`wrote ${out.dir}`);
    printClaims(ctx, claims);
  },
});
