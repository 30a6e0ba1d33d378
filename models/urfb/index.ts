/**
 * URFB: updated random feedback (Amit, "Deep learning with asymmetric connections and Hebbian
 * updates").
 *
 * - linear.ts: the k-layer linear flows of eqs. (7)-(9) as a drift term on W_i, R_i (any solver),
 *   also in iterations of η; iterate.ts: `solve` over them, by default the paper's iteration
 *   ('euler', step η), with the error and correlations of every iterate (a reduction, or saving).
 * - scalar.ts, checks.ts: the scalar systems (10), (15), the invariants (16), Theorems 1-2, the
 *   Appendix 2 mode reduction and R(t) = R(0) + εW(t)ᵀ, registered with `creditflow verify`.
 * - fig12.ts, fig12-report.ts: `creditflow reproduce fig12`; step.ts: `reproduce fig12-step`, the
 *   measurement behind the default step.
 * - nonlinear.ts, train.ts, mnist-report.ts: Section 3 (saturated-linear σ, hinge loss eqs. 4-6,
 *   BP / BP-H / FRFB / URFB, optional sparse connectivity) as a flow with the minibatch as a
 *   piecewise-constant input, through `solve`: `creditflow train urfb` and
 *   `creditflow reproduce urfb-mnist`.
 */
import { registerModel } from '../../src/registry';
import { withPresets } from '../../src/experiment/presets';
import { urfbChecks } from './checks';
import { fig12Command } from './fig12-report';
import { mnistCommand, trainCommand } from './mnist-report';
import { stepCommand } from './step';

registerModel({
  model: {
    name: 'urfb',
    description: 'updated random feedback (URFB) vs fixed feedback (FRFB) vs BP: linear flows, Theorems 1-2, Fig. 12, MNIST',
    paper: 'Amit, Deep learning with asymmetric connections and Hebbian updates',
  },
  checks: urfbChecks,
  experiments: [
    withPresets(fig12Command, { quick: { steps: 300, seeds: [1] }, paper: {}, note: 'Fig. 12: the defaults are the paper\'s (40-100-100-10, 1,000 iterations, 3 runs)' }),
    withPresets(stepCommand, { quick: { seeds: [1], 'teacher-sds': [2], steps: 300 }, paper: null, note: 'our experiment, not the paper\'s' }),
    withPresets(mnistCommand, { quick: { epochs: 1, 'train-size': 2000, seeds: [1] }, paper: null, note: 'the paper runs these protocols on CIFAR-10/100 with convolutional networks' }),
  ],
  commands: [trainCommand],
});
