/**
 * SAL, the self-assembling four-synapse learning circuit (Liao, Ziyin, Gan, Cheung, Harnett,
 * Poggio, CBMM Memo 152, 2024): the circuit W, W̄, V, V̄ (eqs. 1-8, in the dimension-consistent form
 * derived in circuit.ts), its special cases (SGD, FA, KP, weight mirror; Table 2), the measurements
 * behind Lemma 1, Theorem 1 and Proposition 1 and their checks, training, and the experiments
 * (plasticity ablation Fig. 4, downstream width Fig. 2, Table 1, self-assembly).
 *
 * What `import { … } from 'creditflow/sal'` gives: every module of models/sal/ except index.ts, which
 * registers the model with the `creditflow` command (`loadModels()` from 'creditflow' imports every
 * model's index.ts and so fills the registries of checks and experiments).
 *
 * @module creditflow/sal
 */
export * from './analysis';
export * from './checks';
export * from './claims';
export * from './circuit';
export * from './experiments/ablation';
export * from './experiments/assembly';
export * from './experiments/common';
export * from './experiments/index';
export * from './experiments/table';
export * from './experiments/task';
export * from './experiments/width';
export * from './leaky';
export * from './presets';
export * from './theory';
export * from './train';
export * from './study';
