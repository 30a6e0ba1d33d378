/**
 * Losses on a batch of outputs (batch x classes, row-major), each giving the mean loss over the
 * batch and its gradient with respect to the outputs (already divided by the batch size).
 */
export interface Loss {
  readonly name: string;
  /** Returns the mean loss; writes ∂(mean loss)/∂output into grad when given. */
  evaluate(output: Float64Array, target: Float64Array, batch: number, grad?: Float64Array): number;
}

/** L = (1/B) Σ_b ½‖y_b − t_b‖². */
export const mse: Loss = {
  name: 'mse',
  evaluate(output, target, batch, grad) {
    let s = 0;
    for (let i = 0; i < output.length; i++) {
      const d = output[i] - target[i];
      s += 0.5 * d * d;
      if (grad) grad[i] = d / batch;
    }
    return s / batch;
  },
};

/** L = (1/B) Σ_b −Σ_k t_bk log softmax(y_b)_k, computed stably. */
export const softmaxCrossEntropy: Loss = {
  name: 'cross-entropy',
  evaluate(output, target, batch, grad) {
    const k = output.length / batch;
    let total = 0;
    for (let b = 0; b < batch; b++) {
      const o = b * k;
      let m = -Infinity;
      for (let j = 0; j < k; j++) m = Math.max(m, output[o + j]);
      let z = 0;
      for (let j = 0; j < k; j++) z += Math.exp(output[o + j] - m);
      const logZ = m + Math.log(z);
      for (let j = 0; j < k; j++) {
        total -= target[o + j] * (output[o + j] - logZ);
        if (grad) grad[o + j] = (Math.exp(output[o + j] - logZ) - target[o + j]) / batch;
      }
    }
    return total / batch;
  },
};

export const losses: Record<string, Loss> = { mse, 'cross-entropy': softmaxCrossEntropy };

/** Fraction of rows whose arg-max equals the label. */
export function accuracy(output: Float64Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let b = 0; b < labels.length; b++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (output[b * classes + j] > output[b * classes + best]) best = j;
    if (best === labels[b]) correct++;
  }
  return correct / labels.length;
}
