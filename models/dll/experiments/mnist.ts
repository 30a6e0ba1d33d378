/**
 * `creditflow reproduce dll-mnist`: DLL, DLL-FA and BP MLPs (tanh hidden layers, linear output) on the
 * shared MNIST 8,000/2,000 split, several seeds (Table 1's MNIST MLP column and Table 3's first row,
 * on the project's reduced data).
 *
 * `creditflow reproduce dll-lr`: the learning-rate sensitivity of DLL MLPs (Fig. 3a): 7 learning rates
 * from 1e-5 to 1e-2, 10 epochs, one seed (measured 5 min 21 s wall under the same load). Both take
 * `--theta-rule paper|code|fixed` (trainer.ts ThetaRule; dll-mnist runs paper and code by default,
 * dll-lr paper), each rule a row of its own and its own claims.
 *
 * Defaults, chosen to finish well within 30 minutes on 2 shared cores (measured: 9 min 40 s wall for
 * the 9 default runs while other jobs kept the load average near 5; 1.3-1.7 s per epoch per run on an
 * idle core): 784-256-128-10, 20 epochs, batch 128, Adam with lr 1e-3 (the paper's
 * MNIST settings, Appendix C.2.1), cross-entropy (output nudged to x_L = u_L + t − softmax(u_L)),
 * relaxation by forward Euler with η_x = dt/τ_x = 1 to a residual of 1e-8 (exact in L − 1 steps for
 * this block-triangular flow; `--relax-dt 0.5` or `--relax-solver rk4` reach the same equilibrium with
 * more steps). The paper's 784-1024-512-256-10 is `--sizes 784,1024,512,256,10` (about 8x the time).
 * The paper trains on 60,000 images and reports DLL 97.57%, DLL-FA 97.37%, BP 98.62%; here 8,000.
 *
 * Two integrators (issue 14): `--relax-solver`/`--relax-dt`/`--relax-tol` for the fast apical
 * relaxation of each minibatch, `--solver`/`--dt0`/`--rtol`/`--atol` (shared by every command) for
 * the slow W/Θ flow across minibatches (models/dll/flow.ts: minibatch k on [k, k + 1), dθ/dt = η Δ_k(θ)).
 * The default, euler with one step per minibatch, is the paper's optimiser step (bit-identical to
 * the loop it replaced); with `--optimizer sgd` any ODE solver integrates the flow (`--solver rk4`,
 * `--solver dopri5 --rtol 1e-6`), while Adam, a discrete optimiser, runs only as that Euler step.
 *
 * Both run their independent runs (seed x method, or method x learning rate x seed) on `--workers`
 * threads (results identical to a serial run); each run checkpoints every `--checkpoint-every`
 * epochs under --out/checkpoints (weights, Θ, Adam moments and step count, data-order generator),
 * and `--resume` continues a killed sweep bit-identically.
 */
import * as path from 'node:path';
import type { RunContext } from '../../../src/experiment/context';
import { opt, type OptionsInput, type OptionsOf, type ParsedOf } from '../../../src/experiment/options';
import { batchSizeOption, epochsOption, lrOption, outputOptions, seedsOption } from '../../../src/experiment/groups';
import { callContext, callOptions, type CallReporting } from '../../../src/experiment/call';
import { runCheckpoint, runSweep, sweepOptions, type SweepTask } from '../../../src/experiment/sweep';
import { formatTable } from '../../../src/io/output';
import type { PlotlyFigure } from '../../../src/io/plot';
import { printClaims, writeClaims, type Claim } from '../../../src/io/claims';
import { RunOutput } from '../../../src/io/run';
import { dataChoice, dataLabel, dataOptions, dataShape, dataSizes, externalData } from '../../../src/experiment/data';
import { dllLrClaims, dllMnistClaims } from '../claims';
import { defineCommand } from '../../../src/registry';
import type { MnistRunOptions, MnistRunResult } from '../mnist-train';
import type { Method, ThetaRule } from '../trainer';
import { solverOptions } from '../../../src/experiment/solver-options';
import { SLOW_FLOW_DT0, slowFlowChoice } from '../flow';
import { meanStd } from './stats';

/** The methods of the MLP experiments. */
const METHODS = ['dll', 'dll-fa', 'bp'] as const satisfies readonly Method[];
/** The Θ rules (trainer.ts ThetaRule), as option choices. */
const THETA_RULE_NAMES = ['paper', 'code', 'fixed'] as const satisfies readonly ThetaRule[];
/** The solvers of the fast relaxation. */
export const RELAX_SOLVERS = ['euler', 'heun', 'rk4', 'dopri5', 'odex'] as const;

/** The options dll-mnist and dll-lr share: the network, data, relaxation, integrator and sweep. */
export const dllMlpOptions = [
  opt.integers('sizes', "layer widths (input 784 first, 10 last); the paper's: 784,1024,512,256,10", { default: [784, 256, 128, 10], min: 1 }),
  batchSizeOption(128),
  opt.choice('optimizer', "optimiser on the update directions ('adam' as in the paper, 'sgd' = Euler steps of the slow flows)", ['adam', 'sgd'], { default: 'adam' }),
  opt.choice('loss', 'output loss (cross-entropy nudges the output, mse clamps it)', ['cross-entropy', 'mse'], { default: 'cross-entropy' }),
  ...dataOptions(),
  opt.choice('relax-solver', 'registered solver for the fast apical relaxation (eqs. 5-7); --solver integrates the slow W/Θ flow', RELAX_SOLVERS, { default: 'euler' }),
  opt.number('relax-dt', 'relaxation step in units of τ_x (η_x for euler)', { default: 1, min: 1e-6 }),
  opt.number('relax-tol', 'steady-state residual tolerance of the relaxation', { default: 1e-8, min: 0 }),
  ...solverOptions({ solver: 'euler', dt0: SLOW_FLOW_DT0 }),
  ...sweepOptions('runs'),
] as const;

type MlpParsed = ParsedOf<typeof dllMlpOptions>;

/** One MNIST run as a sweep task (`runMnist` or `runMnistPoint` in a worker thread), checkpointed under --out/checkpoints/<key>. */
function mnistTask(fn: 'runMnist' | 'runMnistPoint', args: MnistRunOptions, key: string, opts: MlpParsed): SweepTask<MnistRunOptions> {
  return { module: path.join(__dirname, '..', 'mnist-train.ts'), fn, key, units: args.epochs, args: { ...args, checkpoint: runCheckpoint(opts, key) } };
}

/** A run's row label: the method, with DLL's Θ rule when it is not the paper's. */
export function runLabel(method: string, thetaRule?: ThetaRule): string {
  return method === 'dll' && thetaRule && thetaRule !== 'paper' ? `dll (${thetaRule} Θ)` : method;
}

/**
 * `--theta-rule` and `--theta-lr-scale` of dll-mnist, dll-lr and dll-rnn (trainer.ts ThetaRule;
 * for the RNN, rnn.ts RNN_CODE_THETA): each rule is its own DLL run, side by side.
 */
export function thetaRuleOptions(defaults: readonly ThetaRule[], scale: { default: number; released: string }) {
  return [
    opt.choices('theta-rule', "DLL's Θ rules, each run as its own row: 'paper' the paper's equations as printed, 'code' the authors' released rule (see the README: where the papers and their released code disagree; Θ at --theta-lr-scale × lr), 'fixed' Θ never updated", THETA_RULE_NAMES, { default: defaults }),
    opt.number('theta-lr-scale', `Θ's learning rate as a multiple of --lr with the 'code' rule (released code: ${scale.released})`, { default: scale.default, validate: (v: number) => (v > 0 ? undefined : `must be > 0 (got ${v}): Θ's optimiser needs a positive rate; use --theta-rule fixed for a Θ that never learns`) }),
  ] as const;
}

/** A method and, for DLL, its Θ rule (absent for the paper's rule, so its runs keep their options and keys). */
export interface MethodVariant<M extends string = Method> {
  method: M;
  thetaRule?: ThetaRule;
}

/** The runs per seed (or point): every method, DLL once per Θ rule ('paper' in its usual place, the others after). */
export function methodVariants<M extends string>(methods: readonly M[], rules: readonly ThetaRule[]): MethodVariant<M>[] {
  const isDll = (m: string) => m === 'dll';
  return [
    ...methods.filter((m) => !isDll(m) || rules.includes('paper')).map((method) => ({ method })),
    ...methods.filter(isDll).flatMap((method) => rules.filter((r) => r !== 'paper').map((thetaRule) => ({ method, thetaRule }))),
  ];
}

/** A variant's key part ('dll', 'dll-code', …) and its extra run options (Θ rule and its rate scale; none for the paper's). */
export function variantArgs(v: MethodVariant<string>, opts: { thetaLrScale: number }): { key: string; args: { thetaRule?: ThetaRule; thetaLrScale?: number } } {
  return v.thetaRule ? { key: `${v.method}-${v.thetaRule}`, args: { thetaRule: v.thetaRule, thetaLrScale: opts.thetaLrScale } } : { key: v.method, args: {} };
}

/** The MLP's 'code' Θ rate: the released FC/CNN layers' Adam on Θ at lr/10. */
const MLP_THETA_SCALE = { default: 0.1, released: '0.1, their Adam on Θ at lr/10' };

/** The options of dll-mnist (`creditflow reproduce dll-mnist --help`). */
export const dllMnistOptions = [
  ...outputOptions('dll-mnist'),
  seedsOption({ default: [1, 2, 3], description: 'seeds (initial weights and data order)' }),
  opt.choices('methods', 'methods to run', METHODS, { default: ['dll', 'dll-fa', 'bp'] }),
  epochsOption(20),
  lrOption(1e-3),
  ...thetaRuleOptions(['paper', 'code'], MLP_THETA_SCALE),
  ...dllMlpOptions,
] as const;

/** dll-mnist's options by camelCase name. */
export type DllMnistOptions = OptionsOf<typeof dllMnistOptions>;

type MnistParsed = ParsedOf<typeof dllMnistOptions>;

/** One method's row of summary.csv (DLL once per Θ rule): mean ± sd over the seeds. */
export type DllMnistRow = {
  method: string;
  accuracyMean: number;
  accuracyStd: number;
  testLossMean: number;
  seeds: number;
  thetaNorm: number;
  cosThetaW: string;
};

/** What dll-mnist measures: every run (curves, final accuracy, Θ statistics), the summary, the claims. */
export interface DllMnistResult {
  runs: MnistRunResult[];
  summary: DllMnistRow[];
  claims: Claim[];
  /** One line per run whose apical relaxation ended above --relax-tol (the command then exits 1). */
  unconverged: string[];
  /** The run options every run shared (sizes, batch, optimiser, relaxation, data). */
  base: ReturnType<typeof runOptions>;
}

/**
 * dll-mnist as a function: trains every method × Θ rule × seed and returns the runs, the summary,
 * the claims and any relaxation that did not converge; writes nothing (src/experiment/call.ts).
 *
 *     const r = await runDllMnist({ seeds: [1], epochs: 2, trainSize: 2000, sizes: [784, 64, 10] });
 */
export async function runDllMnist(options: OptionsInput<typeof dllMnistOptions> = {}, reporting: CallReporting = {}): Promise<DllMnistResult> {
  const opts = callOptions(options, dllMnistOptions, 'runDllMnist');
  const plan = mnistPlan(opts);
  return mnistMeasure(plan, await runSweep<MnistRunResult>(plan.tasks, opts, callContext(reporting), 'dll-mnist', (_i, r) => `${r.method} seed ${r.seed}`), opts);
}

export const mnistExperiment = defineCommand({
  name: 'dll-mnist',
  description: 'DLL vs DLL-FA vs BP MLPs (tanh) on the MNIST 8,000/2,000 split, 3 seeds (Tables 1 and 3)',
  options: dllMnistOptions,
  run: (opts, ctx) => runMnistExperiment(opts, ctx),
});

/**
 * The shared run options; with data read from files they name it, and a --test-size other than the
 * whole test split is recorded (the shipped subset's options, and so its run keys, are unchanged).
 */
function runOptions(opts: MlpParsed) {
  const n = dataSizes(opts);
  const shape = dataShape(opts);
  if (opts.sizes[0] !== shape.d || opts.sizes[opts.sizes.length - 1] !== shape.classes) {
    throw new Error(`--sizes must start with ${shape.d} (the inputs of --data ${opts.data}) and end with ${shape.classes} (its classes); got ${opts.sizes.join(',')}`);
  }
  return {
    sizes: opts.sizes,
    batch: opts.batchSize,
    optimizer: opts.optimizer,
    loss: opts.loss,
    trainSize: n.train,
    ...(opts.testSize ? { testSize: n.test } : {}),
    relax: { solver: opts.relaxSolver, dt: opts.relaxDt, tol: opts.relaxTol },
    // The paper's integrator (euler, one step per minibatch) is left implicit, so default runs keep their settings and checkpoints.
    ...slowFlowChoice(opts),
    ...(externalData(opts) ? { data: dataChoice(opts)!.name, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) } : {}),
  };
}

/** The runs of dll-mnist as sweep tasks, checked before any work. */
function mnistPlan(opts: MnistParsed) {
  const methods = opts.methods;
  const seeds = opts.seeds;
  const base = runOptions(opts);
  const rules = opts.thetaRule;
  checkRelaxStep(base.relax.solver, base.relax.dt);
  checkBatch(base.batch, base.trainSize);
  // The paper rule's runs keep their options and keys (so their numbers and checkpoints are today's); other Θ rules are extra DLL runs.
  const tasks = seeds.flatMap((seed) =>
    methodVariants(methods, rules).map((v) => {
      const { key, args } = variantArgs(v, opts);
      return mnistTask('runMnist', { ...base, method: v.method, ...args, seed, epochs: opts.epochs, lr: opts.lr }, `${key}-seed${seed}`, opts);
    }),
  );
  return { base, tasks };
}

/** The summary, claims and unconverged relaxations of dll-mnist's trained runs. */
function mnistMeasure(plan: ReturnType<typeof mnistPlan>, results: MnistRunResult[], opts: MnistParsed): DllMnistResult {
  const { base } = plan;
  const label = (r: MnistRunResult) => runLabel(r.method, r.thetaRule);
  const labels = [...new Set(results.map(label))];
  const summary = labels.map((m) => {
    const rs = results.filter((r) => label(r) === m);
    const acc = meanStd(rs.map((r) => r.testAccuracy));
    const loss = meanStd(rs.map((r) => r.testLoss));
    return { method: m, accuracyMean: acc.mean, accuracyStd: acc.std, testLossMean: loss.mean, seeds: rs.length, thetaNorm: meanStd(rs.map((r) => r.thetaNorm ?? NaN)).mean, cosThetaW: rs[0].thetaWCosine ? rs[0].thetaWCosine.map((_, k) => meanStd(rs.map((r) => r.thetaWCosine![k])).mean.toFixed(4)).join(' ') : '' };
  });
  // A relaxation that ended above its tolerance trained on a wrong equilibrium: the command says so and exits 1.
  const worst = (r: MnistRunResult) => Math.max(0, ...r.curve.map((c) => c.relaxResidual ?? 0));
  const unconverged = results
    .filter((r) => worst(r) > base.relax.tol)
    .map((r) => `${r.method} seed ${r.seed}: the apical relaxation did not converge (largest residual ${worst(r).toExponential(2)} > --relax-tol ${base.relax.tol}); use a smaller --relax-dt (now ${base.relax.dt}) or another --relax-solver`);
  const claims = dllMnistClaims({ runs: results, seeds: opts.seeds, sizes: base.sizes, epochs: opts.epochs, trainSize: base.trainSize, thetaRules: opts.methods.includes('dll') ? opts.thetaRule : [], ...(externalData(opts) || opts.testSize ? { data: dataLabel(opts) } : {}) });
  return { runs: results, summary, claims, unconverged, base };
}

/** dll-mnist's figure: test accuracy per epoch, one line per method (DLL once per Θ rule), mean ± sd over the seeds. */
export function mnistAccuracyFigure(results: readonly MnistRunResult[]): PlotlyFigure {
  const label = (r: MnistRunResult) => runLabel(r.method, r.thetaRule);
  return {
    data: [...new Set(results.map(label))].map((m) => {
      const epochs = results.find((r) => label(r) === m)!.curve.map((c) => c.epoch);
      const ms = epochs.map((_, k) => meanStd(results.filter((r) => label(r) === m).map((r) => r.curve[k].testAccuracy)));
      return { type: 'scatter', mode: 'lines+markers', name: m.toUpperCase(), x: epochs, y: ms.map((s) => 100 * s.mean), error_y: { type: 'data', array: ms.map((s) => 100 * s.std), visible: true } };
    }),
    layout: { xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'test accuracy (%)' } } },
  };
}

async function runMnistExperiment(opts: MnistParsed, ctx: RunContext): Promise<number> {
  const plan = mnistPlan(opts);
  const { base } = plan;
  const seeds = opts.seeds;
  const out = new RunOutput('dll-mnist', opts.out, opts, ctx);
  let results: MnistRunResult[];
  try {
    results = await runSweep<MnistRunResult>(plan.tasks, opts, ctx, 'dll-mnist', (_i, r) => `${r.method} seed ${r.seed}`);
  } catch (e) {
    out.finish('failed');
    throw e;
  }
  const { summary, claims, unconverged } = mnistMeasure(plan, results, opts);
  const label = (r: MnistRunResult) => runLabel(r.method, r.thetaRule);
  const curves = results.flatMap((r) => r.curve.map((c) => ({ method: label(r), seed: r.seed, ...c })));
  out.csv('curves', ['method', 'seed', 'epoch', 'trainLoss', 'testLoss', 'testAccuracy', 'relaxSteps', 'relaxResidual'], curves);
  out.csv('summary', ['method', 'accuracyMean', 'accuracyStd', 'testLossMean', 'seeds', 'thetaNorm', 'cosThetaW'], summary);
  out.json('results', { options: { ...base, epochs: opts.epochs, lr: opts.lr, seeds, methods: opts.methods, thetaRule: opts.thetaRule, thetaLrScale: opts.thetaLrScale }, summary, runs: results });
  out.figure('test-accuracy', mnistAccuracyFigure(results), { title: `MNIST ${base.sizes.join('-')} tanh: DLL vs DLL-FA vs BP (mean ± std over ${seeds.length} seeds)`, png: opts.png });
  for (const line of unconverged) {
    out.note(line);
    if (ctx.json) process.stderr.write(`warning: ${line}\n`);
  }
  out.allowNonFinite('‖Θ‖ and cos(Θ, W) do not exist for BP (NaN)', ['thetaNorm', 'thetaWCosine']);
  writeClaims(out, 'dll-mnist', claims);
  out.finish(unconverged.length ? 'failed' : 'ok');
  if (ctx.json) process.stdout.write(JSON.stringify({ summary }, null, 2) + '\n');
  else {
    ctx.log(formatTable(['method', 'test accuracy (%)', '± std', 'test loss', 'seeds', '‖Θ‖', 'cos(Θ_i, W_i)'], summary.map((s) => [s.method, 100 * s.accuracyMean, 100 * s.accuracyStd, s.testLossMean, s.seeds, Number.isFinite(s.thetaNorm) ? s.thetaNorm : '-', s.cosThetaW || '-'])));
    ctx.log(`written to ${out.dir}`);
  }
  printClaims(ctx, claims);
  return unconverged.length ? 1 : 0;
}

/**
 * The relaxation flow decays at rate 1/τ_x, so a fixed step of dt (in units of τ_x) is stable
 * only below the solver's stability limit on the negative real axis: 2 for euler and heun, 2.78
 * for rk4 (dopri5 and odex choose their own steps; dt is only their first).
 */
/** An epoch is floor(train size / batch) full minibatches: at least one is needed. */
function checkBatch(batch: number, trainSize: number): void {
  if (batch > trainSize) throw new Error(`--batch-size ${batch} is larger than --train-size ${trainSize}, so an epoch has no full minibatch; use --batch-size ${trainSize} or less`);
}

export function checkRelaxStep(solver: string, dt: number): void {
  const limit: Record<string, number> = { euler: 2, heun: 2, rk4: 2.78 };
  if (limit[solver] !== undefined && !(dt < limit[solver])) {
    throw new Error(`--relax-dt ${dt} is beyond the stability limit of ${solver} (${limit[solver]}): the relaxation would not converge; use --relax-dt 1 (exact for euler) or smaller`);
  }
}

/** The options of dll-lr (`creditflow reproduce dll-lr --help`). */
export const dllLrOptions = [
  ...outputOptions('dll-lr'),
  seedsOption({ default: [1] }),
  opt.numbers('lrs', 'learning rates', { default: [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2], min: 0 }),
  opt.choices('methods', 'methods', METHODS, { default: ['dll'] }),
  epochsOption(10),
  ...thetaRuleOptions(['paper'], MLP_THETA_SCALE),
  ...dllMlpOptions,
] as const;

/** dll-lr's options by camelCase name. */
export type DllLrOptions = OptionsOf<typeof dllLrOptions>;

export const lrExperiment = defineCommand({
  name: 'dll-lr',
  description: 'Learning-rate sensitivity of DLL MLPs on MNIST (Fig. 3a): final test accuracy against the learning rate',
  options: dllLrOptions,
  run: (opts, ctx) => runLrExperiment(opts, ctx),
});

type LrParsed = ParsedOf<typeof dllLrOptions>;

/** One run's row of dll-lr's runs.csv (a diverged run: NaN accuracy and loss, its status). */
export type DllLrRunRow = { method: string; lr: number; seed: number; testAccuracy: number; testLoss: number; status: string };

/** One (method, learning rate) row of dll-lr's summary.csv: mean ± sd over the seeds that did not diverge. */
export type DllLrRow = { method: string; lr: number; accuracyMean: number; accuracyStd: number; diverged: number; base: Method; thetaRule: ThetaRule | undefined };

/** What dll-lr measures: every run, the accuracy per method and learning rate, the claims. */
export interface DllLrResult {
  runs: DllLrRunRow[];
  summary: DllLrRow[];
  claims: Claim[];
  base: ReturnType<typeof runOptions>;
}

/** The runs of dll-lr (method × Θ rule × learning rate × seed) as sweep tasks, checked before any work. */
function lrPlan(opts: LrParsed) {
  const base = runOptions(opts);
  checkRelaxStep(opts.relaxSolver, opts.relaxDt);
  checkBatch(base.batch, base.trainSize);
  const variants = methodVariants(opts.methods, opts.thetaRule);
  // Rows are labelled by method and Θ rule ('dll (code Θ)'); the paper rule's runs keep their keys.
  const points = variants.flatMap((v) => opts.lrs.flatMap((lr) => opts.seeds.map((seed) => ({ ...v, label: runLabel(v.method, v.thetaRule), lr, seed }))));
  const tasks = points.map((p) => {
    const { key, args } = variantArgs(p, opts);
    return mnistTask('runMnistPoint', { ...base, method: p.method, ...args, lr: p.lr, seed: p.seed, epochs: opts.epochs }, `${key}-lr${p.lr}-seed${p.seed}`, opts);
  });
  return { base, variants, points, tasks };
}

async function trainLr(plan: ReturnType<typeof lrPlan>, opts: LrParsed, ctx: RunContext): Promise<DllLrResult> {
  const { base, variants, points } = plan;
  const runs = await runSweep<{ result: MnistRunResult | null; status: string }>(plan.tasks, opts, ctx, 'dll-lr', (i) => `${points[i].label} lr ${points[i].lr}`);
  // A diverging learning rate is a result of this experiment, not a failure of it.
  const rows = runs.map(({ result, status }, i) => ({ method: points[i].label, lr: points[i].lr, seed: points[i].seed, testAccuracy: result?.testAccuracy ?? NaN, testLoss: result?.testLoss ?? NaN, status }));
  const labels = variants.map((v) => runLabel(v.method, v.thetaRule));
  const summary = variants.flatMap((v, i) =>
    opts.lrs.map((lr) => {
      const mine = rows.filter((r) => r.method === labels[i] && r.lr === lr);
      const s = meanStd(mine.filter((r) => r.status === 'ok').map((r) => r.testAccuracy));
      return { method: labels[i], lr, accuracyMean: s.mean, accuracyStd: s.std, diverged: mine.filter((r) => r.status !== 'ok').length, base: v.method, thetaRule: v.method === 'dll' ? (v.thetaRule ?? 'paper') : undefined };
    }),
  );
  const claims = dllLrClaims({ summary: summary.map((s) => ({ method: s.base, thetaRule: s.thetaRule, lr: s.lr, accuracyMean: s.accuracyMean })), epochs: opts.epochs, trainSize: base.trainSize, sizes: base.sizes, ...(externalData(opts) || opts.testSize ? { data: dataLabel(opts) } : {}) });
  return { runs: rows, summary, claims, base };
}

/** dll-lr as a function: trains every method × learning rate × seed and returns the runs, the summary and the claims; writes nothing. */
export async function runDllLr(options: OptionsInput<typeof dllLrOptions> = {}, reporting: CallReporting = {}): Promise<DllLrResult> {
  const opts = callOptions(options, dllLrOptions, 'runDllLr');
  return trainLr(lrPlan(opts), opts, callContext(reporting));
}

/** dll-lr's figure: final test accuracy against the learning rate, one line per method (mean ± sd over the seeds). */
export function lrFigure(summary: readonly DllLrRow[]): PlotlyFigure {
  return {
    data: [...new Set(summary.map((r) => r.method))].map((m) => {
      const s = summary.filter((r) => r.method === m);
      return { type: 'scatter', mode: 'lines+markers', name: m.toUpperCase(), x: s.map((r) => r.lr), y: s.map((r) => 100 * r.accuracyMean), error_y: { type: 'data', array: s.map((r) => 100 * r.accuracyStd), visible: true } };
    }),
    layout: { xaxis: { title: { text: 'learning rate (Adam)' }, type: 'log' }, yaxis: { title: { text: 'test accuracy (%)' } } },
  };
}

async function runLrExperiment(opts: LrParsed, ctx: RunContext): Promise<number> {
  const plan = lrPlan(opts);
  const { base } = plan;
  const out = new RunOutput('dll-lr', opts.out, opts, ctx);
  const { runs: rows, summary, claims } = await trainLr(plan, opts, ctx);
  out.csv('runs', ['method', 'lr', 'seed', 'testAccuracy', 'testLoss', 'status'], rows);
  out.csv('summary', ['method', 'lr', 'accuracyMean', 'accuracyStd', 'diverged'], summary);
  out.json('results', { options: { ...base, epochs: opts.epochs, lrs: opts.lrs, seeds: opts.seeds, methods: opts.methods, thetaRule: opts.thetaRule, thetaLrScale: opts.thetaLrScale }, summary, runs: rows });
  out.figure('lr-sensitivity', lrFigure(summary), { title: `MNIST ${base.sizes.join('-')}: accuracy after ${opts.epochs} epochs vs learning rate (Fig. 3a)`, png: opts.png });
  writeClaims(out, 'dll-lr', claims);
  if (rows.some((r) => r.status !== 'ok')) out.allowNonFinite('runs that diverged are kept with NaN results (status column; see the notes)');
  out.finish('ok');
  if (ctx.json) process.stdout.write(JSON.stringify({ summary }, null, 2) + '\n');
  else {
    ctx.log(formatTable(['method', 'lr', 'test accuracy (%)', '± std', 'diverged'], summary.map((s) => [s.method, s.lr, 100 * s.accuracyMean, 100 * s.accuracyStd, s.diverged])));
    ctx.log(`written to ${out.dir}`);
  }
  printClaims(ctx, claims);
  return 0;
}
