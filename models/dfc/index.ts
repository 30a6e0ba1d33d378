/**
 * DFC (Meulemans et al., NeurIPS 2021): Deep Feedback Control. The equations as terms are in
 * ./terms.ts (eqs. 1, 4, 5, 12, 13), the batched simulation in ./engine.ts, the learning rules in
 * ./rules.ts, the quantities of Sections 3-4 in ./diagnostics.ts, theorem checks in ./checks.ts and
 * the figure/table reproductions in ./experiments/.
 */
import { registerModel } from '../../src/registry';
import { dfcChecks } from './checks';
import { fig3 } from './experiments/fig3';
import { fig4 } from './experiments/fig4';
import { mnistExperiment } from './experiments/mnist';

registerModel({
  model: {
    name: 'dfc',
    description: 'Deep Feedback Control: a PI controller drives a dynamical network to its output target; local plasticity approximates Gauss-Newton',
    paper: 'Meulemans, Tristany Farinha, García Ordóñez, Vilimelis Aceituno, Sacramento, Grewe, Credit Assignment in Neural Networks through Deep Feedback Control (NeurIPS 2021)',
  },
  checks: dfcChecks,
  experiments: [fig3, fig4, mnistExperiment],
});
