/**
 * solver-study (issue 14, item 5): every model's learning problem at a reduced size integrated by
 * euler, heun, rk4 and dopri5, against a tight-tolerance reference: the metric, its error,
 * evaluations and wall time per solver, a work-precision figure and findings per model.
 *
 * - case.ts: what a model contributes (`studyCases` in models/<model>/study.ts);
 * - cases.ts: the registry of cases, filled from those files;
 * - runs.ts: the plan of runs, the sweep task, the analysis (errors, orders, findings), the figure;
 * - claims.ts: one-step theory's orders and jpc's Heun-versus-Euler claim, judged per case;
 * - experiment.ts: `creditflow reproduce solver-study`.
 */
import { registerModel } from '../../src/registry';
import { withPresets } from '../../src/experiment/presets';
import { studyCommand } from './experiment';

registerModel({
  model: {
    name: 'solver-study',
    description: "every model's learning dynamics with euler, heun, rk4 and dopri5: error against a tight reference per vector-field evaluation",
    paper: 'all (a study of the integrators, in no paper)',
  },
  experiments: [withPresets(studyCommand, { quick: { size: 'quick', 'step-fractions': [1, 0.5, 0.25], rtols: [1e-3, 1e-5] }, paper: null, note: 'a study of the integrators, in no paper' })],
});
