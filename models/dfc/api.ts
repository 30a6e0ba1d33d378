/**
 * DFC, Deep Feedback Control (Meulemans, Tristany Farinha, García Ordóñez, Vilimelis Aceituno,
 * Sacramento, Grewe, NeurIPS 2021): a PI controller drives a dynamical network to its output target
 * and the control signal drives local plasticity that approximates Gauss–Newton. The network
 * dynamics, controller and plasticity as terms (eqs. 1, 4, 5, 12, 13; terms.ts), the batched engine
 * and trainer, the learning rules, the quantities of Sections 3-4, the theorem checks (Lemma 1,
 * Theorems 2, 3, 6, Propositions 4, 5) and the experiments (Figs. 3-4, MNIST).
 *
 * What `import { … } from 'creditflow/dfc'` gives: every module of models/dfc/ except index.ts, which
 * registers the model with the `creditflow` command (`loadModels()` from 'creditflow' imports every
 * model's index.ts and so fills the registries of checks and experiments).
 *
 * @module creditflow/dfc
 */
export * from './alignment';
export * from './batched';
export * from './checks';
export * from './claims';
export * from './config';
export * from './diagnostics';
export * from './engine';
export * from './equations';
export * from './experiments/fig3';
export * from './experiments/fig4';
export * from './experiments/mnist';
export * from './experiments/run';
export * from './experiments/teacher';
export * from './fastmath';
export * from './network';
export * from './rules';
export * from './terms';
export * from './trainer';
export * from './claims';
export * from './study';
