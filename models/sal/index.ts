/**
 * SAL (Liao et al., CBMM memo 152): the self-assembling four-synapse circuit. The maths and the
 * dimension-consistent derivation are in ./circuit.ts; special cases in ./presets.ts; theorem
 * measurements in ./theory.ts, bounded in ./checks.ts; experiments in ./experiments/.
 */
import { registerModel } from '../../src/registry';
import { salChecks } from './checks';
import { salExperiments } from './experiments/index';

registerModel({
  model: {
    name: 'sal',
    description: 'Self-assembling learning circuit: upstream/downstream pathways with four plastic connections W, W̄, V, V̄',
    paper: 'Liao, Ziyin, Gan, Cheung, Harnett, Poggio, Self-Assembly of a Biologically Plausible Learning Circuit (CBMM memo 152, 2024)',
  },
  checks: salChecks,
  experiments: salExperiments,
});
