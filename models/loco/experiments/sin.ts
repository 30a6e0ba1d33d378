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
import { pngOption, type ParsedOptions } from '../../../src/cli/options';
import type { RunContext } from '../../../src/cli/context';
import { runSweep, sweepOptions } from '../../../src/cli/sweep';
import { reportProgress } from '../../../src/parallel/pool';
import { formatTable } from '../../../src/io/output';
import { printClaims, writeClaims } from '../../../src/io/claims';
import { sinClaims } from '../claims';
import { RunOutput } from '../../../src/io/run';
import { cosineSimilarity } from '../checks';
import { AnnNet } from '../nets';
import { applyGradient, PerturbationLearner } from '../rules';
import { COLORS, meanStd, outOption } from './common';

export type SinRule = 'bp' | 'np' | 'loco';

export interface SinOptions {
  rule: SinRule;
  seed: number;
  epochs: number;
  eta: number;
  sigma: number;
  k: number;
}

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
  seed: number;
  losses: number[];
  /** cos(ĝ, g_BP) of the first step's estimate, per layer (Fig. 3F-G), for NP and LOCO. */
  firstStepCosine: number[];
  diverged: boolean;
}

export function trainSin(o: SinOptions, onEpoch?: () => void): SinResult {
  const { x, t } = sinData();
  const n = x.length;
  const net = AnnNet.init([1, 64, 64, 2], new Rng(o.seed));
  const learner = o.rule === 'bp' ? null : new PerturbationLearner(net, { rule: o.rule, sigma: o.sigma, eta: o.eta, loco: { k: [2, o.k, o.k], clusters: 1 } }, o.seed + 1);
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
    if (learner) {
      const e = learner.step(x, t, n);
      if (ep === 0) firstStepCosine = e.gW.map((g, l) => cosineSimilarity(g.data, bp.gW[l].data));
    } else applyGradient(net, bp.gW, bp.gb, o.eta);
    onEpoch?.();
  }
  return { rule: o.rule, seed: o.seed, losses, firstStepCosine, diverged };
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
    outOption('loco-sin'),
    ...sweepOptions('runs (rule x seed)', 1, null),
    pngOption,
  ],
  async run(opts: ParsedOptions, ctx: RunContext) {
    const out = new RunOutput('loco-sin', opts.out, opts, ctx);
    const rules = opts.rules as SinRule[];
    const seeds = opts.seeds as number[];
    const eta: Record<SinRule, number> = { bp: opts.etaBp, np: opts.etaNp, loco: opts.etaLoco };
    const tasks = rules.flatMap((rule) =>
      seeds.map((seed) => ({ module: path.join(__dirname, 'sin.ts'), fn: 'sinRun', args: { rule, seed, epochs: opts.epochs, eta: eta[rule], sigma: opts.sigma, k: opts.k }, key: `${rule}-seed${seed}`, units: opts.epochs })),
    );
    const results = await runSweep<SinResult>(tasks, opts, ctx, 'loco-sin');
    const rows = results.flatMap((r) => r.losses.map((loss, epoch) => ({ rule: r.rule, seed: r.seed, epoch, loss })));
    out.csv('losses', ['rule', 'seed', 'epoch', 'loss'], rows);
    const summary = rules.map((rule) => {
      const rs = results.filter((r) => r.rule === rule);
      const final = meanStd(rs.map((r) => r.losses[r.losses.length - 1]));
      const cos = rs[0].firstStepCosine;
      return { rule, eta: eta[rule], finalLossMean: final.mean, finalLossStd: final.std, diverged: rs.filter((r) => r.diverged).length, firstStepCosine: cos };
    });
    out.json('summary', { summary, results });
    out.figure('fig3e-loss', {
      data: results.map((r) => ({
        type: 'scatter',
        mode: 'lines',
        name: `${r.rule.toUpperCase()} seed ${r.seed}`,
        x: r.losses.map((_, i) => i),
        y: r.losses,
        line: { color: COLORS[r.rule] },
        legendgroup: r.rule,
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
    out.finish();
    printClaims(ctx, claims);
    return 0;
  },
};
