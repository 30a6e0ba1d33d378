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
 *   5. W_l ← W_l − η ĝ_l, i.e. ΔW = −(η/σ) TD ξ x̃ᵀ: the Euler step, one per minibatch, of the
 *      weights' flow dθ/dt = −η ĝ_k(θ) that `NetworkLearner` integrates through `solve` (any ODE
 *      solver; with the default, the paper's step bit for bit).
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
import type { AnnNet, Pass, PerturbableNetwork, Perturbation } from './nets';
import { LOCO_DEFAULTS, LocoProjector, type LocoOptions, type ProjectionInfo } from './projector';
import { makeOptimizer, type Optimizer, type OptimizerName } from '../../src/nn/optim';
import { arrayViews, checkOptimizerSolver, MinibatchFlow, PAPER_FLOW, type FlowRun, type FlowSolver } from '../../src/experiment/minibatch-flow';

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
  /** The integrator of the weights' flow (default: Euler, one step per minibatch, the paper's update). */
  flow?: FlowSolver;
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

/** One minibatch: inputs (B x n_0), targets (B x n_L), and the category of each row (LOCO's groups; null: one group). */
export interface Minibatch {
  x: Float64Array;
  target: Float64Array;
  B: number;
  groups: Int32Array | null;
}

/** How the learning flow of a network is integrated, and what a run of it reports. */
export interface TrainOptions {
  /** Called with each minibatch's loss (at the weights before its first update), in order. */
  onLoss?: (k: number, loss: number) => void;
  /** Asked after each accepted step: true ends the run there (the weights keep that step's update). */
  stopWhen?: () => boolean;
}

/** The name of the weights' flow in messages. */
export const WEIGHT_FLOW = 'the learning flow of the weights';

/**
 * Trains a network's weights and biases θ = (W_1..W_L, b_1..b_L) along the minibatch flow
 * (src/experiment/minibatch-flow.ts)
 *
 *     dθ/dt = −η ĝ_k(θ),   minibatch k presented on [k, k + 1),
 *
 * where ĝ_k(θ) is the subclass's estimate of ∂ℓ/∂θ on minibatch k (node perturbation, LOCO, BP).
 * Forward Euler with one step per minibatch (the default, `PAPER_FLOW`) is the papers' update
 * W ← W − η ĝ, bit for bit; any other ODE solver integrates the same flow within each minibatch.
 * With optimizer 'adam' (the released code) the displacement is Adam's, and only that Euler step is
 * valid (refused otherwise, `checkOptimizerSolver`). The vector field evaluates the network at the
 * solver's state: the network's W and b arrays point at the state's blocks during the call.
 */
export abstract class NetworkLearner {
  /** The integrator of the weights' flow. */
  readonly flowSolver: FlowSolver;
  private readonly optimizer: Optimizer;
  private readonly flow: MinibatchFlow;
  /** The update directions the optimiser reads: ĝ's own arrays (SGD, at the rate −η) or −ĝ (Adam). */
  private readonly dirs: Float64Array[];
  private readonly views: (theta: readonly Float64Array[]) => { W: Mat[]; b: Float64Array[] };
  private loader: ((k: number) => Minibatch) | null = null;
  /** The minibatch of the current segment of the flow. */
  protected batch: Minibatch | null = null;
  /** True until the first evaluation on the current minibatch. */
  protected fresh = false;

  constructor(
    readonly net: PerturbableNetwork,
    /** Learning rate η (≥ 0); may change between runs (a decay schedule). */
    public eta: number,
    optimizerName: OptimizerName,
    flow: FlowSolver,
  ) {
    if (optimizerName !== 'sgd' && optimizerName !== 'adam') throw new Error(`optimizer must be 'sgd' or 'adam' (got '${String(optimizerName)}')`);
    this.flowSolver = flow;
    checkOptimizerSolver(optimizerName, flow, { solver: 'flow solver', dt0: 'dt0', optimizer: 'optimizer', flow: WEIGHT_FLOW });
    const L = net.W.length;
    const arrays = this.paramArrays();
    const sizes = arrays.map((a) => a.length);
    // SGD's rate is set from `eta` before every run (it may be 0: the weights stay).
    this.optimizer = optimizerName === 'adam' ? makeOptimizer('adam', eta, sizes) : makeOptimizer('sgd', 1, sizes);
    this.dirs = sizes.map((n) => new Float64Array(n));
    this.views = arrayViews((theta) => ({
      W: net.W.map((w, l) => mat(w.rows, w.cols, theta[l])),
      b: net.bias ? theta.slice(L) : net.b,
    }));
    this.flow = new MinibatchFlow({
      name: `${this.constructor.name} [${net.sizes.join('-')}]`,
      sizes,
      names: [...net.W.map((_, l) => `W${l + 1}`), ...(net.bias ? net.b.map((_, l) => `b${l + 1}`) : [])],
      dirs: this.dirs,
      groups: [{ optimizer: this.optimizer, members: sizes.map((_, k) => k) }],
      direction: (theta) => this.direction(theta),
      load: (k) => {
        this.batch = this.loader!(k);
        this.fresh = true;
        this.enter(this.batch);
      },
    });
  }

  /** The network's parameter arrays in the flow's order: W_1..W_L, then b_1..b_L when it has biases. */
  private paramArrays(): Float64Array[] {
    return [...this.net.W.map((w) => w.data), ...(this.net.bias ? this.net.b : [])];
  }

  /** A new minibatch enters (draw what stays fixed while it is presented). */
  protected abstract enter(batch: Minibatch): void;

  /** The estimate of ∂ℓ/∂W, ∂ℓ/∂b on the current minibatch at the network's present weights, and the minibatch loss there. */
  protected abstract gradient(batch: Minibatch, fresh: boolean): { loss: number; gW: readonly Mat[]; gb: readonly Float64Array[] };

  /** The vector field's direction −ĝ_k(θ), with the network evaluated at θ. */
  private direction(theta: readonly Float64Array[]): number {
    const net = this.net;
    const L = net.W.length;
    const v = this.views(theta);
    const W = net.W.slice();
    const b = net.b.slice();
    for (let l = 0; l < L; l++) {
      net.W[l] = v.W[l];
      net.b[l] = v.b[l];
    }
    try {
      const g = this.gradient(this.batch!, this.fresh);
      this.fresh = false;
      if (this.optimizer.name === 'sgd') {
        // SGD reads ĝ itself at the rate −η (train): (−η)·ĝ = η·(−ĝ), bit for bit, without a pass to negate ĝ
        for (let l = 0; l < L; l++) {
          this.dirs[l] = g.gW[l].data;
          if (net.bias) this.dirs[L + l] = g.gb[l];
        }
        return g.loss;
      }
      for (let l = 0; l < L; l++) {
        const d = this.dirs[l];
        const gl = g.gW[l].data;
        for (let i = 0; i < d.length; i++) d[i] = -gl[i];
        if (net.bias) {
          const db = this.dirs[L + l];
          const gbl = g.gb[l];
          for (let j = 0; j < db.length; j++) db[j] = -gbl[j];
        }
      }
      return g.loss;
    } finally {
      for (let l = 0; l < L; l++) {
        net.W[l] = W[l];
        net.b[l] = b[l];
      }
    }
  }

  /**
   * Present minibatches 0..count−1 (`batchAt(k)` gives minibatch k) in one integration of the
   * weights' flow; the network's weights end at the result. When they become non-finite the run
   * ends with status 'diverged' (with 'euler', updated in place, the weights then hold the
   * diverged values; with other solvers their last finite ones).
   */
  train(count: number, batchAt: (k: number) => Minibatch, opts: TrainOptions = {}): FlowRun {
    this.optimizer.lr = this.optimizer.name === 'sgd' ? -this.eta : this.eta; // SGD on ĝ (direction), Adam on −ĝ
    this.loader = batchAt;
    try {
      const r = this.flow.run(this.paramArrays(), count, this.flowSolver, opts);
      if (r.solution.status !== 'ok' && r.solution.status !== 'stopped' && r.solution.status !== 'diverged') throw new Error(`the learning flow of the weights stopped: ${r.solution.message}`);
      return r;
    } finally {
      this.loader = null;
      this.batch = null;
    }
  }

  /** The optimiser state to checkpoint, live (empty for SGD). */
  optimizerState(): Record<string, Float64Array> {
    return { ...this.optimizer.state };
  }
}

/**
 * A learner that trains a network by NP or LOCO: ĝ_k(θ) is the estimate of steps 1-4 above on
 * minibatch k. What is random in the estimate is drawn once per minibatch, when it enters: the
 * perturbations ξ (and, in the SNN, the membrane-noise seed, at the first clean pass); the LOCO
 * projections are computed at the minibatch's first evaluation and kept for the rest of it
 * (projector.ts `reproject`). So on each minibatch the flow is a function of θ alone, and Euler
 * with one step per minibatch evaluates it once: the paper's step.
 */
export class PerturbationLearner extends NetworkLearner {
  readonly projectors: LocoProjector[] | null;
  /** Draws the perturbations ξ; its state is part of a checkpoint. */
  readonly rng: Rng;
  /** The estimate at the first evaluation on the last minibatch (at the weights before its update). */
  last: Estimate | null = null;
  private pert: Perturbation | null = null;
  private pass: Pass | null = null;

  constructor(
    net: PerturbableNetwork,
    readonly opts: RuleOptions,
    seed: number,
  ) {
    if (!RULES.includes(opts.rule)) throw new Error(`rule must be one of ${RULES.join(', ')} (got '${String(opts.rule)}')`);
    if (!(opts.sigma > 0 && Number.isFinite(opts.sigma))) throw new Error(`the perturbation scale sigma must be > 0 (got ${opts.sigma})`);
    if (!(opts.eta >= 0 && Number.isFinite(opts.eta))) throw new Error(`the learning rate eta must be >= 0 (got ${opts.eta})`);
    super(net, opts.eta, opts.optimizer ?? 'sgd', opts.flow ?? PAPER_FLOW);
    this.rng = new Rng(seed);
    if (opts.rule === 'loco') {
      const dims = net.sizes.slice(0, -1).map((n) => n + (net.bias ? 1 : 0));
      const ks = resolveK(opts.loco?.k, dims);
      const { k: _k, ...rest } = opts.loco ?? {};
      this.projectors = dims.map((d, i) => new LocoProjector(d, { ...LOCO_DEFAULTS, ...rest, k: ks[i] }, seed * 7919 + i + 1));
    } else this.projectors = null;
  }

  /** The input map of the rule: undefined for NP, the layers' LOCO projectors for LOCO. */
  get map(): InputMap | undefined {
    const P = this.projectors;
    if (!P) return undefined;
    return (layer, X, B, groups, out) => P[layer - 1].project(X, B, groups, out);
  }

  /**
   * The LOCO projections of the last `map` call applied again: the same minibatch at other weights
   * (the later stages of a multi-stage solver; see the class comment). Undefined for NP.
   */
  get remap(): InputMap | undefined {
    const P = this.projectors;
    if (!P) return undefined;
    return (layer, X, B, groups, out) => P[layer - 1].reproject(X, B, groups, out);
  }

  /** Estimate ∂ℓ/∂W on a batch without changing the weights. */
  estimate(x: Float64Array, target: Float64Array, B: number, groups: Int32Array | null = null): Estimate {
    const pass = this.net.forward(x, B);
    const pert = drawPerturbation(this.net, B, this.opts.sigma, this.rng);
    const e = estimateFromPass(this.net, pass, target, pert, this.map, groups);
    return { ...e, projections: this.projectors ? this.projectors.map((p) => p.last) : [] };
  }

  protected enter(batch: Minibatch): void {
    this.pass = null;
    this.pert = drawPerturbation(this.net, batch.B, this.opts.sigma, this.rng);
  }

  protected gradient(batch: Minibatch, fresh: boolean): Estimate {
    const pass = this.net.forward(batch.x, batch.B, fresh ? undefined : this.pass!);
    const e = estimateFromPass(this.net, pass, batch.target, this.pert!, fresh ? this.map : this.remap, batch.groups);
    if (!fresh) return { ...e, projections: [] };
    this.pass = pass;
    return (this.last = { ...e, projections: this.projectors ? this.projectors.map((p) => p.last) : [] });
  }

  /** One learning step on a batch (one minibatch of the flow: W ← W − η ĝ, or Adam on −ĝ, with the paper's Euler). Returns the estimate at the weights before it. */
  step(x: Float64Array, target: Float64Array, B: number, groups: Int32Array | null = null): Estimate {
    this.eta = this.opts.eta;
    this.train(1, () => ({ x, target, B, groups }));
    return this.last!;
  }

  /** Present minibatches 0..count−1 along the weights' flow, at the rate `opts.eta` (see NetworkLearner.train). */
  override train(count: number, batchAt: (k: number) => Minibatch, opts: TrainOptions = {}): FlowRun {
    this.eta = this.opts.eta;
    return super.train(count, batchAt, opts);
  }
}

/** Backpropagation on the ReLU network (AnnNet.gradient), the baseline trained beside NP and LOCO, along the same flow. */
export class GradientLearner extends NetworkLearner {
  constructor(net: AnnNet, eta: number, flow: FlowSolver = PAPER_FLOW) {
    if (!(eta >= 0 && Number.isFinite(eta))) throw new Error(`the learning rate eta must be >= 0 (got ${eta})`);
    super(net, eta, 'sgd', flow);
  }

  protected enter(): void {}

  protected gradient(batch: Minibatch): { loss: number; gW: Mat[]; gb: Float64Array[] } {
    return (this.net as AnnNet).gradient(batch.x, batch.target, batch.B);
  }
}
