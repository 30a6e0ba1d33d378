/**
 * Node perturbation (NP, A.1 eq. 9) and LOCO (Section 2.2, eqs. 1-3), for spiking and ReLU
 * networks alike.
 *
 * One learning step on a batch:
 *   1. a clean pass gives the outputs r_b and the presynaptic activities x_{l−1,b};
 *   2. a perturbed pass with σξ_l added to every layer's membrane input, ξ_l ~ N(0, I), one draw
 *      per sample and layer, constant over the window (eq. 8);
 *   3. per-sample losses (eq. 27) give TD_b = l̃_b − l_b (eq. 28);
 *   4. the estimate of ∂ℓ/∂W_l is  ĝ_l = (1/(σB)) Σ_b TD_b ξ_{l,b} x̃_bᵀ,
 *      with x̃ = x (NP, eq. 9) or x̃ = P_l x (LOCO, eq. 2);
 *   5. W_l ← W_l − η ĝ_l, i.e. ΔW = −(η/σ) TD ξ x̃ᵀ.
 *
 * Signs. With TD = l̃ − l, a perturbation that raised the loss (TD > 0) moves the weights against
 * ξ. To first order in σ, TD_b = σ Σ_l ∂l_b/∂h_l · ξ_l (eq. 10), so E_ξ[TD_b ξ_l]/σ = ∂l_b/∂h_l and
 * E[ĝ_l] = ∂ℓ/∂W_l (eqs. 12-14): ΔW = −η ĝ descends the loss in expectation (the error of the
 * one-sided difference is O(σ²)). The paper's signs disagree with this and with each other: eq. (9)
 * multiplies by σξ and again divides by σ (an extra factor σ; eqs. 2 and 12 do not have it), and A.8
 * says "a positive TD indicates that the perturbation has improved the network's performance",
 * which is the opposite of TD = l̃ − l for a loss. We follow eq. (2)/(12): −(η/σ)·(l̃ − l)·ξ·x̃ᵀ.
 * For LOCO, E[ĝ^LOCO] = E[ĝ^NP P] and ⟨ĝ^NP, ĝ^NP P⟩ = ‖ĝ^NP P‖² ≥ 0 (eq. 17), so it is a descent
 * direction too; it is not unbiased (P changes with the batch, A.3), which the paper concedes.
 *
 * Choices where the paper is silent: the TD is per sample (each sample's own l̃_b − l_b with its own
 * ξ_b; the batch mean of eq. 27 is the mean of these); the estimate averages over the batch; every
 * layer with weights is perturbed, the output layer included (eq. 8, l = 1..L), so every weight
 * has a rule; biases are the weights of a constant input 1 (x̃ is projected together with it);
 * x_{l−1} comes from the clean pass (eq. 9).
 */
import { Rng } from '../../src/core/random';
import { matMulTA } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { rateLosses } from '../lif/coding';
import type { Pass, PerturbableNetwork, Perturbation } from './nets';
import { LOCO_DEFAULTS, LocoProjector, type LocoOptions, type ProjectionInfo } from './projector';
import { makeOptimizer, type Optimizer, type OptimizerName } from '../../src/nn/optim';

export type RuleName = 'np' | 'loco';
export const RULES: readonly RuleName[] = ['np', 'loco'];

export interface RuleOptions {
  rule: RuleName;
  /** Perturbation scale σ (> 0). */
  sigma: number;
  /** Learning rate η (≥ 0). */
  eta: number;
  /** LOCO settings; `k` may be given per layer. */
  loco?: Partial<Omit<LocoOptions, 'k'>> & { k?: number | readonly number[] };
  /** How the estimate moves the weights: 'sgd' W ← W − ηĝ (the paper, default) or 'adam' at rate η (the released code). */
  optimizer?: OptimizerName;
}

/** The estimate of one step: gradients per layer (bias as the last column of gW when the net has biases). */
export interface Estimate {
  gW: Mat[];
  gb: Float64Array[];
  /** Batch-mean clean and perturbed losses (eq. 27). */
  loss: number;
  lossPerturbed: number;
  /** TD_b = l̃_b − l_b (eq. 28). */
  td: Float64Array;
  /** LOCO projection statistics per layer (empty for NP). */
  projections: ProjectionInfo[][];
}

/**
 * Maps a layer's augmented inputs X̃ (B x d) to what the update uses: the identity for NP, P_l for
 * LOCO. Writes into out.
 */
export type InputMap = (layer: number, X: Float64Array, B: number, groups: Int32Array | null, out: Float64Array) => void;

/** The layer's input with a trailing 1 when the network has biases (B x (n + 1)). */
export function augmentInputs(x: Mat, bias: boolean): Float64Array {
  if (!bias) return x.data.slice();
  const B = x.rows;
  const n = x.cols;
  const out = new Float64Array(B * (n + 1));
  for (let b = 0; b < B; b++) {
    out.set(x.data.subarray(b * n, (b + 1) * n), b * (n + 1));
    out[b * (n + 1) + n] = 1;
  }
  return out;
}

/** Draw ξ_l ~ N(0, I) for every layer (B x n_l). */
export function drawPerturbation(net: PerturbableNetwork, B: number, sigma: number, rng: Rng): Perturbation {
  const xi = net.sizes.slice(1).map((n) => rng.fillNormal(new Float64Array(B * n)));
  return { sigma, xi };
}

/**
 * One NP estimate on a clean pass (steps 2-4): perturbed pass, TD, ĝ_l = (1/(σB)) Σ_b TD_b ξ_b x̃_bᵀ
 * with x̃ = map(augmented x). With `map` undefined this is NP (eq. 9).
 */
export function estimateFromPass(
  net: PerturbableNetwork,
  pass: Pass,
  target: Float64Array,
  pert: Perturbation,
  map?: InputMap,
  groups: Int32Array | null = null,
): Omit<Estimate, 'projections'> {
  const B = pass.batch;
  const lossClean = new Float64Array(B);
  const lossPert = new Float64Array(B);
  const loss = rateLosses(pass.output, target, B, lossClean);
  const outPert = net.perturbed(pass, pert);
  const lossPerturbed = rateLosses(outPert, target, B, lossPert);
  const td = new Float64Array(B);
  for (let b = 0; b < B; b++) td[b] = lossPert[b] - lossClean[b];
  const gW: Mat[] = [];
  const gb: Float64Array[] = [];
  const L = net.sizes.length - 1;
  const scale = 1 / (pert.sigma * B);
  for (let l = 1; l <= L; l++) {
    const n = net.sizes[l];
    const nIn = net.sizes[l - 1];
    const d = nIn + (net.bias ? 1 : 0);
    const Xa = augmentInputs(pass.inputs[l - 1], net.bias);
    let Xt = Xa;
    if (map) {
      Xt = new Float64Array(B * d);
      map(l, Xa, B, groups, Xt);
    }
    const E = new Float64Array(B * n);
    const xi = pert.xi[l - 1];
    for (let b = 0; b < B; b++) {
      const c = td[b] * scale;
      for (let j = 0; j < n; j++) E[b * n + j] = c * xi[b * n + j];
    }
    const gate = net.gate?.(pass, l);
    if (gate) for (let i = 0; i < E.length; i++) E[i] *= gate[i];
    const G = mat(n, d);
    matMulTA(mat(B, n, E), mat(B, d, Xt), G);
    if (net.bias) {
      const w = mat(n, nIn);
      const bb = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        w.data.set(G.data.subarray(j * d, j * d + nIn), j * nIn);
        bb[j] = G.data[j * d + nIn];
      }
      gW.push(w);
      gb.push(bb);
    } else {
      gW.push(G);
      gb.push(new Float64Array(n));
    }
  }
  return { gW, gb, loss, lossPerturbed, td };
}

function resolveK(k: number | readonly number[] | undefined, dims: readonly number[]): number[] {
  const L = dims.length;
  if (k === undefined) return dims.map((d) => Math.min(LOCO_DEFAULTS.k, d));
  const ks = typeof k === 'number' ? new Array(L).fill(k) : [...k];
  if (ks.length !== L) throw new Error(`LOCO k has ${ks.length} entries but the network has ${L} weight layers; give one k or one per layer`);
  ks.forEach((kl, i) => {
    if (kl > dims[i]) {
      throw new Error(`LOCO k = ${kl} principal components exceeds the width of layer ${i + 1}'s input (${dims[i]} dimensions, bias included); choose k <= ${dims[i]}`);
    }
  });
  return ks;
}

/** A learner that trains a network by NP or LOCO. */
export class PerturbationLearner {
  readonly projectors: LocoProjector[] | null;
  /** Draws the perturbations ξ; its state is part of a checkpoint. */
  readonly rng: Rng;

  constructor(
    readonly net: PerturbableNetwork,
    readonly opts: RuleOptions,
    seed: number,
  ) {
    if (!RULES.includes(opts.rule)) throw new Error(`rule must be one of ${RULES.join(', ')} (got '${String(opts.rule)}')`);
    if (!(opts.sigma > 0 && Number.isFinite(opts.sigma))) throw new Error(`the perturbation scale sigma must be > 0 (got ${opts.sigma})`);
    if (!(opts.eta >= 0 && Number.isFinite(opts.eta))) throw new Error(`the learning rate eta must be >= 0 (got ${opts.eta})`);
    this.rng = new Rng(seed);
    if (opts.rule === 'loco') {
      const dims = net.sizes.slice(0, -1).map((n) => n + (net.bias ? 1 : 0));
      const ks = resolveK(opts.loco?.k, dims);
      const { k: _k, ...rest } = opts.loco ?? {};
      this.projectors = dims.map((d, i) => new LocoProjector(d, { ...LOCO_DEFAULTS, ...rest, k: ks[i] }, seed * 7919 + i + 1));
    } else this.projectors = null;
    const optimizer = opts.optimizer ?? 'sgd';
    if (optimizer !== 'sgd' && optimizer !== 'adam') throw new Error(`optimizer must be 'sgd' or 'adam' (got '${String(optimizer)}')`);
    this.adam = optimizer === 'adam' ? makeOptimizer('adam', opts.eta, [...net.W.map((w) => w.data.length), ...(net.bias ? net.b.map((b) => b.length) : [])]) : null;
  }

  /** With optimizer 'adam': Adam at rate η on −ĝ (its moments and step count are part of a checkpoint). */
  private readonly adam: Optimizer | null;

  /** The input map of the rule: undefined for NP, the layers' LOCO projectors for LOCO. */
  get map(): InputMap | undefined {
    const P = this.projectors;
    if (!P) return undefined;
    return (layer, X, B, groups, out) => P[layer - 1].project(X, B, groups, out);
  }

  /** Estimate ∂ℓ/∂W on a batch without changing the weights. */
  estimate(x: Float64Array, target: Float64Array, B: number, groups: Int32Array | null = null): Estimate {
    const pass = this.net.forward(x, B);
    const pert = drawPerturbation(this.net, B, this.opts.sigma, this.rng);
    const e = estimateFromPass(this.net, pass, target, pert, this.map, groups);
    return { ...e, projections: this.projectors ? this.projectors.map((p) => p.last) : [] };
  }


  /** One learning step: W ← W − η ĝ (or Adam on −ĝ). Returns the estimate. */
  step(x: Float64Array, target: Float64Array, B: number, groups: Int32Array | null = null): Estimate {
    const e = this.estimate(x, target, B, groups);
    if ((this.opts.optimizer ?? 'sgd') === 'sgd') applyGradient(this.net, e.gW, e.gb, this.opts.eta);
    else {
      const params = [...this.net.W.map((w) => w.data), ...(this.net.bias ? this.net.b : [])];
      const dirs = [...e.gW.map((g) => g.data), ...(this.net.bias ? e.gb : [])].map((g) => Float64Array.from(g, (v) => -v));
      this.adam!.step(params, dirs);
    }
    return e;
  }

  /** The optimiser state to checkpoint, live (empty for SGD). */
  optimizerState(): Record<string, Float64Array> {
    return this.adam ? { ...this.adam.state } : {};
  }
}

/** W_l ← W_l − η gW_l, b_l ← b_l − η gb_l. */
export function applyGradient(net: PerturbableNetwork, gW: Mat[], gb: Float64Array[], eta: number): void {
  for (let l = 0; l < net.W.length; l++) {
    const w = net.W[l].data;
    const g = gW[l].data;
    for (let i = 0; i < w.length; i++) w[i] -= eta * g[i];
    if (net.bias) {
      const b = net.b[l];
      const gbl = gb[l];
      for (let j = 0; j < b.length; j++) b[j] -= eta * gbl[j];
    }
  }
}
