/**
 * Dendritic Localized Learning (Lv et al., ICML 2025): three-compartment neurons whose apical
 * compartments relax under a continuous-time flow (eqs. 5-7) while W and Θ learn as slow flows
 * (eqs. 8-9), for MLPs (mlp.ts) and RNNs (rnn.ts, Appendix B), with DLL-FA and BP/BPTT baselines.
 */
import { registerModel } from '../../src/registry';
import { dllChecks } from './checks';
import { lrExperiment, mnistExperiment } from './experiments/mnist';
import { rnnExperiment } from './experiments/rnn';

registerModel({
  model: {
    name: 'dll',
    description: 'Dendritic Localized Learning: apical relaxation flow, W and Θ as slow flows, MLP and RNN, DLL-FA ablation',
    paper: 'Lv et al., Dendritic Localized Learning, ICML 2025',
  },
  checks: dllChecks,
  experiments: [mnistExperiment, rnnExperiment, lrExperiment],
});
