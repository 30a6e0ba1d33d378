/**
 * Dendritic Localized Learning (Lv et al., ICML 2025): three-compartment neurons whose apical
 * compartments relax under a continuous-time flow (eqs. 5-7) while W and Θ learn as slow flows
 * (eqs. 8-9), for MLPs (mlp.ts) and RNNs (rnn.ts, Appendix B), with DLL-FA and BP/BPTT baselines.
 */
import { registerModel } from '../../src/registry';
import { withPresets } from '../../src/experiment/presets';
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
  experiments: [
    withPresets(mnistExperiment, { quick: { epochs: 2, 'train-size': 2000, seeds: [1, 2] }, paper: { sizes: [784, 1024, 512, 256, 10], epochs: 100 }, note: "Table 1: 784-1024-512-256-10, 100 epochs (the released code's default; on the 8,000 images here)" }),
    withPresets(rnnExperiment, { quick: { iterations: 200, seeds: [1], 'text-length': 5000, 'series-length': 1000 }, paper: { hidden: 300 }, note: 'Table 2: hidden 300-384 (the paper gives no iteration count; its data are not shipped)' }),
    withPresets(lrExperiment, { quick: { epochs: 1, 'train-size': 2000, lrs: [0.0001, 0.001, 0.01] }, paper: { sizes: [784, 1024, 512, 256, 10] }, note: 'Fig. 3a: the Table 1 MLP' }),
  ],
});
