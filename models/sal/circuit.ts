/**
 * SAL: the self-assembling four-synapse circuit (Liao, Ziyin, Gan, Cheung, Harnett, Poggio,
 * CBMM memo 152, eqs. 1-8, Lemma 1, Theorem 1 = appendix Theorem 2, Proposition 1), as flows.
 *
 * ## A dimension-consistent reading of eqs. (1)-(8)
 *
 * Layers ℓ = 1..L. Upstream (forward) activity hˡ ∈ R^{dˡ}, h¹ = x, hᴸ = ŷ; downstream (feedback)
 * activity h̄ˡ ∈ R^{d̄ˡ}. The paper's prose and Algorithm 1 disagree with its equations on shapes
 * (prose: "V goes from the downstream to the upstream, V ∈ R^{dˡ×d̄ˡ}"; Algorithm 1 line 19 drives
 * V with W̄ˡh̄ˡ⁺¹hˡᵀ and line 21 drives V̄ with h̄ˡ⁺¹hˡᵀWˡᵀ). Reading the shapes off eqs. (4)-(8)
 * and Definition 1 instead gives one consistent assignment, used here:
 *
 *   Wˡ ∈ R^{dˡ⁺¹×dˡ}   up→up,   ℓ = 1..L−1        (eq. 1)
 *   W̄ˡ ∈ R^{d̄ˡ×d̄ˡ⁺¹}  down→down into layer ℓ, ℓ = 2..L−1 (eq. 2)
 *   Vˡ ∈ R^{d̄ˡ×dˡ}    up→down at layer ℓ, ℓ = 2..L−1   (eq. 4: D_d = diag 1[Vˡhˡ > 0]; eq. 6; Def. 1)
 *   V̄ˡ ∈ R^{dˡ⁺¹×d̄ˡ⁺¹} down→up at layer ℓ+1, ℓ = 1..L−2  (eqs. 5, 8)
 *
 * so each hidden layer k = 2..L−1 carries the motif of Fig. 1C: W^{k−1} and W̄^k enter its two
 * neurons, V^k and V̄^{k−1} cross between them. The paper's "V̄ᴸ = I" (proof of Theorem 2) is the
 * identity connection of Fig. 1A by which the error module feeds the last upstream layer:
 * V̄ᴸ⁻¹ = I, d̄ᴸ = dᴸ, fixed. The downstream pathway has no input-layer copy (h̄¹, W̄¹, V¹ would feed
 * no update of W, and would cost a d̄¹ × d̄² matrix on 784 pixels).
 *
 * Fast dynamics (eqs. 1-3, output linear as in eq. 20):
 *
 *   hˡ⁺¹ = D_uˡ Wˡhˡ,  D_uˡ = diag 1[Wˡhˡ > 0] (ReLU, eq. 3; identity for a linear upstream),
 *   h̄ᴸ = −∇F(ŷ)  (MSE F = ½‖ŷ − y‖², or softmax cross-entropy),
 *   h̄ˡ = D_dˡ W̄ˡ h̄ˡ⁺¹,  D_dˡ = I  or  diag 1[Vˡhˡ > 0]  (eq. 4, "ReLU Jacobian").
 *
 * Slow flows (eqs. 5-8 with R₁..R₄ = weight decay; each connection X has its own rate η_X and decay
 * γ_X, uniform γ by default as in the paper; a minibatch average ⟨·⟩ replaces the single sample):
 *
 *   dWˡ/dt  = η_W ⟨V̄ˡ h̄ˡ⁺¹ hˡᵀ⟩ − γ Wˡ              (5)
 *   dVˡ/dt  = η_V ⟨h̄ˡ hˡᵀ⟩ − γ Vˡ                    (6)
 *   dW̄ˡ/dt  = η_W̄ ⟨(Vˡhˡ) h̄ˡ⁺¹ᵀ⟩ − γ W̄ˡ               (7, transposed)
 *   dV̄ˡ/dt  = η_V̄ ⟨hˡ⁺¹ h̄ˡ⁺¹ᵀ⟩ − γ V̄ˡ                 (8, transposed)
 *
 * A non-plastic connection has dX/dt = 0 (no decay either). Time is counted in minibatch
 * presentations: forward Euler with dt = 1 is exactly Algorithm 1's iteration with the rates as
 * learning rates (ΔW = η_W V̄h̄hᵀ − γW). Every term is shape-checked by the kernels.
 *
 * ## Lemma 1 (exact, any data, any W, W̄, D_d)
 *
 * The drives of V^k (6) and of (V̄^{k−1})ᵀ (8 at ℓ = k−1) are the same matrix ⟨h̄ᵏhᵏᵀ⟩. Hence
 * E^k := V^k/η_V − (V̄^{k−1})ᵀ/η_V̄ obeys dE^k/dt = −γE^k exactly: E^k(t) = e^{−γt}E^k(0). With
 * η_V = η_V̄ (the paper's uniform case) this is V^k − (V̄^{k−1})ᵀ → 0 at rate γ (eq. 16, where the
 * paper's "V^l − (V^{l−1})ᵀ" is a typo for V̄^{l−1}); with unequal rates V̄^{k−1} → (η_V̄/η_V)V^kᵀ.
 * Under Euler with dt = 1 the factor per step is (1 − γ).
 *
 * ## Generalised Kolen–Pollack alignment (exact when V, V̄ are held fixed)
 *
 * V^k(dW^k/dt)ᵀ = η_W V^k⟨h^k h̄^{k+1}ᵀ⟩V̄^{kᵀ} − γV^kW^kᵀ and (dW̄^k/dt)V̄^{kᵀ} =
 * η_W̄ ⟨V^kh^k h̄^{k+1}ᵀ⟩V̄^{kᵀ} − γW̄^kV̄^{kᵀ}, so with η_W = η_W̄ the mismatch
 * K^k := W̄^kV̄^{kᵀ} − V^kW^kᵀ obeys dK^k/dt = −γK^k (k = 2..L−1; V̄^{L−1} = I). This is eq. (27)
 * without the gates; with V = V̄ = I it is Kolen–Pollack: W̄^k − W^kᵀ → 0 at rate γ.
 *
 * ## Theorem 1, exact form (replaces eqs. 23-38, whose indices shift by one)
 *
 * Write δᵏ = −∂F/∂(W^{k−1}h^{k−1}) for the backpropagated error at layer k (δᴸ = −∇F for the
 * linear output) so that ΔW^{k−1}_sgd = δᵏ h^{k−1}ᵀ. Assume, on the current sample:
 *   (A) V̄ᴸ⁻¹ = I (the error module's identity connection, "V̄ᴸ = I" in the paper);
 *   (B) Lemma 1's fixed point: V^k = (V̄^{k−1})ᵀ, k = 2..L−1;
 *   (C) the generalised KP fixed point: W̄^k V̄^{kᵀ} = V^k W^kᵀ, k = 2..L−1;
 *   (D) gate transport: D_d^k V^k = V^k D_u^{k−1} (the downstream gate is the upstream one seen
 *       through V). It holds for a linear upstream with D_d = I and any V; for V = I with the
 *       ReLU Jacobian (4) (then D_d^k = diag 1[h^k > 0] = D_u^{k−1}); and for every "copy" V
 *       (each downstream neuron reads one upstream neuron with a positive weight, e.g. a scaled
 *       permutation, the paper's example) with (4). For a dense V and a ReLU upstream it fails,
 *       because a diagonal D_d cannot reproduce the upstream gate mixed by V.
 * Then h̄ᵏ = (V̄^{k−1})ᵀ δᵏ for every k, by induction down from k = L:
 *   h̄ᴸ = δᴸ = (V̄ᴸ⁻¹)ᵀδᴸ (A);  h̄ᵏ = D_d^k W̄^k V̄^{kᵀ} δ^{k+1} =(C) D_d^k V^k W^kᵀ δ^{k+1}
 *   =(D) V^k D_u^{k−1} W^kᵀ δ^{k+1} = V^k δᵏ =(B) (V̄^{k−1})ᵀ δᵏ,
 * and therefore (eq. 9 with no O(ε) term)
 *
 *   ΔW^{k−1}_SAL = η_W V̄^{k−1} h̄ᵏ h^{k−1}ᵀ − γW^{k−1} = η_W H^{k−1} ΔW^{k−1}_sgd − γW^{k−1},
 *   H^{k−1} = V̄^{k−1} V̄^{k−1ᵀ} ∈ R^{dᵏ×dᵏ},
 *
 * positive definite iff V̄^{k−1} has full row rank, which needs d̄ᵏ ≥ dᵏ (Definition 1,
 * overparametrised downstream). (B) and (C) are the attractors of the flows above; if they hold
 * only up to ε (perturbed connections) the identity holds up to O(ε), which is the paper's eq. (9).
 * Without (D) — D_d = I on a ReLU upstream — the same induction with D_d = I gives h̄ᵏ = Vᵏẽᵏ, where
 * ẽᴸ = δᴸ, ẽᵏ = Wᵏᵀẽᵏ⁺¹ is the error backpropagated with every ReLU derivative replaced by 1, so
 * ΔW^{k−1}_SAL = η_W H^{k−1} ẽᵏh^{k−1}ᵀ − γW^{k−1}: H times the gradient of the linearised backward
 * pass, equal to H·ΔW_sgd only where the gates are open (the measured gap is O(1), theory.ts).
 * The paper's per-sample hypothesis ΔV = O(ε) with full-rank V cannot hold exactly (a per-sample
 * stationary V = η_V h̄hᵀ/γ has rank one); "V, V̄ stationary" is realised here by holding them fixed
 * (η_V = η_V̄ = 0), as the issue allows. The checks in ./theory.ts measure all of this.
 *
 * ## Width of the downstream pathway (Fig. 2) and the 'fan-in' rate scaling
 *
 * With the fan-in initialisation below, every unit of both pathways starts with an O(1) input
 * whatever the widths: h̄ per unit, V̄ˡh̄ˡ⁺¹ per unit and H = V̄V̄ᵀ ≈ I(1 + O(√(d/d̄))) do not grow with
 * d̄ (λ_max(H) at initialisation falls with d̄: 3.8, 2.7, 2.1, 1.8 for d̄/d = 1, 2, 5, 8). What grows
 * is the step of the connections that READ the downstream pathway: an update ΔX = η a bᵀ of a
 * connection with fan-in n changes its output by η a (bᵀb′), a sum of n products, so with eqs. (5)-(8)
 * at fixed rates the per-step relative change of W̄ᵏ (fan-in d̄ᵏ⁺¹) and of V̄ˡ (fan-in d̄ˡ⁺¹) grows
 * like d̄ (measured σ(ΔW̄)/σ(W̄) at the first step: 0.0145, 0.027, 0.074, 0.116 for d̄/d = 1, 2, 5, 8),
 * while W's and V's (fan-in d) do not. For d̄/d ≳ 2-5 at η_W̄ = 0.01 this runs away: W̄ grows, then
 * h̄, V̄h̄ (W's drive), W, and H through V̄'s Hebbian drive (d̄/d = 8, 2 hidden layers: σ(W̄²) 2 → 33,
 * λ_max(H) 1.8 → 73, σ(W¹) 2 → 155 in 240 minibatches, then overflow). rateScaling 'fan-in' gives the
 * connections reading downstream layer m the rate η·dᵐ/d̄ᵐ (the 1/fan-in rule that keeps every
 * unit's per-step change width-independent), so the given rates mean the same at every width and are
 * untouched when d̄ = d. The paper tunes one overall rate per task with fixed ratios and says nothing
 * on widths; this is our choice. Its consequences for the theory: η_V̄/η_V = η_W̄/η_W = d/d̄, so
 * Lemma 1's attractor is V̄ᵏ⁻¹ = (d/d̄)Vᵏᵀ and the generalised KP one W̄ᵏV̄ᵏᵀ = (d/d̄)VᵏWᵏᵀ (both
 * exact, see above); with these, the Theorem 1 induction gives h̄ᵏ = sₖ(V̄ᵏ⁻¹)ᵀδᵏ with a positive
 * scalar sₖ (a product of the ratios), i.e. ΔW = η_W sₖ H ΔW_sgd − γW: H is rescaled, still PD.
 *
 * ## Choices where the paper is silent
 * - No biases (eq. 20 has none); output layer linear; MSE is ½‖ŷ − y‖² (the repo's convention).
 * - Initialisation: entries N(0, g²/fan_in) with g² = 2 for ReLU-upstream W, 1 otherwise; V, V̄
 *   and W̄ random Gaussian with fan-in scaling, or identities for the SGD/FA/KP/WM special cases.
 * - Weight mirror (Akrout et al. 2019) as a configuration: W̄^k learns in a "mirror mode" where the
 *   upstream layer k is driven by seeded noise ξ ~ N(0, σ²) and W̄ is driven by ξ(W^kξ)ᵀ/σ²;
 *   its decay is its own rate (dW̄/dt = η_W̄(⟨ξ(Wξ)ᵀ⟩/σ² − W̄)), so W̄ → Wᵀ with the scale of BP.
 * - Minibatch k is the input on [t₀ + k·Δ, t₀ + (k+1)·Δ), Δ = 1 (a piecewise-constant input of the
 *   problem, `flow`): Euler with dt = Δ takes one step per minibatch; any other solver keeps to the
 *   segments. The mirror-mode noise is keyed by k.
 */
import { hashNormal, Rng } from '../../src/core/random';
import { defineState, matrix, type MatrixSpec, type StateLayout } from '../../src/core/state';
import { piecewiseInput, uniformJumps, type InputSignal } from '../../src/core/input';
import type { Reduction } from '../../src/core/solve';
import { drift, odeProblem, type DriftTerm, type Problem } from '../../src/core/terms';
import { matMul, matMulTA, matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { losses, type Loss } from '../../src/nn/losses';

export type Connection = 'W' | 'Wbar' | 'V' | 'Vbar';
export const CONNECTIONS: readonly Connection[] = ['W', 'Wbar', 'V', 'Vbar'];

/** D_d: identity, or the ReLU Jacobian of eq. (4), diag 1[Vˡhˡ > 0]. */
export type DownGate = 'identity' | 'relu-jacobian';
/** Where the feedback W̄ comes from: its own plastic/fixed connection, tied to Wᵀ (SGD), or mirror-mode learning. */
export type FeedbackMode = 'circuit' | 'tied' | 'mirror';

export interface SalConfig {
  /** Upstream widths d¹..dᴸ, input first, output last (L ≥ 2). */
  sizes: readonly number[];
  /** Downstream widths d̄² .. d̄ᴸ⁻¹, one per hidden layer (default: the upstream widths). d̄ᴸ = dᴸ. */
  downWidths?: readonly number[];
  /** D_u: 'relu' (eq. 3, default) or 'linear'. */
  upstream?: 'relu' | 'linear';
  /** D_d (default 'identity', the paper's main choice). */
  downGate?: DownGate;
  loss?: 'mse' | 'cross-entropy';
  /** Learning rates η_X (per unit time = per minibatch). */
  rates?: Partial<Record<Connection, number>>;
  /** Weight decay γ (uniform) or per connection. */
  decay?: number | Partial<Record<Connection, number>>;
  /** Which connections learn (default: all four). */
  plastic?: Partial<Record<Connection, boolean>>;
  feedback?: FeedbackMode;
  /** Inter-stream connections V, V̄ at initialisation: random Gaussian (SAL) or identity (SGD, FA, KP, WM). */
  inter?: 'random' | 'identity';
  /** Mirror-mode noise for feedback 'mirror': samples per step and σ. */
  mirror?: { samples?: number; sigma?: number; seed?: number };
  /** Initial-weight gains: std = gain/√fan_in. */
  gains?: Partial<Record<Connection, number>>;
  /**
   * How the rates of the connections that read the downstream pathway depend on its width:
   * 'none' (default: eqs. 5-8 as written, every W̄ᵏ and V̄ˡ at η_W̄, η_V̄) or 'fan-in': the rates are
   * those of a downstream pathway as wide as the upstream one, and a connection reading downstream
   * layer m (W̄ᵐ⁻¹, V̄ᵐ⁻¹) learns at η·dᵐ/d̄ᵐ (1/fan-in scaling; see "Width of the downstream
   * pathway" above). The two agree wherever d̄ = d.
   */
  rateScaling?: RateScaling;
}

export type RateScaling = 'none' | 'fan-in';

export interface SalSpec {
  sizes: number[];
  /** d̄ indexed by layer (entries 2..L; d̄ᴸ = dᴸ). */
  down: number[];
  L: number;
  upstream: 'relu' | 'linear';
  downGate: DownGate;
  loss: Loss;
  lossName: 'mse' | 'cross-entropy';
  rates: Record<Connection, number>;
  decay: Record<Connection, number>;
  plastic: Record<Connection, boolean>;
  feedback: FeedbackMode;
  inter: 'random' | 'identity';
  mirror: { samples: number; sigma: number; seed: number };
  gains: Record<Connection, number>;
  rateScaling: RateScaling;
}

/** Default rates: the MNIST settings of the experiments (η_W = η_W̄ = 0.01, η_V = η_V̄ = 0.001; cf. Fig. 5, best with η_V smallest). */
export const DEFAULT_RATES: Record<Connection, number> = { W: 0.01, Wbar: 0.01, V: 0.001, Vbar: 0.001 };

function checkWidth(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what} is ${v}; every width must be an integer >= 1`);
}

/** Resolve defaults and check every shape and rate, with messages that say what to change. */
export function resolveConfig(c: SalConfig): SalSpec {
  if (!c || !Array.isArray(c.sizes)) throw new Error('SAL config needs sizes: the upstream widths, input first, e.g. [784, 200, 200, 10]');
  const sizes = [...c.sizes];
  if (sizes.length < 2) throw new Error(`sizes = [${sizes.join(', ')}] has ${sizes.length} layer(s); give at least an input and an output width`);
  sizes.forEach((s, i) => checkWidth(s, `upstream width of layer ${i + 1} (sizes[${i}])`));
  const L = sizes.length;
  const hidden = L - 2;
  const dw = c.downWidths ? [...c.downWidths] : sizes.slice(1, L - 1);
  if (dw.length !== hidden) {
    throw new Error(
      `downWidths has ${dw.length} entries but the upstream pathway [${sizes.join(', ')}] has ${hidden} hidden layer(s); ` +
        `give one downstream width per hidden layer (the downstream output layer has the output width ${sizes[L - 1]})`,
    );
  }
  dw.forEach((w, i) => checkWidth(w, `downstream width of layer ${i + 2} (downWidths[${i}])`));
  const down: number[] = new Array(L + 1).fill(0);
  for (let k = 2; k <= L - 1; k++) down[k] = dw[k - 2];
  down[L] = sizes[L - 1];

  const inter = c.inter ?? 'random';
  const feedback = c.feedback ?? 'circuit';
  if (!['random', 'identity'].includes(inter)) throw new Error(`inter must be 'random' or 'identity' (got '${inter}')`);
  if (!['circuit', 'tied', 'mirror'].includes(feedback)) throw new Error(`feedback must be 'circuit', 'tied' or 'mirror' (got '${feedback}')`);
  const downGate = c.downGate ?? 'identity';
  if (downGate !== 'identity' && downGate !== 'relu-jacobian') throw new Error(`downGate must be 'identity' or 'relu-jacobian' (got '${downGate}')`);
  const upstream = c.upstream ?? 'relu';
  if (upstream !== 'relu' && upstream !== 'linear') throw new Error(`upstream must be 'relu' or 'linear' (got '${upstream}')`);
  if (inter === 'identity' || feedback !== 'circuit') {
    for (let k = 2; k <= L - 1; k++) {
      if (down[k] !== sizes[k - 1]) {
        const why = inter === 'identity' ? "inter = 'identity' (V = V̄ = I)" : `feedback = '${feedback}' (W̄ ≈ Wᵀ)`;
        throw new Error(`${why} needs equal widths, but layer ${k} has upstream width ${sizes[k - 1]} and downstream width ${down[k]}; drop downWidths or use inter 'random'`);
      }
    }
  }
  if (feedback !== 'circuit' && inter !== 'identity') {
    throw new Error(`feedback '${feedback}' is a special case with V = V̄ = I; set inter: 'identity'`);
  }
  const lossName = c.loss ?? 'cross-entropy';
  if (!(lossName in losses)) throw new Error(`loss must be 'mse' or 'cross-entropy' (got '${lossName}')`);

  const rates = { ...DEFAULT_RATES, ...(c.rates ?? {}) };
  const decayIn = c.decay ?? 1e-4;
  const decay: Record<Connection, number> =
    typeof decayIn === 'number' ? { W: decayIn, Wbar: decayIn, V: decayIn, Vbar: decayIn } : { W: 1e-4, Wbar: 1e-4, V: 1e-4, Vbar: 1e-4, ...decayIn };
  const plastic: Record<Connection, boolean> = { W: true, Wbar: true, V: true, Vbar: true, ...(c.plastic ?? {}) };
  for (const x of CONNECTIONS) {
    if (!(rates[x] >= 0 && Number.isFinite(rates[x]))) throw new Error(`rate η_${x} = ${rates[x]}; rates must be finite and >= 0`);
    if (!(decay[x] >= 0 && Number.isFinite(decay[x]))) throw new Error(`decay γ_${x} = ${decay[x]}; decays must be finite and >= 0`);
  }
  if (feedback === 'tied') plastic.Wbar = false;
  const mirror = { samples: c.mirror?.samples ?? 32, sigma: c.mirror?.sigma ?? 1, seed: c.mirror?.seed ?? 7 };
  if (!(Number.isInteger(mirror.samples) && mirror.samples >= 1)) throw new Error(`mirror.samples must be an integer >= 1 (got ${mirror.samples})`);
  if (!(mirror.sigma > 0)) throw new Error(`mirror.sigma must be > 0 (got ${mirror.sigma})`);
  const gains: Record<Connection, number> = { W: upstream === 'relu' ? Math.SQRT2 : 1, Wbar: 1, V: 1, Vbar: 1, ...(c.gains ?? {}) };
  const rateScaling = c.rateScaling ?? 'none';
  if (rateScaling !== 'none' && rateScaling !== 'fan-in') throw new Error(`rateScaling must be 'none' or 'fan-in' (got '${rateScaling}')`);
  return { sizes, down, L, upstream, downGate, loss: losses[lossName], lossName, rates, decay, plastic, feedback, inter, mirror, gains, rateScaling };
}

/** Typed, paper-indexed views of the connections (W[1..L−1], W̄[2..L−1], V[2..L−1], V̄[1..L−2]). */
export interface Connections {
  W: Mat[];
  Wbar: Mat[];
  V: Mat[];
  Vbar: Mat[];
}

/** A source of (input, target) minibatches by step index. */
export interface BatchSource {
  readonly batch: number;
  /** Fill X (batch × d¹) and T (batch × dᴸ) with the minibatch of step `step`. */
  load(step: number, X: Float64Array, T: Float64Array): void;
}

/** One fixed batch (full-batch flows, theorem checks). */
export function fixedBatch(x: Float64Array, target: Float64Array, batch: number): BatchSource {
  if (x.length % batch !== 0 || target.length % batch !== 0) {
    throw new Error(`fixedBatch: x (${x.length} values) and target (${target.length}) must both be batch × width with batch = ${batch}`);
  }
  return {
    batch,
    load(_step, X, T) {
      X.set(x);
      T.set(target);
    },
  };
}

/** The circuit's drift on a minibatch source (`SalCircuit.term`). */
export interface SalTerm extends DriftTerm {
  /** Put minibatch k of the source into the term's working memory (it keys the mirror-mode noise too). */
  load(k: number): void;
  /**
   * The loss of the loaded minibatch at y (the state at the start of a step at time t): the value
   * of the step's first evaluation when that was at (t, y), else an upstream pass. Called once per
   * accepted step by the flow's loss reduction.
   */
  stepLoss(t: number, y: Float64Array): number;
}

/** The circuit as a problem driven by minibatches (`SalCircuit.flow`). */
export interface SalFlow {
  term: SalTerm;
  /** Minibatch k on [t0 + k·interval, t0 + (k+1)·interval). */
  input: InputSignal;
  /** Once per accepted step: acc[0] += (t₁ − t₀)·(loss of the step's minibatch at its start); acc[1] += 1. */
  loss: Reduction;
  /** odeProblem(term, { layout, input }). */
  problem: Problem;
}

/** Per-batch-size working memory: activities of both pathways and products. */
export interface Work {
  B: number;
  X: Mat;
  T: Float64Array;
  /** H[k]: upstream activity of layer k (batch × dᵏ), k = 1..L (H[1] = X). */
  H: Mat[];
  /** Hb[k]: downstream activity of layer k (batch × d̄ᵏ), k = 2..L (Hb[L] = −∇F). */
  Hb: Mat[];
  /** P[k] = H[k] Vᵏᵀ, the upstream input Vᵏhᵏ to the downstream neurons (k = 2..L−1). */
  P: Mat[];
  /** M[k] = Hb[k] V̄ᵏ⁻¹ᵀ, the downstream input to the upstream layer k (k = 2..L; M[L] = Hb[L]). */
  M: Mat[];
  grad: Float64Array;
  /** Mirror-mode noise and its image (per layer k = 2..L−1). */
  xi: Mat[];
  xiW: Mat[];
}

export class SalCircuit {
  readonly spec: SalSpec;
  /** The connections as one state (for `solve`). */
  readonly layout: StateLayout;
  private readonly works = new Map<number, Work>();
  private readonly viewCache = new WeakMap<Float64Array, Connections>();

  constructor(config: SalConfig) {
    this.spec = resolveConfig(config);
    this.layout = defineState(this.blockSpecs());
  }

  get L(): number {
    return this.spec.L;
  }
  /** Upstream width dᵏ (k = 1..L). */
  d(k: number): number {
    return this.spec.sizes[k - 1];
  }
  /** Downstream width d̄ᵏ (k = 2..L). */
  db(k: number): number {
    return this.spec.down[k];
  }

  /**
   * The rate of connection `x` at its layer index (W̄ᵏ: k, V̄ˡ: l): η_x, times dᵐ/d̄ᵐ for the
   * downstream layer m it reads (m = k+1 for W̄ᵏ, l+1 for V̄ˡ) under rateScaling 'fan-in'.
   */
  rate(x: Connection, index: number): number {
    const eta = this.spec.rates[x];
    if (this.spec.rateScaling === 'none' || x === 'W' || x === 'V') return eta;
    const m = index + 1;
    return (eta * this.d(m)) / this.db(m);
  }

  private blockSpecs(): Record<string, MatrixSpec> {
    const L = this.L;
    const b: Record<string, MatrixSpec> = {};
    for (let l = 1; l <= L - 1; l++) b[`W${l}`] = matrix(this.d(l + 1), this.d(l));
    if (this.spec.feedback !== 'tied') for (let l = 2; l <= L - 1; l++) b[`Wbar${l}`] = matrix(this.db(l), this.db(l + 1));
    for (let l = 2; l <= L - 1; l++) b[`V${l}`] = matrix(this.db(l), this.d(l));
    for (let l = 1; l <= L - 2; l++) b[`Vbar${l}`] = matrix(this.d(l + 1), this.db(l + 1));
    return b;
  }

  /** Paper-indexed views over a state vector (cached per buffer, so a vector field allocates nothing). */
  views(y: Float64Array): Connections {
    const hit = this.viewCache.get(y);
    if (hit) return hit;
    const v = this.layout.view(y) as unknown as Record<string, Mat>;
    const c: Connections = { W: [], Wbar: [], V: [], Vbar: [] };
    for (const [name, m] of Object.entries(v)) {
      const [, kind, idx] = /^(Wbar|Vbar|W|V)(\d+)$/.exec(name)!;
      c[kind as Connection][Number(idx)] = m;
    }
    this.viewCache.set(y, c);
    return c;
  }

  /** Seeded initial connections: Gaussian with fan-in scaling, or identities for the special cases. */
  initState(seed: number): Float64Array {
    const rng = new Rng(seed);
    const y = this.layout.create();
    const c = this.views(y);
    const g = this.spec.gains;
    const L = this.L;
    for (let l = 1; l <= L - 1; l++) rng.fillNormal(c.W[l].data, g.W / Math.sqrt(this.d(l)));
    if (this.spec.feedback !== 'tied') {
      for (let l = 2; l <= L - 1; l++) rng.fillNormal(c.Wbar[l].data, g.Wbar / Math.sqrt(this.db(l + 1)));
    }
    for (let l = 2; l <= L - 1; l++) {
      if (this.spec.inter === 'identity') setIdentity(c.V[l]);
      else rng.fillNormal(c.V[l].data, g.V / Math.sqrt(this.d(l)));
    }
    for (let l = 1; l <= L - 2; l++) {
      if (this.spec.inter === 'identity') setIdentity(c.Vbar[l]);
      else rng.fillNormal(c.Vbar[l].data, g.Vbar / Math.sqrt(this.db(l + 1)));
    }
    return y;
  }

  /** Working memory for batch size B (allocated once per size, shared by evaluate, wUpdate and the checks). */
  work(B: number): Work {
    let w = this.works.get(B);
    if (w) return w;
    w = this.newWork(B);
    this.works.set(B, w);
    return w;
  }

  /** Fresh working memory for batch size B (a term owns its own, so nothing else overwrites its minibatch). */
  private newWork(B: number): Work {
    if (!(Number.isInteger(B) && B >= 1)) throw new Error(`batch size must be an integer >= 1 (got ${B})`);
    const L = this.L;
    const H: Mat[] = [];
    const Hb: Mat[] = [];
    const P: Mat[] = [];
    const M: Mat[] = [];
    const xi: Mat[] = [];
    const xiW: Mat[] = [];
    for (let k = 1; k <= L; k++) H[k] = mat(B, this.d(k));
    for (let k = 2; k <= L; k++) Hb[k] = mat(B, this.db(k));
    for (let k = 2; k <= L - 1; k++) P[k] = mat(B, this.db(k));
    for (let k = 2; k <= L - 1; k++) M[k] = mat(B, this.d(k));
    M[L] = Hb[L];
    if (this.spec.feedback === 'mirror') {
      for (let k = 2; k <= L - 1; k++) {
        xi[k] = mat(this.spec.mirror.samples, this.d(k));
        xiW[k] = mat(this.spec.mirror.samples, this.d(k + 1));
      }
    }
    return { B, X: H[1], T: new Float64Array(B * this.d(L)), H, Hb, P, M, grad: new Float64Array(B * this.d(L)), xi, xiW };
  }

  /** Upstream pathway, eqs. (1), (3): H[k+1] = D_u(H[k] Wᵏᵀ). Reads w.X. */
  forward(c: Connections, w: Work): void {
    const L = this.L;
    const relu = this.spec.upstream === 'relu';
    for (let l = 1; l <= L - 1; l++) {
      const out = w.H[l + 1];
      matMulTB(w.H[l], c.W[l], out);
      if (relu && l + 1 < L) {
        const a = out.data;
        for (let i = 0; i < a.length; i++) if (a[i] < 0) a[i] = 0;
      }
    }
  }

  /** Error input h̄ᴸ = −∇F(ŷ) per sample (unnormalised); returns the batch-mean loss. */
  errorInput(w: Work): number {
    const B = w.B;
    const yhat = w.H[this.L].data;
    const value = this.spec.loss.evaluate(yhat, w.T, B, w.grad);
    const e = w.Hb[this.L].data;
    for (let i = 0; i < e.length; i++) e[i] = -B * w.grad[i];
    return value;
  }

  /** Downstream pathway, eqs. (2), (4): Hb[k] = D_d(Hb[k+1] W̄ᵏᵀ), with P[k] = H[k]Vᵏᵀ. */
  backward(c: Connections, w: Work): void {
    const L = this.L;
    const gate = this.spec.downGate === 'relu-jacobian';
    const tied = this.spec.feedback === 'tied';
    for (let k = L - 1; k >= 2; k--) {
      const out = w.Hb[k];
      if (tied) matMul(w.Hb[k + 1], c.W[k], out); // W̄ᵏ = Wᵏᵀ
      else matMulTB(w.Hb[k + 1], c.Wbar[k], out);
      matMulTB(w.H[k], c.V[k], w.P[k]);
      if (gate) {
        const a = out.data;
        const p = w.P[k].data;
        for (let i = 0; i < a.length; i++) if (!(p[i] > 0)) a[i] = 0;
      }
    }
    for (let k = 2; k <= L - 1; k++) matMulTB(w.Hb[k], c.Vbar[k - 1], w.M[k]);
  }

  /**
   * The slow flows (5)-(8) from the activities in `w` (after forward, errorInput, backward):
   * out ← dθ/dt. `step` keys the mirror-mode noise.
   */
  weightFlow(c: Connections, w: Work, out: Connections, step: number): void {
    const L = this.L;
    const { rates, decay, plastic } = this.spec;
    const invB = 1 / w.B;
    for (let l = 1; l <= L - 1; l++) {
      if (plastic.W) {
        matMulTA(w.M[l + 1], w.H[l], out.W[l], rates.W * invB); // η_W ⟨V̄ˡh̄ˡ⁺¹ hˡᵀ⟩
        decayInto(out.W[l], c.W[l], decay.W);
      } else out.W[l].data.fill(0);
    }
    for (let k = 2; k <= L - 1; k++) {
      // eq. (6): η_V ⟨h̄ᵏhᵏᵀ⟩ and eq. (8) at ℓ = k−1: η_V̄ ⟨hᵏh̄ᵏᵀ⟩, the transpose of the same drive (Lemma 1).
      if (plastic.V) {
        matMulTA(w.Hb[k], w.H[k], out.V[k], rates.V * invB);
        decayInto(out.V[k], c.V[k], decay.V);
      } else out.V[k].data.fill(0);
      if (plastic.Vbar) {
        matMulTA(w.H[k], w.Hb[k], out.Vbar[k - 1], this.rate('Vbar', k - 1) * invB);
        decayInto(out.Vbar[k - 1], c.Vbar[k - 1], decay.Vbar);
      } else out.Vbar[k - 1].data.fill(0);
      if (this.spec.feedback === 'tied') continue;
      if (!plastic.Wbar) {
        out.Wbar[k].data.fill(0);
      } else if (this.spec.feedback === 'mirror') {
        this.mirrorDrive(c, w, k, out.Wbar[k], step);
      } else {
        matMulTA(w.P[k], w.Hb[k + 1], out.Wbar[k], this.rate('Wbar', k) * invB); // eq. (7): η_W̄ ⟨(Vᵏhᵏ) h̄ᵏ⁺¹ᵀ⟩
        decayInto(out.Wbar[k], c.Wbar[k], decay.Wbar);
      }
    }
  }

  /** Weight mirror: out ← η_W̄ (⟨ξ (Wᵏξ)ᵀ⟩/σ² − W̄ᵏ), ξ ~ N(0, σ²) at upstream layer k (seeded by step). */
  private mirrorDrive(c: Connections, w: Work, k: number, out: Mat, step: number): void {
    const { samples, sigma, seed } = this.spec.mirror;
    const xi = w.xi[k];
    for (let i = 0; i < xi.data.length; i++) xi.data[i] = sigma * hashNormal(seed, step, k, i);
    matMulTB(xi, c.W[k], w.xiW[k]);
    const eta = this.rate('Wbar', k);
    matMulTA(xi, w.xiW[k], out, eta / (samples * sigma * sigma));
    const o = out.data;
    const wb = c.Wbar[k].data;
    for (let i = 0; i < o.length; i++) o[i] -= eta * wb[i];
  }

  /** One full evaluation on a loaded minibatch: forward, error, backward. Returns the batch loss. */
  pass(c: Connections, w: Work): number {
    this.forward(c, w);
    const loss = this.errorInput(w);
    this.backward(c, w);
    return loss;
  }

  /**
   * The instantaneous circuit as a drift term over `layout`: the fast pathways settle at every
   * evaluation (the paper's sequential eqs. 1-2) on the minibatch held in the term's own working
   * memory, and the connections follow the slow flows (5)-(8). The vector field never changes the
   * minibatch: `load(k)` puts minibatch k of the source there (minibatch 0 at creation, so a
   * fixed batch needs nothing more); `flow` makes that the problem's piecewise-constant input.
   */
  term(source: BatchSource): SalTerm {
    const w = this.newWork(source.batch);
    const views = (y: Float64Array) => this.views(y);
    let segment = 0;
    // The loss of the first evaluation after the last `stepLoss` (a step's first stage, at its
    // start, for Euler, Heun, RK4), so that the per-step loss costs no extra forward pass.
    let armed = true;
    let firstT = NaN;
    let firstY: Float64Array | null = null;
    let firstLoss = NaN;
    const load = (k: number) => {
      source.load(k, w.X.data, w.T);
      segment = k;
      firstY = null;
    };
    load(0);
    return {
      ...drift(this.layout.size, (t, y, out) => {
        const c = views(y);
        const loss = this.pass(c, w);
        if (armed) {
          armed = false;
          firstT = t;
          firstY = y;
          firstLoss = loss;
        }
        this.weightFlow(c, w, views(out), segment);
      }),
      load,
      stepLoss: (t, y) => {
        const loss = firstY === y && firstT === t ? firstLoss : this.batchLoss(views(y), w);
        armed = true;
        firstY = null;
        return loss;
      },
    };
  }

  /**
   * The circuit driven by a minibatch source: minibatch k is the input on
   * [t0 + k·interval, t0 + (k+1)·interval) (`interval` = 1: time counts minibatch presentations and
   * the rates are per minibatch), a piecewise-constant input (src/core/input.ts), so no solver step
   * crosses a minibatch change and every stage of a step sees the step's minibatch: any solver is
   * valid, and forward Euler with dt0 = interval is Algorithm 1. `loss` is a reduction (once per
   * accepted step): acc[0] += (t₁ − t₀)·F_k(θ(t₀)), the loss of the step's minibatch at the step's
   * start, so acc[0]/(t1 − t0) is the time average of the minibatch loss along the run (the mean
   * loss before each update for one Euler step per minibatch); acc[1] counts the steps.
   */
  flow(source: BatchSource, span: { t0?: number; t1: number; interval?: number }): SalFlow {
    const t0 = span.t0 ?? 0;
    const interval = span.interval ?? 1;
    if (!(interval > 0 && Number.isFinite(interval))) throw new Error(`interval (time per minibatch) must be a finite number > 0 (got ${interval})`);
    if (!(span.t1 > t0)) throw new Error(`the flow's span [${t0}, ${span.t1}] is empty; give t1 > t0 (t1 − t0 = minibatches × interval)`);
    const term = this.term(source);
    const input = piecewiseInput(uniformJumps(t0, span.t1, interval), (k) => term.load(k));
    const loss: Reduction = {
      name: 'minibatch loss',
      size: 2,
      step: (ta, ya, tb, _yb, acc) => {
        acc[0] += (tb - ta) * term.stepLoss(ta, ya);
        acc[1] += 1;
      },
    };
    return { term, input, loss, problem: odeProblem(term, { layout: this.layout, input, name: 'SAL circuit' }) };
  }

  /** The batch loss F of the minibatch in `w` at connections c (upstream pass only). */
  batchLoss(c: Connections, w: Work): number {
    this.forward(c, w);
    return this.spec.loss.evaluate(w.H[this.L].data, w.T, w.B, undefined);
  }

  /** The SAL weight change ΔWˡ = η_W V̄ˡh̄ˡ⁺¹hˡᵀ − γWˡ on one batch (for the theorem checks). */
  wUpdate(y: Float64Array, x: Float64Array, target: Float64Array, B: number): { loss: number; dW: Mat[] } {
    this.checkBatch(x, target, B);
    const w = this.work(B);
    w.X.data.set(x);
    w.T.set(target);
    const c = this.views(y);
    const loss = this.pass(c, w);
    const out = this.layout.create();
    const o = this.views(out);
    this.weightFlow(c, w, o, 0);
    return { loss, dW: o.W.map((m) => m && { rows: m.rows, cols: m.cols, data: m.data.slice() }) };
  }

  /** Throws unless x is B × d¹ and target is B × dᴸ. */
  checkBatch(x: ArrayLike<number>, target: ArrayLike<number>, B: number): void {
    const dIn = this.d(1);
    const dOut = this.d(this.L);
    if (x.length !== B * dIn) throw new Error(`inputs have ${x.length} values but a batch of ${B} at input width ${dIn} needs ${B * dIn}; give x as batch × ${dIn}, row-major`);
    if (target.length !== B * dOut) throw new Error(`targets have ${target.length} values but a batch of ${B} at output width ${dOut} needs ${B * dOut}; give targets as batch × ${dOut}, row-major`);
  }

  /** Network output ŷ for n inputs (rows of x), in chunks; returns mean loss and accuracy if labels/targets are given. */
  evaluate(y: Float64Array, x: Float64Array, target: Float64Array, n: number, labels?: Int32Array, chunk = 500): { loss: number; accuracy: number } {
    const c = this.views(y);
    const dIn = this.d(1);
    const dOut = this.d(this.L);
    let lossSum = 0;
    let correct = 0;
    for (let s = 0; s < n; s += chunk) {
      const B = Math.min(chunk, n - s);
      const w = this.work(B);
      w.X.data.set(x.subarray(s * dIn, (s + B) * dIn));
      this.forward(c, w);
      const out = w.H[this.L].data;
      lossSum += B * this.spec.loss.evaluate(out, target.subarray(s * dOut, (s + B) * dOut), B, undefined);
      if (labels) {
        for (let b = 0; b < B; b++) {
          let best = 0;
          for (let j = 1; j < dOut; j++) if (out[b * dOut + j] > out[b * dOut + best]) best = j;
          if (best === labels[s + b]) correct++;
        }
      }
    }
    return { loss: lossSum / n, accuracy: labels ? correct / n : NaN };
  }
}

function setIdentity(m: Mat): void {
  m.data.fill(0);
  for (let i = 0; i < Math.min(m.rows, m.cols); i++) m.data[i * m.cols + i] = 1;
}

/** out −= γ·X */
function decayInto(out: Mat, X: Mat, gamma: number): void {
  if (gamma === 0) return;
  const o = out.data;
  const x = X.data;
  for (let i = 0; i < o.length; i++) o[i] -= gamma * x[i];
}
