/** Small fitting helpers for measured orders and rates. */

/** Least-squares line y = a + b x. */
export function linearFit(x: readonly number[], y: readonly number[]): { slope: number; intercept: number; r2: number } {
  if (x.length !== y.length || x.length < 2) throw new Error(`linearFit needs two arrays of equal length >= 2 (got ${x.length} and ${y.length})`);
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/** Slope of log(y) against log(x): the measured order of a power law y ∝ x^p. */
export function logLogSlope(x: readonly number[], y: readonly number[]): number {
  for (let i = 0; i < y.length; i++) {
    if (!(x[i] > 0 && y[i] > 0)) throw new Error(`logLogSlope needs positive values (x[${i}] = ${x[i]}, y[${i}] = ${y[i]})`);
  }
  return linearFit(x.map(Math.log), y.map(Math.log)).slope;
}
