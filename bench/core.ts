/**
 * Core speed, each figure measured side by side in one run, in interleaved rounds, with the
 * spread (median, min, max over rounds):
 *
 * 1. Fixed-step overhead of `solve`: N evaluations of a vector field alone against
 *    `solve(problem, 'euler')` for N steps (one evaluation per step), on (a) Lorenz, (b) a
 *    1000-dimensional dense linear system y' = A y, (c) the DFC toy network 15-10-10-5 (the
 *    wake-phase system of models/dfc/terms.ts, eqs. 1 and 4, one sample: the batched term arrives
 *    with the models-on-the-core issue). Ratio = time(solve) / time(vector field alone); the
 *    difference is Euler's axpy, the divergence scan and the loop. The note gives solve ÷ a
 *    hand-written Euler loop too: for a 3-dimensional field of a few nanoseconds, the call into a
 *    pluggable solver and the controller cost more than the field itself.
 * 2. RK4 steps/s through `solve` on the 1000-dimensional linear system (GFLOP/s in the note).
 * 3. Lorenz (σ 10, ρ 28, β 8/3, y0 = (1,1,1), t = 0..10, rtol 1e-6, atol 1e-9): dopri5 through
 *    `solve` against scipy's `solve_ivp(method='RK45')` on the same problem, when
 *    /usr/bin/python3 can import scipy (Debian python3-scipy); ours alone otherwise. Rounds
 *    alternate: ours, scipy, ours, … (scipy times its own repeats inside one Python process, so
 *    its start-up is not counted).
 * 4. Evaluations at equal accuracy (work-precision, when scipy is present): both integrate Lorenz
 *    to t = 10 at rtol 1e-4 … 1e-8 (atol = rtol·1e-3); the error is the relative max-norm distance
 *    of y(10) from scipy's DOP853 at rtol 1e-13. At the same rtol our default PI controller
 *    (pcoeff 0.4, icoeff 0.3) takes more evaluations than scipy's integral controller but lands
 *    about 3× closer to the true solution, so the fair count is ours at scipy's error (log-log
 *    interpolation between our rtols). With the integral controller (pcoeff 0, icoeff 1, scipy's
 *    own rule) our count at rtol 1e-6 is printed too: it should match scipy's to a few steps.
 *
 *   npx tsx bench/core.ts [--quick]
 */
import '../solvers/index'; // registers the built-in solvers by name
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { Rng } from '../src/core/random';
import { piController, type StepController } from '../src/core/controller';
import { solve } from '../src/core/solve';
import { drift, odeProblem, type Problem } from '../src/core/terms';
import { matVec } from '../src/linalg/kernels';
import { mat } from '../src/linalg/mat';
import { DfcNet, initForwardWeights, productFeedback } from '../models/dfc/network';
import { dfcSystem } from '../models/dfc/terms';
import { DfcBatchedField } from '../models/dfc/batched';
import { FIG3_FORWARD } from '../models/dfc/config';
import { lorenzProblem } from './solvers';
import { median, type BenchRow } from './types';

const PYTHON = '/usr/bin/python3';

interface Case {
  name: string;
  size: string;
  problem: Problem;
  y0: Float64Array;
  dt: number;
  steps: number;
}

function linearCase(n: number, steps: number): Case {
  const rng = new Rng(1);
  const A = mat(n, n);
  rng.fillNormal(A.data, 1 / Math.sqrt(n));
  for (let i = 0; i < n; i++) A.data[i * n + i] -= 2; // stable
  const problem = odeProblem(drift(n, (_t, y, out) => matVec(A, y, out)), { name: 'dense linear' });
  return { name: 'dense linear y\' = A y', size: `n=${n}`, problem, y0: rng.fillNormal(new Float64Array(n)), dt: 1e-3, steps };
}

function dfcCase(steps: number): Case {
  const rng = new Rng(3);
  const net = new DfcNet({ sizes: [15, 10, 10, 5], hidden: 'tanh' });
  const W = initForwardWeights(net, rng);
  const Q = productFeedback(net, W);
  const x = rng.fillNormal(new Float64Array(15));
  const rStar = rng.fillNormal(new Float64Array(5), 0.1);
  const c = FIG3_FORWARD;
  const sys = dfcSystem({ net, params: { W, Q }, x, rStar, tauV: c.tauV, tauU: c.tauU, kp: c.kp, alpha: c.alpha });
  return { name: 'DFC toy network (eqs. 1, 4)', size: '15-10-10-5', problem: sys.problem, y0: sys.y0, dt: c.dt, steps };
}

/**
 * The DFC toy network's wake phase (eqs. 1, 4) for a minibatch of 128 as the training runs it: the
 * batched term over wasm-resident state, whose 'euler' step is the term's fused update (so solve
 * calls that, not the vector field; time is in units of the paper's dt, step 1).
 */
function dfcBatchCase(steps: number): Case {
  const rng = new Rng(3);
  const B = 128;
  const net = new DfcNet({ sizes: [15, 10, 10, 5], hidden: 'tanh' });
  const W = initForwardWeights(net, rng);
  const X = mat(B, 15);
  rng.fillUniform(X.data, -1, 1);
  const { R } = net.feedforwardBatch(W, X);
  const Rstar = mat(B, 5);
  for (let k = 0; k < Rstar.data.length; k++) Rstar.data[k] = R[net.L].data[k] + FIG3_FORWARD.lambda * (rng.uniform() - 0.5);
  const wake = new DfcBatchedField(net, B).wakeProblem({ W, Q: productFeedback(net, W) }, X, Rstar, { ...FIG3_FORWARD, steps }, { accumulate: false });
  return { name: 'DFC toy network, batch 128 (wake phase, fused Euler step)', size: '15-10-10-5 x 128', problem: wake.problem, y0: wake.y0, dt: 1, steps };
}

/** Seconds for N evaluations of the vector field alone (the state is held fixed). */
function timeVectorField(c: Case): number {
  const out = new Float64Array(c.y0.length);
  const vf = c.problem.drift.vf;
  const t0 = performance.now();
  for (let k = 0; k < c.steps; k++) vf(k * c.dt, c.y0, out);
  return (performance.now() - t0) / 1000;
}

/** Seconds for a hand-written Euler loop over the same vector field (y ← y + dt·f). */
function timeHandLoop(c: Case): number {
  const y = c.y0.slice();
  const k = new Float64Array(y.length);
  const vf = c.problem.drift.vf;
  const n = y.length;
  const t0 = performance.now();
  for (let s = 0; s < c.steps; s++) {
    vf(s * c.dt, y, k);
    for (let i = 0; i < n; i++) y[i] += c.dt * k[i];
  }
  return (performance.now() - t0) / 1000;
}

function timeSolve(c: Case): number {
  const t0 = performance.now();
  const sol = solve(c.problem, 'euler', { t0: 0, t1: c.steps * c.dt, y0: c.y0, dt0: c.dt });
  const s = (performance.now() - t0) / 1000;
  if (sol.stats.accepted !== c.steps || sol.stats.nfe !== c.steps) throw new Error(`${c.name}: expected ${c.steps} steps and evaluations, got ${sol.stats.accepted} and ${sol.stats.nfe}`);
  return s;
}

function spread(xs: number[], digits: number): string {
  return `median ${median(xs).toFixed(digits)}, min ${Math.min(...xs).toFixed(digits)}, max ${Math.max(...xs).toFixed(digits)} over ${xs.length} rounds`;
}

function overheadRows(quick: boolean): BenchRow[] {
  const scale = quick ? 0.2 : 1;
  const cases = [
    { c: { name: 'Lorenz', size: 'n=3', problem: lorenzProblem(), y0: Float64Array.from([1, 1, 1]), dt: 1e-5, steps: Math.round(2e6 * scale) }, aim: 1.5 },
    { c: linearCase(1000, Math.round(2000 * scale)), aim: 1.05 },
    { c: dfcCase(Math.round(2e5 * scale)), aim: 1.05 },
    { c: dfcBatchCase(Math.round(2e4 * scale)), aim: 1.05 },
  ];
  const rounds = quick ? 5 : 9;
  const rows: BenchRow[] = [];
  for (const { c, aim } of cases) {
    timeVectorField(c); // warm-up (JIT) for every path
    timeHandLoop(c);
    timeSolve(c);
    const ratios: number[] = [];
    const handRatios: number[] = [];
    const vfNs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // rotate which goes first so a drift in machine load does not favour one side
      const fns = [timeVectorField, timeHandLoop, timeSolve];
      const secs = [0, 0, 0];
      for (let q = 0; q < 3; q++) {
        const which = (q + r) % 3;
        secs[which] = fns[which](c);
      }
      ratios.push(secs[2] / secs[0]);
      handRatios.push(secs[2] / secs[1]);
      vfNs.push((secs[0] / c.steps) * 1e9);
    }
    rows.push({
      name: `solve('euler') ÷ vector field alone: ${c.name}`,
      size: c.size,
      value: median(ratios),
      unit: 'ratio',
      note: `aim ≤ ${aim}; ${spread(ratios, 3)}; N = ${c.steps} steps; vector field ${median(vfNs).toFixed(0)} ns; solve ÷ hand-written Euler loop ${median(handRatios).toFixed(2)} (min ${Math.min(...handRatios).toFixed(2)}, max ${Math.max(...handRatios).toFixed(2)})`,
    });
  }
  return rows;
}

function rk4Row(quick: boolean): BenchRow {
  const c = linearCase(1000, quick ? 100 : 400);
  const rates: number[] = [];
  for (let r = 0; r < (quick ? 3 : 7); r++) {
    const t0 = performance.now();
    const sol = solve(c.problem, 'rk4', { t0: 0, t1: c.steps * c.dt, y0: c.y0, dt0: c.dt });
    const s = (performance.now() - t0) / 1000;
    if (sol.stats.accepted !== c.steps) throw new Error(`expected ${c.steps} steps, got ${sol.stats.accepted}`);
    rates.push(c.steps / s);
  }
  const med = median(rates);
  return {
    name: 'RK4 steps/s, dense linear system',
    size: 'n=1000',
    value: med,
    unit: 'steps/s',
    note: `min ${Math.min(...rates).toFixed(0)}, max ${Math.max(...rates).toFixed(0)}; ${((med * 8 * 1000 * 1000) / 1e9).toFixed(2)} GFLOP/s in the vector field`,
  };
}

const LORENZ = { t1: 10, rtol: 1e-6, atol: 1e-9 };

const SCIPY_SCRIPT = `
import json, sys, time
import numpy as np
from scipy.integrate import solve_ivp
reps = int(sys.argv[1])
def f(t, y):
    return [10.0 * (y[1] - y[0]), y[0] * (28.0 - y[2]) - y[1], y[0] * y[1] - 8.0 / 3.0 * y[2]]
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    sol = solve_ivp(f, (0.0, ${LORENZ.t1}), [1.0, 1.0, 1.0], method='RK45', rtol=${LORENZ.rtol}, atol=${LORENZ.atol})
    times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": times, "nfev": int(sol.nfev), "y": [float(v) for v in sol.y[:, -1]]}))
`;

const WORK_PRECISION_SCRIPT = `
import json
import numpy as np
from scipy.integrate import solve_ivp
def f(t, y):
    return [10.0 * (y[1] - y[0]), y[0] * (28.0 - y[2]) - y[1], y[0] * y[1] - 8.0 / 3.0 * y[2]]
ref = solve_ivp(f, (0.0, ${LORENZ.t1}), [1.0, 1.0, 1.0], method='DOP853', rtol=1e-13, atol=1e-14).y[:, -1]
rows = []
for rtol in json.loads('RTOLS'):
    s = solve_ivp(f, (0.0, ${LORENZ.t1}), [1.0, 1.0, 1.0], method='RK45', rtol=rtol, atol=rtol * 1e-3)
    rows.append({"rtol": rtol, "nfev": int(s.nfev), "err": float(np.max(np.abs(s.y[:, -1] - ref)) / np.max(np.abs(ref)))})
print(json.dumps({"ref": [float(v) for v in ref], "rows": rows}))
`;

const WP_RTOLS = [1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 3e-7, 1e-7, 3e-8, 1e-8];

/** Evaluations at equal accuracy on Lorenz, ours against scipy's RK45 (item 4 of the header). */
function workPrecisionRow(): BenchRow {
  const sp: { ref: number[]; rows: { rtol: number; nfev: number; err: number }[] } = JSON.parse(
    execFileSync(PYTHON, ['-c', WORK_PRECISION_SCRIPT.replace('RTOLS', JSON.stringify(WP_RTOLS))], { encoding: 'utf8' }),
  );
  const scale = Math.max(...sp.ref.map(Math.abs));
  const run = (rtol: number, controller?: StepController): { nfe: number; err: number } => {
    const sol = solve(lorenzProblem(), 'dopri5', { t0: 0, t1: LORENZ.t1, y0: [1, 1, 1], rtol, atol: rtol * 1e-3, controller });
    if (sol.status !== 'ok') throw new Error(`dopri5 on Lorenz at rtol ${rtol}: ${sol.message}`);
    return { nfe: sol.stats.nfe, err: Math.max(...sp.ref.map((v, i) => Math.abs(sol.y[i] - v))) / scale };
  };
  const ours = WP_RTOLS.map((rtol) => run(rtol)).sort((a, b) => b.err - a.err);
  // our evaluations at an error e: log-log interpolation between the two runs that bracket it
  const nfeAt = (e: number): number => {
    for (let i = 0; i + 1 < ours.length; i++) {
      const [a, b] = [ours[i], ours[i + 1]];
      if (a.err >= e && e >= b.err) return Math.exp(Math.log(a.nfe) + ((Math.log(e) - Math.log(a.err)) / (Math.log(b.err) - Math.log(a.err))) * (Math.log(b.nfe) - Math.log(a.nfe)));
    }
    return NaN;
  };
  const ratios = sp.rows.map((r) => nfeAt(r.err) / r.nfev).filter(Number.isFinite);
  const at = sp.rows.find((r) => r.rtol === LORENZ.rtol)!;
  const same = run(LORENZ.rtol);
  const integral = run(LORENZ.rtol, piController({ rtol: LORENZ.rtol, atol: LORENZ.rtol * 1e-3, pcoeff: 0, icoeff: 1 }));
  return {
    name: 'Lorenz: our evaluations ÷ scipy\'s at equal error',
    size: `err ${at.err.toExponential(1)}`,
    value: nfeAt(at.err) / at.nfev,
    unit: 'ratio',
    note:
      `aim ≤ 1.10; at scipy's error of rtol ${LORENZ.rtol} (atol rtol·1e-3), ours interpolated ${nfeAt(at.err).toFixed(0)} vs scipy ${at.nfev}; ` +
      `over scipy's rtols ${WP_RTOLS[0]}…${WP_RTOLS[WP_RTOLS.length - 1]}: median ${median(ratios).toFixed(3)}, min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}; ` +
      `at the same rtol: ours ${same.nfe} evaluations, error ${same.err.toExponential(2)} vs scipy ${at.nfev}, ${at.err.toExponential(2)}; ` +
      `with scipy's integral controller (pcoeff 0, icoeff 1): ${integral.nfe} evaluations, error ${integral.err.toExponential(2)}`,
  };
}

function scipyAvailable(): boolean {
  return fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import scipy.integrate'], { stdio: 'ignore' }).status === 0;
}

function scipyRound(reps: number): { seconds: number[]; nfev: number; y: number[] } {
  return JSON.parse(execFileSync(PYTHON, ['-c', SCIPY_SCRIPT, String(reps)], { encoding: 'utf8' }));
}

function lorenzRows(quick: boolean): BenchRow[] {
  const problem = lorenzProblem();
  const y0 = Float64Array.from([1, 1, 1]);
  const ours = (): { s: number; nfe: number; y: Float64Array } => {
    const t0 = performance.now();
    const sol = solve(problem, 'dopri5', { t0: 0, t1: LORENZ.t1, y0, rtol: LORENZ.rtol, atol: LORENZ.atol });
    const s = (performance.now() - t0) / 1000;
    if (sol.status !== 'ok') throw new Error(`dopri5 on Lorenz: ${sol.message}`);
    return { s, nfe: sol.stats.nfe, y: sol.y };
  };
  for (let k = 0; k < 20; k++) ours(); // warm-up
  const rounds = quick ? 3 : 7;
  const repsPerRound = quick ? 5 : 20;
  const ourMs: number[] = [];
  const theirMs: number[] = [];
  const ratios: number[] = [];
  const haveScipy = scipyAvailable();
  let nfe = 0;
  let theirNfe = 0;
  let gap = NaN;
  for (let r = 0; r < rounds; r++) {
    const mine: number[] = [];
    let last: Float64Array = y0;
    for (let k = 0; k < repsPerRound; k++) {
      const o = ours();
      mine.push(o.s * 1000);
      nfe = o.nfe;
      last = o.y;
    }
    ourMs.push(median(mine));
    if (haveScipy) {
      const sp = scipyRound(repsPerRound);
      theirMs.push(median(sp.seconds) * 1000);
      theirNfe = sp.nfev;
      gap = Math.max(...sp.y.map((v, i) => Math.abs(v - last[i]))) / Math.max(...sp.y.map(Math.abs));
      ratios.push(theirMs[theirMs.length - 1] / ourMs[ourMs.length - 1]);
    }
  }
  const rows: BenchRow[] = [
    { name: 'Lorenz t=0..10, dopri5 through solve', size: 'rtol 1e-6', value: median(ourMs), unit: 'ms', note: `${spread(ourMs, 3)}; ${nfe} evaluations` },
  ];
  if (haveScipy) {
    rows.push({ name: 'Lorenz t=0..10, scipy solve_ivp RK45', size: 'rtol 1e-6', value: median(theirMs), unit: 'ms', note: `${spread(theirMs, 2)}; ${theirNfe} evaluations`, external: true });
    rows.push({
      name: 'Lorenz: scipy time ÷ ours',
      size: 'rtol 1e-6',
      value: median(ratios),
      unit: 'x',
      note: `aim ≥ 10; ${spread(ratios, 1)}; evaluations ours/scipy at the same rtol = ${(nfe / theirNfe).toFixed(3)} (ours is the more accurate: equal error in the next row); relative gap of y(10) ${gap.toExponential(1)} (chaotic: both within tolerance of their own paths)`,
    });
    rows.push(workPrecisionRow());
  } else {
    rows.push({ name: 'Lorenz: scipy solve_ivp RK45', size: 'rtol 1e-6', value: NaN, unit: 'ms', note: `unavailable: ${PYTHON} cannot import scipy (apt-get install python3-scipy)` });
  }
  return rows;
}

export async function benchCore(opts: { quick: boolean } = { quick: false }): Promise<BenchRow[]> {
  return [...overheadRows(opts.quick), rk4Row(opts.quick), ...lorenzRows(opts.quick)];
}

if (require.main === module) {
  benchCore({ quick: process.argv.includes('--quick') }).then((rows) => {
    for (const r of rows) console.log(`${r.name.padEnd(52)} ${r.size.padEnd(11)} ${r.value.toFixed(3).padStart(10)} ${r.unit.padEnd(8)} ${r.note ?? ''}`);
  });
}
