/**
 * DFC (Meulemans et al., NeurIPS 2021): Deep Feedback Control. The equations as terms are in
 * ./terms.ts (eqs. 1, 4, 5, 12, 13), batched over a minibatch in ./batched.ts (integrated by solve,
 * run by ./engine.ts), the learning rules in
 * ./rules.ts, the quantities of Sections 3-4 in ./diagnostics.ts, theorem checks in ./checks.ts and
 * the figure/table reproductions in ./experiments/.
 */
import { registerModel } from '../../src/registry';
import { withPresets } from '../../src/experiment/presets';
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
  experiments: [
    withPresets(fig3, { quick: { epochs: 1, 'train-size': 500, 'test-size': 200, 'fb-pretrain-epochs': 2, steps: 200 }, paper: { 'fb-pretrain-epochs': 50 }, note: 'Fig. 3: 5,000 samples, 1,000 steps per sample, 50 feedback pre-training epochs (the paper does not give the number of epochs)' }),
    withPresets(fig4, { quick: { 'train-size': 300, 'test-size': 100, steps: 200, 'fb-pretrain-epochs': 2, lambdas: [0.01, 0.5], alphas: [0.001] }, paper: { 'fb-pretrain-epochs': 50 }, note: 'Fig. 4: the Fig. 3 setting' }),
    withPresets(mnistExperiment, { quick: { 'train-size': 1000, hidden: [64], epochs: 1, steps: 50 }, paper: { hidden: [256, 256, 256], steps: 1000, epochs: 100 }, note: 'Table 1: 3x256 tanh, 100 epochs, 1,000 steps per sample (on the 8,000 images here; the paper: 55,000)' }),
  ],
});
