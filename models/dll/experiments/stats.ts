/** Mean and sample standard deviation (n − 1; 0 for a single value; NaN for none). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, std: 0 };
  const v = values.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(v) };
}
