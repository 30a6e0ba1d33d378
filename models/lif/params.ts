/**
 * Parameters of a leaky integrate-and-fire membrane (LOCO paper, Appendix A.6, eq. 26):
 *
 *   τ_m dV/dt = −(V − V_rest) + I(t),   a spike when V reaches V_th, then V ← reset.
 *
 * Time is in milliseconds. `I` is in the units of V (a current times the membrane resistance).
 *
 * Choices where the paper is silent:
 * - eq. (26) leaks towards V_reset (spikingjelly's LIFNode); the issue asks for V_rest. Both are
 *   parameters; the defaults (V_rest = V_reset = 0, V_th = 1, τ_m = 2) are spikingjelly's LIFNode.
 * - The reset is a checked union: 'hard' sets V ← V_reset (spikingjelly's default), 'subtract'
 *   sets V ← V − (V_th − V_reset) (spikingjelly's soft reset when V_reset = 0).
 * - An optional absolute refractory period t_ref (ms): for t_ref after a spike the membrane is frozen
 *   at its post-reset value (V_reset for the hard reset) and ignores its input, synaptic spikes
 *   included. spikingjelly has none (t_ref = 0, the default).
 */

export type ResetMode = 'hard' | 'subtract';
export const RESET_MODES: readonly ResetMode[] = ['hard', 'subtract'];

export interface LifParams {
  /** Membrane time constant τ_m (ms), > 0. */
  readonly tauM: number;
  /** Resting potential the membrane leaks towards. */
  readonly vRest: number;
  /** Potential after a hard reset (and the reference of the subtract reset); must be < vTh. */
  readonly vReset: number;
  /** Firing threshold V_th. */
  readonly vTh: number;
  readonly reset: ResetMode;
  /** Absolute refractory period (ms), ≥ 0. */
  readonly tRef: number;
}

/** spikingjelly's LIFNode: τ = 2, V_th = 1, V_reset = 0, hard reset, no refractory period. */
export const SPIKINGJELLY_LIF: LifParams = { tauM: 2, vRest: 0, vReset: 0, vTh: 1, reset: 'hard', tRef: 0 };

/** Complete and validate LIF parameters; throws an Error that says what to change. */
export function lifParams(p: Partial<LifParams> = {}): LifParams {
  const q: LifParams = { ...SPIKINGJELLY_LIF, ...p };
  if (!(Number.isFinite(q.tauM) && q.tauM > 0)) {
    throw new Error(`LIF membrane time constant tau_m must be a finite number > 0 (got ${q.tauM}); e.g. tauM: 2 (ms)`);
  }
  for (const k of ['vRest', 'vReset', 'vTh'] as const) {
    if (!Number.isFinite(q[k])) throw new Error(`LIF ${k} must be a finite number (got ${q[k]})`);
  }
  if (!(q.vReset < q.vTh)) {
    throw new Error(`LIF reset potential V_reset (${q.vReset}) must be below the threshold V_th (${q.vTh}); otherwise a reset neuron fires again at once. Lower vReset or raise vTh`);
  }
  if (!RESET_MODES.includes(q.reset)) {
    throw new Error(`LIF reset must be one of ${RESET_MODES.join(', ')} (got '${String(q.reset)}')`);
  }
  if (!(Number.isFinite(q.tRef) && q.tRef >= 0)) {
    throw new Error(`LIF refractory period tRef must be a finite number >= 0 ms (got ${q.tRef})`);
  }
  return q;
}

/** Check a clock-driven step against the membrane time constant. */
export function checkClockStep(dt: number, p: LifParams): void {
  if (!(Number.isFinite(dt) && dt > 0)) throw new Error(`the time step dt must be a finite number > 0 ms (got ${dt})`);
  if (dt > p.tauM) {
    throw new Error(`clock-driven Euler needs dt <= tau_m (got dt = ${dt} ms, tau_m = ${p.tauM} ms); with dt > tau_m the membrane overshoots its target. Lower dt or raise tauM`);
  }
}

/**
 * Exact time from V_reset to V_th under a constant input I (ms), +∞ when V_rest + I ≤ V_th:
 * τ_m ln((V∞ − V_reset)/(V∞ − V_th)) with V∞ = V_rest + I. For V_rest = V_reset = 0 this is
 * τ_m ln(I/(I − θ)).
 */
export function timeToThreshold(I: number, p: LifParams): number {
  const vInf = p.vRest + I;
  if (vInf <= p.vTh) return Infinity;
  return p.tauM * Math.log((vInf - p.vReset) / (vInf - p.vTh));
}

/**
 * The analytic firing rate (spikes per ms) of an LIF neuron under constant input I:
 * 1/(t_ref + τ_m ln(I/(I − θ))), zero below threshold. Exact for the continuous-time neuron with
 * either reset (a located crossing is at V = V_th, so both resets land on V_reset).
 */
export function lifRate(I: number, p: LifParams): number {
  const T = timeToThreshold(I, p);
  return Number.isFinite(T) ? 1 / (p.tRef + T) : 0;
}
