/**
 * DLL, Dendritic Localized Learning (Lv, Xu, Lu, Wang, Wang, Xu, Yu, Du, Zheng, Huang, ICML 2025):
 * three-compartment neurons whose apical compartments relax under a continuous-time flow
 * (eqs. 5-7) while W and Θ learn (eqs. 8-9), for MLPs and RNNs (Appendix B), with DLL-FA and
 * BP/BPTT baselines; the checks (equilibrium, Θ = W equals BP, coupled vs buffered, DLL-RNN equals
 * BPTT) and the experiments (MNIST, RNN tasks, learning-rate sweep).
 *
 * What `import { … } from 'creditflow/dll'` gives: every module of models/dll/ except index.ts, which
 * registers the model with the `creditflow` command (`loadModels()` from 'creditflow' imports every
 * model's index.ts and so fills the registries of checks and experiments).
 *
 * @module creditflow/dll
 */
export * from './checks';
export * from './claims';
export * from './data/tasks';
export * from './experiments/mnist';
export * from './experiments/rnn';
export * from './experiments/stats';
export * from './flow';
export * from './mlp';
export * from './mnist-train';
export * from './rnn-train';
export * from './rnn';
export * from './stats';
export * from './trainer';
export * from './claims';
export * from './study';
