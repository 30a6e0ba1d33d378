/**
 * `creditflow reproduce loco-xor` (Fig. 2A-D): a 2-4-1 spiking network learns XOR by LOCO (and NP).
 *
 * Setting. LIF neurons, τ_m = 10 ms, clock-driven with dt = 1 ms over a 200 ms window per example;
 * the two inputs are direct-coded (current 1.5·x into the coding layer, ≈ 91 Hz for x = 1, silent
 * for x = 0). Output rate targets: 40 Hz for the true cases, 0 Hz for the false ones (eq. 27 on
 * rates per step); the output counts as 1 when it fires above 6 Hz (the paper's criterion). Each
 * step trains on one input case ("the four input conditions learned sequentially", Fig. 2A), as a
 * class-pure batch of 16 copies with independent perturbations.
 *
 * Choices where the paper is silent (each an option): the jump of a presynaptic spike is w (not
 * w/τ_m; spikingjelly's decay_input = false), so that with dt ≪ τ_m weights and rates stay O(1);
 * the neurons of layers 1-2 carry a small membrane noise (σ_n = 0.2, frozen between the clean and
 * the perturbed run): without it the rate of a clock-driven LIF is a staircase in its input, the
 * loss is flat almost everywhere and silent output neurons never recover; initial weights
 * N(0, 1/fan_in), biases 0.8 (just below threshold); σ = 0.2, η = 40; LOCO keeps k = 2 principal
 * directions, c = 3 centres, a buffer of 12 directions (three epochs). Measured (first epoch at which
 * the criterion holds, rates averaged over 32 noise draws): LOCO solves XOR for 9 of seeds 1-10
 * within 71 epochs; NP with the same settings for 3 of seeds 1-5. The solution is not always kept:
 * with one case per step some seeds later lose it again (the summary reports the fraction of the
 * last 20 epochs in which XOR is solved).
 *
 * The runs (rule x seed) run in worker threads (--workers). A run takes a few seconds (≈ 4 s at
 * the default size), too short to checkpoint within it: finished runs are kept under
 * --out/checkpoints and --resume loads them (run-level resume).
 *
 * `runLocoXor(options)` is the same experiment as a function that returns its data and writes nothing.
 */
import * as path from 'node:path';
import { Rng } from '../../../src/core/random';
import { defineCommand } from '../../../src/registry';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { epochsOption, outputOptions, seedsOption } from '../../../src/experiment/groups';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import type { RunContext } from '../../../src/experiment/context';
import { runSweep, sweepOptions, type SweepTask } from '../../../src/experiment/sweep';
import { reportProgress } from '../../../src/parallel/pool';
import { formatTable } from '../../../src/io/output';
import type { PlotlyFigure } from '../../../src/io/plot';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import { xorClaims } from '../claims';
import { RunOutput } from '../../../src/io/run';
import { initSnn, snnSpec, type LifIntegrator } from '../../lif/network';
import { lifParams } from '../../lif/params';
import { RateNet, SnnNet } from '../nets';
import { PerturbationLearner, RULES, type Minibatch, type RuleName } from '../rules';
import type { FlowSolver } from '../../../src/experiment/minibatch-flow';
import { COLORS, snnIntegrator, snnSolverOptions, weightFlowChoice, weightFlowOptions } from './common';

export const XOR_INPUTS = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
] as const;
export const XOR_TRUTH = [0, 1, 1, 0] as const;

export interface XorOptions {
  rule: RuleName;
  seed: number;
  epochs: number;
  eta: number;
  sigma: number;
  batch: number;
  /** Window T in steps of dt = 1 ms. */
  steps: number;
  noise: number;
  targetHz: number;
  thresholdHz: number;
  /** Stop at the first epoch after which XOR is solved. */
  stopWhenSolved: boolean;
  /** LOCO: principal directions kept, k-means centres, buffered directions. */
  k: number;
  clusters: number;
  buffer: number;
  /** Learning-rate decay: η_epoch = η / (1 + epoch/decay) (0 = constant η). */
  decay: number;
  /** 'code': the released code's rate network with Adam (trainXorCode); absent: the paper's SNN. */
  variant?: 'code';
  /** The SNN window's integrator (--solver/--dt0); absent: Euler (Euler–Maruyama with noise) at dt = 1 ms, clock-driven. */
  integrator?: LifIntegrator;
  /** The integrator of the weights' flow (--solver/--dt0/--rtol/--atol); absent: Euler, one step per case (the paper's update). */
  flow?: FlowSolver;
}

export const XOR_DEFAULTS: XorOptions = {
  rule: 'loco',
  seed: 1,
  epochs: 200,
  eta: 40,
  sigma: 0.2,
  batch: 16,
  steps: 200,
  noise: 0.2,
  targetHz: 40,
  thresholdHz: 6,
  stopWhenSolved: false,
  k: 2,
  clusters: 3,
  buffer: 12,
  decay: 0,
};

const DT = 1;
/** The XOR network's neurons: τ_m = 10 ms, spikingjelly's LIFNode otherwise. */
const XOR_LIF = lifParams({ tauM: 10 });

export function xorNetwork(o: Pick<XorOptions, 'seed' | 'steps' | 'noise' | 'integrator'>): SnnNet {
  const spec = snnSpec({
    sizes: [2, 4, 1],
    lif: XOR_LIF,
    dt: DT,
    steps: o.steps,
    inputGain: 1.5,
    bias: true,
    decayInput: false,
    noise: o.noise,
    integrator: o.integrator,
  });
  return new SnnNet(spec, initSnn(spec, new Rng(o.seed), 1, 0.8), o.seed + 1);
}

/** Rates (Hz) of every layer for the four cases, each the mean over `repeats` noise draws. */
export function xorRates(net: SnnNet, repeats = 32): { output: number[]; hidden: number[][]; input: number[][] } {
  const toHz = 1000 / net.spec.dt;
  const output: number[] = [];
  const hidden: number[][] = [];
  const input: number[][] = [];
  for (const x of XOR_INPUTS) {
    const xb = new Float64Array(2 * repeats);
    for (let b = 0; b < repeats; b++) xb.set(x, 2 * b);
    const pass = net.forward(xb, repeats);
    const perStep = (net.spec.decayInput ? 1 : net.spec.lif.tauM) / net.spec.dt; // inputs → per step
    const mean = (m: Float64Array, n: number, scale: number) =>
      Array.from({ length: n }, (_, j) => {
        let s = 0;
        for (let b = 0; b < repeats; b++) s += m[b * n + j];
        return (s / repeats) * scale;
      });
    output.push(mean(pass.output, 1, toHz)[0]);
    hidden.push(mean(pass.inputs[1].data, 4, toHz / perStep));
    input.push(mean(pass.inputs[0].data, 2, toHz / perStep));
  }
  return { output, hidden, input };
}

/** Case p as a class-pure minibatch: B copies of its inputs, targets `on` for the true cases and 0 for the false ones, the case as the group. */
export function xorBatch(p: number, B: number, on: number): Minibatch {
  const x = new Float64Array(2 * B);
  for (let b = 0; b < B; b++) x.set(XOR_INPUTS[p], 2 * b);
  return { x, target: new Float64Array(B).fill(XOR_TRUTH[p] * on), B, groups: new Int32Array(B).fill(p) };
}

/** XOR is solved when the output fires above the threshold exactly for the true cases. */
export function xorSolved(outputHz: readonly number[], thresholdHz: number): boolean {
  return outputHz.every((r, i) => (XOR_TRUTH[i] === 1 ? r > thresholdHz : r < thresholdHz));
}

export interface XorResult {
  options: XorOptions;
  solvedAt: number | null;
  before: ReturnType<typeof xorRates>;
  after: ReturnType<typeof xorRates>;
  history: { epoch: number; loss: number; output: number[] }[];
}

export function trainXor(opts: Partial<XorOptions> = {}, onEpoch?: (epoch: number) => void): XorResult {
  const o: XorOptions = { ...XOR_DEFAULTS, ...opts };
  const net = xorNetwork(o);
  const learner = new PerturbationLearner(net, { rule: o.rule, sigma: o.sigma, eta: o.eta, loco: { k: o.k, clusters: o.clusters, buffer: o.buffer }, flow: o.flow }, o.seed);
  const order = new Rng(o.seed + 100);
  const target = (o.targetHz * net.spec.dt) / 1000;
  const before = xorRates(net);
  const history: XorResult['history'] = [{ epoch: 0, loss: NaN, output: before.output }];
  let solvedAt: number | null = xorSolved(before.output, o.thresholdHz) ? 0 : null;
  for (let ep = 1; ep <= o.epochs && !(o.stopWhenSolved && solvedAt !== null); ep++) {
    let loss = 0;
    learner.opts.eta = o.decay > 0 ? o.eta / (1 + ep / o.decay) : o.eta;
    const cases = [0, 1, 2, 3];
    order.shuffle(cases);
    learner.train(4, (k) => xorBatch(cases[k], o.batch, target), { onLoss: (_k, l) => (loss += l / 4) });
    const now = xorRates(net);
    history.push({ epoch: ep, loss, output: now.output });
    if (solvedAt === null && xorSolved(now.output, o.thresholdHz)) solvedAt = ep;
    onEpoch?.(ep);
  }
  return { options: o, solvedAt, before, after: xorRates(net), history };
}

/**
 * The code variant (--variant code): the released code's rate network (nets.ts RateNet: 2-4-1,
 * min(relu, 1) hidden units, perturbation after the unit, nn.Linear initialisation) trained by NP or
 * LOCO with Adam at rate `eta`, σ = `sigma`. Inputs 0/1, targets 0/1, "solved" when the output is
 * above 0.5 exactly for the true cases (outputs are in rate per step, not Hz). The released code has
 * no XOR experiment: this is its network and optimiser on the paper's task.
 */
export function trainXorCode(opts: Partial<XorOptions> = {}, onEpoch?: (epoch: number) => void): XorResult {
  const o: XorOptions = { ...XOR_DEFAULTS, ...XOR_CODE, ...opts, targetHz: 1, thresholdHz: 0.5 };
  const net = RateNet.initTorch([2, 4, 1], new Rng(o.seed));
  const learner = new PerturbationLearner(net, { rule: o.rule, sigma: o.sigma, eta: o.eta, optimizer: 'adam', loco: { k: o.k, clusters: o.clusters, buffer: o.buffer }, flow: o.flow }, o.seed);
  const order = new Rng(o.seed + 100);
  const rates = () => {
    const output: number[] = [];
    const hidden: number[][] = [];
    for (const x of XOR_INPUTS) {
      const pass = net.forward(Float64Array.from(x), 1);
      output.push(pass.output[0]);
      hidden.push(Array.from(pass.inputs[1].data));
    }
    return { output, hidden, input: XOR_INPUTS.map((x) => [...x]) };
  };
  const before = rates();
  const history: XorResult['history'] = [{ epoch: 0, loss: NaN, output: before.output }];
  let solvedAt: number | null = xorSolved(before.output, o.thresholdHz) ? 0 : null;
  for (let ep = 1; ep <= o.epochs && !(o.stopWhenSolved && solvedAt !== null); ep++) {
    let loss = 0;
    const cases = [0, 1, 2, 3];
    order.shuffle(cases);
    learner.train(4, (k) => xorBatch(cases[k], o.batch, 1), { onLoss: (_k, l) => (loss += l / 4) });
    const now = rates();
    history.push({ epoch: ep, loss, output: now.output });
    if (solvedAt === null && xorSolved(now.output, o.thresholdHz)) solvedAt = ep;
    onEpoch?.(ep);
  }
  return { options: { ...o, variant: 'code' }, solvedAt, before, after: rates(), history };
}

/** The code variant's Adam rate and σ (σ = 0.005 as released; rate: seeds 1-3, 200 epochs, best of 3e-3, 1e-2, 3e-2). */
export const XOR_CODE = { eta: 3e-2, sigma: 0.005 };

/** One run of loco-xor in a worker thread (progress per epoch). */
export function xorRun(opts: Partial<XorOptions>): XorResult {
  if (opts.variant === 'code') return trainXorCode(opts, () => reportProgress(1, `${opts.rule} (code) seed ${opts.seed}`));
  return trainXor(opts, () => reportProgress(1, `${opts.rule} seed ${opts.seed}`));
}

const CASES = XOR_INPUTS.map((x) => `(${x[0]},${x[1]})`);

/** The options of loco-xor (`creditflow reproduce loco-xor --help`). */
export const locoXorOptions = [
  ...outputOptions('loco-xor'),
  opt.choices('rules', 'learning rules', RULES, { default: ['loco', 'np'] }),
  seedsOption({ default: [1, 2, 3], description: 'seeds (one run per rule and seed)' }),
  epochsOption(XOR_DEFAULTS.epochs, 'epochs (4 cases each)'),
  opt.number('eta', 'learning rate η', { min: 0, default: XOR_DEFAULTS.eta }),
  opt.number('sigma', 'perturbation σ', { min: 0, default: XOR_DEFAULTS.sigma }),
  opt.number('noise', 'membrane noise σ_n of layers 1-2', { min: 0, default: XOR_DEFAULTS.noise }),
  opt.integer('steps', 'window T in steps of 1 ms', { min: 10, default: XOR_DEFAULTS.steps }),
  opt.integer('k', 'LOCO principal directions per case', { min: 1, max: 3, default: XOR_DEFAULTS.k }),
  opt.integer('clusters', 'LOCO k-means centres', { min: 1, default: XOR_DEFAULTS.clusters }),
  opt.integer('buffer', 'LOCO directions kept for k-means', { min: 1, default: XOR_DEFAULTS.buffer }),
  opt.choices('variant', "'paper': the 2-4-1 LIF network with plain gradient steps; 'code': the released code's rate network (min(relu, 1), noise after the unit, nn.Linear initialisation) with Adam", ['paper', 'code'], { default: ['paper', 'code'] }),
  opt.number('eta-code', 'Adam rate of the code variant', { min: 0, default: XOR_CODE.eta }),
  opt.number('sigma-code', 'perturbation σ of the code variant (released code: 0.005)', { min: 0, default: XOR_CODE.sigma }),
  ...weightFlowOptions(),
  ...snnSolverOptions(),
  ...sweepOptions('runs (rule x seed)', 1, null),
] as const;

/** loco-xor's options by camelCase name, as `runLocoXor` takes them (all optional there: defaults fill the rest). */
export type LocoXorOptions = OptionsOf<typeof locoXorOptions>;

type XorParsed = ParsedOf<typeof locoXorOptions>;

/** One run's row of loco-xor's summary.csv; the output rate (Hz; rate per step for the code variant) per case before and after. */
export type XorSummaryRow = {
  rule: string;
  seed: number;
  /** First epoch at which XOR was solved, 'no' if never. */
  solvedAt: number | 'no';
  solvedAtEnd: boolean;
  /** Fraction of the last 20 epochs (fewer if the run is shorter) in which XOR was solved. */
  solvedLast20: number;
  /** 'before (0,0) Hz' … 'after (1,1) Hz': the output rate per case before and after training. */
  [rate: `${'before' | 'after'} ${string} Hz`]: number;
};

/** What loco-xor measures: every run (results.json: rates before and after, the history), the summary table and the claims. */
export interface LocoXorResult {
  results: XorResult[];
  summary: XorSummaryRow[];
  claims: Claim[];
}

/** A run's name in the tables and the legend: the rule, with ' (code)' for the code variant. */
function xorLabel(r: XorResult): string {
  return r.options.variant === 'code' ? `${r.options.rule} (code)` : r.options.rule;
}

/** The runs of loco-xor (paper variant: rule x seed, then the code variant: rule x seed), their integrators checked before any work. */
function xorPlan(opts: XorParsed): SweepTask<Partial<XorOptions>>[] {
  const integrator = snnIntegrator(opts, opts.noise, opts.steps * DT, XOR_LIF);
  const flow = weightFlowChoice(opts, opts.variant.includes('code'));
  const task = (rule: RuleName, seed: number, code: boolean): SweepTask<Partial<XorOptions>> => ({
    module: path.join(__dirname, 'xor.ts'),
    fn: 'xorRun',
    args: code
      ? { rule, seed, epochs: opts.epochs, eta: opts.etaCode, sigma: opts.sigmaCode, k: opts.k, clusters: opts.clusters, buffer: opts.buffer, variant: 'code' }
      : { rule, seed, epochs: opts.epochs, eta: opts.eta, sigma: opts.sigma, noise: opts.noise, steps: opts.steps, k: opts.k, clusters: opts.clusters, buffer: opts.buffer, integrator, ...(flow ? { flow } : {}) },
    key: code ? `${rule}-code-seed${seed}` : `${rule}-seed${seed}`,
    units: opts.epochs,
  });
  return [
    ...(opts.variant.includes('paper') ? opts.rules : []).flatMap((rule) => opts.seeds.map((seed) => task(rule, seed, false))),
    ...(opts.variant.includes('code') ? opts.rules : []).flatMap((rule) => opts.seeds.map((seed) => task(rule, seed, true))),
  ];
}

async function trainXorRuns(tasks: SweepTask<Partial<XorOptions>>[], opts: XorParsed, ctx: RunContext): Promise<LocoXorResult> {
  const results = await runSweep<XorResult>(tasks, opts, ctx, 'loco-xor');
  const summary = results.map((r): XorSummaryRow => ({
    rule: xorLabel(r),
    seed: r.options.seed,
    solvedAt: r.solvedAt ?? 'no',
    solvedAtEnd: xorSolved(r.after.output, r.options.thresholdHz),
    solvedLast20: r.history.slice(-20).filter((h) => xorSolved(h.output, r.options.thresholdHz)).length / Math.min(20, r.history.length),
    ...Object.fromEntries(CASES.map((c, i) => [`before ${c} Hz`, r.before.output[i]])),
    ...Object.fromEntries(CASES.map((c, i) => [`after ${c} Hz`, r.after.output[i]])),
  }));
  const claims = xorClaims({ runs: results.map((r) => ({ rule: r.options.rule, variant: r.options.variant, seed: r.options.seed, solvedAt: r.solvedAt, solvedAtEnd: xorSolved(r.after.output, r.options.thresholdHz) })), seeds: opts.seeds, epochs: opts.epochs });
  return { results, summary, claims };
}

/** history.csv: one row per run and epoch (epoch 0: before training, loss not measured), the output rate per case. */
export function xorHistoryRows(results: readonly XorResult[]): Record<string, number | string>[] {
  return results.flatMap((r) => r.history.map((h) => ({ rule: r.options.rule, seed: r.options.seed, epoch: h.epoch, loss: h.loss, ...Object.fromEntries(CASES.map((c, i) => [`output ${c} Hz`, h.output[i]])) })));
}

/**
 * loco-xor's figures by file name: Fig. 2A-D for the first run (coding-layer rates, output before
 * and after against the threshold, hidden rates before and after) and the loss curves of every run.
 */
export function xorFigures(results: readonly XorResult[]): Record<string, PlotlyFigure> {
  const first = results[0];
  const figures: Record<string, PlotlyFigure> = {
    'fig2a-input-rates': {
      data: [0, 1].map((j) => ({ type: 'bar', name: `input ${j + 1}`, x: CASES, y: first.before.input.map((r) => r[j]) })),
      layout: { title: { text: `Fig. 2A: coding-layer rates per case (Hz)` }, barmode: 'group', yaxis: { title: { text: 'rate (Hz)' } } },
    },
    'fig2b-output-before-after': {
      data: [
        { type: 'bar', name: 'before', x: CASES, y: first.before.output },
        { type: 'bar', name: `after (${first.options.rule})`, x: CASES, y: first.after.output },
        { type: 'scatter', mode: 'lines', name: `${first.options.thresholdHz} Hz threshold`, x: CASES, y: CASES.map(() => first.options.thresholdHz), line: { dash: 'dash', color: 'black' } },
      ],
      layout: { title: { text: 'Fig. 2B: output rate before and after learning XOR' }, barmode: 'group', yaxis: { title: { text: 'rate (Hz)' } } },
    },
  };
  for (const [name, which] of [
    ['fig2c-hidden-before', 'before'],
    ['fig2d-hidden-after', 'after'],
  ] as const) {
    figures[name] = {
      data: [{ type: 'heatmap', z: first[which].hidden, x: ['h1', 'h2', 'h3', 'h4'], y: CASES, colorscale: 'Viridis', colorbar: { title: { text: 'Hz' } } }],
      layout: { title: { text: `Fig. 2${which === 'before' ? 'C' : 'D'}: hidden rates ${which} learning (Hz)` } },
    };
  }
  figures['training-curves'] = {
    data: results.map((r) => ({
      type: 'scatter',
      mode: 'lines',
      name: `${xorLabel(r)} seed ${r.options.seed}`,
      x: r.history.slice(1).map((h) => h.epoch),
      y: r.history.slice(1).map((h) => h.loss),
      line: { color: COLORS[r.options.rule] },
    })),
    layout: { title: { text: 'XOR: loss (eq. 27) per epoch' }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'loss' }, type: 'log' } },
  };
  return figures;
}

/**
 * loco-xor as a function: trains every rule × seed (on `workers` threads) and returns the runs
 * (rates before and after, per-epoch history), the summary rows and the claims; writes nothing
 * (see src/experiment/call.ts). The figures are `xorFigures(result.results)`.
 *
 *     const r = await runLocoXor({ rules: ['loco'], seeds: [1, 2], variant: ['paper'] });
 *     r.summary.map((s) => [s.rule, s.seed, s.solvedAt]);
 */
export async function runLocoXor(options: OptionsInput<typeof locoXorOptions> = {}, reporting: CallReporting = {}): Promise<LocoXorResult> {
  const opts = callOptions(options, locoXorOptions, 'runLocoXor');
  return trainXorRuns(xorPlan(opts), opts, callContext(reporting));
}

export const xorExperiment = defineCommand({
  name: 'loco-xor',
  description: 'Fig. 2A-D: a 2-4-1 LIF network learns XOR by LOCO and NP (rates before and after, epochs to solve)',
  options: locoXorOptions,
  async run(opts, ctx) {
    const tasks = xorPlan(opts);
    const out = new RunOutput('loco-xor', opts.out, opts, ctx);
    const { results, summary, claims } = await trainXorRuns(tasks, opts, ctx);
    out.csv('summary', Object.keys(summary[0]), summary);
    out.csv('history', ['rule', 'seed', 'epoch', 'loss', ...CASES.map((c) => `output ${c} Hz`)], xorHistoryRows(results));
    out.json('results', results);
    for (const [name, figure] of Object.entries(xorFigures(results))) out.figure(name, figure);
    if (opts.json) process.stdout.write(JSON.stringify({ summary }, null, 2) + '\n');
    else {
      ctx.log(
        formatTable(
          ['rule', 'seed', 'first solved at epoch', 'solved in last 20 epochs', 'output after (Hz) for (0,0) (0,1) (1,0) (1,1)'],
          results.map((r, i) => [xorLabel(r), r.options.seed, r.solvedAt ?? 'not solved', summary[i].solvedLast20, r.after.output.map((v) => v.toFixed(1)).join('  ')]),
        ),
      );
    }
    writeClaims(out, 'loco-xor', claims);
    out.allowNonFinite('the loss before training (epoch 0) is not measured (NaN)', ['loss']);
    out.finish();
    printClaims(ctx, claims);
    return 0;
  },
});
