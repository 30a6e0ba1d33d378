/**
 * URFB, updated random feedback (Amit, *Deep learning with asymmetric connections and Hebbian
 * updates*): the k-layer linear flows of eqs. (7)-(9) as a drift on W_i, R_i, the scalar systems and
 * invariants behind Theorems 1-2 and the Appendix 2 mode reduction, the theorem checks, Fig. 12 and
 * its step-size measurement, and the nonlinear networks of Section 3 (hinge loss, eqs. 4-6) with
 * BP, BP-H, FRFB and URFB training.
 *
 * What `import { … } from 'creditflow/urfb'` gives: every module of models/urfb/ except index.ts, which
 * registers the model with the `creditflow` command (`loadModels()` from 'creditflow' imports every
 * model's index.ts and so fills the registries of checks and experiments).
 *
 * @module creditflow/urfb
 */
export * from './checks';
export * from './fig12-report';
export * from './fig12';
export * from './iterate';
export * from './linear';
export * from './mnist-report';
export * from './nonlinear';
export * from './scalar';
export * from './step';
export * from './train';
export * from './claims';
export * from './study';
