/**
 * Input coding, output decoding and the loss of the spiking networks (LOCO paper, A.7-A.8).
 *
 * - Direct coding (A.7): the first layer is an LIF coding layer; a normalised input x ∈ [0, 1]
 *   becomes the constant current I = gain · x into it, and its neurons turn that current into
 *   spike trains (eq. 26). The paper does not give the gain; it is `inputGain` of the network.
 * - Rate decoding (A.8): the output of neuron i is its average firing rate over the T steps of the
 *   window, r_i = (1/T) Σ_t s_i(t) (spikes per step; `steps` is T).
 * - Loss (eq. 27): l = (1/(2N)) Σ_i (r_i − y_i)² per sample, N the number of output neurons; a
 *   batch's loss is the mean over its samples. The same loss serves the ReLU networks (A.9), with
 *   r the network's output.
 */
import type { Loss } from '../../src/nn/losses';

/** Direct coding: out = gain · x (the constant current into the coding layer). */
export function directCurrent(x: ArrayLike<number>, gain: number, out: Float64Array): Float64Array {
  if (out.length !== x.length) throw new Error(`directCurrent: x has ${x.length} values but out has ${out.length}`);
  for (let i = 0; i < x.length; i++) out[i] = gain * x[i];
  return out;
}

/** Rate decoding: out = counts / steps (spikes per step, eq. 27's (1/T) Σ_t s(t)). */
export function decodeRates(counts: Float64Array, steps: number, out = new Float64Array(counts.length)): Float64Array {
  const inv = 1 / steps;
  for (let i = 0; i < counts.length; i++) out[i] = counts[i] * inv;
  return out;
}

/**
 * Per-sample losses of eq. (27): perSample[b] = (1/(2N)) Σ_i (r_bi − y_bi)² for outputs r and
 * targets y (batch x N, row-major). Returns the batch mean.
 */
export function rateLosses(rates: Float64Array, target: Float64Array, batch: number, perSample: Float64Array): number {
  if (rates.length !== target.length) throw new Error(`rateLosses: outputs have ${rates.length} values but targets have ${target.length}`);
  if (rates.length % batch !== 0) throw new Error(`rateLosses: ${rates.length} outputs do not split into a batch of ${batch}`);
  if (perSample.length < batch) throw new Error(`rateLosses: perSample has ${perSample.length} entries, needs ${batch}`);
  const N = rates.length / batch;
  let total = 0;
  for (let b = 0; b < batch; b++) {
    let s = 0;
    for (let i = 0; i < N; i++) {
      const d = rates[b * N + i] - target[b * N + i];
      s += d * d;
    }
    perSample[b] = s / (2 * N);
    total += perSample[b];
  }
  return total / batch;
}

/** eq. (27) as a `Loss` of src/nn (mean over the batch; gradient (r − y)/(N·B)), for BP baselines. */
export const rateMse: Loss = {
  name: 'rate-mse (eq. 27)',
  evaluate(output, target, batch, grad) {
    const N = output.length / batch;
    let s = 0;
    for (let i = 0; i < output.length; i++) {
      const d = output[i] - target[i];
      s += d * d;
      if (grad) grad[i] = d / (N * batch);
    }
    return s / (2 * N * batch);
  },
};
