/** The SAL experiments registered for `creditflow reproduce`. */
import type { CommandSpec } from '../../../src/registry';
import { withPresets } from '../../../src/experiment/presets';
import { ablationExperiment } from './ablation';
import { assemblyExperiment } from './assembly';
import { tableExperiment } from './table';
import { widthExperiment } from './width';

const quick = { epochs: 2, 'train-size': 2000, 'test-size': 1000 };

export const salExperiments: CommandSpec[] = [
  withPresets(ablationExperiment, { quick, paper: { seeds: [1, 2, 3, 4, 5] }, note: 'Fig. 4: five runs (on CIFAR-10 in the paper: add --data cifar10 --data-dir DIR)' }),
  withPresets(widthExperiment, { quick: { ...quick, epochs: 1, ratios: [0.5, 1, 2] }, paper: { seeds: [1, 2, 3, 4, 5] }, note: 'Fig. 2: ratios up to 8, five runs (CIFAR-10, SVHN, STL-10 in the paper)' }),
  withPresets(tableExperiment, { quick: { ...quick, seeds: [1, 2] }, paper: { seeds: [1, 2, 3, 4, 5] }, note: 'Table 1: five runs' }),
  withPresets(assemblyExperiment, { quick, paper: { hidden: 8, epochs: 50 }, note: 'Fig. 3: width 60, 8 hidden layers, 50 epochs (on SVHN in the paper)' }),
];
