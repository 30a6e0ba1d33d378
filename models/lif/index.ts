/**
 * LIF membranes (LOCO paper, Appendix A.5-A.8): leaky integrate-and-fire neurons as an ODE per
 * neuron with threshold, hard or subtract reset and refractory period; feedforward networks with
 * I_syn = W s (eq. 25), direct input coding (A.7), rate decoding and the rate MSE (A.8, eq. 27);
 * the network defined once as a problem with the core's spike schedule, run clock-driven
 * (spikingjelly's schedule, any fixed-step solver) or event-located through `solve`.
 * The learning rules and experiments on these networks are in models/loco.
 */
import { registerModel } from '../../src/registry';
import { lifChecks } from './checks';

registerModel({
  model: {
    name: 'lif',
    description: 'leaky integrate-and-fire networks: clock-driven and event-located spikes, direct coding, rate decoding',
    paper: 'LOCO, Appendix A.5-A.8',
  },
  checks: lifChecks,
});
