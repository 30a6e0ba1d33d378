/**
 * Benchmark of the SAL circuit: training throughput (samples/s) of the slow flows with the
 * instantaneous fast pathways (one Euler step per minibatch of 32), on the paper's 5-layer MLP
 * (784-200-200-200-10), for SAL at downstream ratios 1 and 5, and for the SGD configuration of the
 * same circuit. Synthetic Gaussian inputs (throughput does not depend on the data).
 *
 *   npx tsx bench/sal.ts          (prints a table; --quick for a smaller, faster run)
 *
 * Each row is the median over interleaved rounds of samples/s through the core's path (the minibatch
 * as the flow's piecewise-constant input, the loss a reduction), timed side by side with the path
 * before the move (the vector field loads minibatch ⌊t⌋ and sums its loss), which must end at the
 * same connections bit for bit; both medians, their spread and the per-round ratio are in the note.
 * The machine is shared while this is measured, so the numbers are pessimistic.
 */
import '../solvers/index'; // registers the built-in solvers by name
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/core/random';
import { solve, type Reduction } from '../src/core/solve';
import { drift, odeProblem, type Problem } from '../src/core/terms';
import { SalCircuit, type BatchSource } from '../models/sal/circuit';
import { methodConfig, type Method } from '../models/sal/presets';
import { interleaved, load1, median, type BenchRow } from './types';

function syntheticSource(batch: number, dIn: number, classes: number, pool: number): BatchSource {
  const rng = new Rng(1);
  const x = rng.fillNormal(new Float64Array(pool * dIn), 0.3);
  const t = new Float64Array(pool * classes);
  for (let i = 0; i < pool; i++) t[i * classes + rng.int(classes)] = 1;
  return {
    batch,
    load(step, X, T) {
      const start = (step * batch) % (pool - batch);
      X.set(x.subarray(start * dIn, (start + batch) * dIn));
      T.set(t.subarray(start * classes, (start + batch) * classes));
    },
  };
}

/**
 * The training step before SAL moved onto the core's inputs and reductions (issue 14), kept here as
 * the side-by-side reference: the vector field loads minibatch ⌊t⌋ itself and sums its loss (the
 * code of models/sal/train.ts and circuit.ts `term` before the move), Euler with dt = 1.
 */
function handLoadedProblem(circuit: SalCircuit, source: BatchSource): { problem: Problem; loss: () => number } {
  const w = circuit.work(source.batch);
  let lossSum = 0;
  const problem = odeProblem(
    drift(circuit.layout.size, (t, y, out) => {
      const step = Math.floor(t + 1e-7);
      source.load(step, w.X.data, w.T);
      const c = circuit.views(y);
      lossSum += circuit.pass(c, w);
      circuit.weightFlow(c, w, circuit.views(out), step);
    }),
    { layout: circuit.layout },
  );
  return { problem, loss: () => lossSum };
}

function measure(method: Method, width: number, ratio: number, steps: number, rounds: number): BenchRow {
  const batch = 32;
  const sizes = [784, width, width, width, 10];
  const circuit = new SalCircuit(
    methodConfig(method, {
      sizes,
      downWidths: method === 'sal' ? [1, 2, 3].map(() => Math.round(ratio * width)) : undefined,
      rates: { W: 0.01, Wbar: 0.01, V: 0.001, Vbar: 0.001 },
    }),
  );
  const source = syntheticSource(batch, 784, 10, 2048);
  const y0 = circuit.initState(1);
  const flow = circuit.flow(source, { t1: steps });
  const old = handLoadedProblem(circuit, source);
  const finals: Float64Array[] = [];
  const run = (problem: Problem, reductions: Reduction[], which: number) => () => {
    const sol = solve(problem, 'euler', { t0: 0, t1: steps, dt0: 1, y0, reductions });
    if (sol.status !== 'ok') throw new Error(sol.message);
    finals[which] = sol.y;
  };
  const [oldS, newS] = interleaved(
    [
      { name: 'vector field loads the minibatch (before)', setup: () => {}, fn: run(old.problem, [], 0) },
      { name: 'input + loss reduction (core)', setup: () => {}, fn: run(flow.problem, [flow.loss], 1) },
    ],
    rounds,
    200,
  );
  // Same numbers: the two paths end at the same connections, bit for bit.
  const a = finals[0];
  const b = finals[1];
  if (!a.every((v, i) => Object.is(v, b[i]))) throw new Error('the core path and the hand-loaded vector field end at different connections');
  const rate = (secs: number[]) => secs.map((s) => (steps * batch) / s).sort((x, y) => x - y);
  const now = rate(newS);
  const before = rate(oldS);
  const ratios = newS.map((s, i) => oldS[i] / s).sort((x, y) => x - y);
  const f = (v: number) => v.toFixed(0);
  return {
    name: `sal train (${method}${method === 'sal' ? `, d̄/d = ${ratio}` : ''})`,
    size: `${sizes.join('-')} batch ${batch}`,
    value: median(now),
    unit: 'samples/s',
    note:
      `core path (input + reduction) min ${f(now[0])}, max ${f(now[now.length - 1])}; before the move (vector field loads the minibatch) median ${f(median(before))} ` +
      `[${f(before[0])}, ${f(before[before.length - 1])}]; per-round speed ratio core/before median ${median(ratios).toFixed(3)} [${ratios[0].toFixed(3)}, ${ratios[ratios.length - 1].toFixed(3)}] ` +
      `over ${rounds} interleaved rounds x ${steps} steps; load ${load1()} (shared machine)`,
  };
}

export async function benchSal(opts: { quick: boolean }): Promise<BenchRow[]> {
  const steps = opts.quick ? 20 : 60;
  const repeats = opts.quick ? 3 : 7;
  const width = opts.quick ? 100 : 200;
  return [measure('sgd', width, 1, steps, repeats), measure('sal', width, 1, steps, repeats), measure('sal', width, 5, Math.max(10, steps / 4), repeats)];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchSal({ quick: process.argv.includes('--quick') }).then(
    (rows) => {
      for (const r of rows) console.log(`${r.name.padEnd(28)} ${r.size.padEnd(32)} ${r.value.toFixed(0).padStart(8)} ${r.unit}  ${r.note ?? ''}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
