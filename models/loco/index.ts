/**
 * Node perturbation and LOCO (low-rank cluster-orthogonal weight modification) for spiking and
 * ReLU networks: the learning rules (rules.ts, projector.ts), the networks they train (nets.ts,
 * with the LIF networks of models/lif), the checks of the paper's claims (checks.ts) and the
 * experiments loco-xor, loco-sin, loco-mnist and loco-continual (experiments/).
 */
import { registerModel } from '../../src/registry';
import { withPresets } from '../../src/experiment/presets';
import { locoChecks } from './checks';
import { continualExperiment } from './experiments/continual';
import { mnistExperiment } from './experiments/mnist';
import { sinExperiment } from './experiments/sin';
import { xorExperiment } from './experiments/xor';

registerModel({
  model: {
    name: 'loco',
    description: 'node perturbation and LOCO (low-rank cluster-orthogonal projection) for LIF and ReLU networks',
    paper: 'Efficient learning in neural networks without gradient backpropagation (LOCO)',
  },
  checks: locoChecks,
  experiments: [
    withPresets(xorExperiment, { quick: { epochs: 40, seeds: [1] }, paper: null, note: 'Fig. 2A-D gives no epoch count' }),
    withPresets(sinExperiment, { quick: { epochs: 300, seeds: [1] }, paper: null, note: 'Fig. 3E gives no step count' }),
    withPresets(mnistExperiment, { quick: { epochs: 1, 'train-size': 1000, depths: [3, 4], hidden: 100 }, paper: { depths: [3, 4, 5, 6, 7, 8, 9, 10], epochs: 20 }, note: 'Fig. 2E/3I: depths 3-10 of width 500, trained to convergence (20 epochs here; the paper: 60,000 images)' }),
    withPresets(continualExperiment, { quick: { 'train-size': 1000, hidden: 100, 'epochs-per-class': 1 }, paper: null, note: 'Fig. 2H/3L give no epoch count' }),
  ],
});
