/**
 * The special cases of the paper's Table 2 (and Sec. 4) as configurations of the one SAL circuit,
 * never as separate code:
 *
 *   SGD:  V = V̄ = I fixed, W̄ = Wᵀ (tied: weight transport), only W plastic, D_d = ReLU Jacobian;
 *   FA:   V = V̄ = I fixed, W̄ random and fixed, only W plastic (Lillicrap et al. 2016);
 *   KP:   V = V̄ = I fixed, W̄ plastic by eq. (7) (= Kolen–Pollack: ΔW̄ᵏ = hᵏδᵏ⁺¹ᵀ − γW̄ᵏ);
 *   WM:   V = V̄ = I fixed, W̄ plastic in mirror mode (Akrout et al. 2019);
 *   SAL:  all four plastic from random connectivity;
 *   ablation: W plastic and any subset of {V̄, W̄, V} plastic, the rest fixed at their random
 *   initial values (Fig. 4).
 *
 * The identity special cases use D_d = ReLU Jacobian (eq. 4), which with V = I is the upstream
 * ReLU derivative, so SGD and KP (at W̄ = Wᵀ) are exact backpropagation. FA/WM use it too, as in
 * their papers. SAL uses the caller's D_d (default identity, the paper's main choice).
 */
import type { Connection, DownGate, RateScaling, SalConfig } from './circuit';

export const METHODS = ['sal', 'sgd', 'fa', 'kp', 'wm'] as const;
export type Method = (typeof METHODS)[number];

export const METHOD_LABELS: Record<Method, string> = {
  sal: 'SAL',
  sgd: 'SGD (BP)',
  fa: 'Feedback alignment',
  kp: 'Kolen–Pollack',
  wm: 'Weight mirror',
};

/** What every method shares: the network, the loss, rates and decay. */
export interface BaseConfig {
  sizes: readonly number[];
  downWidths?: readonly number[];
  loss?: 'mse' | 'cross-entropy';
  rates?: Partial<Record<Connection, number>>;
  decay?: number | Partial<Record<Connection, number>>;
  downGate?: DownGate;
  upstream?: 'relu' | 'linear';
  /** Width dependence of the rates of W̄ and V̄ (circuit.ts); only matters where d̄ ≠ d. */
  rateScaling?: RateScaling;
}

export function methodConfig(method: Method, base: BaseConfig): SalConfig {
  const common = { sizes: base.sizes, loss: base.loss, rates: base.rates, decay: base.decay, upstream: base.upstream, rateScaling: base.rateScaling };
  switch (method) {
    case 'sal':
      return { ...common, downWidths: base.downWidths, downGate: base.downGate ?? 'identity', inter: 'random', feedback: 'circuit' };
    case 'sgd':
      return { ...common, downGate: 'relu-jacobian', inter: 'identity', feedback: 'tied', plastic: { W: true, Wbar: false, V: false, Vbar: false } };
    case 'fa':
      return { ...common, downGate: 'relu-jacobian', inter: 'identity', feedback: 'circuit', plastic: { W: true, Wbar: false, V: false, Vbar: false } };
    case 'kp':
      return { ...common, downGate: 'relu-jacobian', inter: 'identity', feedback: 'circuit', plastic: { W: true, Wbar: true, V: false, Vbar: false } };
    case 'wm':
      return { ...common, downGate: 'relu-jacobian', inter: 'identity', feedback: 'mirror', plastic: { W: true, Wbar: true, V: false, Vbar: false } };
    default:
      throw new Error(`unknown method '${String(method)}'; valid methods: ${METHODS.join(', ')}`);
  }
}

/** The optional plastic connections of the ablation (W is always plastic). */
export const ABLATION_PARTS: readonly Connection[] = ['Vbar', 'Wbar', 'V'];

/** Every subset of {V̄, W̄, V} (8 of them), smallest first. */
export function ablationSubsets(): Connection[][] {
  const out: Connection[][] = [];
  for (let mask = 0; mask < 8; mask++) out.push(ABLATION_PARTS.filter((_, i) => mask & (1 << i)));
  return out.sort((a, b) => a.length - b.length);
}

export function subsetLabel(parts: readonly Connection[]): string {
  const names: Record<Connection, string> = { W: 'W', Wbar: 'W̄', V: 'V', Vbar: 'V̄' };
  return (['W', ...parts] as Connection[]).map((p) => names[p]).join(', ');
}

/** SAL with W plastic and only `parts` of {V̄, W̄, V} plastic; the rest stay at their random start. */
export function ablationConfig(parts: readonly Connection[], base: BaseConfig): SalConfig {
  for (const p of parts) {
    if (!ABLATION_PARTS.includes(p)) throw new Error(`ablation part '${p}' is not one of ${ABLATION_PARTS.join(', ')} (W is always plastic)`);
  }
  return {
    ...methodConfig('sal', base),
    plastic: { W: true, Wbar: parts.includes('Wbar'), V: parts.includes('V'), Vbar: parts.includes('Vbar') },
  };
}

/** The linear model of Fig. 4: one linear layer input → output trained by SGD (the circuit with L = 2). */
export function linearConfig(base: BaseConfig): SalConfig {
  const sizes = [base.sizes[0], base.sizes[base.sizes.length - 1]];
  return { sizes, loss: base.loss, rates: base.rates, decay: base.decay, upstream: 'linear', inter: 'identity', feedback: 'tied', plastic: { W: true, Wbar: false, V: false, Vbar: false } };
}
