/** Small helpers shared by the DLL tests. */
import { Rng } from '../../src/core/random';

/** A nonlinear regression: y = sin(πx₁)·cos(πx₂/2) + 0.5·x₁x₂ on x ∈ [−1, 1]², n samples. */
export function regressionData(n: number, seed: number): { x: Float64Array; t: Float64Array } {
  const rng = new Rng(seed);
  const x = rng.fillUniform(new Float64Array(2 * n), -1, 1);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = Math.sin(Math.PI * x[2 * i]) * Math.cos((Math.PI * x[2 * i + 1]) / 2) + 0.5 * x[2 * i] * x[2 * i + 1];
  return { x, t };
}
