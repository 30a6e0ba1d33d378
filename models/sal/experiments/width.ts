/**
 * `creditflow reproduce sal-width` (Fig. 2): upstream hidden width fixed (200 in the paper), the
 * downstream hidden width d̄ = ratio·d varied (the ratio is of widths; the paper's "parameter count"
 * of the downstream pathway grows like its square), for D_d = identity and the ReLU Jacobian (4).
 *
 * Defaults (about 20-25 min on 2 cores; the ratio-8 runs dominate, d̄ = 1600): the paper's 5-layer
 * MLP (3 hidden layers of 200), ratios 0.5, 1, 2, 5, 8, 4 epochs, batch 32, η_W = η_W̄ = 0.01,
 * η_V = η_V̄ = 0.001, γ = 1e-4.
 */
import type { CommandSpec } from '../../../src/registry';
import { RunOutput } from '../../../src/io/run';
import { methodConfig } from '../presets';
import { accuracyFigure, baseConfig, loadData, pct, printTable, trainingOptions, trainRuns, writeCurves, type RunSpec } from './common';

export const widthExperiment: CommandSpec = {
  name: 'sal-width',
  description: 'SAL Fig. 2: downstream width d̄ = ratio·d (upstream fixed) for D_d = identity and ReLU Jacobian, MNIST 8k/2k',
  options: [
    ...trainingOptions('sal-width', { epochs: 4, width: 200, hidden: 3 }),
    { name: 'ratios', type: 'numbers', description: 'overparametrisation ratios d̄/d', default: [0.5, 1, 2, 5, 8], min: 0.001 },
    { name: 'gates', type: 'strings', description: 'D_d choices', default: ['identity', 'relu-jacobian'], choices: ['identity', 'relu-jacobian'] },
  ],
  run(opts, ctx) {
    const data = loadData(opts);
    const base = baseConfig(opts, data.train.d, data.train.classes);
    const runs: RunSpec[] = [];
    for (const gate of opts.gates as ('identity' | 'relu-jacobian')[]) {
      for (const ratio of opts.ratios as number[]) {
        const dbar = Math.max(1, Math.round(ratio * opts.width));
        runs.push({
          key: `${gate}-r${ratio}`,
          label: `D_d=${gate === 'identity' ? 'I' : 'ReLU′'}, d̄/d=${ratio}`,
          group: gate,
          config: methodConfig('sal', { ...base, downGate: gate, downWidths: Array.from({ length: opts.hidden }, () => dbar) }),
          seed: opts.seed,
        });
      }
    }
    const out = new RunOutput('sal-width', opts.out, opts, ctx);
    const records = trainRuns(runs, data, opts, ctx, 'sal-width');
    writeCurves(out, records);
    const ratioOf = (key: string) => Number(key.split('-r')[1]);
    const summary = records.map((r) => ({ gate: r.group, ratio: ratioOf(r.key), downWidth: Math.max(1, Math.round(ratioOf(r.key) * opts.width)), finalAccuracy: r.finalAccuracy, bestAccuracy: r.bestAccuracy, status: r.status, samplesPerSecond: r.samplesPerSecond }));
    out.csv('summary', ['gate', 'ratio', 'downWidth', 'finalAccuracy', 'bestAccuracy', 'status', 'samplesPerSecond'], summary);
    out.json('results', { summary, records });
    out.figure(
      'width',
      {
        data: (opts.gates as string[]).map((g) => {
          const s = summary.filter((x) => x.gate === g);
          return { type: 'scatter', mode: 'lines+markers', name: g === 'identity' ? 'D_d = I' : 'D_d = ReLU Jacobian', x: s.map((x) => x.ratio), y: s.map((x) => 100 * x.finalAccuracy) };
        }),
        layout: { title: { text: `final test accuracy vs downstream width (upstream ${opts.width})` }, xaxis: { title: { text: 'd̄ / d' }, type: 'log' }, yaxis: { title: { text: 'test accuracy (%)' } } },
      },
      { title: 'sal-width', png: opts.png },
    );
    out.figure('width-curves', accuracyFigure(records, 'test accuracy per epoch'), { title: 'sal-width curves', png: opts.png });
    out.finish();
    if (opts.json) process.stdout.write(JSON.stringify({ summary, dir: out.dir }, null, 2) + '\n');
    else printTable(ctx, ['D_d', 'd̄/d', 'd̄', 'final test acc (%)', 'samples/s'], summary.map((s) => [s.gate, s.ratio, s.downWidth, pct(s.finalAccuracy), Math.round(s.samplesPerSecond)]));
    ctx.log(`wrote ${out.dir}`);
  },
};
