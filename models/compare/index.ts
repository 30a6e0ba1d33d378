/**
 * compare: one table for every rule (issue 9). Every learning rule of the five papers — BP, FA,
 * DFA, URFB, DFC-SSA, DFC, DLL, NP, LOCO on a tanh MLP, and BP, KP, weight mirror and SAL on its
 * ReLU version — trained on the same tasks (student-teacher regression, MNIST 8,000/2,000, XOR)
 * with the same architecture, initial weights, data order and budget, with the DLL paper's C1-C3.
 *
 * - tasks.ts: the three tasks; config.ts: their default and --quick sizes and per-rule settings;
 * - rules.ts: the rules, where each update comes from, and C1-C3 with reasons;
 * - learners.ts (BP, FA, URFB, DLL), dfc-adapter.ts (DFA, DFC-SSA, DFC), perturbation.ts (NP,
 *   LOCO on a tanh PerturbableNetwork), sal-adapter.ts (BP-ReLU, KP, WM, SAL): one interface;
 * - run.ts: one (rule, task, seed) run, a pure function for the worker pool;
 * - experiment.ts: `creditflow reproduce compare`.
 */
import { registerModel } from '../../src/registry';
import { withPresets } from '../../src/experiment/presets';
import { compareCommand } from './experiment';

registerModel({
  model: {
    name: 'compare',
    description: 'every learning rule on the same tasks, initialisation, data order and budget; C1-C3 of the DLL paper',
    paper: 'all five (cross-paper comparison)',
  },
  experiments: [withPresets(compareCommand, { quick: { quick: true, seeds: [1] }, paper: null, note: 'a cross-paper comparison, in no paper' })],
});
