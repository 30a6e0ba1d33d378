/**
 * Benchmark of the SAL circuit: training throughput (samples/s) of the slow flows with the
 * instantaneous fast pathways (one Euler step per minibatch of 32), on the paper's 5-layer MLP
 * (784-200-200-200-10), for SAL at downstream ratios 1 and 5, and for the SGD configuration of the
 * same circuit. Synthetic Gaussian inputs (throughput does not depend on the data).
 *
 *   npx tsx bench/sal.ts          (prints a table; --quick for a smaller, faster run)
 *
 * Each row is the median over repeats of samples/s after a warm-up; min/max in the note. The
 * machine is shared while this is measured, so the numbers are pessimistic.
 */
import '../solvers/index'; // registers the built-in solvers by name
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/core/random';
import { solve } from '../src/core/solve';
import { odeProblem } from '../src/core/terms';
import { SalCircuit, type BatchSource } from '../models/sal/circuit';
import { methodConfig, type Method } from '../models/sal/presets';
import type { BenchRow } from './types';

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

function measure(method: Method, width: number, ratio: number, steps: number, repeats: number): BenchRow {
  const batch = 32;
  const sizes = [784, width, width, width, 10];
  const circuit = new SalCircuit(
    methodConfig(method, {
      sizes,
      downWidths: method === 'sal' ? [1, 2, 3].map(() => Math.round(ratio * width)) : undefined,
      rates: { W: 0.01, Wbar: 0.01, V: 0.001, Vbar: 0.001 },
    }),
  );
  const problem = odeProblem(circuit.term(syntheticSource(batch, 784, 10, 2048)), { layout: circuit.layout });
  const y0 = circuit.initState(1);
  const run = () => {
    const t0 = performance.now();
    const sol = solve(problem, 'euler', { t0: 0, t1: steps, dt0: 1, y0 });
    if (sol.status !== 'ok') throw new Error(sol.message);
    return (steps * batch) / ((performance.now() - t0) / 1000);
  };
  run(); // warm-up
  const values = Array.from({ length: repeats }, run).sort((a, b) => a - b);
  const med = values[Math.floor(values.length / 2)];
  return {
    name: `sal train (${method}${method === 'sal' ? `, d̄/d = ${ratio}` : ''})`,
    size: `${sizes.join('-')} batch ${batch}`,
    value: med,
    unit: 'samples/s',
    note: `min ${values[0].toFixed(0)}, max ${values[values.length - 1].toFixed(0)} over ${repeats} x ${steps} steps; shared machine (pessimistic)`,
  };
}

export async function benchSal(opts: { quick: boolean }): Promise<BenchRow[]> {
  const steps = opts.quick ? 20 : 60;
  const repeats = opts.quick ? 3 : 5;
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
