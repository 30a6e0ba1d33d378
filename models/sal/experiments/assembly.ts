/**
 * `creditflow reproduce sal-assembly` (Fig. 3): the self-assembly picture. The matrices
 * H = V̄ᵏ⁻¹V̄ᵏ⁻¹ᵀ (the learning-rate matrix of Theorem 1) and Wᵏ⁻¹Wᵏ⁻¹ᵀ of a hidden layer k, before
 * and after training (heatmaps), and the effective rank (Roy & Vetterli) of both for every hidden
 * layer over training.
 *
 * Defaults (a few minutes on 2 cores): width 60 as in the paper's Fig. 3, 4 hidden layers (the
 * paper used 8 on SVHN; --hidden 8 works), MNIST 8,000/2,000, 20 epochs, all four plastic, D_d = I,
 * layer shown: the middle hidden layer; η_W = η_W̄ = 0.005, η_V = η_V̄ = 0.0005, γ = 1e-4. At the
 * other experiments' rates (0.01/0.001) this deeper, narrower network diverged in epoch 3 (W¹ grew
 * without bound); with γ = 1e-3 it stayed finite but peaked at 68% in epoch 4 and collapsed to 32%
 * as the decay shrank V, V̄ (and so H) towards 0.
 */
import { defineCommand } from '../../../src/registry';
import { singleSeed } from '../../../src/experiment/groups';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import type { RunContext } from '../../../src/experiment/context';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import { RunOutput } from '../../../src/io/run';
import { methodConfig } from '../presets';
import { salAssemblyClaims } from '../claims';
import { accuracyFigure, baseConfig, checkBatch, dataLabel, dataShape, pct, printTable, salTrainingOptions, trainRuns, writeCurves, type RunRecord, type RunSpec } from './common';
import type { AssemblyEpoch, RankRow } from './task';

/** The options of sal-assembly (`creditflow reproduce sal-assembly --help`): one network, so one seed. */
export const salAssemblyOptions = [
  ...salTrainingOptions('sal-assembly', { epochs: 20, width: 60, hidden: 4, lr: 0.005, lrInter: 0.0005, single: 'sal-assembly trains one network' }),
  opt.integer('layer', 'hidden layer k shown in the heatmaps (2..L−1; default the middle one)', { min: 2 }),
  opt.choice('down-gate', 'D_d', ['identity', 'relu-jacobian'], { default: 'identity' }),
] as const;

/** sal-assembly's options by camelCase name. */
export type SalAssemblyOptions = OptionsOf<typeof salAssemblyOptions>;

type AssemblyParsed = ParsedOf<typeof salAssemblyOptions>;

/** A hidden layer's H = V̄V̄ᵀ and WWᵀ, as rows. */
export interface AssemblySnapshot {
  H: number[][];
  WWt: number[][];
}

/** What sal-assembly measures: the run, effective ranks per epoch and hidden layer, the matrices of `layer` before and after training, the claims. */
export interface SalAssemblyResult {
  record: RunRecord;
  layer: number;
  ranks: RankRow[];
  /** `after` is `before` when the run diverged before its first epoch ended. */
  snapshots: { before: AssemblySnapshot; after: AssemblySnapshot };
  claims: Claim[];
  sizes: number[];
}

/** The one run of sal-assembly and its layer, checked before any work. */
function assemblyRun(opts: AssemblyParsed): { run: RunSpec; layer: number; sizes: number[] } {
  const base = { ...baseConfig(opts, dataShape(opts).d, dataShape(opts).classes), downGate: opts.downGate };
  const L = base.sizes.length;
  const layer = opts.layer ?? Math.floor((2 + (L - 1)) / 2);
  if (layer < 2 || layer > L - 1) throw new Error(`--layer must be a hidden layer in [2, ${L - 1}] (got ${layer})`);
  checkBatch(opts);
  return { run: { key: 'sal', label: 'SAL', config: methodConfig('sal', base), seed: singleSeed(opts) }, layer, sizes: [...base.sizes] };
}

async function trainAssembly(plan: ReturnType<typeof assemblyRun>, opts: AssemblyParsed, ctx: RunContext): Promise<SalAssemblyResult> {
  const { run, layer, sizes } = plan;
  const records = await trainRuns([run], opts, ctx, 'sal-assembly', { kind: 'assembly', layer, epochs: opts.epochs });
  const epochs = (records[0].measurements ?? []) as AssemblyEpoch[];
  const ranks: RankRow[] = epochs.flatMap((m) => m.ranks);
  const withMatrices = epochs.filter((m) => m.H && m.WWt);
  const before = { H: withMatrices[0].H!, WWt: withMatrices[0].WWt! };
  const after = withMatrices.length > 1 ? { H: withMatrices[1].H!, WWt: withMatrices[1].WWt! } : before; // diverged: nothing after
  const claims = salAssemblyClaims(ranks, { data: `${dataLabel(opts)}, width ${opts.width}, ${opts.hidden} hidden layers`, sizes, epochs: opts.epochs, seeds: opts.seeds });
  return { record: records[0], layer, ranks, snapshots: { before, after }, claims, sizes };
}

/** sal-assembly as a function: trains the one network and returns its effective ranks, snapshots and claims; writes nothing. */
export async function runSalAssembly(options: OptionsInput<typeof salAssemblyOptions> = {}, reporting: CallReporting = {}): Promise<SalAssemblyResult> {
  const opts = callOptions(options, salAssemblyOptions, 'runSalAssembly');
  return trainAssembly(assemblyRun(opts), opts, callContext(reporting));
}

export const assemblyExperiment = defineCommand({
  name: 'sal-assembly',
  description: 'SAL Fig. 3: V̄V̄ᵀ and WWᵀ before/after training (heatmaps) and their effective rank over training, MNIST',
  options: salAssemblyOptions,
  async run(opts, ctx) {
    const plan = assemblyRun(opts);
    const out = new RunOutput('sal-assembly', opts.out, opts, ctx);
    const { record, layer, ranks, snapshots, claims } = await trainAssembly(plan, opts, ctx);
    const records = [record];
    writeCurves(out, records);
    out.csv('effective-rank', ['epoch', 'layer', 'erankH', 'erankWWt', 'testAccuracy'], ranks.map((r) => ({ ...r })));
    out.json('results', { layer, width: opts.width, ranks, snapshots, record: { ...records[0], measurements: undefined } });
    const panels: [string, number[][]][] = [
      ['V̄V̄ᵀ before', snapshots.before.H],
      ['V̄V̄ᵀ after', snapshots.after.H],
      ['WWᵀ before', snapshots.before.WWt],
      ['WWᵀ after', snapshots.after.WWt],
    ];
    out.figure(
      'heatmaps',
      {
        data: panels.map(([name, z], i) => ({
          type: 'heatmap',
          z,
          name,
          colorscale: 'RdBu',
          reversescale: true,
          zmid: 0,
          showscale: false,
          xaxis: i === 0 ? 'x' : `x${i + 1}`,
          yaxis: i === 0 ? 'y' : `y${i + 1}`,
        })),
        layout: {
          title: { text: `hidden layer ${layer}: H = V̄V̄ᵀ (top) and WWᵀ (bottom), before (left) and after (right) training` },
          ...Object.fromEntries(
            panels.flatMap((_, i) => {
              const col = i % 2;
              const row = Math.floor(i / 2);
              const sfx = i === 0 ? '' : String(i + 1);
              return [
                [`xaxis${sfx}`, { domain: [col * 0.52, col * 0.52 + 0.46], showticklabels: false, anchor: `y${sfx}` }],
                [`yaxis${sfx}`, { domain: [row === 0 ? 0.53 : 0, row === 0 ? 1 : 0.47], autorange: 'reversed', showticklabels: false, anchor: `x${sfx}` }],
              ];
            }),
          ),
          annotations: panels.map(([name], i) => ({ text: name, showarrow: false, xref: 'paper', yref: 'paper', x: (i % 2) * 0.52 + 0.23, y: Math.floor(i / 2) === 0 ? 1.02 : 0.49, xanchor: 'center' })),
        },
      },
      { title: 'sal-assembly heatmaps', width: 900, height: 900, png: opts.png },
    );
    const layers = [...new Set(ranks.map((r) => r.layer))];
    out.figure(
      'effective-rank',
      {
        data: layers.flatMap((k) => [
          { type: 'scatter', mode: 'lines', name: `V̄V̄ᵀ layer ${k}`, x: ranks.filter((r) => r.layer === k).map((r) => r.epoch), y: ranks.filter((r) => r.layer === k).map((r) => r.erankH) },
          { type: 'scatter', mode: 'lines', line: { dash: 'dash' }, name: `WWᵀ layer ${k}`, x: ranks.filter((r) => r.layer === k).map((r) => r.epoch), y: ranks.filter((r) => r.layer === k).map((r) => r.erankWWt) },
        ]),
        layout: { title: { text: `effective rank (Roy & Vetterli) over training, width ${opts.width}` }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'effective rank' } } },
      },
      { title: 'sal-assembly effective rank', png: opts.png },
    );
    out.figure('accuracy', accuracyFigure(records, 'SAL test accuracy'), { title: 'sal-assembly accuracy', png: opts.png });
    writeClaims(out, 'sal-assembly', claims);
    if (records.some((r) => r.status !== 'ok')) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
    out.finish();
    const first = ranks.filter((r) => r.epoch === 0);
    const last = ranks.filter((r) => r.epoch === Math.max(...ranks.map((q) => q.epoch)));
    const rows = layers.map((k) => {
      const a = first.find((r) => r.layer === k)!;
      const b = last.find((r) => r.layer === k)!;
      return [k, a.erankH, b.erankH, a.erankWWt, b.erankWWt];
    });
    if (opts.json) process.stdout.write(JSON.stringify({ layer, ranks: rows, finalAccuracy: records[0].finalAccuracy, dir: out.dir }, null, 2) + '\n');
    else {
      printTable(ctx, ['layer', 'erank V̄V̄ᵀ before', 'after', 'erank WWᵀ before', 'after'], rows);
      ctx.log(`final test accuracy ${records[0].status === 'ok' ? pct(records[0].finalAccuracy) + '%' : `diverged (${records[0].message})`}`);
    }
    ctx.log(`wrote ${out.dir}`);
    printClaims(ctx, claims);
  },
});
