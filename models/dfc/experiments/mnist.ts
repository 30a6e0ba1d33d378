/**
 * `creditflow reproduce dfc-mnist`: test error of DFC, DFC-SS, DFC-SSA (trained and fixed
 * feedback), DFA and BP (Table 1, MNIST column) on the shared 8,000/2,000 split of
 * src/data/mnist.ts, fully connected tanh networks with a linear output and softmax cross-entropy.
 * `--data mnist|fashion-mnist|cifar10 --data-dir DIR --train-size N --test-size N` (shared with
 * the other image experiments, src/experiment/data.ts) trains on data read from files instead: the
 * full IDX MNIST or Fashion-MNIST, or CIFAR-10 (3,072 inputs); 0 = the whole split.
 *
 * Settings: the forward phase uses the MNIST settings of the paper's code as in
 * ../shared/reference/dfc_torch_bench.py (λ = 0.0779, k_p = 2, α = 0.00139, τ_v/τ_u = 0.2,
 * dt = 0.02) but with fewer Euler steps per sample by default (100 instead of 1000: the settling
 * time T = 2 τ_u, enough for the controller to settle; --steps 1000 is the paper's); the feedback
 * phase uses the Fig. 3 feedback settings. Inputs are standardised with the MNIST mean/std
 * (0.1307/0.3081), other data by the mean/std of their training pixels. Adam everywhere (lr 1e-3; feedback 1e-2, which after one pre-training epoch
 * brought the trained-feedback DFC-SSA within ~1% of the fixed one in a 2,000-image trial, where
 * 3e-3 left it 3.5% behind). Rows run in worker threads.
 *
 * Default size (our choice, so the whole table finishes within about 30 minutes on 2 cores):
 * 784-256-256-10 (two hidden layers of 256 tanh units), 3 epochs over the 8,000 training images,
 * 1 feedback pre-training epoch and 1 feedback epoch per forward epoch, minibatch 32, rows in 2
 * worker threads. Estimated from measured per-row times on a loaded 2-core machine (784-256-10:
 * all 8 rows, 2,000 images x 2 epochs in 51 s; 784-256-256-256-10 costs ~9x per image): about
 * 15 minutes. The paper's 3x256 architecture is `--hidden 256,256,256` (about 25 minutes for
 * 3 epochs by the same estimate).
 */
import { runCheckpoint, runSweep, sweepOptions } from '../../../src/experiment/sweep';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import type { RunContext } from '../../../src/experiment/context';
import { outputOptions } from '../../../src/experiment/groups';
import { loadDataset } from '../../../src/data/files';
import { oneHot, take } from '../../../src/data/mnist';
import { dataLabel, dataOptions, dataShape, dataSizes, pixelStats, standardise } from '../../../src/experiment/data';
import { formatTable } from '../../../src/io/output';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import type { PlotlyFigure } from '../../../src/io/plot';
import { RunOutput } from '../../../src/io/run';
import { defineCommand } from '../../../src/registry';
import { checkControllerConfig, FIG3_FEEDBACK, type ControllerConfig, type FeedbackConfig } from '../config';
import type { Data } from '../trainer';
import { parseVariant, RUN_MODULE } from './fig3';
import { mnistClaims } from '../claims';
import { controllerOptions, sharedRunArgs, sharedRunOptions, type RunArgs, type RunResult, wakeSolverChoice } from './run';

export const MNIST_FORWARD: ControllerConfig = { tauU: 1, tauV: 0.2, kp: 2, alpha: 0.00139, lambda: 0.0779, dt: 0.02, steps: 100 };

export const MNIST_ROWS = ['DFC', 'DFC-SS', 'DFC-SSA', 'DFC (fixed)', 'DFC-SS (fixed)', 'DFC-SSA (fixed)', 'DFA', 'BP'] as const;

/** The output group (--out, --png), each where --help has always listed it. */
const [mnistOut, mnistPng] = outputOptions('dfc-mnist');

/** The options of dfc-mnist (`creditflow reproduce dfc-mnist --help`). */
export const dfcMnistOptions = [
  mnistOut,
  ...sharedRunOptions({ epochs: 3, lrQ: 1e-2, fbPretrainEpochs: 1, seed: 'seed (initialisation, order, noise); the split is the shared seed-0 split', fbPretrain: 'feedback pre-training epochs' }),
  opt.choices('rows', 'methods to run', MNIST_ROWS, { default: [...MNIST_ROWS] }),
  opt.integers('hidden', 'hidden layer widths (paper: 256,256,256)', { default: [256, 256] }),
  ...dataOptions(),
  opt.integer('steps', 'Euler steps per sample (paper: 1000)', { default: MNIST_FORWARD.steps, min: 1 }),
  opt.number('dt', 'Euler step (units of τ_u)', { default: MNIST_FORWARD.dt, min: 0 }),
  ...controllerOptions(MNIST_FORWARD),
  ...sweepOptions('rows'),
  mnistPng,
] as const;

/** dfc-mnist's options by camelCase name, as `runDfcMnist` takes them (all optional there: defaults fill the rest). */
export type DfcMnistOptions = OptionsOf<typeof dfcMnistOptions>;

type MnistParsed = ParsedOf<typeof dfcMnistOptions>;

/** One method's row of table1.csv: its last epoch. */
export interface DfcMnistRow {
  method: string;
  status: RunResult['status'];
  /** Test error of the last epoch, in percent. */
  testError: number;
  testLoss: number;
  /** Mean training loss of the last epoch. */
  trainLoss: number;
  seconds: number;
}

/** What dfc-mnist measures: every method's run (per-epoch losses and accuracy), Table 1, the settings and the claims. */
export interface DfcMnistResult {
  results: RunResult[];
  /** table1.csv, one row per method. */
  summary: DfcMnistRow[];
  /** The data, e.g. 'MNIST 8,000/2,000 split', and the layer widths. */
  data: string;
  sizes: number[];
  forward: ControllerConfig;
  sleep: FeedbackConfig;
  claims: Claim[];
}

/** The columns of table1.csv and of the printed table (the fields of `DfcMnistRow`, in order). */
export const MNIST_TABLE_COLUMNS = ['method', 'status', 'test error %', 'test loss', 'train loss (last epoch)', 'seconds'];

/** The controller settings and layer widths, checked (solver, controller, data and sizes) before any work. */
function mnistPlan(opts: MnistParsed) {
  wakeSolverChoice(opts); // an unsuitable --solver is refused before any work
  const forward = checkControllerConfig({ ...MNIST_FORWARD, steps: opts.steps, dt: opts.dt, lambda: opts.lambda, alpha: opts.alpha, kp: opts.kp });
  const n = dataSizes(opts); // bad --data, --data-dir or sizes fail here, before any output or work
  const shape = dataShape(opts);
  const sizes = [shape.d, ...opts.hidden, shape.classes];
  if (opts.hidden.some((h) => !(Number.isInteger(h) && h >= 1))) throw new Error(`--hidden widths must be integers >= 1 (got ${opts.hidden.join(',')})`);
  return { forward, n, shape, sizes };
}

/** Loads and standardises the data, trains every row (on `--workers` threads) and tabulates the last epochs. */
async function mnistMeasure(plan: ReturnType<typeof mnistPlan>, opts: MnistParsed, ctx: RunContext): Promise<DfcMnistResult> {
  const { forward, n, shape, sizes } = plan;
  const split = loadDataset(opts.data, opts.dataDir); // without --data-dir: the shared seed-0 split of the shipped MNIST
  const tr = take(split.train, n.train);
  const te = take(split.test, n.test);
  const st = pixelStats(opts.data, tr);
  const train: Data = { x: standardise(tr.x, st), y: oneHot(tr.y, shape.classes), n: tr.n };
  const test: Data = { x: standardise(te.x, st), y: oneHot(te.y, shape.classes), n: te.n };
  const data = dataLabel(opts);
  ctx.log(`DFC on ${data}: ${sizes.join('-')} tanh, ${train.n} training / ${test.n} test images, ${opts.epochs} epochs, ${forward.steps} Euler steps of dt = ${forward.dt} per sample`);
  const tasks = opts.rows.map((label) => {
    const { method, feedback } = parseVariant(label);
    const args: RunArgs = {
      label,
      method,
      feedback,
      sizes,
      hidden: 'tanh',
      loss: 'cross-entropy',
      train,
      test,
      classes: true,
      forward,
      ...sharedRunArgs(opts),
      fbPretrainEpochs: opts.fbPretrainEpochs,
      fbEpochsPerEpoch: opts.fbEpochs,
      logEvery: 0,
    };
    return { module: RUN_MODULE, fn: 'trainRun', args: { ...args, checkpoint: runCheckpoint(opts, label) }, key: label, units: opts.epochs };
  });
  const results = await runSweep<RunResult>(tasks, opts, ctx, 'dfc-mnist rows', (_i, r) => `${r.label} (${r.seconds.toFixed(0)} s)`);
  const summary = results.map((r) => {
    const last = r.epochs[r.epochs.length - 1];
    return { method: r.label, status: r.status, testError: last ? 100 * (1 - last.testAccuracy) : NaN, testLoss: last?.testLoss ?? NaN, trainLoss: last?.trainLoss ?? NaN, seconds: r.seconds };
  });
  const claims = mnistClaims(results, `${data} (paper: MNIST 55,000 + 5,000 validation / 10,000), ${sizes.join('-')} (paper: 784-256-256-256-10), ${opts.epochs} epochs, last epoch (paper: 100 epochs, best validation epoch), ${forward.steps} steps per sample (paper: 1000), one seed (paper: 5)`);
  return { results, summary, data, sizes, forward, sleep: FIG3_FEEDBACK, claims };
}

/** dfc-mnist's figure: test error per epoch, one line per method. */
export function mnistErrorFigure(results: readonly RunResult[], data: string, sizes: readonly number[]): PlotlyFigure {
  return {
    data: results.map((r) => ({ x: r.epochs.map((e) => e.epoch + 1), y: r.epochs.map((e) => 100 * (1 - e.testAccuracy)), mode: 'lines+markers', name: r.label })),
    layout: { title: { text: `DFC on ${data} (${sizes.join('-')} tanh)` }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'test error (%)' } } },
  };
}

/**
 * dfc-mnist as a function: trains every method of Table 1 (on `workers` threads) and returns the
 * runs, the table and the claims; writes nothing (see src/experiment/call.ts). The figure is
 * `mnistErrorFigure(result.results, result.data, result.sizes)`.
 *
 *     const r = await runDfcMnist({ trainSize: 1000, hidden: [64], epochs: 1, steps: 50, rows: ['DFC', 'BP'] });
 *     r.summary.map((s) => [s.method, s.testError]);
 */
export async function runDfcMnist(options: OptionsInput<typeof dfcMnistOptions> = {}, reporting: CallReporting = {}): Promise<DfcMnistResult> {
  const opts = callOptions(options, dfcMnistOptions, 'runDfcMnist');
  return mnistMeasure(mnistPlan(opts), opts, callContext(reporting));
}

export const mnistExperiment = defineCommand({
  name: 'dfc-mnist',
  description: 'DFC Table 1 (MNIST): test error of DFC, DFC-SS, DFC-SSA (trained/fixed feedback), DFA and BP, tanh MLP',
  options: dfcMnistOptions,
  async run(opts, ctx) {
    const plan = mnistPlan(opts);
    const out = new RunOutput('dfc-mnist', opts.out, opts, ctx);
    const { results, summary, data, sizes, forward, sleep, claims } = await mnistMeasure(plan, opts, ctx);
    const columns = MNIST_TABLE_COLUMNS;
    const rows = summary.map((s) => [s.method, s.status, s.testError, s.testLoss, s.trainLoss, s.seconds]);
    out.table('table1', columns, rows);
    out.json('results', { options: opts, data, sizes, forward, sleep, results });
    out.csv(
      'epochs',
      ['method', 'epoch', 'trainLoss', 'testLoss', 'testError'],
      results.flatMap((r) => r.epochs.map((e) => ({ method: r.label, epoch: e.epoch, trainLoss: e.trainLoss, testLoss: e.testLoss, testError: 100 * (1 - e.testAccuracy) }))),
    );
    out.figure('test-error', mnistErrorFigure(results, data, sizes), { width: 900, height: 550 });
    for (const r of results) if (r.status !== 'ok') out.note(`${r.label}: ${r.message}`);
    writeClaims(out, 'dfc-mnist', claims);
    if (results.some((r) => r.status !== 'ok')) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
    out.finish();
    if (ctx.json) process.stdout.write(JSON.stringify({ architecture: sizes, columns, rows }, null, 2) + '\n');
    else ctx.log('\n' + formatTable(columns, rows) + `\n(architecture ${sizes.join('-')}; files in ${out.dir})`);
    printClaims(ctx, claims);
  },
});
