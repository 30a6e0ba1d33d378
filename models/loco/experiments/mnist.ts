/**
 * `creditflow reproduce loco-mnist` (Fig. 2E-G, Fig. 3I, Table S1): spiking (SNN) and ReLU (ANN)
 * networks 784-500-…-10 on the shared MNIST 8,000/2,000 split, trained by NP and LOCO, at depths
 * 3 to 6 layers (input, 1-4 hidden layers of 500, output).
 *
 * Setting (the paper gives the architecture, batch 32, c = 10, p = 50, 10 k-means iterations,
 * k ≤ 20; the rest is chosen here and exposed as options):
 * - batches are class-pure (Section 2.3); accuracy is measured on the 2,000 test images after
 *   every epoch; targets are one-hot (eq. 27);
 * - ANN: He initialisation, linear output, σ = 0.01;
 * - SNN: spikingjelly's LIFNode (τ_m = 2 steps, V_th = 1, hard reset, decay_input), dt = 1, a
 *   window of T steps (default 10, the direct coding keeps it short, A.7), coding gain 4 (a pixel
 *   ≥ 0.25 fires), weights N(0, 16/fan_in), biases 0.5, membrane noise 0.3 (smooths the staircase
 *   rate function of a clock-driven LIF; frozen between the clean and the perturbed run), σ = 0.3;
 * - LOCO: k = 10 principal directions, c = 10 centres, p = 50 directions, 10 k-means iterations.
 *
 * Data: the shipped 8,000/2,000 MNIST split by default; `--data mnist|fashion-mnist|cifar10
 * --data-dir DIR --train-size N --test-size N` (src/experiment/data.ts, the readers of
 * src/data/files.ts) train on the full IDX MNIST or Fashion-MNIST or on CIFAR-10 (3,072 inputs: the
 * input layer takes the data's width), the first N images of each split (0 = all).
 *
 * Default size (2 epochs of the 8,000 images, 16 runs: {SNN, ANN} x {NP, LOCO} x depth 3-6) is
 * chosen to finish in about 20-30 minutes on 2 shared cores; the paper trains to convergence.
 *
 * --variant code adds the released code's rate network (nets.ts RateNet: min(relu, 1) units, the
 * perturbation after the unit, nn.Linear initialisation, σ = 0.005) trained with Adam (NP 3e-4,
 * LOCO 1e-3: on the 8,000 images, depth 3, 3 epochs, LOCO reached 81.1, 85.3, 85.8% and NP 46.1,
 * 55.1, 69.4% per epoch; LOCO at 3e-3 peaked at 61% and fell, NP at 1e-3 reached 59%), LOCO with k = 32 (a batch of 32 spans at most 32 directions; the
 * released code keeps 110 at batch 1,000), 10 centres and a buffer of 1,000 batch directions. Its
 * runs answer the SNN claims, since the released code's "SNN" is this network.
 *
 * The runs run in worker threads (--workers). Each checkpoints after every epoch
 * (--checkpoint-every; common.ts trainingCheckpoints: weights, the LOCO projectors' directions and
 * centres, the generators, the records so far); --resume loads the finished runs and continues a
 * killed one from its last checkpoint.
 *
 * `runLocoMnist(options)` is the same experiment as a function that returns its data and writes nothing.
 */
import * as path from 'node:path';
import { Rng } from '../../../src/core/random';
import type { Dataset } from '../../../src/data/mnist';
import { defineCommand } from '../../../src/registry';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { batchSizeOption, epochsOption, outputOptions, seedsOption } from '../../../src/experiment/groups';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import type { RunContext } from '../../../src/experiment/context';
import { runCheckpoint, runSweep, sweepOptions, type SweepTask } from '../../../src/experiment/sweep';
import type { CheckpointSettings } from '../../../src/io/checkpoint';
import { reportProgress } from '../../../src/parallel/pool';
import { formatTable } from '../../../src/io/output';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import type { PlotlyFigure } from '../../../src/io/plot';
import { mnistClaims } from '../claims';
import { RunOutput } from '../../../src/io/run';
import { initSnn, snnSpec, type LifIntegrator } from '../../lif/network';
import { lifParams, SPIKINGJELLY_LIF } from '../../lif/params';
import { AnnNet, RateNet, SnnNet, type PerturbableNetwork } from '../nets';
import type { OptimizerName } from '../../../src/nn/optim';
import { GradientLearner, PerturbationLearner, type NetworkLearner, type RuleName } from '../rules';
import type { FlowSolver } from '../../../src/experiment/minibatch-flow';
import type { Minibatch } from '../rules';
import { dataChoice, dataLabel, dataOptions, dataShape, dataSizes } from '../../../src/experiment/data';
import { classPureBatches, COLORS, evaluate, gatherBatch, mnistData, snnIntegrator, snnSolverOptions, trainingCheckpoints, weightFlowChoice, weightFlowOptions, type DataSource } from './common';

/** 'rate': the released code's rate network (nets.ts RateNet), the network of --variant code. */
export type NetKind = 'ann' | 'snn' | 'rate';
export type MnistRule = RuleName | 'bp';

export interface MnistConfig {
  net: NetKind;
  rule: MnistRule;
  /** Number of layers, input and output included (3 = 784-500-10). */
  depth: number;
  hidden: number;
  epochs: number;
  batch: number;
  eta: number;
  sigma: number;
  k: number;
  clusters: number;
  buffer: number;
  /** SNN window T. */
  steps: number;
  noise: number;
  trainSize: number;
  /** Test images used (absent: the whole test split). */
  testSize?: number;
  /** The images (--data, --data-dir); absent: the shipped MNIST subset. Their width sets the input layer. */
  data?: DataSource;
  /** Input width n_0 (absent: 784). */
  inputs?: number;
  seed: number;
  /** Classes trained (continual learning trains one at a time) and evaluated. */
  classes?: readonly number[];
  evalClasses?: readonly number[];
  /** 'adam' with --variant code (the released code); default 'sgd' (the paper). */
  optimizer?: OptimizerName;
  /** The SNN window's integrator (--solver/--dt0); absent: Euler (Euler–Maruyama with noise) at dt = 1 ms, clock-driven. */
  integrator?: LifIntegrator;
  /** The integrator of the weights' flow (--solver/--dt0/--rtol/--atol); absent: Euler, one step per minibatch (the paper's update). */
  flow?: FlowSolver;
}

/**
 * Learning rates: for each rule the best of a small sweep (seed 1, 2,000 training images, 2-3
 * epochs): ANN NP 0.03 (0.05 diverges), ANN LOCO 0.1 (0.2 diverges), SNN NP 0.5 (of 0.2, 0.5, 2),
 * SNN LOCO 2 (of 0.5, 2, 5), ANN BP 0.5. LOCO tolerating a larger η than NP is eq. (24).
 * These are the depth-3 rates; the deeper ANNs diverged in their first epoch with them (NP and
 * LOCO, depths 4-6), so by default the ANN rates are divided by the number of hidden layers
 * (--depth-scale; at depth 4, LOCO 0.05 and NP 0.015 learn). The SNNs did not diverge and keep them.
 */
export const MNIST_DEFAULTS = {
  ann: { eta: { np: 0.03, loco: 0.1, bp: 0.5 }, sigma: 0.01 },
  snn: { eta: { np: 0.5, loco: 2, bp: NaN }, sigma: 0.3 },
  /** --variant code: the released code's σ = 0.005, Adam (its lr 0.015 is at batch 1,000; these are for batch 32, see CODE_VARIANT). */
  rate: { eta: { np: 3e-4, loco: 1e-3, bp: NaN }, sigma: 0.005 },
};

export function sizesFor(depth: number, hidden: number, inputs = 784): number[] {
  if (!Number.isInteger(depth) || depth < 3) throw new Error(`depth (layers, input and output included) must be an integer >= 3 (got ${depth})`);
  return [inputs, ...new Array(depth - 2).fill(hidden), 10];
}

export function buildNetwork(cfg: Pick<MnistConfig, 'net' | 'depth' | 'hidden' | 'steps' | 'noise' | 'seed' | 'integrator' | 'inputs'>): PerturbableNetwork {
  const sizes = sizesFor(cfg.depth, cfg.hidden, cfg.inputs);
  const rng = new Rng(cfg.seed);
  if (cfg.net === 'ann') return AnnNet.init(sizes, rng);
  if (cfg.net === 'rate') return RateNet.initTorch(sizes, rng);
  const spec = snnSpec({ sizes, lif: lifParams(SPIKINGJELLY_LIF), dt: 1, steps: cfg.steps, inputGain: 4, bias: true, noise: cfg.noise, integrator: cfg.integrator });
  return new SnnNet(spec, initSnn(spec, rng, 4, 0.5), cfg.seed + 7);
}

export interface MnistRun {
  config: MnistConfig;
  /** Test accuracy after each epoch (index 0: before training). */
  accuracy: number[];
  trainLoss: number[];
  best: number;
  seconds: number;
  /** Set when the loss became non-finite or exceeded 1e6 (the run stops there). */
  diverged?: { epoch: number; loss: number };
}

export interface TrainHooks {
  /** Called after every batch (progress). */
  onBatch?: () => void;
  /** Called after every epoch trained (not after the epochs a resumed run skips). */
  onEpoch?: (epoch: number) => void;
  /** Checkpoint the run every few epochs, and continue from a checkpoint (trainingCheckpoints). */
  checkpoint?: CheckpointSettings;
  /** Train this network instead of a fresh one. */
  net?: PerturbableNetwork;
}

/** Train one configuration; `test` is evaluated after every epoch on `evalClasses` (all by default). */
export function trainMnist(cfg: MnistConfig, data: { train: Dataset; test: Dataset }, hooks: TrainHooks = {}): MnistRun & { net: PerturbableNetwork } {
  const t0 = performance.now();
  const net = hooks.net ?? buildNetwork(cfg);
  const learner = makeLearner(cfg, net);
  const rng = new Rng(cfg.seed + 13);
  const classes = cfg.classes ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  let accuracy = [evaluate(net, data.test, { classes: cfg.evalClasses })];
  let trainLoss: number[] = [];
  let before = 0; // seconds spent before a resume
  let diverged: MnistRun['diverged'];
  const { epochs: _epochs, ...settings } = cfg;
  const ck = trainingCheckpoints(hooks.checkpoint, { epochs: cfg.epochs, net, learner, rngs: { order: rng }, settings, extra: () => ({ accuracy, trainLoss, seconds: before + (performance.now() - t0) / 1000 }) });
  if (ck.extra) ({ accuracy, trainLoss, seconds: before } = ck.extra);
  for (let ep = ck.start; ep <= cfg.epochs && !diverged; ep++) {
    let loss = 0;
    let nb = 0;
    const batches = classPureBatches(data.train.y, classes, cfg.batch, rng);
    const run = learner.train(batches.length, (k) => minibatch(data.train, batches[k]), {
      onLoss: (_k, l) => {
        hooks.onBatch?.();
        if (!(Number.isFinite(l) && l < 1e6)) diverged = { epoch: ep, loss: l };
        else {
          loss += l;
          nb++;
        }
      },
      stopWhen: () => diverged !== undefined,
    });
    // weights that became non-finite: the run stops at the last finite ones
    diverged ??= run.solution.status === 'diverged' ? { epoch: ep, loss: NaN } : undefined;
    trainLoss.push(loss / Math.max(1, nb));
    accuracy.push(evaluate(net, data.test, { classes: cfg.evalClasses }));
    hooks.onEpoch?.(ep);
    if (!diverged) ck.done(ep);
  }
  return { config: cfg, accuracy, trainLoss, best: Math.max(...accuracy), seconds: before + (performance.now() - t0) / 1000, diverged, net };
}

/** The learner of a configuration: BP (the ANN's gradient), or NP or LOCO, along the weights' flow `cfg.flow`. */
export function makeLearner(cfg: Omit<MnistConfig, 'depth' | 'epochs' | 'trainSize'>, net: PerturbableNetwork, bpMessage = 'BP is available for the ANN only (spikes have no gradient); use --rules np,loco for the SNN'): NetworkLearner {
  if (cfg.rule === 'bp') {
    if (!(net instanceof AnnNet)) throw new Error(bpMessage);
    return new GradientLearner(net, cfg.eta, cfg.flow);
  }
  const k = cfg.net === 'rate' ? net.sizes.slice(0, -1).map((n) => Math.min(cfg.k, n + 1)) : cfg.k;
  return new PerturbationLearner(net, { rule: cfg.rule, sigma: cfg.sigma, eta: cfg.eta, loco: { k, clusters: cfg.clusters, buffer: cfg.buffer }, ...(cfg.optimizer ? { optimizer: cfg.optimizer } : {}), ...(cfg.flow ? { flow: cfg.flow } : {}) }, cfg.seed + 11);
}

/** The rows `idx` of a dataset as a minibatch (one-hot targets, labels as LOCO's groups). */
export function minibatch(ds: Dataset, idx: Int32Array): Minibatch {
  const { x, t, y } = gatherBatch(ds, idx);
  return { x, target: t, B: idx.length, groups: y };
}

/** One run of loco-mnist in a worker thread: the split loaded there, progress per batch, the weights left out of the result. */
export function mnistRun(a: { config: MnistConfig; checkpoint?: CheckpointSettings }): MnistRun {
  const c = a.config;
  const label = `${c.net} ${c.rule} depth ${c.depth}`;
  const { net: _net, ...run } = trainMnist(c, mnistData(c.trainSize, c.data, c.testSize), { onBatch: () => reportProgress(1, label), checkpoint: a.checkpoint });
  return run;
}

/** One entry per (net, rule, depth), in first-seen order: the best accuracy averaged over its seeds. */
export function meanOverSeeds<R extends { config: Pick<MnistConfig, 'net' | 'rule' | 'depth' | 'hidden'>; best: number }>(runs: readonly R[]): { config: R['config']; best: number }[] {
  const groups = new Map<string, R[]>();
  for (const r of runs) {
    const key = `${r.config.net} ${r.config.rule} ${r.config.depth}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => ({ config: g[0].config, best: g.reduce((s, r) => s + r.best, 0) / g.length }));
}

/** Batches per epoch, for progress bars. */
export function batchesPerEpoch(train: Dataset, classes: readonly number[], batch: number): number {
  let n = 0;
  for (const c of classes) {
    let m = 0;
    for (let i = 0; i < train.n; i++) if (train.y[i] === c) m++;
    n += Math.ceil(m / batch);
  }
  return n;
}

/** The options of loco-mnist (`creditflow reproduce loco-mnist --help`). */
export const locoMnistOptions = [
  ...outputOptions('loco-mnist'),
  opt.choices('nets', 'network kinds', ['snn', 'ann'], { default: ['snn', 'ann'] }),
  opt.choices('rules', 'learning rules (bp: ANN only)', ['np', 'loco', 'bp'], { default: ['np', 'loco'] }),
  opt.integers('depths', 'layers (input and output included): 3 = 784-500-10', { default: [3, 4, 5, 6], min: 3 }),
  opt.integer('hidden', 'width of the hidden layers', { min: 1, default: 500 }),
  epochsOption(2, 'epochs per run'),
  ...dataOptions(),
  batchSizeOption(32, 'minibatch size (class-pure batches, Section 2.3)'),
  opt.integer('steps', 'SNN window T (steps of dt = 1)', { min: 1, default: 10 }),
  opt.number('noise', 'SNN membrane noise σ_n', { min: 0, default: 0.3 }),
  opt.number('eta-ann-np', 'ANN NP learning rate', { min: 0, default: MNIST_DEFAULTS.ann.eta.np }),
  opt.number('eta-ann-loco', 'ANN LOCO learning rate', { min: 0, default: MNIST_DEFAULTS.ann.eta.loco }),
  opt.number('eta-snn-np', 'SNN NP learning rate', { min: 0, default: MNIST_DEFAULTS.snn.eta.np }),
  opt.number('eta-snn-loco', 'SNN LOCO learning rate', { min: 0, default: MNIST_DEFAULTS.snn.eta.loco }),
  opt.number('eta-bp', 'ANN BP learning rate', { min: 0, default: MNIST_DEFAULTS.ann.eta.bp }),
  opt.boolean('depth-scale', 'divide the ANN learning rates by the number of hidden layers', { default: true }),
  opt.number('sigma-ann', 'ANN perturbation σ', { min: 0, default: MNIST_DEFAULTS.ann.sigma }),
  opt.number('sigma-snn', 'SNN perturbation σ', { min: 0, default: MNIST_DEFAULTS.snn.sigma }),
  opt.integer('k', 'LOCO principal directions', { min: 1, max: 32, default: 10 }),
  opt.integer('clusters', 'LOCO k-means centres c', { min: 1, default: 10 }),
  opt.integer('buffer', 'LOCO directions kept (p)', { min: 1, default: 50 }),
  seedsOption({ default: [1], description: 'seeds (initial weights, perturbations, batch order): one run per configuration and seed' }),
  opt.choices('variant', "'paper': the SNN/ANN of the paper with plain gradient steps; 'code': the released code's rate network (min(relu, 1) units, noise after the unit, nn.Linear initialisation, Adam; see nets.ts RateNet), one more set of runs", ['paper', 'code'], { default: ['paper', 'code'] }),
  opt.number('eta-rate-np', 'Adam rate of NP in the code variant', { min: 0, default: MNIST_DEFAULTS.rate.eta.np }),
  opt.number('eta-rate-loco', 'Adam rate of LOCO in the code variant', { min: 0, default: MNIST_DEFAULTS.rate.eta.loco }),
  opt.number('sigma-rate', 'perturbation σ of the code variant (released code: 0.005)', { min: 0, default: MNIST_DEFAULTS.rate.sigma }),
  opt.integer('k-rate', 'LOCO directions in the code variant (released code: 110 at batch 1,000; a batch of 32 spans at most 32)', { min: 1, max: 128, default: 32 }),
  opt.integer('buffer-rate', 'k-means ring buffer of batch directions in the code variant (released code: 1,000)', { min: 1, default: 1000 }),
  ...weightFlowOptions(),
  ...snnSolverOptions(),
  ...sweepOptions('runs (net x rule x depth)'),
] as const;

/** loco-mnist's options by camelCase name, as `runLocoMnist` takes them (all optional there: defaults fill the rest). */
export type LocoMnistOptions = OptionsOf<typeof locoMnistOptions>;

type MnistParsed = ParsedOf<typeof locoMnistOptions>;

/** One run's row of loco-mnist's summary.csv. */
export type MnistSummaryRow = {
  net: NetKind;
  rule: MnistRule;
  depth: number;
  seed: number;
  eta: number;
  /** Best and final test accuracy (the accuracy before training included in the best). */
  best: number;
  final: number;
  /** 'epoch n' for a run that diverged in epoch n, else ''. */
  diverged: string;
  /** Wall time of the run. */
  seconds: number;
};

/** What loco-mnist measures: every run (runs.json: accuracy and training loss per epoch), the summary rows, the claims and the notes the run records. */
export interface LocoMnistResult {
  runs: MnistRun[];
  summary: MnistSummaryRow[];
  claims: Claim[];
  /** Left-out runs (BP on the SNN) and runs that diverged (the manifest's notes). */
  notes: string[];
}

/** The runs of loco-mnist (net x rule x depth, then the code variant's, once per seed) and their data, checked before any work. */
function mnistPlan(opts: MnistParsed) {
  const { nets, rules } = opts;
  if (!nets.includes('ann') && rules.every((r) => r === 'bp')) throw new Error(`--nets ${nets.join(',')} with --rules bp selects no run: BP trains the ANN only; add --nets ann or a rule np/loco`);
  const integrator = snnIntegrator(opts, opts.noise, opts.steps, SPIKINGJELLY_LIF);
  const flow = weightFlowChoice(opts, opts.variant.includes('code'));
  const n = dataSizes(opts); // bad --data, --data-dir or sizes fail here, before any output or work
  const source: DataSource | undefined = dataChoice(opts);
  const shared = { trainSize: n.train, testSize: n.test, ...(source ? { data: source, inputs: dataShape(opts).d } : {}) };
  const seeds = opts.seeds;
  const etas = { ann: { np: opts.etaAnnNp, loco: opts.etaAnnLoco }, snn: { np: opts.etaSnnNp, loco: opts.etaSnnLoco } };
  const configs: MnistConfig[] = [];
  for (const net of nets) {
    for (const rule of rules) {
      if (rule === 'bp' && net === 'snn') continue;
      for (const depth of opts.depths) {
        configs.push({
          net,
          rule,
          depth,
          hidden: opts.hidden,
          epochs: opts.epochs,
          batch: opts.batchSize,
          eta: (rule === 'bp' ? opts.etaBp : etas[net][rule]) / (net === 'ann' && opts.depthScale ? depth - 2 : 1),
          sigma: net === 'ann' ? opts.sigmaAnn : opts.sigmaSnn,
          k: opts.k,
          clusters: opts.clusters,
          buffer: opts.buffer,
          steps: opts.steps,
          noise: opts.noise,
          ...shared,
          seed: seeds[0], // one config per seed below
          ...(net === 'snn' ? { integrator } : {}),
          ...(flow ? { flow } : {}),
        });
      }
    }
  }
  if (!opts.variant.includes('paper')) configs.length = 0;
  if (opts.variant.includes('code')) {
    for (const rule of rules.filter((r) => r !== 'bp')) {
      for (const depth of opts.depths) {
        configs.push({
          net: 'rate',
          rule,
          depth,
          hidden: opts.hidden,
          epochs: opts.epochs,
          batch: opts.batchSize,
          eta: rule === 'np' ? opts.etaRateNp : opts.etaRateLoco,
          sigma: opts.sigmaRate,
          k: opts.kRate,
          clusters: opts.clusters,
          buffer: opts.bufferRate,
          steps: opts.steps,
          noise: 0,
          ...shared,
          seed: seeds[0], // one config per seed below
          optimizer: 'adam',
        });
      }
    }
  }
  const notes = nets.includes('snn') && rules.includes('bp') ? ['BP trains the ANN only: no SNN BP runs'] : [];
  return { n, source, shared, configs: seeds.flatMap((seed) => configs.map((c) => ({ ...c, seed }))), notes };
}

async function trainMnistRuns(plan: ReturnType<typeof mnistPlan>, opts: MnistParsed, ctx: RunContext): Promise<LocoMnistResult> {
  const { n, source, shared } = plan;
  const data = mnistData(n.train, source, n.test);
  const perEpoch = batchesPerEpoch(data.train, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], opts.batchSize);
  const tasks = plan.configs.map((config): SweepTask<Parameters<typeof mnistRun>[0]> => {
    const key = `${config.net}-${config.rule}-depth${config.depth}-seed${config.seed}`;
    return { module: path.join(__dirname, 'mnist.ts'), fn: 'mnistRun', args: { config, checkpoint: runCheckpoint(opts, key) }, key, units: config.epochs * perEpoch };
  });
  const runs = await runSweep<MnistRun>(tasks, opts, ctx, 'loco-mnist', (_i, r) => `${r.config.net} ${r.config.rule} depth ${r.config.depth} seed ${r.config.seed} (${r.seconds.toFixed(0)} s)`);
  const summary = runs.map((r) => ({
    net: r.config.net,
    rule: r.config.rule,
    depth: r.config.depth,
    seed: r.config.seed,
    eta: r.config.eta,
    best: r.best,
    final: r.accuracy[r.accuracy.length - 1],
    diverged: r.diverged ? `epoch ${r.diverged.epoch}` : '',
    seconds: r.seconds,
  }));
  const notes = [...plan.notes];
  for (const r of runs) if (r.diverged) notes.push(`${r.config.net} ${r.config.rule} depth ${r.config.depth} seed ${r.config.seed} diverged in epoch ${r.diverged.epoch} (loss ${r.diverged.loss}); lower its learning rate`);
  const claims = mnistClaims({ runs: meanOverSeeds(runs), seeds: opts.seeds.length, epochs: opts.epochs, trainSize: n.train, data: dataLabel(opts), inputs: shared.inputs });
  return { runs, summary, claims, notes };
}

/** accuracy.csv: one row per run and epoch (epoch 0: before training, no training loss). */
export function mnistAccuracyRows(runs: readonly MnistRun[]) {
  return runs.flatMap((r) => r.accuracy.map((acc, epoch) => ({ net: r.config.net, rule: r.config.rule, depth: r.config.depth, seed: r.config.seed, epoch, testAccuracy: acc, trainLoss: epoch > 0 ? r.trainLoss[epoch - 1] : null })));
}

/**
 * loco-mnist's figures by file name, two per network kind (in the order the runs have them): the
 * test accuracy per epoch of every run (Fig. 2G for the SNN, 3I for the ANN) and the best test
 * accuracy against depth, averaged over the `seedCount` seeds (Fig. 2E, 3I).
 */
export function mnistFigures(runs: readonly MnistRun[], seedCount: number): Record<string, PlotlyFigure> {
  const figures: Record<string, PlotlyFigure> = {};
  for (const net of [...new Set(runs.map((r) => r.config.net))]) {
    const rs = runs.filter((r) => r.config.net === net);
    const fig = net === 'snn' ? 'fig2g' : net === 'rate' ? 'code' : 'fig3i';
    figures[`${fig}-${net}-accuracy-curves`] = {
      data: rs.map((r) => ({
        type: 'scatter',
        mode: 'lines+markers',
        name: `${r.config.rule.toUpperCase()} ${r.config.depth} layers${seedCount > 1 ? ` seed ${r.config.seed}` : ''}`,
        x: r.accuracy.map((_, i) => i),
        y: r.accuracy,
        line: { color: COLORS[r.config.rule], dash: ['solid', 'dot', 'dash', 'dashdot', 'longdash'][(r.config.depth - 3) % 5] },
      })),
      layout: { title: { text: `${net.toUpperCase()} on MNIST: test accuracy per epoch` }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'test accuracy' } } },
    };
    figures[`${net === 'snn' ? 'fig2e' : net === 'rate' ? 'code' : 'fig3i'}-${net}-best-vs-depth`] = {
      data: [...new Set(rs.map((r) => r.config.rule))].map((rule) => {
        const sel = meanOverSeeds(rs.filter((r) => r.config.rule === rule));
        return { type: 'scatter', mode: 'lines+markers', name: `${rule.toUpperCase()}${seedCount > 1 ? ` (mean of ${seedCount} seeds)` : ''}`, x: sel.map((r) => r.config.depth), y: sel.map((r) => r.best), line: { color: COLORS[rule] } };
      }),
      layout: { title: { text: `${net.toUpperCase()} on MNIST: best test accuracy vs depth` }, xaxis: { title: { text: 'layers (input and output included)' }, dtick: 1 }, yaxis: { title: { text: 'best test accuracy' } } },
    };
  }
  return figures;
}

/**
 * loco-mnist as a function: trains every net × rule × depth × seed (on `workers` threads) and
 * returns the runs (test accuracy and training loss per epoch), the summary rows, the claims and
 * the notes; writes nothing (see src/experiment/call.ts). The figures are
 * `mnistFigures(result.runs, seeds)`.
 *
 *     const r = await runLocoMnist({ nets: ['ann'], depths: [3], hidden: 100, trainSize: 2000, variant: ['paper'] });
 *     r.summary.map((s) => [s.rule, s.best]);
 */
export async function runLocoMnist(options: OptionsInput<typeof locoMnistOptions> = {}, reporting: CallReporting = {}): Promise<LocoMnistResult> {
  const opts = callOptions(options, locoMnistOptions, 'runLocoMnist');
  return trainMnistRuns(mnistPlan(opts), opts, callContext(reporting));
}

export const mnistExperiment = defineCommand({
  name: 'loco-mnist',
  description: 'Fig. 2E-G / 3I: SNN and ANN 784-500-10 on MNIST (8,000/2,000), NP vs LOCO accuracy, depth 3-6 layers',
  options: locoMnistOptions,
  async run(opts, ctx) {
    const plan = mnistPlan(opts);
    const out = new RunOutput('loco-mnist', opts.out, opts, ctx);
    for (const note of plan.notes) out.note(note);
    const { runs, summary, claims, notes } = await trainMnistRuns(plan, opts, ctx);
    out.json('runs', runs);
    out.csv('accuracy', ['net', 'rule', 'depth', 'seed', 'epoch', 'testAccuracy', 'trainLoss'], mnistAccuracyRows(runs));
    out.csv('summary', ['net', 'rule', 'depth', 'seed', 'eta', 'best', 'final', 'diverged', 'seconds'], summary);
    for (const note of notes.slice(plan.notes.length)) out.note(note);
    for (const [name, figure] of Object.entries(mnistFigures(runs, opts.seeds.length))) out.figure(name, figure);
    if (opts.json) process.stdout.write(JSON.stringify({ summary }, null, 2) + '\n');
    else ctx.log(formatTable(['net', 'rule', 'layers', 'seed', 'η', 'best test acc.', 'final test acc.', 'diverged', 'seconds'], summary.map((s) => [s.net, s.rule, s.depth, s.seed, s.eta, s.best, s.final, s.diverged, s.seconds])));
    writeClaims(out, 'loco-mnist', claims);
    if (runs.some((r) => r.diverged)) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
    out.finish();
    printClaims(ctx, claims);
    return 0;
  },
});
