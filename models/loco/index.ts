/**
 * Node perturbation and LOCO (low-rank cluster-orthogonal weight modification) for spiking and
 * ReLU networks: the learning rules (rules.ts, projector.ts), the networks they train (nets.ts,
 * with the LIF networks of models/lif), the checks of the paper's claims (checks.ts) and the
 * experiments loco-xor, loco-sin, loco-mnist and loco-continual (experiments/).
 */
import { registerModel } from '../../src/registry';
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
  experiments: [xorExperiment, sinExperiment, mnistExperiment, continualExperiment],
});
