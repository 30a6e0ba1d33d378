/**
 * The solver study: each model's learning problem (a `SolverStudyCase` in models/<model>/study.ts)
 * run with several integrators against a tight-tolerance reference.
 *
 * What `import { … } from 'creditflow/solver-study'` gives: every module of models/solver-study/
 * except index.ts, which registers `creditflow reproduce solver-study`.
 *
 * @module creditflow/solver-study
 */
export * from './case';
export * from './cases';
export * from './claims';
export * from './experiment';
export * from './runs';
