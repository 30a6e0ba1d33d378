/**
 * Core solver speed: RK4 steps per second on a 1000-dimensional dense linear system y' = A y
 * (one matrix-vector product per stage), through `solve`, and the raw per-step cost of the
 * matVec kernel for comparison.
 *
 *   npx tsx bench/core.ts
 */
import { Rng } from '../src/core/random';
import { solve } from '../src/core/solve';
import { drift, odeProblem } from '../src/core/terms';
import { matVec } from '../src/linalg/kernels';
import { mat } from '../src/linalg/mat';
import { median, type BenchRow } from './types';


export async function benchCore(opts: { quick: boolean } = { quick: false }): Promise<BenchRow[]> {
  const n = 1000;
  const rng = new Rng(1);
  const A = mat(n, n);
  rng.fillNormal(A.data, 1 / Math.sqrt(n));
  for (let i = 0; i < n; i++) A.data[i * n + i] -= 2; // stable
  const problem = odeProblem(drift(n, (_t, y, out) => matVec(A, y, out)));
  const y0 = rng.fillNormal(new Float64Array(n));
  const steps = opts.quick ? 100 : 400;
  const dt = 1e-3;
  const rates: number[] = [];
  for (let r = 0; r < (opts.quick ? 3 : 7); r++) {
    const t0 = performance.now();
    const sol = solve(problem, 'rk4', { t0: 0, t1: steps * dt, y0, dt0: dt });
    const s = (performance.now() - t0) / 1000;
    if (sol.stats.accepted !== steps) throw new Error(`expected ${steps} steps, got ${sol.stats.accepted}`);
    rates.push(steps / s);
  }
  const flopsPerStep = 4 * 2 * n * n;
  const med = median(rates);
  return [
    {
      name: 'RK4 steps/s, dense linear system',
      size: `n=${n}`,
      value: med,
      unit: 'steps/s',
      note: `min ${Math.min(...rates).toFixed(0)}, max ${Math.max(...rates).toFixed(0)}; ${((med * flopsPerStep) / 1e9).toFixed(2)} GFLOP/s in the vector field`,
    },
  ];
}

if (require.main === module) {
  benchCore().then((rows) => {
    for (const r of rows) console.log(`${r.name.padEnd(40)} ${r.size.padEnd(10)} ${r.value.toFixed(1)} ${r.unit}  ${r.note ?? ''}`);
  });
}
