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
 */
import * as path from 'node:path';
import { Rng } from '../../../src/core/random';
import type { CommandSpec } from '../../../src/registry';
import { pngOption, type ParsedOptions } from '../../../src/experiment/options';
import type { RunContext } from '../../../src/experiment/context';
import { runSweep, sweepOptions } from '../../../src/experiment/sweep';
import { reportProgress } from '../../../src/parallel/pool';
import { formatTable } from '../../../src/io/output';
import { printClaims, writeClaims } from '../../../src/io/claims';
import { sinClaims } from '../claims';
import { RunOutput } from '../../../src/io/run';
import { cosineSimilarity } from '../checks';
import { AnnNet, RateNet } from '../nets';
import { rateLosses } from '../../lif/coding';
import { GradientLearner, PerturbationLearner, type Minibatch } from '../rules';
import type { FlowSolver } from '../../../src/experiment/minibatch-flow';
import { COLORS, meanStd, outOption, weightFlowChoice, weightFlowOptions } from './common';

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

export const sinExperiment: CommandSpec = {
  name: 'loco-sin',
  description: 'Fig. 3E: ReLU 1-64-64-2 fitting [sin x, sin x] on 50 points, loss curves of BP, NP and LOCO',
  options: [
    { name: 'rules', type: 'strings', description: 'rules', choices: ['bp', 'np', 'loco'], default: ['bp', 'np', 'loco'] },
    { name: 'seeds', type: 'integers', description: 'seeds', default: [1, 2, 3] },
    { name: 'epochs', type: 'integer', description: 'full-batch steps', min: 1, default: 2000 },
    { name: 'eta-bp', type: 'number', description: 'BP learning rate', min: 0, default: SIN_ETA.bp },
    { name: 'eta-np', type: 'number', description: 'NP learning rate', min: 0, default: SIN_ETA.np },
    { name: 'eta-loco', type: 'number', description: 'LOCO learning rate', min: 0, default: SIN_ETA.loco },
    { name: 'sigma', type: 'number', description: 'perturbation σ', min: 0, default: 1e-3 },
    { name: 'k', type: 'integer', description: 'LOCO principal directions of the hidden layers', min: 1, max: 65, default: 10 },
    { name: 'variant', type: 'strings', description: "'paper': the ReLU network with plain gradient steps; 'code': the released code's rate network (min(relu, 1), noise after the unit, nn.Linear initialisation) with Adam, NP and LOCO only", choices: ['paper', 'code'], default: ['paper', 'code'] },
    { name: 'eta-code', type: 'number', description: 'Adam rate of the code variant', min: 0, default: SIN_CODE.eta },
    { name: 'sigma-code', type: 'number', description: 'perturbation σ of the code variant (released code: 0.005)', min: 0, default: SIN_CODE.sigma },
    ...weightFlowOptions(),
    outOption('loco-sin'),
    ...sweepOptions('runs (rule x seed)', 1, null),
    pngOption,
  ],
  async run(opts: ParsedOptions, ctx: RunContext) {
    const flow = weightFlowChoice(opts, (opts.variant as string[]).includes('code'));
    const out = new RunOutput('loco-sin', opts.out, opts, ctx);
    const rules = opts.rules as SinRule[];
    const seeds = opts.seeds as number[];
    const eta: Record<SinRule, number> = { bp: opts.etaBp, np: opts.etaNp, loco: opts.etaLoco };
    const variants = opts.variant as string[];
    const task = (rule: SinRule, seed: number, code: boolean) => ({
      module: path.join(__dirname, 'sin.ts'),
      fn: 'sinRun',
      args: code ? { rule, seed, epochs: opts.epochs, eta: opts.etaCode, sigma: opts.sigmaCode, k: opts.k, variant: 'code' } : { rule, seed, epochs: opts.epochs, eta: eta[rule], sigma: opts.sigma, k: opts.k, ...(flow ? { flow } : {}) },
      key: code ? `${rule}-code-seed${seed}` : `${rule}-seed${seed}`,
      units: opts.epochs,
    });
    const tasks = [
      ...(variants.includes('paper') ? rules.flatMap((rule) => seeds.map((seed) => task(rule, seed, false))) : []),
      ...(variants.includes('code') ? rules.filter((r) => r !== 'bp').flatMap((rule) => seeds.map((seed) => task(rule, seed, true))) : []),
    ];
    const results = await runSweep<SinResult>(tasks, opts, ctx, 'loco-sin');
    const label = (r: { rule: SinRule; variant?: string }) => (r.variant === 'code' ? `${r.rule} (code)` : r.rule);
    const rows = results.flatMap((r) => r.losses.map((loss, epoch) => ({ rule: label(r), seed: r.seed, epoch, loss })));
    out.csv('losses', ['rule', 'seed', 'epoch', 'loss'], rows);
    const summary = [...new Set(results.map(label))].map((name) => {
      const rs = results.filter((r) => label(r) === name);
      const final = meanStd(rs.map((r) => r.losses[r.losses.length - 1]));
      const cos = rs[0].firstStepCosine;
      return { rule: name, eta: rs[0].variant === 'code' ? opts.etaCode : eta[rs[0].rule], finalLossMean: final.mean, finalLossStd: final.std, diverged: rs.filter((r) => r.diverged).length, firstStepCosine: cos };
    });
    out.json('summary', { summary, results });
    out.figure('fig3e-loss', {
      data: results.map((r) => ({
        type: 'scatter',
        mode: 'lines',
        name: `${label(r).toUpperCase()} seed ${r.seed}`,
        x: r.losses.map((_, i) => i),
        y: r.losses,
        line: { color: COLORS[r.rule], dash: r.variant === 'code' ? 'dot' : 'solid' },
        legendgroup: label(r),
      })),
      layout: { title: { text: 'Fig. 3E: fitting [sin x, sin x] (1-64-64-2 ReLU), MSE (eq. 27)' }, xaxis: { title: { text: 'epoch' } }, yaxis: { title: { text: 'loss' }, type: 'log' } },
    });
    if (opts.json) process.stdout.write(JSON.stringify({ summary }, null, 2) + '\n');
    else
      ctx.log(
        formatTable(
          ['rule', 'η', `final loss (mean ± sd over ${seeds.length} seeds)`, 'diverged', 'cos(first step, BP) per layer'],
          summary.map((s) => [s.rule, s.eta, `${s.finalLossMean.toExponential(3)} ± ${s.finalLossStd.toExponential(2)}`, s.diverged, s.firstStepCosine.map((c) => c.toFixed(3)).join(' ')]),
        ),
      );
    const claims = sinClaims({ runs: results, seeds, epochs: opts.epochs });
    writeClaims(out, 'loco-sin', claims);
    if (results.some((r) => r.diverged)) out.allowNonFinite('runs that diverged are kept (diverged column); a run that diverged in its first epoch has no final loss (NaN)');
    out.finish();
    printClaims(ctx, claims);
    return 0;
  },
};
