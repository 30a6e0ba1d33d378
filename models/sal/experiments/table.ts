/**
 * `creditflow reproduce sal-table` (Table 1, MNIST column): SAL against SGD, feedback alignment,
 * weight mirror and Kolen–Pollack, all configurations of the one circuit, on the shared MNIST
 * 8,000/2,000 split, 3 seeds; mean ± standard deviation of the final test accuracy.
 *
 * Defaults (about 15-20 min on 2 cores): the paper's 5-layer MLP (3 hidden layers of 200),
 * 15 epochs, batch 32, the same rates for every method (η_W = η_W̄ = 0.01, η_V = η_V̄ = 0.001,
 * γ = 1e-4), cross-entropy, SAL with D_d = I.
 */
import type { CommandSpec } from '../../../src/registry';
import { printClaims, writeClaims } from '../../../src/io/claims';
import { RunOutput } from '../../../src/io/run';
import { METHOD_LABELS, METHODS, methodConfig, type Method } from '../presets';
import { salTableClaims } from '../claims';
import { accuracyFigure, baseConfig, checkBatch, dataLabel, dataShape, pct, printTable, trainingOptions, trainRuns, writeCurves, type RunSpec } from './common';

export const tableExperiment: CommandSpec = {
  name: 'sal-table',
  description: 'SAL Table 1 (MNIST): SAL vs SGD, FA, weight mirror, KP on the 8k/2k split, 3 seeds',
  options: [
    ...trainingOptions('sal-table', { epochs: 15, width: 200, hidden: 3, seeds: [1, 2, 3] }),
    { name: 'methods', type: 'strings', description: 'methods to run', default: [...METHODS], choices: [...METHODS] },
    { name: 'down-gate', type: 'string', description: "SAL's D_d", default: 'identity', choices: ['identity', 'relu-jacobian'] },
  ],
  async run(opts, ctx) {
    const base = { ...baseConfig(opts, dataShape(opts).d, dataShape(opts).classes), downGate: opts.downGate };
    const runs: RunSpec[] = [];
    for (const m of opts.methods as Method[]) for (const seed of opts.seeds as number[]) runs.push({ key: m, label: METHOD_LABELS[m], config: methodConfig(m, base), seed });
    checkBatch(opts);
    const out = new RunOutput('sal-table', opts.out, opts, ctx);
    const records = await trainRuns(runs, opts, ctx, 'sal-table');
    writeCurves(out, records);
    const summary = (opts.methods as Method[]).map((m) => {
      const rs = records.filter((r) => r.key === m);
      const accs = rs.map((r) => r.finalAccuracy);
      const mean = accs.reduce((s, v) => s + v, 0) / accs.length;
      const std = Math.sqrt(accs.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, accs.length - 1));
      return { method: m, label: METHOD_LABELS[m], mean, std, seeds: rs.map((r) => r.seed), accuracies: accs, diverged: rs.filter((r) => r.status !== 'ok').length };
    });
    out.csv('summary', ['method', 'label', 'mean', 'std', 'diverged'], summary);
    out.csv('runs', ['run', 'label', 'seed', 'finalAccuracy', 'bestAccuracy', 'status'], records.map((r) => ({ run: r.key, label: r.label, seed: r.seed, finalAccuracy: r.finalAccuracy, bestAccuracy: r.bestAccuracy, status: r.status })));
    out.json('results', { summary, records });
    out.figure('table', accuracyFigure(records, 'SAL vs SGD, FA, WM, KP on MNIST (test accuracy)'), { title: 'sal-table', png: opts.png });
    out.figure(
      'table-bars',
      {
        data: [{ type: 'bar', x: summary.map((s) => s.label), y: summary.map((s) => 100 * s.mean), error_y: { type: 'data', array: summary.map((s) => 100 * s.std) } }],
        layout: { title: { text: `final test accuracy, mean ± sd over ${(opts.seeds as number[]).length} seeds` }, yaxis: { title: { text: 'test accuracy (%)' } } },
      },
      { title: 'sal-table', png: opts.png },
    );
    const claims = salTableClaims(records, { data: dataLabel(opts), sizes: base.sizes, epochs: opts.epochs, seeds: opts.seeds });
    writeClaims(out, 'sal-table', claims);
    if (records.some((r) => r.status !== 'ok')) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
    out.finish();
    if (opts.json) process.stdout.write(JSON.stringify({ summary, dir: out.dir }, null, 2) + '\n');
    else printTable(ctx, ['method', 'test acc (%) mean', '± sd', 'per seed'], summary.map((s) => [s.label, pct(s.mean), (100 * s.std).toFixed(2), s.accuracies.map(pct).join(' ')]));
    ctx.log(`wrote ${out.dir}`);
    printClaims(ctx, claims);
  },
};
