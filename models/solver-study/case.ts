/**
 * What a model contributes to `creditflow reproduce solver-study`: one `SolverStudyCase` per
 * learning problem, exported as `studyCases` from its own `models/<model>/study.ts` (cases.ts finds
 * them), so a model joins the study without the study changing.
 *
 * A case runs its learning problem at a reduced size with the integrator it is given and reports
 * one scalar metric (a loss, an accuracy, an alignment) at the end, the learned state it came from
 * (to measure how far each integrator lands from the reference), the vector-field evaluations
 * counted by `solve` and the wall time of the integration.
 */
import type { SolverChoice } from '../../src/experiment/solver-options';
import type { StudyRow } from './runs';

/** The study's two sizes: 'quick' runs in the tests (seconds per case), 'default' a few minutes in all. */
export type StudySize = 'quick' | 'default';

export const STUDY_SIZES: readonly StudySize[] = ['quick', 'default'];

/** What one run of a case measured. */
export interface StudyRun {
  /** The case's metric at the end of the run (NaN when the run did not finish). */
  metric: number;
  /** The learned quantity at the end (weights, or the relaxed state), compared with the reference's. */
  state: Float64Array;
  /** The same quantity at the start: the reference's distance from it scales the state error. */
  start: Float64Array;
  /** Vector-field evaluations of the integration, summed over its `solve` calls (`stats.nfe`). */
  nfe: number;
  /** Accepted steps, summed likewise. */
  steps: number;
  /** Wall time of the integration alone (set-up and evaluation of the metric excluded), seconds. */
  seconds: number;
  status: 'ok' | 'diverged' | 'failed';
  message: string;
}

export interface SolverStudyCase {
  /** Unique id, e.g. 'sal', 'dll-coupled' (`--cases`). */
  id: string;
  /** The model folder it comes from, e.g. 'dll'. */
  model: string;
  /** The learning problem in a line, with its size at each study size. */
  title: string;
  describe(size: StudySize): string;
  /** The metric's name, e.g. 'test loss'. */
  metric: string;
  /**
   * The largest fixed step the case is run at, in the problem's time unit (the study's fixed-step
   * grid is this times --step-fractions), and what a step is, e.g. '1 minibatch'.
   */
  maxStep: number;
  stepUnit: string;
  /** The integrator the model's commands use on this problem by default (the paper's, where it has one), marked in the findings. */
  defaultSolver: SolverChoice;
  /**
   * Set (to the reason) when the problem is not smooth in the sense of one-step theory, so that a
   * fixed-step solver of order p need not reach order p (a clock-driven spike threshold); the study's
   * tests then do not require the orders of the smooth cases.
   */
  notSmooth?: string;
  /** Sentences the case adds to the study's written findings, built from its rows. */
  findings?(rows: readonly StudyRow[]): string[];
  /**
   * Run the learning problem with `choice`, its dt0 in the case's step unit (always given for
   * fixed-step solvers). Deterministic: the same choice gives the same numbers.
   */
  run(choice: SolverChoice, size: StudySize): StudyRun;
}
