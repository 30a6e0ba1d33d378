/**
 * NP and LOCO through models/loco: `PerturbationLearner.estimate` (rules.ts: a clean pass, a
 * perturbed pass with σξ added to every layer's pre-activation, TD_b = l̃_b − l_b, and
 * ĝ_l = (1/(σB)) Σ_b TD_b ξ_{l,b} x̃_bᵀ with x̃ = x for NP, the LOCO projection P_l x for LOCO).
 *
 * The LOCO model ships a ReLU network (`AnnNet`) and a spiking one (`SnnNet`) behind its
 * `PerturbableNetwork` interface; the rules need nothing else from the network. `TanhNet` here is
 * a third implementation of that interface — the comparison's bias-free tanh MLP with a linear
 * output, perturbed on the pre-activation like AnnNet (eq. 8) — so NP and LOCO train exactly the
 * network the other tanh rules train.
 *
 * Matched to the comparison:
 * - the estimate is of eq. (27)'s loss (1/N)·½‖r − t‖² (N outputs); ΔW = −N·ĝ estimates −∂L/∂W
 *   of the common L = ½‖r − t‖²;
 * - LOCO's groups are the labels on MNIST (the projector splits a mixed batch by category: the
 *   comparison keeps one data order for every rule, so batches are not class-pure as in the LOCO
 *   paper) and one group on the regression and XOR (clusters = 1: no categories); k is capped at
 *   each layer's input width;
 * - the common step is the minibatch flow of learners.ts (Euler, one step per minibatch, unless the
 *   run's `--solver` says otherwise);
 * - simulated time 0 (two feedforward passes of an ANN).
 */
import { matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import type { Pass, PerturbableNetwork, Perturbation } from '../loco/nets';
import { PerturbationLearner, drawPerturbation, estimateFromPass } from '../loco/rules';
import { arrayViews } from '../../src/experiment/minibatch-flow';
import { MinibatchStep, copyMats, matViews, type Learner, type LearnerSetup } from './learners';

/** The bias-free tanh MLP (linear output) as a PerturbableNetwork. */
export class TanhNet implements PerturbableNetwork {
  readonly kind = 'ann' as const;
  readonly bias = false;
  readonly b: Float64Array[];
  constructor(
    readonly sizes: readonly number[],
    readonly W: Mat[],
  ) {
    this.b = W.map((w) => new Float64Array(w.rows));
  }

  private run(x: Float64Array, B: number, pert: Perturbation | null): Mat[] {
    const sizes = this.sizes;
    if (x.length !== B * sizes[0]) throw new Error(`input has ${x.length} values; batch ${B} x ${sizes[0]} inputs needs ${B * sizes[0]}`);
    const L = sizes.length - 1;
    const h: Mat[] = [mat(B, sizes[0], x)];
    for (let l = 1; l <= L; l++) {
      const a = mat(B, sizes[l]);
      matMulTB(h[l - 1], this.W[l - 1], a);
      if (pert) {
        const xi = pert.xi[l - 1];
        for (let i = 0; i < a.data.length; i++) a.data[i] += pert.sigma * xi[i];
      }
      if (l < L) for (let i = 0; i < a.data.length; i++) a.data[i] = Math.tanh(a.data[i]);
      h.push(a);
    }
    return h;
  }

  forward(x: Float64Array, B: number): Pass {
    const h = this.run(x, B, null);
    return { batch: B, output: h[h.length - 1].data, inputs: h.slice(0, -1) };
  }

  perturbed(pass: Pass, pert: Perturbation): Float64Array {
    const h = this.run(pass.inputs[0].data, pass.batch, pert);
    return h[h.length - 1].data;
  }
}

/**
 * NP or LOCO as a minibatch flow (learners.ts MinibatchStep): Δ_k(θ) = −N·ĝ(θ) on minibatch k, with
 * the perturbation ξ_k drawn once per minibatch (from the rule's generator, in the order the rule
 * draws it) and, for LOCO, the projections computed at the minibatch's first evaluation and applied
 * again at every later one (`PerturbationLearner.map`, then `.remap`: the rule of models/loco/rules.ts,
 * so compare and the LOCO experiments integrate the same flow under any solver). Every stage of a
 * step sees the same ξ_k and the same projections, so the vector field is a function of θ within
 * the minibatch and any ODE solver integrates it. With the default Euler step this is the rule's
 * own step.
 */
class PerturbationRuleLearner implements Learner {
  readonly family = 'tanh' as const;
  private readonly net: TanhNet;
  private readonly learner: PerturbationLearner;
  private readonly useGroups: boolean;
  private readonly flow: MinibatchStep;
  private pert: Perturbation | null = null;
  private evaluations = 0;
  private x: Float64Array = new Float64Array(0);
  private t: Float64Array = new Float64Array(0);
  private groups: Int32Array | null = null;
  private B = 0;

  constructor(private readonly s: LearnerSetup, rule: 'np' | 'loco') {
    const sizes = s.data.sizes;
    this.net = new TanhNet(sizes, copyMats(s.W0));
    const lo = s.settings.loco;
    this.useGroups = s.data.train.labels !== null && s.data.task === 'mnist';
    const clusters = this.useGroups ? lo.clusters : 1;
    const k = sizes.slice(0, -1).map((d) => Math.min(lo.k, d));
    // eta is unused: the flow applies the common step to the estimate.
    this.learner = new PerturbationLearner(this.net, { rule, sigma: s.settings.sigma, eta: 0, loco: { k, clusters, buffer: lo.buffer } }, s.seed);
    const N = sizes[sizes.length - 1];
    const nets = arrayViews((theta) => new TanhNet(sizes, matViews(this.net.W, theta)));
    const dirs = this.net.W.map((w) => new Float64Array(w.data.length));
    this.flow = new MinibatchStep(
      this.net.W.map((w) => w.data),
      dirs,
      s.lr,
      (theta) => {
        const map = this.evaluations++ === 0 ? this.learner.map : this.learner.remap;
        const net = nets(theta);
        const e = estimateFromPass(net, net.forward(this.x, this.B), this.t, this.pert!, map, this.groups);
        e.gW.forEach((g, l) => {
          const d = dirs[l];
          for (let i = 0; i < d.length; i++) d[i] = g.data[i] * -N;
        });
      },
      rule === 'np' ? 'NP (compare)' : 'LOCO (compare)',
      s.solver,
      () => {
        this.pert = drawPerturbation(this.net, this.B, s.settings.sigma, this.learner.rng);
        this.evaluations = 0;
      },
    );
  }

  weights(): Mat[] {
    return this.net.W;
  }

  step(x: Float64Array, t: Float64Array, labels: Int32Array | null, B: number): Mat[] {
    const sizes = this.s.data.sizes;
    const N = sizes[sizes.length - 1];
    this.x = x.subarray(0, B * sizes[0]);
    this.t = t.subarray(0, B * N);
    this.groups = this.useGroups && labels ? labels.subarray(0, B) : null;
    this.B = B;
    const applied = this.flow.step();
    return this.net.W.map((w, l) => ({ rows: w.rows, cols: w.cols, data: applied[l].slice() }));
  }

  simTime(): number {
    return 0;
  }
}

export const perturbationLearners = {
  NP: (s: LearnerSetup): Learner => new PerturbationRuleLearner(s, 'np'),
  LOCO: (s: LearnerSetup): Learner => new PerturbationRuleLearner(s, 'loco'),
};
