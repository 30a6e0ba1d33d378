/**
 * `creditflow reproduce loco-continual` (Fig. 2H, Fig. 3L): the digits are learned one after
 * another (0, then 1, …, 9) on MNIST (8,000/2,000 split); after each digit, the test accuracy on
 * all digits seen so far (arg-max over the 10 outputs). NP vs LOCO vs BP on the ANN 784-500-10
 * (Fig. 3L), NP vs LOCO on the SNN (Fig. 2H; spikes have no BP).
 *
 * Choices where the paper is silent: each digit is trained for `epochs-per-class` passes over its
 * training images in batches of 32, with no replay; the learning rates are those of loco-mnist
 * (BP 0.1 here: 0.5 erases old digits at once); LOCO keeps every direction it has seen (buffer
 * 1000 ≥ all batches of the run) so that its k-means centres (c = 10) still cover the old digits —
 * with the p = 50 of the MNIST runs the buffer would hold only the last two digits.
 *
 * The runs (rule x seed) run in worker threads (--workers). Each checkpoints after every digit
 * (--checkpoint-every, in digits: weights, the LOCO buffer of up to 1000 directions and the
 * centres, the generators, the accuracies so far); --resume loads the finished runs and continues a
 * killed one with the digit after its last checkpoint.
 *
 * `runLocoContinual(options)` is the same experiment as a function that returns its data and writes nothing.
 */
import * as path from 'node:path';
import { defineCommand } from '../../../src/registry';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { batchSizeOption, outputOptions, seedsOption } from '../../../src/experiment/groups';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import type { RunContext } from '../../../src/experiment/context';
import { runCheckpoint, runSweep, sweepOptions, type SweepTask } from '../../../src/experiment/sweep';
import type { CheckpointSettings } from '../../../src/io/checkpoint';
import { reportProgress } from '../../../src/parallel/pool';
import { Rng } from '../../../src/core/random';
import type { Dataset } from '../../../src/data/mnist';
import { formatTable } from '../../../src/io/output';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import type { PlotlyFigure } from '../../../src/io/plot';
import { continualClaims } from '../claims';
import { RunOutput } from '../../../src/io/run';
import { SPIKINGJELLY_LIF } from '../../lif/params';
import type { PerturbableNetwork } from '../nets';

import { classPureBatches, COLORS, evaluate, mnistData, snnIntegrator, snnSolverOptions, trainingCheckpoints, weightFlowChoice, weightFlowOptions } from './common';
import { batchesPerEpoch, buildNetwork, makeLearner, minibatch, MNIST_DEFAULTS, type MnistConfig, type MnistRule, type TrainHooks } from './mnist';

/** loco-mnist's configuration, trained digit by digit: `epochsPerClass` passes over each digit of `order`, one hidden layer. */
export type ContinualConfig = Omit<MnistConfig, 'depth' | 'epochs' | 'trainSize' | 'classes' | 'evalClasses'> & {
  epochsPerClass: number;
  order: readonly number[];
};

export interface ContinualRun {
  config: ContinualConfig;
  /** After learning order[i]: accuracy on order[0..i]. */
  seenAccuracy: number[];
  /** After learning order[i]: accuracy on each digit separately. */
  perClass: number[][];
  /** Set when the weights became non-finite while learning this digit: the run stops there, at the last finite weights. */
  diverged?: { digit: number; message: string };
}

/**
 * Train the digits of `cfg.order` one after another. A run's "epochs" for its checkpoints are the
 * digits (one digit's passes and the evaluation after them): with `hooks.checkpoint` it checkpoints
 * after every `every`-th digit and a resume continues with the next one; `hooks.onEpoch(i)` is
 * called after the i-th digit (1-based) trained here.
 */
export function trainContinual(cfg: ContinualConfig, data: { train: Dataset; test: Dataset }, hooks: Omit<TrainHooks, 'net'> = {}): ContinualRun & { net: PerturbableNetwork } {
  const net = buildNetwork({ net: cfg.net, depth: 3, hidden: cfg.hidden, steps: cfg.steps, noise: cfg.noise, seed: cfg.seed, integrator: cfg.integrator });
  const learner = makeLearner(cfg, net, 'BP is available for the ANN only; use --rules np,loco for the SNN');
  const rng = new Rng(cfg.seed + 13);
  let seenAccuracy: number[] = [];
  let perClass: number[][] = [];
  const ck = trainingCheckpoints(hooks.checkpoint, { epochs: cfg.order.length, net, learner, rngs: { order: rng }, settings: cfg, extra: () => ({ seenAccuracy, perClass }) });
  if (ck.extra) ({ seenAccuracy, perClass } = ck.extra);
  let diverged: ContinualRun['diverged'];
  for (let i = ck.start - 1; i < cfg.order.length && !diverged; i++) {
    const digit = cfg.order[i];
    for (let ep = 0; ep < cfg.epochsPerClass; ep++) {
      const batches = classPureBatches(data.train.y, [digit], cfg.batch, rng);
      const run = learner.train(batches.length, (k) => minibatch(data.train, batches[k]), { onLoss: () => hooks.onBatch?.() });
      if (run.solution.status === 'diverged') {
        diverged = { digit, message: run.solution.message };
        break;
      }
    }
    seenAccuracy.push(evaluate(net, data.test, { classes: cfg.order.slice(0, i + 1) }));
    perClass.push(Array.from({ length: 10 }, (_, c) => evaluate(net, data.test, { classes: [c] })));
    hooks.onEpoch?.(i + 1);
    if (!diverged) ck.done(i + 1);
  }
  return { config: cfg, seenAccuracy, perClass, ...(diverged ? { diverged } : {}), net };
}

/** One run of loco-continual in a worker thread: the split loaded there, progress per batch, the weights left out of the result. */
export function continualRun(a: { config: ContinualConfig; trainSize: number; checkpoint?: CheckpointSettings }): ContinualRun {
  const label = `${a.config.rule} seed ${a.config.seed}`;
  const { net: _net, ...run } = trainContinual(a.config, mnistData(a.trainSize), { onBatch: () => reportProgress(1, label), checkpoint: a.checkpoint });
  return run;
}

/** The options of loco-continual (`creditflow reproduce loco-continual --help`). */
export const locoContinualOptions = [
  ...outputOptions('loco-continual'),
  opt.choice('net', 'network kind', ['ann', 'snn'], { default: 'ann' }),
  opt.choices('rules', 'learning rules (bp: ANN only)', ['np', 'loco', 'bp'], { default: ['np', 'loco', 'bp'] }),
  opt.integer('hidden', 'hidden width', { min: 1, default: 500 }),
  opt.integer('epochs-per-class', 'passes over each digit', { min: 1, default: 2 }),
  batchSizeOption(32, 'minibatch size (class-pure batches)'),
  opt.number('eta-np', 'NP learning rate (default: loco-mnist’s for the net)', { min: 0 }),
  opt.number('eta-loco', 'LOCO learning rate (default: loco-mnist’s for the net)', { min: 0 }),
  opt.number('eta-bp', 'BP learning rate', { min: 0, default: 0.1 }),
  opt.integer('k', 'LOCO principal directions', { min: 1, max: 32, default: 10 }),
  opt.integer('clusters', 'LOCO k-means centres', { min: 1, default: 10 }),
  opt.integer('buffer', 'LOCO directions kept', { min: 1, default: 1000 }),
  opt.integer('steps', 'SNN window T', { min: 1, default: 10 }),
  opt.number('noise', 'SNN membrane noise', { min: 0, default: 0.3 }),
  opt.integer('train-size', 'training images used (of 8,000)', { min: 100, max: 8000, default: 8000 }),
  seedsOption(),
  ...weightFlowOptions(),
  ...snnSolverOptions(),
  ...sweepOptions('runs (rule x seed)', 1, 'digits'),
] as const;

/** loco-continual's options by camelCase name, as `runLocoContinual` takes them (all optional there: defaults fill the rest). */
export type LocoContinualOptions = OptionsOf<typeof locoContinualOptions>;

type ContinualParsed = ParsedOf<typeof locoContinualOptions>;

/** What loco-continual measures: every run (runs.json: accuracy on the digits seen after each digit, per digit), the claims and the notes the run records. */
export interface LocoContinualResult {
  runs: ContinualRun[];
  /** The order in which the digits are learned. */
  order: number[];
  claims: Claim[];
  /** Skipped runs (BP on the SNN) and runs whose weights became non-finite (the manifest's notes). */
  notes: string[];
}

/** The digits in the order they are learned. */
const ORDER = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/** The runs of loco-continual (rule x seed; BP left out for the SNN, with a note), their integrators checked before any work. */
function continualPlan(opts: ContinualParsed) {
  const net = opts.net;
  const integrator = snnIntegrator(opts, opts.noise, opts.steps, SPIKINGJELLY_LIF);
  const flow = weightFlowChoice(opts, false);
  return { net, integrator, flow, notes: opts.rules.includes('bp') && net === 'snn' ? ['BP skipped for the SNN (spikes have no gradient)'] : [] };
}

async function trainContinualRuns(plan: ReturnType<typeof continualPlan>, opts: ContinualParsed, ctx: RunContext): Promise<LocoContinualResult> {
  const { net, integrator, flow } = plan;
  const data = mnistData(opts.trainSize);
  const rules = opts.rules.filter((r) => !(r === 'bp' && net === 'snn'));
  const d = MNIST_DEFAULTS[net];
  const eta = (rule: MnistRule) => (rule === 'bp' ? opts.etaBp : rule === 'np' ? (opts.etaNp ?? d.eta.np) : (opts.etaLoco ?? d.eta.loco));
  const order = ORDER;
  const perRun = opts.epochsPerClass * batchesPerEpoch(data.train, order, opts.batchSize);
  const tasks = rules.flatMap((rule) =>
    opts.seeds.map((seed): SweepTask<Parameters<typeof continualRun>[0]> => {
      const config: ContinualConfig = {
        net,
        rule,
        hidden: opts.hidden,
        epochsPerClass: opts.epochsPerClass,
        batch: opts.batchSize,
        eta: eta(rule),
        sigma: d.sigma,
        k: opts.k,
        clusters: opts.clusters,
        buffer: opts.buffer,
        steps: opts.steps,
        noise: opts.noise,
        seed,
        order,
        ...(net === 'snn' ? { integrator } : {}),
        ...(flow ? { flow } : {}),
      };
      const key = `${rule}-seed${seed}`;
      return { module: path.join(__dirname, 'continual.ts'), fn: 'continualRun', args: { config, trainSize: opts.trainSize, checkpoint: runCheckpoint(opts, key) }, key, units: perRun };
    }),
  );
  const runs = await runSweep<ContinualRun>(tasks, opts, ctx, 'loco-continual', (_i, r) => `${r.config.rule} seed ${r.config.seed}`);
  const notes = [...plan.notes];
  for (const r of runs) if (r.diverged) notes.push(`${r.config.rule} seed ${r.config.seed}: the weights became non-finite while learning digit ${r.diverged.digit}; the run stopped there (lower its learning rate)`);
  const claims = continualClaims({ runs, seeds: opts.seeds, epochsPerClass: opts.epochsPerClass, trainSize: opts.trainSize });
  return { runs, order, claims, notes };
}

/** seen-accuracy.csv: one row per run and stage (the accuracy on the digits seen after learning `lastClass`). */
export function continualRows(runs: readonly ContinualRun[], order: readonly number[] = ORDER): { rule: MnistRule; seed: number; classesSeen: number; lastClass: number; accuracy: number }[] {
  return runs.flatMap((r) => r.seenAccuracy.map((a, i) => ({ rule: r.config.rule, seed: r.config.seed, classesSeen: i + 1, lastClass: order[i], accuracy: a })));
}

/** Fig. 2H (SNN) / Fig. 3L (ANN): the accuracy on the digits seen so far against the digit being learned, one line per run. */
export function continualFigure(runs: readonly ContinualRun[], net: 'ann' | 'snn', order: readonly number[] = ORDER): PlotlyFigure {
  return {
    data: runs.map((r) => ({
      type: 'scatter',
      mode: 'lines+markers',
      name: `${r.config.rule.toUpperCase()} seed ${r.config.seed}`,
      x: order.map((c) => String(c)),
      y: r.seenAccuracy,
      line: { color: COLORS[r.config.rule] },
    })),
    layout: { title: { text: `${net.toUpperCase()} continual learning on MNIST: accuracy on the digits seen so far` }, xaxis: { title: { text: 'digit being learned' } }, yaxis: { title: { text: 'accuracy on digits seen' }, range: [0, 1] } },
  };
}

/**
 * loco-continual as a function: trains every rule × seed digit by digit (on `workers` threads) and
 * returns the runs (accuracy on the digits seen after each digit, and per digit), the claims and
 * the notes; writes nothing (see src/experiment/call.ts). The figure is
 * `continualFigure(result.runs, net)`.
 *
 *     const r = await runLocoContinual({ rules: ['np', 'loco'], hidden: 100, trainSize: 2000 });
 *     r.runs.map((run) => [run.config.rule, run.seenAccuracy.at(-1)]);
 */
export async function runLocoContinual(options: OptionsInput<typeof locoContinualOptions> = {}, reporting: CallReporting = {}): Promise<LocoContinualResult> {
  const opts = callOptions(options, locoContinualOptions, 'runLocoContinual');
  return trainContinualRuns(continualPlan(opts), opts, callContext(reporting));
}

export const continualExperiment = defineCommand({
  name: 'loco-continual',
  description: 'Fig. 2H / 3L: digits learned one after another; accuracy on the digits seen so far, NP vs LOCO vs BP',
  options: locoContinualOptions,
  async run(opts, ctx) {
    const plan = continualPlan(opts);
    const out = new RunOutput('loco-continual', opts.out, opts, ctx);
    for (const note of plan.notes) out.note(note);
    const { runs, order, claims, notes } = await trainContinualRuns(plan, opts, ctx);
    for (const note of notes.slice(plan.notes.length)) out.note(note);
    out.json('runs', runs);
    out.csv('seen-accuracy', ['rule', 'seed', 'classesSeen', 'lastClass', 'accuracy'], continualRows(runs, order));
    out.figure(`${plan.net === 'snn' ? 'fig2h' : 'fig3l'}-continual`, continualFigure(runs, plan.net, order));
    const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
    const table = runs.map((r) => [r.config.rule, r.config.seed, r.config.eta, mean(r.seenAccuracy), r.seenAccuracy[r.seenAccuracy.length - 1], r.seenAccuracy.map((a) => a.toFixed(2)).join(' ')]);
    if (opts.json) process.stdout.write(JSON.stringify({ runs: runs.map((r) => ({ rule: r.config.rule, seed: r.config.seed, seenAccuracy: r.seenAccuracy })) }, null, 2) + '\n');
    else ctx.log(formatTable(['rule', 'seed', 'η', 'mean over the 10 stages', 'after digit 9 (all digits)', 'accuracy on digits seen after 0..9'], table));
    writeClaims(out, 'loco-continual', claims);
    out.finish();
    printClaims(ctx, claims);
    return 0;
  },
});
