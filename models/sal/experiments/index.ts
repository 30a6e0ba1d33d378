/** The SAL experiments registered for `creditflow reproduce`. */
import type { CommandSpec } from '../../../src/registry';
import { ablationExperiment } from './ablation';
import { assemblyExperiment } from './assembly';
import { tableExperiment } from './table';
import { widthExperiment } from './width';

export const salExperiments: CommandSpec[] = [ablationExperiment, widthExperiment, tableExperiment, assemblyExperiment];
