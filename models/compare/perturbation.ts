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
 *   of the common L = ½‖r − t‖², then the common SGD step;
 * - LOCO's groups are the labels on MNIST (the projector splits a mixed batch by category: the
 *   comparison keeps one data order for every rule, so batches are not class-pure as in the LOCO
 *   paper) and one group on the regression and XOR (clusters = 1: no categories); k is capped at
 *   each layer's input width;
 * - simulated time 0 (two feedforward passes of an ANN).
 */
import { matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import type { Pass, PerturbableNetwork, Perturbation } from '../loco/nets';
import { PerturbationLearner } from '../loco/rules';
import { copyMats, sgd, type Learner, type LearnerSetup } from './learners';

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

class PerturbationRuleLearner implements Learner {
  readonly family = 'tanh' as const;
  private readonly net: TanhNet;
  private readonly learner: PerturbationLearner;
  private readonly useGroups: boolean;

  constructor(private readonly s: LearnerSetup, rule: 'np' | 'loco') {
    const sizes = s.data.sizes;
    this.net = new TanhNet(sizes, copyMats(s.W0));
    const lo = s.settings.loco;
    this.useGroups = s.data.train.labels !== null && s.data.task === 'mnist';
    const clusters = this.useGroups ? lo.clusters : 1;
    const k = sizes.slice(0, -1).map((d) => Math.min(lo.k, d));
    // eta is unused: the step is applied here (the common SGD step), from the estimate.
    this.learner = new PerturbationLearner(this.net, { rule, sigma: s.settings.sigma, eta: 0, loco: { k, clusters, buffer: lo.buffer } }, s.seed);
  }

  weights(): Mat[] {
    return this.net.W;
  }

  step(x: Float64Array, t: Float64Array, labels: Int32Array | null, B: number): Mat[] {
    const sizes = this.s.data.sizes;
    const N = sizes[sizes.length - 1];
    const groups = this.useGroups && labels ? labels.subarray(0, B) : null;
    const e = this.learner.estimate(x.subarray(0, B * sizes[0]), t.subarray(0, B * N), B, groups);
    const dW = e.gW.map((g) => {
      for (let i = 0; i < g.data.length; i++) g.data[i] *= -N;
      return g;
    });
    sgd(this.net.W, dW, this.s.lr);
    return dW;
  }

  simTime(): number {
    return 0;
  }
}

export const perturbationLearners = {
  NP: (s: LearnerSetup): Learner => new PerturbationRuleLearner(s, 'np'),
  LOCO: (s: LearnerSetup): Learner => new PerturbationRuleLearner(s, 'loco'),
};
