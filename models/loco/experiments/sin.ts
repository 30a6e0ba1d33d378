/**
 * `creditflow reproduce loco-sin` (Fig. 3E): a ReLU network 1-64-64-2 fits f(x) = [sin x, sin x] on
 * 50 points evenly spaced in [−π, π]; loss (eq. 27) per epoch for BP, NP and LOCO.
 *
 * Choices where the paper is silent: full batch (the 50 points) per step, He initialisation, zero
 * biases, linear output; BP uses plain gradient descent with the same loss. There are no
 * categories, so LOCO runs without the orthogonality constraint (c = 1) and only its low-rank
 * constraint acts (k = 2 for the 1-d input plus bias, i.e. none, and k = 10 for the hidden layers).
 * σ = 1e-3. Learning rates (seed 1, 2000 epochs): BP 0.05 (0.2 diverges); NP and LOCO 0.005, the
 * largest of 0.001, 0.002, 0.005, 0.01 that did not diverge for either (the variance of both comes
 * from the 130 perturbed units, which the projection of the inputs does not reduce here: the hidden
 * activities of a 1-d input already lie in a few principal directions, so P x ≈ x).
 *
 * The runs (rule x seed) run in worker threads (--workers). A run takes seconds (≈ 12 s for LOCO at
 * the default size), too short to checkpoint within it: finished runs are kept under
 * --out/checkpoints and --resume loads them (run-level resume).
 *
 * `runLocoSin(options)` is the same experiment as a function that returns its data and writes nothing.
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
import { sinClaims } from '../claims';
import { RunOutput } from '../../../src/io/run';
import { cosineSimilarity } from '../checks';
import { AnnNet, RateNet } from '../nets';
import { rateLosses } from '../../lif/coding';
import { GradientLearner, PerturbationLearner, type Minibatch } from '../rules';
import type { FlowSolver } from '../../../src/experiment/minibatch-flow';
import { COLORS, meanStd, weightFlowChoice, weightFlowOptions } from './common';

export type SinRule = 'bp' | 'np' | 'loco';

export interface SinOptions {
  rule: SinRule;
  seed: number;
  epochs: number;
  eta: number;
  sigma: number;
  k: number;
  /** 'paper' (default): the ReLU network of A.9 with plain gradient steps; 'code': the released code's rate network (nets.ts RateNet) with Adam at rate eta. */
  variant?: 'paper' | 'code';
  /** The integrator of the weights' flow (--solver/--dt0/--rtol/--atol); absent: Euler, one step per epoch (the full batch), the paper's update. */
  flow?: FlowSolver;
}

/** The code variant's Adam rates and σ (the released code's σ = 0.005; rates: seed 1, 2,000 epochs, best of 1e-3, 3e-3, 1e-2). */
export const SIN_CODE = { eta: 1e-3, sigma: 0.005 };

export const SIN_ETA: Record<SinRule, number> = { bp: 0.05, np: 0.005, loco: 0.005 };

export function sinData(n = 50): { x: Float64Array; t: Float64Array } {
  const x = new Float64Array(n);
  const t = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[i] = -Math.PI + (2 * Math.PI * i) / (n - 1);
    t[2 * i] = t[2 * i + 1] = Math.sin(x[i]);
  }
  return { x, t };
}

export interface SinResult {
  rule: SinRule;
  /** 'code' for the released code's rate network (absent: the paper's). */
  variant?: 'code';
  seed: number;
  losses: number[];
  /** cos(ĝ, g_BP) of the first step's estimate, per layer (Fig. 3F-G), for NP and LOCO. */
  firstStepCosine: number[];
  diverged: boolean;
}

export function trainSin(o: SinOptions, onEpoch?: () => void): SinResult {
  if (o.variant === 'code') return trainSinCode(o, onEpoch);
  const { x, t } = sinData();
  const n = x.length;
  const net = AnnNet.init([1, 64, 64, 2], new Rng(o.seed));
  const learner = o.rule === 'bp' ? new GradientLearner(net, o.eta, o.flow) : new PerturbationLearner(net, { rule: o.rule, sigma: o.sigma, eta: o.eta, loco: { k: [2, o.k, o.k], clusters: 1 }, flow: o.flow }, o.seed + 1);
  const batch: Minibatch = { x, target: t, B: n, groups: null };
  const losses: number[] = [];
  let firstStepCosine: number[] = [];
  let diverged = false;
  for (let ep = 0; ep < o.epochs; ep++) {
    const bp = net.gradient(x, t, n);
    if (!Number.isFinite(bp.loss) || bp.loss > 1e6) {
      diverged = true;
      break;
    }
    losses.push(bp.loss);
    if (learner.train(1, () => batch).solution.status === 'diverged') {
      diverged = true;
      break;
    }
    if (ep === 0 && learner instanceof PerturbationLearner) firstStepCosine = learner.last!.gW.map((g, l) => cosineSimilarity(g.data, bp.gW[l].data));
    onEpoch?.();
  }
  return { rule: o.rule, seed: o.seed, losses, firstStepCosine, diverged };
}

/** The code variant: the released code's rate network, NP or LOCO with Adam; the loss of the clean pass per epoch. */
function trainSinCode(o: SinOptions, onEpoch?: () => void): SinResult {
  if (o.rule === 'bp') throw new Error("loco-sin's code variant trains NP and LOCO only (the released code has no BP)");
  const { x, t } = sinData();
  const n = x.length;
  const net = RateNet.initTorch([1, 64, 64, 2], new Rng(o.seed));
  const learner = new PerturbationLearner(net, { rule: o.rule, sigma: o.sigma, eta: o.eta, optimizer: 'adam', loco: { k: [2, o.k, o.k], clusters: 1 }, flow: o.flow }, o.seed + 1);
  const batch: Minibatch = { x, target: t, B: n, groups: null };
  const losses: number[] = [];
  const perSample = new Float64Array(n);
  let diverged = false;
  for (let ep = 0; ep < o.epochs; ep++) {
    const loss = rateLosses(net.forward(x, n).output, t, n, perSample);
    if (!Number.isFinite(loss) || loss > 1e6) {
      diverged = true;
      break;
    }
    losses.push(loss);
    if (learner.train(1, () => batch).solution.status === 'diverged') {
      diverged = true;
      break;
    }
    onEpoch?.();
  }
  return { rule: o.rule, variant: 'code', seed: o.seed, losses, firstStepCosine: [], diverged };
}

/** One run of loco-sin in a worker thread (progress per epoch). */
export function sinRun(o: SinOptions): SinResult {
  return trainSin(o, () => reportProgress(1, `${o.rule} seed ${o.seed}`));
}

/** The options of loco-sin (`creditflow reproduce loco-sin --help`). */
export const locoSinOptions = [
  ...outputOptions('loco-sin'),
  opt.choices('rules', 'rules', ['bp', 'np', 'loco'], { default: ['bp', 'np', 'loco'] }),
  seedsOption({ default: [1, 2, 3] }),
  epochsOption(2000, 'full-batch steps'),
  opt.number('eta-bp', 'BP learning rate', { min: 0, default: SIN_ETA.bp }),
  opt.number('eta-np', 'NP learning rate', { min: 0, default: SIN_ETA.np }),
  opt.number('eta-loco', 'LOCO learning rate', { min: 0, default: SIN_ETA.loco }),
  opt.number('sigma', 'perturbation σ', { min: 0, default: 1e-3 }),
  opt.integer('k', 'LOCO principal directions of the hidden layers', { min: 1, max: 65, default: 10 }),
  opt.choices('variant', "'paper': the ReLU network with plain gradient steps; 'code': the released code's rate network (min(relu, 1), noise after the unit, nn.Linear initialisation) with Adam, NP and LOCO only", ['paper', 'code'], { default: ['paper', 'code'] }),
  opt.number('eta-code', 'Adam rate of the code variant', { min: 0, default: SIN_CODE.eta }),
  opt.number('sigma-code', 'perturbation σ of the code variant (released code: 0.005)', { min: 0, default: SIN_CODE.sigma }),
  ...weightFlowOptions(),
  ...sweepOptions('runs (rule x seed)', 1, null),
] as const;

/** loco-sin's options by camelCase name, as `runLocoSin` takes them (all optional there: defaults fill the rest). */
export type LocoSinOptions = OptionsOf<typeof locoSinOptions>;

type SinParsed = ParsedOf<typeof locoSinOptions>;

/** One row of loco-sin's summary (per rule, the code variant's rules as 'np (code)', 'loco (code)'). */
export type SinSummaryRow = {
  rule: string;
  eta: number;
  /** Mean and sample sd over the seeds of the last loss of each run. */
  finalLossMean: number;
  finalLossStd: number;
  /** Runs of this rule that diverged. */
  diverged: number;
  /** cos(ĝ, g_BP) of the first step per layer, of the rule's first seed (empty for BP and the code variant). */
  firstStepCosine: number[];
};

/** What loco-sin measures: every run's loss curve (summary.json `results`, losses.csv), the summary and the claims. */
export interface LocoSinResult {
  results: SinResult[];
  summary: SinSummaryRow[];
  claims: Claim[];
}

/** A run's name in the tables and the legend: the rule, with ' (code)' for the code variant. */
export function sinLabel(r: { rule: SinRule; variant?: string }): string {
  return r.variant === 'code' ? `${r.rule} (code)` : r.rule;
}

/** The runs of loco-sin (paper variant: rule x seed, then the code variant's NP and LOCO x seed), checked before any work. */
function sinPlan(opts: SinParsed) {
  const flow = weightFlowChoice(opts, opts.variant.includes('code'));
  const eta: Record<SinRule, number> = { bp: opts.etaBp, np: opts.etaNp, loco: opts.etaLoco };
  const task = (rule: SinRule, seed: number, code: boolean): SweepTask<SinOptions> => ({
    module: path.join(__dirname, 'sin.ts'),
    fn: 'sinRun',
    args: code ? { rule, seed, epochs: opts.epochs, eta: opts.etaCode, sigma: opts.sigmaCode, k: opts.k, variant: 'code' } : { rule, seed, epochs: opts.epochs, eta: eta[rule], sigma: opts.sigma, k: opts.k, ...(flow ? { flow } : {}) },
    key: code ? `${rule}-code-seed${seed}` : `${rule}-seed${seed}`,
    units: opts.epochs,
  });
  const tasks = [
    ...(opts.variant.includes('paper') ? opts.rules.flatMap((rule) => opts.seeds.map((seed) => task(rule, seed, false))) : []),
    ...(opts.variant.includes('code') ? opts.rules.filter((r) => r !== 'bp').flatMap((rule) => opts.seeds.map((seed) => task(rule, seed, true))) : []),
  ];
  return { tasks, eta };
}

async function trainSinRuns(plan: ReturnType<typeof sinPlan>, opts: SinParsed, ctx: RunContext): Promise<LocoSinResult> {
  const results = await runSweep<SinResult>(plan.tasks, opts, ctx, 'loco-sin');
  const summary = [...new Set(results.map(sinLabel))].map((name) => {
    const rs = results.filter((r) => sinLabel(r) === name);
    const final = meanStd(rs.map((r) => r.losses[r.losses.length - 1]));
    const cos = rs[0].firstStepCosine;
    return { rule: name, eta: rs[0].variant === 'code' ? opts.etaCode : plan.eta[rs[0].rule], finalLossMean: final.mean, finalLossStd: final.std, diverged: rs.filter((r) => r.diverged).length, firstStepCosine: cos };
  });
  const claims = sinClaims({ runs: results, seeds: opts.seeds, epochs: opts.epochs });
  return { results, summary, claims };
}

/** losses.csv: one row per run and epoch. */
export function sinLossRows(results: readonly SinResult[]): { rule: string; seed: number; epoch: number; loss: number }[] {
  return results.flatMap((r) => r.losses.map((loss, epoch) => ({ rule: sinLabel(r), seed: r.seed, epoch, loss })));
}

/** Fig. 3E: the loss per epoch of every run (log scale), coloured by rule, the code variant dotted. */
export function sinLossFigure(results: readonly SinResult[]): PlotlyFigure {
  return {
    data: results.map((r) => ({
      type: 'scatter',
      mode: 'lines',
      name: `${sinLabel(r).toUpperCase()} seed ${r.seed}`,
      x: r.losses.map((_, i) => i),
      y: r.losses,
      line: { color: COLORS[r.rule], dash: r.variant === 'code' ? 'dot' : 'solid' },
      legendgroup: sinLabel(r),
    })),
    layout: { title: { text: 'Fig. 3E: fitting [sin x, sin x] (1-64-64-2 ReLU), MSE (eq. 27)' }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'loss' }, type: 'log' } },
  };
}

/**
 * loco-sin as a function: trains every rule × seed (on `workers` threads) and returns the loss
 * curves, the summary and the claims; writes nothing (see src/experiment/call.ts). The figure is
 * `sinLossFigure(result.results)`.
 *
 *     const r = await runLocoSin({ seeds: [1], epochs: 500, variant: ['paper'] });
 *     r.summary.map((s) => [s.rule, s.finalLossMean]);
 */
export async function runLocoSin(options: OptionsInput<typeof locoSinOptions> = {}, reporting: CallReporting = {}): Promise<LocoSinResult> {
  const opts = callOptions(options, locoSinOptions, 'runLocoSin');
  return trainSinRuns(sinPlan(opts), opts, callContext(reporting));
}

export const sinExperiment = defineCommand({
  name: 'loco-sin',
  description: 'Fig. 3E: ReLU 1-64-64-2 fitting [sin x, sin x] on 50 points, loss curves of BP, NP and LOCO',
  options: locoSinOptions,
  async run(opts, ctx) {
    const plan = sinPlan(opts);
    const out = new RunOutput('loco-sin', opts.out, opts, ctx);
    const { results, summary, claims } = await trainSinRuns(plan, opts, ctx);
    out.csv('losses', ['rule', 'seed', 'epoch', 'loss'], sinLossRows(results));
    out.json('summary', { summary, results });
    out.figure('fig3e-loss', sinLossFigure(results));
    if (opts.json) process.stdout.write(JSON.stringify({ summary }, null, 2) + '\n');
    else
      ctx.log(
        formatTable(
          ['rule', 'η', `final loss (mean ± sd over ${opts.seeds.length} seeds)`, 'diverged', 'cos(first step, BP) per layer'],
          summary.map((s) => [s.rule, s.eta, `${s.finalLossMean.toExponential(3)} ± ${s.finalLossStd.toExponential(2)}`, s.diverged, s.firstStepCosine.map((c) => c.toFixed(3)).join(' ')]),
        ),
      );
    writeClaims(out, 'loco-sin', claims);
    if (results.some((r) => r.diverged)) out.allowNonFinite('runs that diverged are kept (diverged column); a run that diverged in its first epoch has no final loss (NaN)');
    out.finish();
    printClaims(ctx, claims);
    return 0;
  },
});
