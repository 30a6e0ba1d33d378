/**
 * `creditflow reproduce sal-width` (Fig. 2): upstream hidden width fixed (200 in the paper), the
 * downstream hidden width d̄ = ratio·d varied (the ratio is of widths; the paper's "parameter count"
 * of the downstream pathway grows like its square), for D_d = identity and the ReLU Jacobian (4).
 *
 * Defaults (one seed: about 10 min on 2 cores under load with 2 workers; the ratio-8 runs
 * dominate, d̄ = 1600): the paper's 5-layer MLP (3 hidden layers of 200), ratios 0.5, 1, 2, 5, 8,
 * 4 epochs, batch 32, η_W = η_W̄ = 0.01, η_V = η_V̄ = 0.001, γ = 1e-4, with --rate-scaling fan-in: the rates of W̄ and V̄, the connections
 * that read the downstream pathway, are η·d/d̄ (circuit.ts, "Width of the downstream pathway"). With
 * --rate-scaling none (eqs. 5-8 at the same rates for every width) the runs with d̄/d ≥ 2 (D_d = I)
 * and ≥ 5 (ReLU Jacobian) diverge in epoch 1, because W̄'s per-step change grows like d̄.
 * Besides accuracy it records, after every epoch, λ_max(H) = σ_max(V̄)² per layer and σ_max of W̄,
 * V, W (spectra.csv), the quantities behind that divergence.
 */
import { defineCommand } from '../../../src/registry';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import type { RunContext } from '../../../src/experiment/context';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import { RunOutput } from '../../../src/io/run';
import { methodConfig } from '../presets';
import { salWidthClaims } from '../claims';
import { accuracyFigure, baseConfig, checkBatch, dataLabel, dataShape, pct, printTable, salTrainingOptions, trainRuns, writeCurves, type RunRecord, type RunSpec } from './common';
import type { SpectraEpoch } from './task';

/** The options of sal-width (`creditflow reproduce sal-width --help`). */
export const salWidthOptions = [
  ...salTrainingOptions('sal-width', { epochs: 4, width: 200, hidden: 3, seeds: [1] }),
  opt.numbers('ratios', 'overparametrisation ratios d̄/d', { default: [0.5, 1, 2, 5, 8], min: 0.001 }),
  opt.choices('gates', 'D_d choices', ['identity', 'relu-jacobian'], { default: ['identity', 'relu-jacobian'] }),
] as const;

/** sal-width's options by camelCase name. */
export type SalWidthOptions = OptionsOf<typeof salWidthOptions>;

type WidthParsed = ParsedOf<typeof salWidthOptions>;

/** One run's row of runs.csv: final accuracy and the spectral scales at the first and last epoch. */
export type SalWidthRunRow = {
  gate: string | undefined;
  ratio: number;
  seed: number;
  downWidth: number;
  finalAccuracy: number;
  bestAccuracy: number;
  status: RunRecord['status'];
  lambdaHinit: number;
  lambdaHend: number;
  sigmaWbarInit: number;
  sigmaWbarEnd: number;
  samplesPerSecond: number;
};

/** What sal-width measures: every run, the per-epoch spectra, one row per run and per (D_d, ratio), the claims. */
export interface SalWidthResult {
  records: RunRecord[];
  /** Per run and epoch: λ_max(H) = σ_max(V̄)², σ_max of W̄ (the d̄ × d̄ ones), V, W (spectra.csv). */
  spectra: { gate: string | undefined; ratio: number; seed: number; epoch: number; lambdaHmax: number; sigmaWbarMax: number; sigmaWmax: number; lambdaH: string; sigmaWbar: string; sigmaV: string; sigmaW: string }[];
  runs: SalWidthRunRow[];
  /** One row per (D_d, ratio): mean over seeds (NaN when any seed diverged), sd, per-seed accuracies. */
  summary: { gate: string | undefined; ratio: number; downWidth: number; finalAccuracy: number; sd: number; perSeed: number[]; diverged: number; lambdaHinit: number; lambdaHend: number; sigmaWbarInit: number; sigmaWbarEnd: number; samplesPerSecond: number }[];
  claims: Claim[];
  sizes: number[];
}

/** The runs of sal-width (D_d × ratio × seed), checked before any work. */
function widthRuns(opts: WidthParsed): { runs: RunSpec[]; sizes: number[] } {
  const base = baseConfig(opts, dataShape(opts).d, dataShape(opts).classes);
  const runs: RunSpec[] = [];
  for (const gate of opts.gates) {
    for (const ratio of opts.ratios) {
      const dbar = Math.max(1, Math.round(ratio * opts.width));
      for (const seed of opts.seeds) {
        runs.push({
          key: `${gate}-r${ratio}`,
          label: `D_d=${gate === 'identity' ? 'I' : 'ReLU′'}, d̄/d=${ratio}`,
          group: gate,
          config: methodConfig('sal', { ...base, downGate: gate, downWidths: Array.from({ length: opts.hidden }, () => dbar) }),
          seed,
        });
      }
    }
  }
  checkBatch(opts);
  return { runs, sizes: [...base.sizes] };
}

async function trainWidth(runs: RunSpec[], sizes: number[], opts: WidthParsed, ctx: RunContext): Promise<SalWidthResult> {
  const ratioOf = (key: string) => Number(key.split('-r')[1]);
  const records = await trainRuns(runs, opts, ctx, 'sal-width', { kind: 'spectra' });
  const spectra = records.flatMap((r) =>
    ((r.measurements ?? []) as SpectraEpoch[]).map((m) => ({
      gate: r.group,
      ratio: ratioOf(r.key),
      seed: r.seed,
      epoch: m.epoch,
      lambdaHmax: Math.max(...m.lambdaH),
      sigmaWbarMax: m.sigmaWbar.length > 1 ? Math.max(...m.sigmaWbar.slice(0, -1)) : NaN, // the d̄ × d̄ W̄ (not the last, d̄ × classes)
      sigmaWmax: Math.max(...m.sigmaW),
      lambdaH: m.lambdaH.map((v) => v.toPrecision(4)).join(' '),
      sigmaWbar: m.sigmaWbar.map((v) => v.toPrecision(4)).join(' '),
      sigmaV: m.sigmaV.map((v) => v.toPrecision(4)).join(' '),
      sigmaW: m.sigmaW.map((v) => v.toPrecision(4)).join(' '),
    })),
  );
  const runsRows = records.map((r) => {
    const sp = spectra.filter((x) => x.gate === r.group && x.ratio === ratioOf(r.key) && x.seed === r.seed);
    return {
      gate: r.group,
      ratio: ratioOf(r.key),
      seed: r.seed,
      downWidth: Math.max(1, Math.round(ratioOf(r.key) * opts.width)),
      finalAccuracy: r.finalAccuracy,
      bestAccuracy: r.bestAccuracy,
      status: r.status,
      lambdaHinit: sp[0]?.lambdaHmax ?? NaN,
      lambdaHend: sp[sp.length - 1]?.lambdaHmax ?? NaN,
      sigmaWbarInit: sp[0]?.sigmaWbarMax ?? NaN,
      sigmaWbarEnd: sp[sp.length - 1]?.sigmaWbarMax ?? NaN,
      samplesPerSecond: r.samplesPerSecond,
    };
  });
  // One row per (D_d, ratio): the mean over seeds (NaN when any seed diverged) and the spread.
  const summary = [...new Set(runsRows.map((r) => `${r.gate}|${r.ratio}`))].map((id) => {
    const rs = runsRows.filter((r) => `${r.gate}|${r.ratio}` === id);
    const accs = rs.map((r) => r.finalAccuracy);
    const mean = accs.reduce((a, v) => a + v, 0) / accs.length;
    const sd = Math.sqrt(accs.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, accs.length - 1));
    const avg = (k: 'lambdaHinit' | 'lambdaHend' | 'sigmaWbarInit' | 'sigmaWbarEnd' | 'samplesPerSecond') => rs.reduce((a, r) => a + r[k], 0) / rs.length;
    return {
      gate: rs[0].gate,
      ratio: rs[0].ratio,
      downWidth: rs[0].downWidth,
      finalAccuracy: mean,
      sd: rs.length > 1 ? sd : NaN,
      perSeed: accs,
      diverged: rs.filter((r) => r.status !== 'ok').length,
      lambdaHinit: avg('lambdaHinit'),
      lambdaHend: avg('lambdaHend'),
      sigmaWbarInit: avg('sigmaWbarInit'),
      sigmaWbarEnd: avg('sigmaWbarEnd'),
      samplesPerSecond: avg('samplesPerSecond'),
    };
  });
  const claims = salWidthClaims(records, { data: dataLabel(opts), sizes, epochs: opts.epochs, seeds: opts.seeds, ratios: opts.ratios, gates: opts.gates });
  return { records, spectra, runs: runsRows, summary, claims, sizes };
}

/** sal-width as a function: trains every D_d × ratio × seed and returns the runs, spectra, summaries and claims; writes nothing. */
export async function runSalWidth(options: OptionsInput<typeof salWidthOptions> = {}, reporting: CallReporting = {}): Promise<SalWidthResult> {
  const opts = callOptions(options, salWidthOptions, 'runSalWidth');
  const { runs, sizes } = widthRuns(opts);
  return trainWidth(runs, sizes, opts, callContext(reporting));
}

export const widthExperiment = defineCommand({
  name: 'sal-width',
  description: 'SAL Fig. 2: downstream width d̄ = ratio·d (upstream fixed) for D_d = identity and ReLU Jacobian, MNIST 8k/2k',
  options: salWidthOptions,
  async run(opts, ctx) {
    const { runs, sizes } = widthRuns(opts);
    const out = new RunOutput('sal-width', opts.out, opts, ctx);
    const { records, spectra, runs: runsRows, summary, claims } = await trainWidth(runs, sizes, opts, ctx);
    out.csv('spectra', ['gate', 'ratio', 'seed', 'epoch', 'lambdaHmax', 'sigmaWbarMax', 'sigmaWmax', 'lambdaH', 'sigmaWbar', 'sigmaV', 'sigmaW'], spectra);
    writeCurves(out, records);
    out.csv('runs', ['gate', 'ratio', 'seed', 'downWidth', 'finalAccuracy', 'bestAccuracy', 'status', 'lambdaHinit', 'lambdaHend', 'sigmaWbarInit', 'sigmaWbarEnd', 'samplesPerSecond'], runsRows);
    out.csv('summary', ['gate', 'ratio', 'downWidth', 'finalAccuracy', 'sd', 'diverged', 'lambdaHinit', 'lambdaHend', 'sigmaWbarInit', 'sigmaWbarEnd', 'samplesPerSecond'], summary);
    out.json('results', { summary, records });
    out.figure(
      'width',
      {
        data: opts.gates.map((g) => {
          const s = summary.filter((x) => x.gate === g);
          return { type: 'scatter', mode: 'lines+markers', name: g === 'identity' ? 'D_d = I' : 'D_d = ReLU Jacobian', x: s.map((x) => x.ratio), y: s.map((x) => 100 * x.finalAccuracy) };
        }),
        layout: { title: { text: `final test accuracy vs downstream width (upstream ${opts.width}; mean over ${opts.seeds.length} seed(s))` }, xaxis: { title: { text: 'd̄ / d' }, type: 'log' }, yaxis: { title: { text: 'test accuracy (%)' } } },
      },
      { title: 'sal-width', png: opts.png },
    );
    out.figure('width-curves', accuracyFigure(records, 'test accuracy per epoch'), { title: 'sal-width curves', png: opts.png });
    writeClaims(out, 'sal-width', claims);
    out.allowNonFinite('spectra of layers that do not exist at a width, and the spread of one seed, are NaN', ['sigmaWbarMax', 'lambdaHinit', 'lambdaHend', 'sigmaWbarInit', 'sigmaWbarEnd', 'sd']);
    if (records.some((r) => r.status !== 'ok')) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
    out.finish();
    if (opts.json) process.stdout.write(JSON.stringify({ summary, dir: out.dir }, null, 2) + '\n');
    else {
      const f = (v: number) => (Number.isFinite(v) ? v.toPrecision(3) : '–');
      printTable(
        ctx,
        ['D_d', 'd̄/d', 'd̄', 'final test acc (%)', '± sd', 'per seed', 'λmax(H) init → last', 'σmax(W̄, d̄×d̄) init → last', 'samples/s'],
        summary.map((s) => [s.gate, s.ratio, s.downWidth, pct(s.finalAccuracy), Number.isFinite(s.sd) ? (100 * s.sd).toFixed(2) : '–', s.perSeed.map(pct).join(' '), `${f(s.lambdaHinit)} → ${f(s.lambdaHend)}`, `${f(s.sigmaWbarInit)} → ${f(s.sigmaWbarEnd)}`, Math.round(s.samplesPerSecond)]),
      );
    }
    ctx.log(`wrote ${out.dir}`);
    printClaims(ctx, claims);
  },
});
