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
 */
import * as path from 'node:path';
import type { CommandSpec } from '../../../src/registry';
import { pngOption, type ParsedOptions } from '../../../src/experiment/options';
import type { RunContext } from '../../../src/experiment/context';
import { runCheckpoint, runSweep, sweepOptions } from '../../../src/experiment/sweep';
import type { CheckpointSettings } from '../../../src/io/checkpoint';
import { reportProgress } from '../../../src/parallel/pool';
import { Rng } from '../../../src/core/random';
import type { Dataset } from '../../../src/data/mnist';
import { formatTable } from '../../../src/io/output';
import { printClaims, writeClaims } from '../../../src/io/claims';
import { continualClaims } from '../claims';
import { RunOutput } from '../../../src/io/run';
import { SPIKINGJELLY_LIF } from '../../lif/params';
import type { PerturbableNetwork } from '../nets';

import { classPureBatches, COLORS, evaluate, mnistData, outOption, snnIntegrator, snnSolverOptions, trainingCheckpoints, weightFlowChoice, weightFlowOptions } from './common';
import { batchesPerEpoch, buildNetwork, makeLearner, minibatch, MNIST_DEFAULTS, type MnistConfig, type MnistRule, type NetKind, type TrainHooks } from './mnist';

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

export const continualExperiment: CommandSpec = {
  name: 'loco-continual',
  description: 'Fig. 2H / 3L: digits learned one after another; accuracy on the digits seen so far, NP vs LOCO vs BP',
  options: [
    { name: 'net', type: 'string', description: 'network kind', choices: ['ann', 'snn'], default: 'ann' },
    { name: 'rules', type: 'strings', description: 'learning rules (bp: ANN only)', choices: ['np', 'loco', 'bp'], default: ['np', 'loco', 'bp'] },
    { name: 'hidden', type: 'integer', description: 'hidden width', min: 1, default: 500 },
    { name: 'epochs-per-class', type: 'integer', description: 'passes over each digit', min: 1, default: 2 },
    { name: 'batch-size', type: 'integer', description: 'minibatch size (class-pure batches)', min: 1, default: 32 },
    { name: 'eta-np', type: 'number', description: 'NP learning rate (default: loco-mnist’s for the net)', min: 0 },
    { name: 'eta-loco', type: 'number', description: 'LOCO learning rate (default: loco-mnist’s for the net)', min: 0 },
    { name: 'eta-bp', type: 'number', description: 'BP learning rate', min: 0, default: 0.1 },
    { name: 'k', type: 'integer', description: 'LOCO principal directions', min: 1, max: 32, default: 10 },
    { name: 'clusters', type: 'integer', description: 'LOCO k-means centres', min: 1, default: 10 },
    { name: 'buffer', type: 'integer', description: 'LOCO directions kept', min: 1, default: 1000 },
    { name: 'steps', type: 'integer', description: 'SNN window T', min: 1, default: 10 },
    { name: 'noise', type: 'number', description: 'SNN membrane noise', min: 0, default: 0.3 },
    { name: 'train-size', type: 'integer', description: 'training images used (of 8,000)', min: 100, max: 8000, default: 8000 },
    { name: 'seeds', type: 'integers', description: 'seeds', default: [1] },
    ...weightFlowOptions(),
    ...snnSolverOptions(),
    outOption('loco-continual'),
    ...sweepOptions('runs (rule x seed)', 1, 'digits'),
    pngOption,
  ],
  async run(opts: ParsedOptions, ctx: RunContext) {
    const net = opts.net as NetKind;
    const integrator = snnIntegrator(opts, opts.noise, opts.steps, SPIKINGJELLY_LIF);
    const flow = weightFlowChoice(opts, false);
    const out = new RunOutput('loco-continual', opts.out, opts, ctx);
    const data = mnistData(opts.trainSize);
    const rules = (opts.rules as MnistRule[]).filter((r) => {
      if (r === 'bp' && net === 'snn') {
        out.note('BP skipped for the SNN (spikes have no gradient)');
        return false;
      }
      return true;
    });
    const d = MNIST_DEFAULTS[net];
    const eta = (rule: MnistRule) => (rule === 'bp' ? opts.etaBp : rule === 'np' ? (opts.etaNp ?? d.eta.np) : (opts.etaLoco ?? d.eta.loco));
    const order = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const perRun = opts.epochsPerClass * batchesPerEpoch(data.train, order, opts.batchSize);
    const tasks = rules.flatMap((rule) =>
      (opts.seeds as number[]).map((seed) => {
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
    for (const r of runs) if (r.diverged) out.note(`${r.config.rule} seed ${r.config.seed}: the weights became non-finite while learning digit ${r.diverged.digit}; the run stopped there (lower its learning rate)`);
    out.json('runs', runs);
    out.csv(
      'seen-accuracy',
      ['rule', 'seed', 'classesSeen', 'lastClass', 'accuracy'],
      runs.flatMap((r) => r.seenAccuracy.map((a, i) => ({ rule: r.config.rule, seed: r.config.seed, classesSeen: i + 1, lastClass: order[i], accuracy: a }))),
    );
    out.figure(`${net === 'snn' ? 'fig2h' : 'fig3l'}-continual`, {
      data: runs.map((r) => ({
        type: 'scatter',
        mode: 'lines+markers',
        name: `${r.config.rule.toUpperCase()} seed ${r.config.seed}`,
        x: order.map((c) => String(c)),
        y: r.seenAccuracy,
        line: { color: COLORS[r.config.rule] },
      })),
      layout: { title: { text: `${net.toUpperCase()} continual learning on MNIST: accuracy on the digits seen so far` }, xaxis: { title: { text: 'digit being learned' } }, yaxis: { title: { text: 'accuracy on digits seen' }, range: [0, 1] } },
    });
    const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
    const table = runs.map((r) => [r.config.rule, r.config.seed, r.config.eta, mean(r.seenAccuracy), r.seenAccuracy[r.seenAccuracy.length - 1], r.seenAccuracy.map((a) => a.toFixed(2)).join(' ')]);
    if (opts.json) process.stdout.write(JSON.stringify({ runs: runs.map((r) => ({ rule: r.config.rule, seed: r.config.seed, seenAccuracy: r.seenAccuracy })) }, null, 2) + '\n');
    else ctx.log(formatTable(['rule', 'seed', 'η', 'mean over the 10 stages', 'after digit 9 (all digits)', 'accuracy on digits seen after 0..9'], table));
    const claims = continualClaims({ runs, seeds: opts.seeds, epochsPerClass: opts.epochsPerClass, trainSize: opts.trainSize });
    writeClaims(out, 'loco-continual', claims);
    out.finish();
    printClaims(ctx, claims);
    return 0;
  },
};
