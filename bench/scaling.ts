/**
 * How the cost of one step grows with the hidden width n = 64 … 1024, for DFC and SAL (their own
 * code), with the fitted exponent p of time per step ∝ n^p. One sample (batch 1), so every product
 * is a matrix-vector product and the work per step is O(n²): p should be near 2 once n is large
 * enough that the O(n) parts and call overheads do not dominate.
 *
 * - DFC: one forward-phase Euler step of network + PI controller with the buffered eq. (5)
 *   accumulation (models/dfc/engine.ts DfcEngine.wake), network n-n-n-10 (tanh), MNIST settings;
 *   time per step = wall time of a `wake` of S steps / S.
 * - SAL: one Euler step (dt = 1 minibatch) of the SAL circuit's slow flows with its instantaneous
 *   pathways (models/sal/circuit.ts term, through `solve`), circuit n-n-n-10, all four connections
 *   plastic; time per step = wall time of a solve of S steps / S.
 *
 * Each width: the median over repeats after a warm-up (min and max in the note); the exponent is
 * the least-squares slope of log(time) on log(n) over the widths (src/analysis/fit.ts), fitted on
 * all widths and on n ≥ 256 (where the n² work dominates). The machine is shared while this runs,
 * so times are pessimistic and the exponent noisy.
 *
 *   npx tsx bench/scaling.ts [--quick]
 */
import '../solvers/index'; // registers the built-in solvers by name
import { Rng } from '../src/core/random';
import { solve } from '../src/core/solve';
import { odeProblem } from '../src/core/terms';
import { linearFit } from '../src/analysis/fit';
import { formatTable } from '../src/io/output';
import { mat } from '../src/linalg/mat';
import { DfcEngine } from '../models/dfc/engine';
import { DfcNet, initForwardWeights, productFeedback } from '../models/dfc/network';
import { MNIST_FORWARD } from '../models/dfc/experiments/mnist';
import { fixedBatch, SalCircuit } from '../models/sal/circuit';
import { methodConfig } from '../models/sal/presets';
import { median, type BenchRow } from './types';

export interface ScalingRow extends BenchRow {
  seconds?: number;
  min?: number;
  max?: number;
  repeats?: number;
}

/** Steps per timed run so that each run does roughly the same work (≈ 2e7 multiply-adds). */
function stepsFor(n: number, quick: boolean): number {
  const s = Math.round((quick ? 4e6 : 2e7) / (3 * n * n));
  return Math.max(5, Math.min(2000, s));
}

function dfcStepTime(n: number, steps: number, repeats: number): number[] {
  const net = new DfcNet({ sizes: [n, n, n, 10], hidden: 'tanh', loss: 'mse' });
  const rng = new Rng(7);
  const W = initForwardWeights(net, rng);
  const p = { W, Q: productFeedback(net, W) };
  const X = mat(1, n);
  rng.fillUniform(X.data, -1, 1);
  const { R } = net.feedforwardBatch(W, X);
  const Rstar = mat(1, 10);
  for (let k = 0; k < 10; k++) Rstar.data[k] = R[net.L].data[k] + 0.05 * (rng.uniform() - 0.5);
  const cfg = { ...MNIST_FORWARD, steps };
  const engine = new DfcEngine(net, 1);
  engine.wake(p, X, Rstar, cfg, { accumulate: true }); // warm-up
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const res = engine.wake(p, X, Rstar, cfg, { accumulate: true });
    out.push((performance.now() - t0) / 1000 / steps);
    if (res.status !== 'ok') throw new Error(`DFC dynamics diverged at width ${n}`);
  }
  return out;
}

function salStepTime(n: number, steps: number, repeats: number): number[] {
  const circuit = new SalCircuit(methodConfig('sal', { sizes: [n, n, n, 10], loss: 'mse' }));
  const rng = new Rng(7);
  const x = rng.fillNormal(new Float64Array(n), 0.3);
  const t = new Float64Array(10);
  t[3] = 1;
  const problem = odeProblem(circuit.term(fixedBatch(x, t, 1)), { layout: circuit.layout });
  const y0 = circuit.initState(1);
  const run = () => {
    const t0 = performance.now();
    const sol = solve(problem, 'euler', { t0: 0, t1: steps, dt0: 1, y0 });
    if (sol.status !== 'ok') throw new Error(`SAL flow stopped at width ${n}: ${sol.message}`);
    return (performance.now() - t0) / 1000 / steps;
  };
  run(); // warm-up
  return Array.from({ length: repeats }, run);
}

function fmtS(s: number): string {
  return s < 1e-3 ? `${(s * 1e6).toFixed(1)} µs` : `${(s * 1e3).toFixed(2)} ms`;
}

export async function benchScaling(opts: { quick: boolean } = { quick: false }): Promise<ScalingRow[]> {
  const widths = [64, 128, 256, 512, 1024];
  const repeats = opts.quick ? 3 : 7;
  const rows: ScalingRow[] = [];
  const models: { name: string; time: (n: number, steps: number, reps: number) => number[]; what: string }[] = [
    { name: 'dfc', time: dfcStepTime, what: 'DFC forward-phase Euler step (network + controller + eq. 5 buffer), n-n-n-10, batch 1' },
    { name: 'sal', time: salStepTime, what: 'SAL circuit Euler step (pathways + four flows), n-n-n-10, batch 1' },
  ];
  for (const m of models) {
    const med: number[] = [];
    for (const n of widths) {
      const steps = stepsFor(n, opts.quick);
      const ts = m.time(n, steps, repeats);
      const t = median(ts);
      med.push(t);
      rows.push({
        name: `${m.name}: time per step`,
        size: `n=${n}`,
        value: t * 1e6,
        unit: 'µs/step',
        note: `median of ${repeats} runs of ${steps} steps (min ${fmtS(Math.min(...ts))}, max ${fmtS(Math.max(...ts))})`,
        seconds: t,
        min: Math.min(...ts),
        max: Math.max(...ts),
        repeats,
      });
    }
    const all = linearFit(widths.map(Math.log), med.map(Math.log));
    const big = widths.map((n, i) => [n, med[i]] as const).filter(([n]) => n >= 256);
    const large = linearFit(big.map(([n]) => Math.log(n)), big.map(([, t]) => Math.log(t)));
    rows.push({
      name: `${m.name}: exponent of time per step vs width`,
      size: `n=${widths[0]}..${widths[widths.length - 1]}`,
      value: all.slope,
      unit: 'p (t ∝ n^p)',
      note: `${m.what}; r² ${all.r2.toFixed(3)}; fitted on n >= 256 only: p = ${large.slope.toFixed(2)}; expected ≈ 2 (matrix-vector bound)`,
    });
  }
  return rows;
}

if (require.main === module) {
  benchScaling({ quick: process.argv.includes('--quick') }).then((rows) => {
    process.stdout.write(
      formatTable(['benchmark', 'size', 'value', 'unit', 'note'], rows.map((r) => [r.name, r.size, r.value, r.unit, r.note ?? ''])) +
        '\n(timings on a shared machine are pessimistic)\n',
    );
  });
}
