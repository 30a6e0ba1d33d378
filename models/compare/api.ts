/**
 * Every learning rule of the five papers on the same tasks: BP, FA, DFA, URFB, DFC-SSA, DFC, DLL,
 * NP and LOCO on a tanh MLP, BP, KP, weight mirror and SAL on its ReLU version, trained on
 * student-teacher regression, MNIST 8,000/2,000 and XOR with the same architecture, initial
 * weights, data order and budget; the comparison table and its criteria.
 *
 * What `import { … } from 'creditflow/compare'` gives: every module of models/compare/ except index.ts, which
 * registers the model with the `creditflow` command (`loadModels()` from 'creditflow' imports every
 * model's index.ts and so fills the registries of checks and experiments).
 *
 * @module creditflow/compare
 */
export * from './claims';
export * from './config';
export * from './dfc-adapter';
export * from './experiment';
export * from './learners';
export * from './perturbation';
export * from './rules';
export * from './run';
export * from './sal-adapter';
export * from './tasks';
export * from './claims';
