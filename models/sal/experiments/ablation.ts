/**
 * `creditflow reproduce sal-ablation` (Fig. 4): W always plastic, every subset of {V̄, W̄, V} plastic
 * (the rest fixed at their random initial values), plus a linear model (input → output) trained by
 * SGD, on the shared MNIST 8,000/2,000 split. Test accuracy curves and a table.
 *
 * Defaults (about 10-15 min on 2 cores): the paper's 5-layer MLP (3 hidden layers of 200, D_d = I),
 * 20 epochs, batch 32, η_W = η_W̄ = 0.01, η_V = η_V̄ = 0.001, γ = 1e-4, cross-entropy.
 */
import { MNIST_CLASSES, MNIST_PIXELS } from '../../../src/data/mnist';
import type { CommandSpec } from '../../../src/registry';
import { printClaims, writeClaims } from '../../../src/io/claims';
import { RunOutput } from '../../../src/io/run';
import { ablationConfig, ablationSubsets, linearConfig, subsetLabel } from '../presets';
import { salAblationClaims } from '../claims';
import { accuracyFigure, baseConfig, dataLabel, pct, printTable, trainingOptions, trainRuns, writeCurves, type RunSpec } from './common';

export const ablationExperiment: CommandSpec = {
  name: 'sal-ablation',
  description: 'SAL Fig. 4: plasticity ablation (W plastic + every subset of V̄, W̄, V) and a linear model, MNIST 8k/2k',
  options: [
    ...trainingOptions('sal-ablation', { epochs: 20, width: 200, hidden: 3 }),
    { name: 'down-gate', type: 'string', description: 'D_d of the downstream pathway', default: 'identity', choices: ['identity', 'relu-jacobian'] },
    { name: 'seeds', type: 'integers', description: 'several seeds (overrides --seed): every configuration runs once per seed and the claims use the spread' },
  ],
  async run(opts, ctx) {
    const base = { ...baseConfig(opts, MNIST_PIXELS, MNIST_CLASSES), downGate: opts.downGate };
    const seeds: number[] = opts.seeds ?? [opts.seed];
    const runs: RunSpec[] = seeds.flatMap((seed) => [
      ...ablationSubsets().map((parts) => ({ key: ['W', ...parts].join('+'), label: subsetLabel(parts), config: ablationConfig(parts, base), seed })),
      { key: 'linear', label: 'Linear (SGD)', config: linearConfig(base), seed },
    ]);
    const out = new RunOutput('sal-ablation', opts.out, opts, ctx);
    const records = await trainRuns(runs, opts, ctx, 'sal-ablation');
    writeCurves(out, records);
    const summary = records.map((r) => ({ run: r.key, label: r.label, finalAccuracy: r.finalAccuracy, bestAccuracy: r.bestAccuracy, finalTestLoss: r.finalTestLoss, status: r.status, samplesPerSecond: r.samplesPerSecond }));
    out.csv('summary', ['run', 'label', 'finalAccuracy', 'bestAccuracy', 'finalTestLoss', 'status', 'samplesPerSecond'], summary);
    out.json('results', { summary, records });
    out.figure('ablation', accuracyFigure(records, 'SAL plasticity ablation on MNIST (plastic connections in the legend)'), { title: 'sal-ablation', png: opts.png });
    const claims = salAblationClaims(records, { data: dataLabel(opts), sizes: base.sizes, epochs: opts.epochs, seeds });
    writeClaims(out, 'sal-ablation', claims);
    out.finish();
    if (opts.json) process.stdout.write(JSON.stringify({ summary, dir: out.dir }, null, 2) + '\n');
    else printTable(ctx, ['plastic', 'final test acc (%)', 'best (%)', 'test loss', 'status'], records.map((r) => [r.label, pct(r.finalAccuracy), pct(r.bestAccuracy), r.finalTestLoss, r.status]));
    ctx.log(`wrote ${out.dir}`);
    printClaims(ctx, claims);
  },
};
