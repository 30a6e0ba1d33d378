/**
 * A dense multilayer perceptron on Float64Array, batched (rows are samples), with backpropagation:
 * the BP baseline every model compares against, and the reference gradient of the theorem checks.
 *
 *   a_ℓ = h_{ℓ−1} W_ℓᵀ + b_ℓ,  h_ℓ = f_ℓ(a_ℓ),  h_0 = x,
 *
 * with W_ℓ of shape (n_ℓ x n_{ℓ−1}) (the papers' convention: W acts on column vectors).
 */
import { Rng } from '../core/random';
import { matMul, matMulTA, matMulTB } from '../linalg/kernels';
import { mat, type Mat } from '../linalg/mat';
import { activations, type Activation } from './activations';
import type { Loss } from './losses';

export interface MlpSpec {
  /** Layer widths, input first: e.g. [784, 256, 10]. */
  sizes: readonly number[];
  /** Hidden activation name (e.g. 'tanh'); the output layer uses `output` (default 'linear'). */
  hidden: string;
  output?: string;
  bias?: boolean;
}

export interface MlpParams {
  W: Mat[];
  b: Float64Array[];
}

export function checkSizes(sizes: readonly number[], what = 'layer sizes'): void {
  if (sizes.length < 2) throw new Error(`${what} need at least an input and an output width (got [${sizes.join(', ')}])`);
  sizes.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 1) throw new Error(`${what}[${i}] = ${s}; every width must be an integer >= 1`);
  });
}

/**
 * Weights with iid N(0, gain²/fan_in) entries (gain 1: LeCun; √2 for ReLU: He), biases zero.
 */
export function initMlp(spec: MlpSpec, rng: Rng, gain = 1): MlpParams {
  checkSizes(spec.sizes);
  const W: Mat[] = [];
  const b: Float64Array[] = [];
  for (let l = 1; l < spec.sizes.length; l++) {
    const w = mat(spec.sizes[l], spec.sizes[l - 1]);
    rng.fillNormal(w.data, gain / Math.sqrt(spec.sizes[l - 1]));
    W.push(w);
    b.push(new Float64Array(spec.sizes[l]));
  }
  return { W, b };
}

export interface ForwardCache {
  batch: number;
  /** h[0] = x, h[ℓ] post-activations (batch x n_ℓ). */
  h: Mat[];
  /** a[ℓ−1] pre-activations of layer ℓ. */
  a: Mat[];
}

export class Mlp {
  readonly acts: Activation[];
  constructor(readonly spec: MlpSpec) {
    checkSizes(spec.sizes);
    const L = spec.sizes.length - 1;
    this.acts = Array.from({ length: L }, (_, l) => activations.get(l === L - 1 ? (spec.output ?? 'linear') : spec.hidden));
  }

  /** Forward pass for a batch x (batch x n_0). */
  forward(p: MlpParams, x: Float64Array, batch: number): ForwardCache {
    const sizes = this.spec.sizes;
    if (x.length !== batch * sizes[0]) {
      throw new Error(`input has ${x.length} values but batch ${batch} x width ${sizes[0]} needs ${batch * sizes[0]}`);
    }
    const h: Mat[] = [mat(batch, sizes[0], x)];
    const a: Mat[] = [];
    for (let l = 0; l < p.W.length; l++) {
      const pre = mat(batch, sizes[l + 1]);
      matMulTB(h[l], p.W[l], pre);
      if (this.spec.bias !== false) {
        const bl = p.b[l];
        const n = sizes[l + 1];
        for (let r = 0; r < batch; r++) for (let j = 0; j < n; j++) pre.data[r * n + j] += bl[j];
      }
      const post = mat(batch, sizes[l + 1]);
      const f = this.acts[l].f;
      for (let i = 0; i < pre.data.length; i++) post.data[i] = f(pre.data[i]);
      a.push(pre);
      h.push(post);
    }
    return { batch, h, a };
  }

  /** Output of the network (batch x n_L). */
  predict(p: MlpParams, x: Float64Array, batch: number): Float64Array {
    const c = this.forward(p, x, batch);
    return c.h[c.h.length - 1].data;
  }

  /**
   * Backpropagation: gradients of the mean loss with respect to W and b, and the errors
   * δ_ℓ = ∂L/∂a_ℓ per layer (batch x n_ℓ).
   */
  backward(p: MlpParams, cache: ForwardCache, target: Float64Array, loss: Loss): { loss: number; gW: Mat[]; gb: Float64Array[]; delta: Mat[] } {
    const L = p.W.length;
    const sizes = this.spec.sizes;
    const B = cache.batch;
    const out = cache.h[L];
    const gOut = new Float64Array(out.data.length);
    const value = loss.evaluate(out.data, target, B, gOut);
    const delta: Mat[] = new Array(L);
    const gW: Mat[] = new Array(L);
    const gb: Float64Array[] = new Array(L);
    let g = mat(B, sizes[L], gOut); // ∂L/∂h_L
    for (let l = L - 1; l >= 0; l--) {
      const d = mat(B, sizes[l + 1]);
      const df = this.acts[l].df;
      const pre = cache.a[l].data;
      for (let i = 0; i < d.data.length; i++) d.data[i] = g.data[i] * df(pre[i]);
      delta[l] = d;
      gW[l] = mat(sizes[l + 1], sizes[l]);
      matMulTA(d, cache.h[l], gW[l]);
      gb[l] = new Float64Array(sizes[l + 1]);
      for (let r = 0; r < B; r++) for (let j = 0; j < sizes[l + 1]; j++) gb[l][j] += d.data[r * sizes[l + 1] + j];
      if (l > 0) {
        g = mat(B, sizes[l]);
        matMul(d, p.W[l], g);
      }
    }
    return { loss: value, gW, gb, delta };
  }
}

/** Minibatch index order for one epoch (seeded shuffle). */
export function epochOrder(n: number, rng: Rng): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  rng.shuffle(idx);
  return idx;
}

/** Gather rows idx[start..end) of a row-major (n x d) array into out. */
export function gatherRows(src: Float64Array, d: number, idx: Int32Array, start: number, end: number, out: Float64Array): void {
  for (let r = start; r < end; r++) out.set(src.subarray(idx[r] * d, idx[r] * d + d), (r - start) * d);
}
