/**
 * Solver work-precision: the error at t = 10 against vector-field evaluations (nfe) and wall time
 * for euler, heun, rk4, dopri5 and odex, on
 *
 * - 'linear': two damped rotations, y' = A y with A = blockdiag([[−a, −ω], [ω, −a]]), a = 0.1,
 *   ω = 1 and 2, y(0) = (1, 0, 1, 0); exact y(t) = e^{−at} (cos ωt, sin ωt) per block;
 * - 'lorenz': σ = 10, ρ = 28, β = 8/3, y(0) = (1, 1, 1); the reference is odex at rtol = atol =
 *   1e-13 (checked against dopri5 at 1e-12, the difference is in the note of the lorenz rows).
 *
 * The adaptive solvers run at rtol = 1e-3 … 1e-9 (atol = rtol·1e-3); each fixed-step solver runs
 * at the step sizes dopri5 took on average at those tolerances, dt = 10/steps(dopri5, rtol)
 * ("matching step sizes"; the size column says which rtol it matches). The error is
 * ‖y(10) − y_ref(10)‖∞ / ‖y_ref(10)‖∞ (NaN, with the reason in the note, when a fixed step is too
 * large and the solve diverges: Euler on Lorenz at the coarsest steps). Each row's value is that error; the note gives nfe and the
 * wall time of the whole solve (median of repeats, min and max). The machine is shared while this
 * runs, so timings are pessimistic.
 *
 *   npx tsx bench/solvers.ts [--quick]
 */
import '../solvers/index'; // registers the built-in solvers by name
import { solve } from '../src/core/solve';
import { drift, odeProblem, type Problem } from '../src/core/terms';
import { formatTable } from '../src/io/output';
import { median, type BenchRow } from './types';

export interface SolverRow extends BenchRow {
  /** Wall time of one solve: median, min, max over `repeats` (seconds), and the work. */
  seconds: number;
  min: number;
  max: number;
  repeats: number;
  nfe: number;
  problem: string;
  solver: string;
}

const T1 = 10;

function linearProblem(): { problem: Problem; y0: Float64Array; exact: Float64Array } {
  const a = 0.1;
  const w = [1, 2];
  const problem = odeProblem(
    drift(4, (_t, y, out) => {
      for (let b = 0; b < 2; b++) {
        const u = y[2 * b];
        const v = y[2 * b + 1];
        out[2 * b] = -a * u - w[b] * v;
        out[2 * b + 1] = w[b] * u - a * v;
      }
    }),
    { name: 'damped rotations' },
  );
  const exact = new Float64Array(4);
  for (let b = 0; b < 2; b++) {
    exact[2 * b] = Math.exp(-a * T1) * Math.cos(w[b] * T1);
    exact[2 * b + 1] = Math.exp(-a * T1) * Math.sin(w[b] * T1);
  }
  return { problem, y0: Float64Array.from([1, 0, 1, 0]), exact };
}

/** Lorenz, σ = 10, ρ = 28, β = 8/3 (also bench/core.ts's). */
export function lorenzProblem(): Problem {
  const s = 10;
  const r = 28;
  const b = 8 / 3;
  return odeProblem(
    drift(3, (_t, y, out) => {
      out[0] = s * (y[1] - y[0]);
      out[1] = y[0] * (r - y[2]) - y[1];
      out[2] = y[0] * y[1] - b * y[2];
    }),
    { name: 'Lorenz' },
  );
}

function relError(y: ArrayLike<number>, ref: ArrayLike<number>): number {
  let e = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    e = Math.max(e, Math.abs(y[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return e / m;
}

interface Run {
  /** null when the solve diverged (fixed steps too large for the problem). */
  y: Float64Array | null;
  message: string;
  nfe: number;
  steps: number;
  seconds: number[];
}

function timed(problem: Problem, solver: string, y0: Float64Array, o: { rtol?: number; dt?: number }, repeats: number): Run {
  let last: ReturnType<typeof solve> | null = null;
  const seconds: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    last =
      o.dt !== undefined
        ? solve(problem, solver, { t0: 0, t1: T1, y0, dt0: o.dt, maxSteps: 1e8 })
        : solve(problem, solver, { t0: 0, t1: T1, y0, rtol: o.rtol, atol: o.rtol! * 1e-3, maxSteps: 1e8 });
    seconds.push((performance.now() - t0) / 1000);
    if (last.status === 'diverged') break;
    if (last.status !== 'ok') throw new Error(`${solver} on ${problem.name ?? 'problem'} stopped: ${last.message}`);
  }
  const ok = last!.status === 'ok';
  return { y: ok ? last!.y : null, message: ok ? '' : last!.message, nfe: last!.stats.nfe, steps: last!.stats.accepted, seconds };
}

export async function benchSolvers(opts: { quick: boolean } = { quick: false }): Promise<SolverRow[]> {
  const rtols = opts.quick ? [1e-3, 1e-6, 1e-9] : [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9];
  const repeats = opts.quick ? 3 : 5;
  const rows: SolverRow[] = [];
  const lin = linearProblem();
  const lorenz = lorenzProblem();
  const lorenzY0 = Float64Array.from([1, 1, 1]);
  const lorenzRef = solve(lorenz, 'odex', { t0: 0, t1: T1, y0: lorenzY0, rtol: 1e-13, atol: 1e-13, maxSteps: 1e8 }).y;
  const check = solve(lorenz, 'dopri5', { t0: 0, t1: T1, y0: lorenzY0, rtol: 1e-12, atol: 1e-12, maxSteps: 1e8 }).y;
  const refGap = relError(check, lorenzRef);
  const problems = [
    { name: 'linear', problem: lin.problem, y0: lin.y0, ref: lin.exact, refNote: 'exact solution' },
    { name: 'lorenz', problem: lorenz, y0: lorenzY0, ref: lorenzRef, refNote: `reference odex 1e-13 (dopri5 1e-12 differs by ${refGap.toExponential(1)})` },
  ];
  for (const p of problems) {
    const row = (solver: string, size: string, r: Run): SolverRow => {
      const error = r.y ? relError(r.y, p.ref) : NaN;
      const med = median(r.seconds);
      return {
        name: `work-precision ${p.name}: ${solver}`,
        size,
        value: error,
        unit: 'rel. error at t=10',
        note: `${r.y ? '' : `DIVERGED (${r.message}); `}nfe ${r.nfe}, ${r.steps} steps; wall ${fmtS(med)} (min ${fmtS(Math.min(...r.seconds))}, max ${fmtS(Math.max(...r.seconds))}, ${r.seconds.length} runs); ${p.refNote}`,
        seconds: med,
        min: Math.min(...r.seconds),
        max: Math.max(...r.seconds),
        repeats: r.seconds.length,
        nfe: r.nfe,
        problem: p.name,
        solver,
      };
    };
    const dopriSteps: number[] = [];
    for (const solver of ['dopri5', 'odex']) {
      for (const rtol of rtols) {
        const r = timed(p.problem, solver, p.y0, { rtol }, repeats);
        if (solver === 'dopri5') dopriSteps.push(r.steps);
        rows.push(row(solver, `rtol=${rtol.toExponential(0)}`, r));
      }
    }
    for (const solver of ['euler', 'heun', 'rk4']) {
      rtols.forEach((rtol, i) => {
        const dt = T1 / dopriSteps[i];
        rows.push(row(solver, `dt=${dt.toPrecision(3)} (dopri5 @ rtol=${rtol.toExponential(0)})`, timed(p.problem, solver, p.y0, { dt }, repeats)));
      });
    }
  }
  return rows;
}

function fmtS(s: number): string {
  return s < 1e-3 ? `${(s * 1e6).toFixed(0)} µs` : s < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(2)} s`;
}

if (require.main === module) {
  benchSolvers({ quick: process.argv.includes('--quick') }).then((rows) => {
    process.stdout.write(
      formatTable(
        ['benchmark', 'size', 'error', 'nfe', 'wall (median)', 'note'],
        rows.map((r) => [r.name, r.size, r.value.toExponential(2), r.nfe, fmtS(r.seconds), r.note ?? '']),
      ) + '\n(timings on a shared machine are pessimistic)\n',
    );
  });
}
