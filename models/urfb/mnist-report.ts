/**
 * `creditflow train urfb` (one network, per-epoch loss and train/test error) and
 * `creditflow reproduce urfb-mnist` (the protocols of the paper's Figs. 5-6, BP / BP-H / URFB /
 * FRFB with and without 50% connectivity, on MNIST, over several seeds). `runTrainUrfb` and
 * `runUrfbMnist` are the same as functions that return their data and write nothing.
 *
 * Default size of the reproduction: a fully connected 784-256-256-10 network, 6 protocols x 3 seeds
 * x 10 epochs of minibatch-50 SGD with η = 0.1 (the paper's time step) and μ = 0.2 on the 8,000-image
 * training split: ≈1.5 s an epoch on one core, so ≈5 minutes in all on an idle 2-core machine
 * (10.5 minutes measured while other jobs shared the machine). μ is not given in the paper; 0.2 and
 * η = 0.1 were chosen from short (5-epoch, seed 1) runs of η ∈ {0.02, 0.05, 0.1, 0.2},
 * μ ∈ {0.11, 0.2, 0.5, 1}, on the test split; batch 50 because the paper's 500 would give only 16
 * updates per epoch on 8,000 images.
 *
 * `--data mnist|fashion-mnist|cifar10 --data-dir DIR --train-size N --test-size N` (declared with
 * the other image experiments, src/experiment/data.ts; a size of 0, the default, is the whole split):
 * the shipped MNIST split by default, else
 * the full IDX (MNIST, Fashion-MNIST) or CIFAR-10 binary files of a folder; the input width and
 * classes follow the data (3,072 inputs for CIFAR-10).
 *
 * `--solver` (default euler), `--dt0` (in minibatches, default 1: one SGD step of η per minibatch),
 * `--rtol`, `--atol` choose the integrator of the minibatch flow (train.ts).
 *
 * The runs (protocol x seed) go to `--workers` threads (results identical to a serial run, except
 * the measured seconds per epoch); each run, and `train urfb`, checkpoints every `--checkpoint-every`
 * epochs under --out/checkpoints (weights, feedback matrices, minibatch-order generator, epoch
 * records; the masks are rebuilt from the seed), and `--resume` continues bit-identically.
 */
import * as path from 'node:path';
import { defineCommand } from '../../src/registry';
import { opt, UsageError, type OptionsInput, type OptionsOf, type ParsedOf } from '../../src/experiment/options';
import { callContext, callOptions, type CallReporting } from '../../src/experiment/call';
import type { RunContext } from '../../src/experiment/context';
import { outputOptions, seedsOption, trainingOptions } from '../../src/experiment/groups';
import { solverChoice, solverOptions } from '../../src/experiment/solver-options';
import { resumeOptions, runCheckpoint, runSweep, sweepOptions } from '../../src/experiment/sweep';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { printClaims, writeClaims, type Claim } from '../../src/io/claims';
import { RunOutput } from '../../src/io/run';
import { formatTable } from '../../src/io/output';
import type { PlotlyFigure } from '../../src/io/plot';
import { RULES, type Rule } from './nonlinear';
import { checkFits } from '../../src/io/memory';
import { batchesPerEpoch, checkTrainSettings, checkTrainSolver, loadData, trainDefaults, trainFootprint, trainNetwork, type TrainResult, type TrainSettings } from './train';
import { mnistClaims } from './claims';
import { dataDescription } from '../../src/data/files';
import { dataChoice, dataOptions } from '../../src/experiment/data';

/** The network, training, data and integrator options of `train urfb` and `reproduce urfb-mnist`. */
const hyperOptions = [
  opt.integers('hidden', 'hidden layer widths', { default: trainDefaults.hidden, min: 1 }),
  ...trainingOptions({ epochs: trainDefaults.epochs, batchSize: trainDefaults.batch, lr: trainDefaults.lr }, { epochs: 'passes over the training set', batchSize: 'minibatch size (one Euler step per minibatch)', lr: 'step η of each minibatch update' }),
  opt.number('mu', 'balancing factor μ of the hinge loss, eq. (4)', { default: trainDefaults.mu, min: 0 }),
  opt.number('epsilon', "feedback learning rate ε of 'urfb' (1 in the paper)", { default: trainDefaults.epsilon, min: 0 }),
  ...dataOptions(),
  ...solverOptions({ solver: 'euler', dt0: '1: one Euler step of η = --lr per minibatch (SGD), the paper\'s; --dt0 is in minibatches' }),
] as const;

/** The parsed options both commands share (`hyperOptions`, with the options every command has). */
type HyperParsed = ParsedOf<typeof hyperOptions>;

/** The integrator of the minibatch flow from --solver/--dt0/--rtol/--atol, refused before any work when it cannot integrate it. */
function trainSolver(opts: HyperParsed): Pick<TrainSettings, 'solver' | 'dt0' | 'rtol' | 'atol'> {
  const choice = solverChoice(opts, { what: 'the minibatch learning flow', sde: false });
  try {
    checkTrainSolver(choice.solver);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return choice;
}

function settingsFrom(opts: HyperParsed, rule: Rule, sparsity: number, seed: number): TrainSettings {
  const data = dataChoice(opts);
  return {
    rule,
    hidden: opts.hidden,
    epochs: opts.epochs,
    batch: opts.batchSize,
    lr: opts.lr,
    mu: opts.mu,
    sparsity,
    epsilon: opts.epsilon,
    seed,
    trainSize: opts.trainSize,
    testSize: opts.testSize,
    ...(data ? { data } : {}),
    ...trainSolver(opts),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** --out of the output group (train urfb draws no figure, so it has no --png). */
const [trainOut] = outputOptions('train-urfb');

/** The options of `train urfb` (`creditflow train urfb --help`). */
export const trainUrfbOptions = [
  opt.choice('rule', 'learning rule', RULES, { default: 'urfb' }),
  opt.number('sparse', 'fraction of forward and of feedback connections fixed at 0 (the paper uses 0.5)', { default: 0, min: 0, max: 0.95 }),
  ...hyperOptions,
  seedsOption({ description: 'seed of the initial weights, masks and minibatch order', single: 'train urfb trains one network', several: (v) => `for several seeds run reproduce urfb-mnist --protocols <rule> --seeds ${v.join(',')}` }),
  trainOut,
  ...resumeOptions(),
] as const;

/** `train urfb`'s options by camelCase name, as `runTrainUrfb` takes them (all optional there: defaults fill the rest). */
export type TrainUrfbOptions = OptionsOf<typeof trainUrfbOptions>;

type TrainParsed = ParsedOf<typeof trainUrfbOptions>;

/** The run's settings, checkpoint and data, checked (solver, memory, data sizes) before any work. */
function trainPlan(opts: TrainParsed) {
  const s = settingsFrom(opts, opts.rule, opts.sparse, opts.seeds[0]);
  checkFits({ bytes: 2e8 + trainFootprint(s) }, `--hidden ${s.hidden.join(',')} with --batch-size ${s.batch}`, 'lower the widths in --hidden or --batch-size');
  const checkpoint = runCheckpoint(opts, 'train');
  const data = loadData(s);
  return { s, checkpoint, data };
}

/** Trains the network, reporting each epoch as a table line (and minibatch progress) through `ctx`. */
function trainMeasure(plan: ReturnType<typeof trainPlan>, ctx: RunContext): TrainResult {
  const { s, checkpoint, data } = plan;
  const sizes = [data.train.d, ...s.hidden, data.train.classes];
  ctx.log(`rule ${s.rule}${s.sparsity ? `, ${pct(s.sparsity)} of connections zero` : ''}, network ${sizes.join('-')}, ${data.train.n} train / ${data.test.n} test images, η = ${s.lr}, batch ${s.batch}${s.rule === 'bp' ? '' : `, μ = ${s.mu}`}, solver ${s.solver ?? 'euler'}${s.dt0 !== undefined ? ` with step ${s.dt0} minibatch` : ''}`);
  const resumeFrom = checkpoint?.resume ? loadCheckpoint(checkpoint.dir)?.epoch ?? 0 : 0;
  if (checkpoint?.resume) ctx.log(resumeFrom > 0 ? `resuming after epoch ${resumeFrom} from the checkpoint in ${checkpoint.dir}` : `no checkpoint in ${checkpoint.dir}: starting afresh`);
  const progress = ctx.progress(`train ${s.rule}`, (s.epochs - Math.min(resumeFrom, s.epochs)) * batchesPerEpoch(s, data.train.n));
  const cols = ['epoch', 'loss', 'train err', 'test err', 'corr(W_l,R_lᵀ) l=2..L', 'seconds'];
  if (!ctx.json) ctx.log(cols.join('  '));
  try {
    return trainNetwork(s, data, {
      checkpoint,
      onBatch: () => progress.tick(),
      onEpoch: (r) => {
        if (!ctx.json) {
          progress.finish();
          ctx.log(`${String(r.epoch).padStart(5)}  ${r.loss.toFixed(4)}  ${pct(r.trainError).padStart(9)}  ${pct(r.testError).padStart(8)}  ${r.alignment.map((a) => a.toFixed(3)).join(', ').padEnd(22)}  ${r.seconds.toFixed(1)}`);
        }
      },
    });
  } finally {
    progress.finish();
  }
}

/**
 * `train urfb` as a function: trains one network and returns its settings, layer sizes and
 * per-epoch records (loss, train and test error, alignment corr(W_l, R_lᵀ), seconds); writes
 * nothing (see src/experiment/call.ts). `reporting.log` gets the per-epoch lines the command prints.
 *
 *     const r = await runTrainUrfb({ rule: 'frfb', hidden: [64], epochs: 2, trainSize: 2000 });
 *     r.epochs.map((e) => e.testError);
 */
export async function runTrainUrfb(options: OptionsInput<typeof trainUrfbOptions> = {}, reporting: CallReporting = {}): Promise<TrainResult> {
  const opts = callOptions(options, trainUrfbOptions, 'runTrainUrfb');
  return trainMeasure(trainPlan(opts), callContext(reporting));
}

export const trainCommand = defineCommand({
  name: 'train urfb',
  description: 'Train the Section 3 network on MNIST with BP (softmax CE), BP with the hinge loss, FRFB or URFB; prints loss and train/test error per epoch.',
  usage: '--rule bp|bp-hinge|frfb|urfb [--sparse 0.5] [options]',
  options: trainUrfbOptions,
  run(opts, ctx) {
    const plan = trainPlan(opts);
    const out = new RunOutput('train urfb', opts.out, opts, ctx);
    let result: TrainResult;
    try {
      result = trainMeasure(plan, ctx);
    } catch (e) {
      out.finish('failed');
      throw e;
    }
    out.json('train', result);
    out.csv(
      'train_epochs',
      ['epoch', 'loss', 'train_error', 'test_error', 'alignment', 'seconds'],
      result.epochs.map((r) => ({ epoch: r.epoch, loss: r.loss, train_error: r.trainError, test_error: r.testError, alignment: r.alignment.join(';'), seconds: r.seconds })),
    );
    const manifest = out.finish('ok');
    if (ctx.json) process.stdout.write(JSON.stringify({ out: out.dir, ...result }, null, 2) + '\n');
    else ctx.log(`final test error ${pct(result.finalTestError)}; wrote ${manifest.files.length} files to ${out.dir}`);
    return 0;
  },
});

/** A protocol of the paper's Figs. 5-6: a rule and a connectivity. */
export interface Protocol {
  name: string;
  rule: Rule;
  sparsity: number;
}

/** The protocols' option names, in the order they run. */
export const PROTOCOL_NAMES = ['bp', 'bp-hinge', 'urfb', 'frfb', 'urfb-50', 'frfb-50'] as const;

export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

export const PROTOCOLS: Record<ProtocolName, Protocol> = {
  bp: { name: 'BP', rule: 'bp', sparsity: 0 },
  'bp-hinge': { name: 'BP-H', rule: 'bp-hinge', sparsity: 0 },
  urfb: { name: 'URFB', rule: 'urfb', sparsity: 0 },
  frfb: { name: 'FRFB', rule: 'frfb', sparsity: 0 },
  'urfb-50': { name: 'URFB 50%', rule: 'urfb', sparsity: 0.5 },
  'frfb-50': { name: 'FRFB 50%', rule: 'frfb', sparsity: 0.5 },
};

export interface ProtocolSummary {
  protocol: string;
  testErrors: number[];
  mean: number;
  sd: number;
}

export function summarise(runs: { protocol: string; result: TrainResult }[]): ProtocolSummary[] {
  const names = [...new Set(runs.map((r) => r.protocol))];
  return names.map((protocol) => {
    const e = runs.filter((r) => r.protocol === protocol).map((r) => r.result.finalTestError);
    const mean = e.reduce((a, b) => a + b, 0) / e.length;
    const sd = e.length > 1 ? Math.sqrt(e.reduce((a, b) => a + (b - mean) ** 2, 0) / (e.length - 1)) : 0;
    return { protocol, testErrors: e, mean, sd };
  });
}

/** The output group (--out, --png), each where --help has always listed it. */
const [mnistOut, mnistPng] = outputOptions('urfb-mnist');

/** The options of urfb-mnist (`creditflow reproduce urfb-mnist --help`). */
export const urfbMnistOptions = [
  opt.choices('protocols', 'protocols to run', PROTOCOL_NAMES, { default: [...PROTOCOL_NAMES] }),
  seedsOption({ default: [1, 2, 3], description: 'one run per seed and protocol' }),
  ...hyperOptions,
  mnistPng,
  mnistOut,
  ...sweepOptions('protocols x seeds'),
] as const;

/** urfb-mnist's options by camelCase name, as `runUrfbMnist` takes them (all optional there: defaults fill the rest). */
export type UrfbMnistOptions = OptionsOf<typeof urfbMnistOptions>;

type MnistParsed = ParsedOf<typeof urfbMnistOptions>;

/** One run of urfb-mnist: a protocol (its display name, e.g. 'URFB 50%'), a seed and the trained network's record. */
export interface UrfbMnistRun {
  protocol: string;
  seed: number;
  result: TrainResult;
}

/** What urfb-mnist measures: every protocol × seed run (per-epoch records), the final test errors per protocol, the claims. */
export interface UrfbMnistResult {
  /** Layer widths of the network, e.g. [784, 256, 256, 10]. */
  network: number[];
  /** The training settings every run shared (the rule, sparsity and seed are each run's). */
  settings: Omit<TrainSettings, 'rule' | 'seed'>;
  /** The data, e.g. 'MNIST 8,000/2,000'. */
  data: string;
  runs: UrfbMnistRun[];
  /** urfb_mnist_summary.csv: the final test error of each seed, their mean and sd, per protocol. */
  summary: ProtocolSummary[];
  claims: Claim[];
}

/** The runs (protocol × seed) as sweep tasks, checked (settings, data, memory) before any work. */
function mnistPlan(opts: MnistParsed) {
  const base = settingsFrom(opts, 'urfb', 0, 0);
  checkTrainSettings(base);
  const { train, test } = loadData(base); // bad --data, --data-dir or sizes fail here, before any work
  const data = base.data ? dataDescription(base.data.name, base.data.dir, train.n, test.n) : `MNIST ${train.n.toLocaleString('en')}/${test.n.toLocaleString('en')}`;
  const live = Math.min(opts.workers, opts.protocols.length * opts.seeds.length);
  checkFits({ bytes: 2e8 + live * trainFootprint(base) }, `--hidden ${base.hidden.join(',')} with --batch-size ${base.batch} on ${live} worker(s)`, 'lower the widths in --hidden, --batch-size or --workers');
  const plan = opts.protocols.flatMap((name) => opts.seeds.map((seed) => ({ p: PROTOCOLS[name], seed, key: `${name}-seed${seed}` })));
  const tasks = plan.map(({ p, seed, key }) => ({
    module: path.join(__dirname, 'train.ts'),
    fn: 'trainTask',
    args: { settings: settingsFrom(opts, p.rule, p.sparsity, seed), checkpoint: runCheckpoint(opts, key) },
    key,
    units: base.epochs,
  }));
  return { base, data, plan, tasks };
}

/** Trains every run on `--workers` threads and summarises the final test errors per protocol. */
async function mnistMeasure(plan: ReturnType<typeof mnistPlan>, opts: MnistParsed, ctx: RunContext): Promise<UrfbMnistResult> {
  const { base, data } = plan;
  const results = await runSweep<TrainResult>(plan.tasks, opts, ctx, 'urfb-mnist', (i) => `${plan.plan[i].p.name} seed ${plan.plan[i].seed}`);
  const runs = results.map((result, i) => ({ protocol: plan.plan[i].p.name, seed: plan.plan[i].seed, result }));
  const summary = summarise(runs);
  const { rule: _rule, seed: _seed, ...settings } = base;
  const claims = mnistClaims(summary, `${data}, ${runs[0].result.sizes.join('-')} fully connected (paper: CIFAR-10/100, convolutional simple/deep nets), ${base.epochs} epochs, ${opts.seeds.length} seeds`);
  return { network: runs[0].result.sizes, settings, data, runs, summary, claims };
}

/** urfb-mnist's figure: test (solid) and train (dotted) error per epoch, mean over the seeds, one colour per protocol. */
export function urfbMnistFigure(result: Pick<UrfbMnistResult, 'runs' | 'summary'>): PlotlyFigure {
  const colours: Record<string, string> = { BP: '#2ca02c', 'BP-H': '#17becf', URFB: '#1f77b4', FRFB: '#d62728', 'URFB 50%': '#9467bd', 'FRFB 50%': '#ff7f0e' };
  const data: Record<string, unknown>[] = [];
  for (const s of result.summary) {
    const rs = result.runs.filter((r) => r.protocol === s.protocol);
    const E = rs[0].result.epochs.length;
    const mean = (f: (e: TrainResult['epochs'][number]) => number) => Array.from({ length: E }, (_, i) => rs.reduce((a, r) => a + f(r.result.epochs[i]), 0) / rs.length);
    const x = Array.from({ length: E }, (_, i) => i + 1);
    data.push({ type: 'scatter', mode: 'lines+markers', x, y: mean((e) => 100 * e.testError), name: `${s.protocol} test`, line: { color: colours[s.protocol] } });
    data.push({ type: 'scatter', mode: 'lines', x, y: mean((e) => 100 * e.trainError), name: `${s.protocol} train`, line: { color: colours[s.protocol], dash: 'dot' } });
  }
  return { data, layout: { xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'error (%)' }, rangemode: 'tozero' } } };
}

/**
 * urfb-mnist as a function: trains every protocol × seed (on `workers` threads) and returns the
 * runs (per-epoch loss, train and test error, alignment), the summary per protocol and the claims;
 * writes nothing (see src/experiment/call.ts). The figure is `urfbMnistFigure(result)`.
 *
 *     const r = await runUrfbMnist({ protocols: ['urfb', 'frfb'], seeds: [1], epochs: 1, trainSize: 2000 });
 *     r.summary.map((s) => [s.protocol, s.mean]);
 */
export async function runUrfbMnist(options: OptionsInput<typeof urfbMnistOptions> = {}, reporting: CallReporting = {}): Promise<UrfbMnistResult> {
  const opts = callOptions(options, urfbMnistOptions, 'runUrfbMnist');
  return mnistMeasure(mnistPlan(opts), opts, callContext(reporting));
}

export const mnistCommand = defineCommand({
  name: 'urfb-mnist',
  description:
    'URFB on MNIST (the protocols of Figs. 5-6 on a fully connected 784-256-256-10 network): final test error of BP, BP-H, URFB, FRFB, URFB 50%, FRFB 50% over 3 seeds.',
  options: urfbMnistOptions,
  async run(opts, ctx) {
    const seeds = opts.seeds;
    const plan = mnistPlan(opts);
    const out = new RunOutput('urfb-mnist', opts.out, opts, ctx);
    let result: UrfbMnistResult;
    try {
      result = await mnistMeasure(plan, opts, ctx);
    } catch (e) {
      out.finish('failed');
      throw e;
    }
    const { network, settings, data, runs, summary, claims } = result;
    out.json('urfb_mnist', { network, settings, summary, runs: runs.map((r) => ({ protocol: r.protocol, seed: r.seed, finalTestError: r.result.finalTestError, epochs: r.result.epochs })) });
    const rows: Record<string, unknown>[] = [];
    for (const r of runs) {
      for (const e of r.result.epochs) rows.push({ protocol: r.protocol, seed: r.seed, epoch: e.epoch, loss: e.loss, train_error: e.trainError, test_error: e.testError, alignment: e.alignment.join(';') });
    }
    out.csv('urfb_mnist_epochs', ['protocol', 'seed', 'epoch', 'loss', 'train_error', 'test_error', 'alignment'], rows);
    out.csv('urfb_mnist_summary', ['protocol', 'mean_test_error', 'sd_test_error', ...seeds.map((s) => `seed_${s}`)], summary.map((s) => ({ protocol: s.protocol, mean_test_error: s.mean, sd_test_error: s.sd, ...Object.fromEntries(seeds.map((seed, i) => [`seed_${seed}`, s.testErrors[i]])) })));
    writeClaims(out, 'urfb-mnist', claims);
    out.figure('urfb_mnist', urfbMnistFigure(result), { title: `URFB on ${data}: error per epoch (mean of ${seeds.length} seeds; solid test, dotted train)`, png: opts.png });
    const manifest = out.finish('ok');
    if (ctx.json) {
      process.stdout.write(JSON.stringify({ out: out.dir, network, summary }, null, 2) + '\n');
    } else {
      ctx.log(`${data}, network ${network.join('-')}, ${settings.epochs} epochs, batch ${settings.batch}, η = ${settings.lr}, μ = ${settings.mu}; final test error:`);
      ctx.log(formatTable(['protocol', 'mean', 'sd', ...seeds.map((s) => `seed ${s}`)], summary.map((s) => [s.protocol, pct(s.mean), pct(s.sd), ...s.testErrors.map(pct)])));
      ctx.log(`\nwrote ${manifest.files.length} files to ${out.dir} (${manifest.wallSeconds?.toFixed(0)} s)`);
      printClaims(ctx, claims);
    }
    return 0;
  },
});
