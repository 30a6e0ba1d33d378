/**
 * URFB: updated random feedback (Amit, "Deep learning with asymmetric connections and Hebbian
 * updates").
 *
 * - linear.ts: the k-layer linear flows of eqs. (7)-(9) as a drift term on W_i, R_i (any solver);
 *   iterate.ts: the paper's iteration (forward Euler, step η) with per-step error and correlations.
 * - scalar.ts, checks.ts: the scalar systems (10), (15), the invariants (16), Theorems 1-2, the
 *   Appendix 2 mode reduction and R(t) = R(0) + εW(t)ᵀ, registered with `creditflow verify`.
 * - fig12.ts, fig12-report.ts: `creditflow reproduce fig12`; step.ts: `reproduce fig12-step`, the
 *   measurement behind the default step.
 * - nonlinear.ts, train.ts, mnist-report.ts: Section 3 (saturated-linear σ, hinge loss eqs. 4-6,
 *   BP / BP-H / FRFB / URFB, optional sparse connectivity): `creditflow train urfb` and
 *   `creditflow reproduce urfb-mnist`.
 */
import { registerModel } from '../../src/registry';
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
  experiments: [fig12Command, stepCommand, mnistCommand],
  commands: [trainCommand],
});
