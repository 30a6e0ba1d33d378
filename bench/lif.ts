/**
 * Benchmark of the LIF networks (models/lif): simulated neuron-steps per second of a 784-500-10
 * spiking network over T = 100 steps with batch 32, one problem (lifNetwork) through `solve`:
 * clock-driven (the core's spike schedule, Euler, spikingjelly semantics), with a layer's synaptic
 * input W s per step computed by the kernels' dense GEMM, by sparse accumulation of the spiking
 * neurons' weight columns, and chosen by spike density ('auto'); and event-located (rk4) on a small
 * network, for scale.
 *
 *   npx tsx bench/lif.ts            (prints a table; --quick for fewer repeats)
 *
 * A neuron-step is one neuron advanced by one dt (coding layer included: 1,294 neurons x 100 steps
 * x 32 samples per run). Inputs are 32 MNIST digits (direct coding, gain 4), weights as in
 * loco-mnist. Timings are medians over repeats on a machine shared with other jobs: pessimistic.
 */
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/core/random';
import { mnistSplit } from '../src/data/mnist';
import { initSnn, simulateClock, simulateEvents, snnSpec, type SynapseEngine } from '../models/lif/network';
import { SPIKINGJELLY_LIF } from '../models/lif/params';
import { agreementNetwork } from '../models/lif/checks';
import { median, type BenchRow } from './types';

export async function benchLif(opts: { quick: boolean }): Promise<BenchRow[]> {
  const repeats = opts.quick ? 3 : 7;
  const B = 32;
  const T = 100;
  const sizes = [784, 500, 10];
  const neurons = sizes.reduce((s, n) => s + n, 0);
  const x = mnistSplit(0).train.x.slice(0, B * 784);
  const rows: BenchRow[] = [];
  for (const [synapse, noise] of [
    ['auto', 0],
    ['dense', 0],
    ['sparse', 0],
    ['auto', 0.3],
  ] as [SynapseEngine, number][]) {
    const spec = snnSpec({ sizes, lif: SPIKINGJELLY_LIF, dt: 1, steps: T, inputGain: 4, bias: true, synapse, noise });
    const params = initSnn(spec, new Rng(1), 4, 0.5);
    const times: number[] = [];
    let spikes = 0;
    for (let r = 0; r < repeats + 1; r++) {
      const t0 = performance.now();
      const run = simulateClock(spec, params, x, B, null, { noiseSeed: r });
      if (r > 0) times.push(performance.now() - t0);
      spikes = run.spikes;
    }
    const ms = median(times);
    const rate = (neurons * T * B) / (ms / 1000);
    rows.push({
      name: `lif clock-driven, synapse ${synapse}${noise ? `, noise ${noise}` : ''}`,
      size: '784-500-10, T=100, batch 32',
      value: rate,
      unit: 'neuron-steps/s',
      note: `${ms.toFixed(1)} ms per run (${Math.min(...times).toFixed(1)}-${Math.max(...times).toFixed(1)}), ${(spikes / (neurons * T * B)).toFixed(3)} spikes per neuron-step`,
    });
  }
  // event-located integration (rk4, dt0 = 0.01 ms) of the 3-6-2 network of the agreement check
  const { spec, params, x: xe, duration } = agreementNetwork();
  const etimes: number[] = [];
  let events = 0;
  for (let r = 0; r < Math.max(2, repeats - 2); r++) {
    const t0 = performance.now();
    const run = simulateEvents(spec, params, xe, { duration, dt0: 0.01 });
    etimes.push(performance.now() - t0);
    events = run.stats.events;
  }
  const ems = median(etimes);
  const n = spec.sizes.reduce((s, v) => s + v, 0);
  rows.push({
    name: 'lif event-located (solve, rk4)',
    size: `3-6-2, ${duration} ms, dt0 = 0.01 ms`,
    value: (n * duration) / 0.01 / (ems / 1000),
    unit: 'neuron-steps/s',
    note: `${ems.toFixed(1)} ms per run, ${events} located spike events`,
  });
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchLif({ quick: process.argv.includes('--quick') }).then(
    (rows) => {
      const w = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) console.log(`${r.name.padEnd(w)}  ${r.size}  ${r.value.toExponential(3)} ${r.unit}  ${r.note ?? ''}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
