/**
 * `creditflow reproduce sal-table` (Table 1, MNIST column): SAL against SGD, feedback alignment,
 * weight mirror and Kolen–Pollack, all configurations of the one circuit, on the shared MNIST
 * 8,000/2,000 split, 3 seeds; mean ± standard deviation of the final test accuracy.
 *
 * Defaults (about 15-20 min on 2 cores): the paper's 5-layer MLP (3 hidden layers of 200),
 * 15 epochs, batch 32, the same rates for every method (η_W = η_W̄ = 0.01, η_V = η_V̄ = 0.001,
 * γ = 1e-4), cross-entropy, SAL with D_d = I.
 */
import { defineCommand } from '../../../src/registry';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import type { RunContext } from '../../../src/experiment/context';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import { RunOutput } from '../../../src/io/run';
import { METHOD_LABELS, METHODS, methodConfig, type Method } from '../presets';
import { salTableClaims } from '../claims';
import { accuracyFigure, baseConfig, checkBatch, dataLabel, dataShape, pct, printTable, salTrainingOptions, trainRuns, writeCurves, type RunRecord, type RunSpec } from './common';

/** The options of sal-table (`creditflow reproduce sal-table --help`). */
export const salTableOptions = [
  ...salTrainingOptions('sal-table', { epochs: 15, width: 200, hidden: 3, seeds: [1, 2, 3] }),
  opt.choices('methods', 'methods to run', METHODS, { default: METHODS }),
  opt.choice('down-gate', "SAL's D_d", ['identity', 'relu-jacobian'], { default: 'identity' }),
] as const;

/** sal-table's options by camelCase name, as `runSalTable` takes them. */
export type SalTableOptions = OptionsOf<typeof salTableOptions>;

/** One method's row of summary.csv: mean ± sd of the final test accuracy over the seeds. */
export type SalTableRow = {
  method: Method;
  label: string;
  mean: number;
  std: number;
  seeds: number[];
  accuracies: number[];
  diverged: number;
};

/** What sal-table measures: every run, one row per method, and the paper's claims judged on them. */
export interface SalTableResult {
  records: RunRecord[];
  summary: SalTableRow[];
  claims: Claim[];
  sizes: number[];
}

type TableParsed = ParsedOf<typeof salTableOptions>;

function tableRuns(opts: TableParsed): { runs: RunSpec[]; sizes: number[] } {
  const base = { ...baseConfig(opts, dataShape(opts).d, dataShape(opts).classes), downGate: opts.downGate };
  const runs: RunSpec[] = [];
  for (const m of opts.methods) for (const seed of opts.seeds) runs.push({ key: m, label: METHOD_LABELS[m], config: methodConfig(m, base), seed });
  checkBatch(opts);
  return { runs, sizes: [...base.sizes] };
}

async function trainTable(runs: RunSpec[], sizes: number[], opts: TableParsed, ctx: RunContext): Promise<SalTableResult> {
  const records = await trainRuns(runs, opts, ctx, 'sal-table');
  const summary = opts.methods.map((m) => {
    const rs = records.filter((r) => r.key === m);
    const accs = rs.map((r) => r.finalAccuracy);
    const mean = accs.reduce((s, v) => s + v, 0) / accs.length;
    const std = Math.sqrt(accs.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, accs.length - 1));
    return { method: m, label: METHOD_LABELS[m], mean, std, seeds: rs.map((r) => r.seed), accuracies: accs, diverged: rs.filter((r) => r.status !== 'ok').length };
  });
  const claims = salTableClaims(records, { data: dataLabel(opts), sizes, epochs: opts.epochs, seeds: opts.seeds });
  return { records, summary, claims, sizes };
}

/** sal-table as a function: trains every method × seed and returns the runs, the summary and the claims; writes nothing. */
export async function runSalTable(options: OptionsInput<typeof salTableOptions> = {}, reporting: CallReporting = {}): Promise<SalTableResult> {
  const opts = callOptions(options, salTableOptions, 'runSalTable');
  const { runs, sizes } = tableRuns(opts);
  return trainTable(runs, sizes, opts, callContext(reporting));
}

export const tableExperiment = defineCommand({
  name: 'sal-table',
  description: 'SAL Table 1 (MNIST): SAL vs SGD, FA, weight mirror, KP on the 8k/2k split, 3 seeds',
  options: salTableOptions,
  async run(opts, ctx) {
    const { runs, sizes } = tableRuns(opts);
    const out = new RunOutput('sal-table', opts.out, opts, ctx);
    const { records, summary, claims } = await trainTable(runs, sizes, opts, ctx);
    writeCurves(out, records);
    out.csv('summary', ['method', 'label', 'mean', 'std', 'diverged'], summary);
    out.csv('runs', ['run', 'label', 'seed', 'finalAccuracy', 'bestAccuracy', 'status'], records.map((r) => ({ run: r.key, label: r.label, seed: r.seed, finalAccuracy: r.finalAccuracy, bestAccuracy: r.bestAccuracy, status: r.status })));
    out.json('results', { summary, records });
    out.figure('table', accuracyFigure(records, 'SAL vs SGD, FA, WM, KP on MNIST (test accuracy)'), { title: 'sal-table', png: opts.png });
    out.figure(
      'table-bars',
      {
        data: [{ type: 'bar', x: summary.map((s) => s.label), y: summary.map((s) => 100 * s.mean), error_y: { type: 'data', array: summary.map((s) => 100 * s.std) } }],
        layout: { title: { text: `final test accuracy, mean ± sd over ${opts.seeds.length} seeds` }, yaxis: { title: { text: 'test accuracy (%)' } } },
      },
      { title: 'sal-table', png: opts.png },
    );
    writeClaims(out, 'sal-table', claims);
    if (records.some((r) => r.status !== 'ok')) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
    out.finish();
    if (opts.json) process.stdout.write(JSON.stringify({ summary, dir: out.dir }, null, 2) + '\n');
    else printTable(ctx, ['method', 'test acc (%) mean', '± sd', 'per seed'], summary.map((s) => [s.label, pct(s.mean), (100 * s.std).toFixed(2), s.accuracies.map(pct).join(' ')]));
    ctx.log(`wrote ${out.dir}`);
    printClaims(ctx, claims);
  },
});
