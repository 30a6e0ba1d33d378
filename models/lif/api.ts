/**
 * LIF networks (LOCO paper, Appendix A.5-A.8): leaky integrate-and-fire neurons with threshold,
 * hard or subtract reset and refractory period, feedforward networks with I_syn = W s (eq. 25),
 * direct input coding, rate decoding and the rate MSE (eq. 27), one problem (`lifNetwork`)
 * integrated by `solve` clock-driven or with event-located spikes (`runLif`); and the checks (LIF
 * rate, clock vs event spikes).
 *
 * What `import { … } from 'creditflow/lif'` gives: every module of models/lif/ except index.ts, which
 * registers the model with the `creditflow` command (`loadModels()` from 'creditflow' imports every
 * model's index.ts and so fills the registries of checks and experiments).
 *
 * @module creditflow/lif
 */
export * from './checks';
export * from './coding';
export * from './network';
export * from './neuron';
export * from './params';
