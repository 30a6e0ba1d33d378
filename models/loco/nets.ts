/**
 * The networks the learning rules train, behind one interface: a clean pass that records each
 * layer's presynaptic activity x_{l−1}, and a perturbed pass of eq. (8) on the same batch.
 *
 * - `AnnNet`: the ReLU network of A.9, h_l = relu(W_l h_{l−1} + b_l) with a linear output layer.
 *   The perturbation σξ_l is added to the pre-activation (the membrane input, as in eq. 8 and the
 *   derivation eqs. 10-14), not after f as eq. (29) writes: after a ReLU the estimate would lack
 *   the factor f′(a) and would not be unbiased for the BP gradient, which is what the paper claims.
 *   The output layer is linear (the paper is silent; a ReLU output cannot fit sin x < 0).
 * - `SnnNet`: the LIF network of models/lif (one problem through `solve`, clock-driven with the
 *   spec's integrator, Euler at dt = 1 ms by default); the output is the rate of the
 *   last layer (spikes per step, eq. 27). x_{l−1} is the presynaptic rate in the units for which
 *   the mean synaptic current is W x, so that ∂ℓ/∂W = (∂ℓ/∂I)·xᵀ in the mean-field sense: spikes per
 *   ms with spikingjelly's decay_input (jump w/τ_m; with the paper's dt = 1 this is the rate per
 *   step, "the average firing rates of neurons in each layer", Section 2.1), or spikes per membrane
 *   time constant, r·τ_m, without it (jump w). The clean and the perturbed run of a batch share the
 *   seed of the membrane noise and the layer-1 drive W¹s⁰(t) (computed once, in storage the
 *   network reuses from batch to batch: a perturbed run needs the last clean pass).
 */
import { Rng } from '../../src/core/random';
import { matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { Mlp, type ForwardCache } from '../../src/nn/mlp';
import { decodeRates, rateMse } from '../lif/coding';
import { codingDrive, simulateClock, type CodingBuffers, type CodingDrive, type Perturbation, type SnnParams, type SnnSpec } from '../lif/network';

export type { Perturbation } from '../lif/network';

export interface Pass {
  readonly batch: number;
  /** Network output (B x n_L): activations (ANN) or rates in spikes per step (SNN). */
  readonly output: Float64Array;
  /** inputs[l−1] = x_{l−1} (B x n_{l−1}), the presynaptic activity of layer l. */
  readonly inputs: Mat[];
}

export interface PerturbableNetwork {
  readonly kind: 'ann' | 'snn' | 'rate';
  /** Widths n_0..n_L. */
  readonly sizes: readonly number[];
  readonly bias: boolean;
  /** W[l−1] (n_l x n_{l−1}) and b[l−1]; the learning rules change them in place. */
  readonly W: Mat[];
  readonly b: Float64Array[];
  /**
   * Clean pass on x (B x n_0). With `like` (a pass of the same batch), the pass reuses its random
   * draws (the SNN's membrane-noise seed) instead of drawing new ones: the learning flow evaluates
   * one minibatch's estimate at several weights (the stages of a multi-stage solver) with the same
   * noise.
   */
  forward(x: Float64Array, B: number, like?: Pass): Pass;
  /** Output of the perturbed pass (eq. 8) on the batch of `pass`. */
  perturbed(pass: Pass, pert: Perturbation): Float64Array;
  /**
   * Optional factor of each postsynaptic unit in the estimate (B x n_l for layer l), for a network
   * perturbed after its nonlinearity: f′ of the clean pass (RateNet). Absent: 1.
   */
  gate?(pass: Pass, layer: number): Float64Array | null;
}

export class AnnNet implements PerturbableNetwork {
  readonly kind = 'ann';
  readonly W: Mat[];
  readonly b: Float64Array[];
  private readonly mlp: Mlp;

  constructor(
    readonly sizes: readonly number[],
    params: { W: Mat[]; b: Float64Array[] },
    readonly bias = true,
  ) {
    this.mlp = new Mlp({ sizes, hidden: 'relu', output: 'linear', bias });
    this.W = params.W;
    this.b = params.b;
  }

  /** He initialisation N(0, 2/fan_in), zero biases. */
  static init(sizes: readonly number[], rng: Rng, bias = true, gain = Math.SQRT2): AnnNet {
    const W: Mat[] = [];
    const b: Float64Array[] = [];
    for (let l = 1; l < sizes.length; l++) {
      if (!Number.isInteger(sizes[l]) || sizes[l] < 1) throw new Error(`layer width sizes[${l}] = ${sizes[l]}; widths must be integers >= 1`);
      const w = mat(sizes[l], sizes[l - 1]);
      rng.fillNormal(w.data, gain / Math.sqrt(sizes[l - 1]));
      W.push(w);
      b.push(new Float64Array(sizes[l]));
    }
    return new AnnNet(sizes, { W, b }, bias);
  }

  private run(x: Float64Array, B: number, pert: Perturbation | null): ForwardCache {
    const sizes = this.sizes;
    if (x.length !== B * sizes[0]) throw new Error(`input has ${x.length} values; batch ${B} x ${sizes[0]} inputs needs ${B * sizes[0]}`);
    const L = sizes.length - 1;
    const h: Mat[] = [mat(B, sizes[0], x)];
    const a: Mat[] = [];
    for (let l = 1; l <= L; l++) {
      const n = sizes[l];
      const pre = mat(B, n);
      matMulTB(h[l - 1], this.W[l - 1], pre);
      if (this.bias) {
        const bl = this.b[l - 1];
        for (let r = 0; r < B; r++) for (let j = 0; j < n; j++) pre.data[r * n + j] += bl[j];
      }
      if (pert) {
        const xi = pert.xi[l - 1];
        for (let i = 0; i < pre.data.length; i++) pre.data[i] += pert.sigma * xi[i];
      }
      const post = mat(B, n);
      if (l < L) for (let i = 0; i < pre.data.length; i++) post.data[i] = pre.data[i] > 0 ? pre.data[i] : 0;
      else post.data.set(pre.data);
      a.push(pre);
      h.push(post);
    }
    return { batch: B, h, a };
  }

  forward(x: Float64Array, B: number): Pass & { cache: ForwardCache } {
    const cache = this.run(x, B, null);
    return { batch: B, output: cache.h[cache.h.length - 1].data, inputs: cache.h.slice(0, -1), cache };
  }

  perturbed(pass: Pass, pert: Perturbation): Float64Array {
    const c = this.run(pass.inputs[0].data, pass.batch, pert);
    return c.h[c.h.length - 1].data;
  }

  /** The BP gradient of the batch-mean loss of eq. (27): the baseline and the checks' reference. */
  gradient(x: Float64Array, target: Float64Array, B: number): { loss: number; gW: Mat[]; gb: Float64Array[] } {
    const cache = this.run(x, B, null);
    const r = this.mlp.backward({ W: this.W, b: this.b }, cache, target, rateMse);
    return { loss: r.loss, gW: r.gW, gb: r.gb };
  }
}

interface SnnPass extends Pass {
  /** The batch's input, noise seed and layer-1 drive, shared with the perturbed run. */
  readonly x: Float64Array;
  readonly noiseSeed: number;
  readonly drive: CodingDrive;
}

export class SnnNet implements PerturbableNetwork {
  readonly kind = 'snn';
  readonly sizes: readonly number[];
  readonly bias: boolean;
  readonly W: Mat[];
  readonly b: Float64Array[];
  /** Draws the per-batch seeds of the membrane noise; its state is part of a checkpoint. */
  readonly noiseRng: Rng;
  /** The coding layer's products reused from pass to pass: a pass's drive serves its perturbed run until the next clean pass. */
  private readonly codingBuffers: CodingBuffers = {};

  /** `seed` draws the per-batch seeds of the membrane noise (when the spec has noise). */
  constructor(
    readonly spec: SnnSpec,
    params: SnnParams,
    seed = 0,
  ) {
    this.noiseRng = new Rng(seed);
    this.sizes = spec.sizes;
    this.bias = spec.bias;
    this.W = params.W;
    this.b = params.b;
  }

  forward(x: Float64Array, B: number, like?: Pass): SnnPass {
    const spec = this.spec;
    const noiseSeed = like ? (like as SnnPass).noiseSeed : spec.noise > 0 ? this.noiseRng.nextUint32() : 0;
    const drive = codingDrive(this.codingBuffers);
    const run = simulateClock(spec, this, x, B, null, { noiseSeed, codingDrive: drive });
    const L = spec.sizes.length - 1;
    // spikes per ms (decay_input) or per τ_m
    const unit = (spec.decayInput ? 1 : spec.lif.tauM) / (spec.steps * spec.dt);
    const inputs = run.counts.slice(0, L).map((c, l) => {
      const m = mat(B, spec.sizes[l]);
      for (let i = 0; i < c.length; i++) m.data[i] = c[i] * unit;
      return m;
    });
    const pass = { batch: B, output: decodeRates(run.counts[L], spec.steps), inputs, x, noiseSeed, drive };
    this.lastPass = pass;
    return pass;
  }

  /** The last clean pass: the only one whose coding drive still holds its batch (the buffers are reused). */
  private lastPass: SnnPass | null = null;

  perturbed(pass: Pass, pert: Perturbation): Float64Array {
    const p = pass as SnnPass;
    if (!p.x) throw new Error('SnnNet.perturbed needs a pass from SnnNet.forward');
    if (p !== this.lastPass) throw new Error("SnnNet.perturbed needs this network's last clean pass (its coding drive is reused by the next forward); run forward again on the batch");
    const run = simulateClock(this.spec, this, p.x, p.batch, pert, { noiseSeed: p.noiseSeed, codingDrive: p.drive });
    return decodeRates(run.counts[this.spec.sizes.length - 1], this.spec.steps);
  }
}

/**
 * The network the LOCO authors' released code trains (zgmaguoqing/LOCO, zhiyuan/OWMNet.py): its
 * "SNN" is a rate network, h_l = min(relu(W_l h_{l−1} + b_l), 1), the per-step rate of an
 * integrate-and-fire neuron (the spiking code is commented out there), with a linear output.
 * Where the paper and that code disagree, this class follows the code:
 * - the perturbation is added after the nonlinearity (their `torch.normal(fc1_mu, std)`), so the
 *   estimate takes the factor f′ = 1[0 < h < 1] of the clean pass explicitly (`gate`, their
 *   `(fc1_mu < 1) * (fc1_mu > 0)`);
 * - initialisation: PyTorch's nn.Linear (weights and biases U(−1/√fan_in, 1/√fan_in)), the output
 *   layer's weights times 0.1 (`initTorch`).
 * The rest of the released setting (Adam, σ = 0.005, k-means on a ring buffer of 1,000 normalised
 * batch means with 10 centres, PCA of the batch with the mean plus 109 components) is chosen by the
 * learner and the experiments (`variant: 'code'`).
 */
export class RateNet implements PerturbableNetwork {
  readonly kind = 'rate';
  readonly W: Mat[];
  readonly b: Float64Array[];

  constructor(
    readonly sizes: readonly number[],
    params: { W: Mat[]; b: Float64Array[] },
    readonly bias = true,
  ) {
    this.W = params.W;
    this.b = params.b;
  }

  /** PyTorch's nn.Linear initialisation, U(−1/√fan_in, 1/√fan_in) for W and b; the output layer's W times `outputScale`. */
  static initTorch(sizes: readonly number[], rng: Rng, outputScale = 0.1): RateNet {
    const W: Mat[] = [];
    const b: Float64Array[] = [];
    for (let l = 1; l < sizes.length; l++) {
      if (!Number.isInteger(sizes[l]) || sizes[l] < 1) throw new Error(`layer width sizes[${l}] = ${sizes[l]}; widths must be integers >= 1`);
      const bound = 1 / Math.sqrt(sizes[l - 1]);
      const w = mat(sizes[l], sizes[l - 1]);
      rng.fillUniform(w.data, -bound, bound);
      if (l === sizes.length - 1) for (let i = 0; i < w.data.length; i++) w.data[i] *= outputScale;
      W.push(w);
      b.push(rng.fillUniform(new Float64Array(sizes[l]), -bound, bound));
    }
    return new RateNet(sizes, { W, b });
  }

  private run(x: Float64Array, B: number, pert: Perturbation | null): Mat[] {
    const sizes = this.sizes;
    if (x.length !== B * sizes[0]) throw new Error(`input has ${x.length} values; batch ${B} x ${sizes[0]} inputs needs ${B * sizes[0]}`);
    const L = sizes.length - 1;
    const h: Mat[] = [mat(B, sizes[0], x)];
    for (let l = 1; l <= L; l++) {
      const n = sizes[l];
      const a = mat(B, n);
      matMulTB(h[l - 1], this.W[l - 1], a);
      const d = a.data;
      if (this.bias) {
        const bl = this.b[l - 1];
        for (let r = 0; r < B; r++) for (let j = 0; j < n; j++) d[r * n + j] += bl[j];
      }
      if (l < L) for (let i = 0; i < d.length; i++) d[i] = d[i] > 0 ? (d[i] < 1 ? d[i] : 1) : 0;
      if (pert) {
        const xi = pert.xi[l - 1];
        for (let i = 0; i < d.length; i++) d[i] += pert.sigma * xi[i];
      }
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

  gate(pass: Pass, layer: number): Float64Array | null {
    if (layer >= this.sizes.length - 1) return null; // linear output
    const h = pass.inputs[layer].data; // the activity of layer `layer`, input of layer + 1
    return Float64Array.from(h, (v) => (v > 0 && v < 1 ? 1 : 0));
  }
}
