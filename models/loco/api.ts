/**
 * Node perturbation and LOCO, low-rank cluster-orthogonal weight modification (*Efficient learning
 * in neural networks without gradient backpropagation*, anonymous, under double-blind review): the
 * perturbation rules (eq. 9), the LOCO projection (eqs. 1-6), the ANN and spiking networks they
 * train, the checks (NP unbiased, eqs. 10-14; the variance lemma A.16; cross-class orthogonality)
 * and the experiments (XOR, sin fitting, MNIST 784-500-10, continual learning).
 *
 * What `import { … } from 'creditflow/loco'` gives: every module of models/loco/ except index.ts, which
 * registers the model with the `creditflow` command (`loadModels()` from 'creditflow' imports every
 * model's index.ts and so fills the registries of checks and experiments).
 *
 * @module creditflow/loco
 */
export * from './checks';
export * from './experiments/common';
export * from './experiments/continual';
export * from './experiments/mnist';
export * from './experiments/sin';
export * from './experiments/xor';
export * from './linalg';
export * from './nets';
export * from './projector';
export * from './rules';
export * from './claims';
export * from './study';
