/**
 * Benchmark of the LIF networks (models/lif): simulated neuron-steps per second of a 784-500-10
 * spiking network over T = 100 steps with batch 32, one problem (lifNetwork) through `solve`:
 * clock-driven (the core's spike schedule, Euler, spikingjelly semantics), with a layer's synaptic
 * input W s per step computed by the kernels' dense GEMM, by sparse accumulation of the spiking
 * neurons' weight columns, and chosen by spike density ('auto'); and event-located (rk4) on a small
 * network, for scale.
 *
 *   npx tsx bench/lif.ts            (prints a table; --quick for fewer repeats)
 *   npx tsx bench/lif.ts --against <commit>
 *
 * `--against` times this tree's clock-driven paths side by side with those of <commit> (e.g. the
 * private loop before the move onto solve, 92e2039) in one process, interleaved rounds: a LOCO SNN
 * training step (NP and LOCO, 784-500-10, T = 20, batch 32, as loco-mnist trains) and
 * simulateClock (T = 100, batch 32, without and with membrane noise). <commit>'s models/lif and
 * models/loco are extracted into models/.lif-<commit>/models/ for the run and removed after.
 *
 * A neuron-step is one neuron advanced by one dt (coding layer included: 1,294 neurons x 100 steps
 * x 32 samples per run). Inputs are 32 MNIST digits (direct coding, gain 4), weights as in
 * loco-mnist. Timings are medians over repeats on a machine shared with other jobs: pessimistic.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/core/random';
import { mnistSplit } from '../src/data/mnist';
import { initSnn, simulateClock, simulateEvents, snnSpec, type SynapseEngine } from '../models/lif/network';
import { SPIKINGJELLY_LIF } from '../models/lif/params';
import { agreementNetwork } from '../models/lif/checks';
import { classPureBatches, gatherBatch } from '../models/loco/experiments/common';
import { MNIST_DEFAULTS } from '../models/loco/experiments/mnist';
import { PerturbationLearner } from '../models/loco/rules';
import { load1, median, type BenchRow } from './types';

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

type NetworkModule = typeof import('../models/lif/network');
type NetsModule = typeof import('../models/loco/nets');

/**
 * models/lif and models/loco of `commit`, extracted into models/.lif-<sha>/models/ with links to
 * this tree's src/ and solvers/ (so their relative imports resolve, to the same core modules);
 * `remove` deletes it.
 */
function checkoutLif(commit: string): { dir: string; remove: () => void } {
  const root = path.join(__dirname, '..');
  const sha = execFileSync('git', ['rev-parse', '--short', commit], { cwd: root, encoding: 'utf8' }).trim();
  const top = path.join(root, 'models', `.lif-${sha}`);
  fs.rmSync(top, { recursive: true, force: true });
  fs.mkdirSync(top, { recursive: true });
  const tar = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lif-old-')), 'lif.tar');
  execFileSync('git', ['archive', '-o', tar, sha, 'models/lif', 'models/loco'], { cwd: root });
  execFileSync('tar', ['-xf', tar, '-C', top]);
  fs.rmSync(path.dirname(tar), { recursive: true, force: true });
  for (const d of ['src', 'solvers']) fs.symlinkSync(path.join(root, d), path.join(top, d));
  return { dir: path.join(top, 'models'), remove: () => fs.rmSync(top, { recursive: true, force: true }) };
}

/**
 * This tree's clock-driven paths against `commit`'s, interleaved rounds in one process: median
 * and spread of the time per call, the new/old ratio of the medians and the per-round ratios
 * (old and new measured back to back), and the load average before and after.
 */
export async function benchAgainst(commit: string, opts: { quick: boolean }): Promise<BenchRow[]> {
  const old = checkoutLif(commit);
  const rows: BenchRow[] = [];
  try {
    const here = path.join(__dirname, '..', 'models');
    const mods = await Promise.all(
      [old.dir, here].map(async (d) => ({
        lif: (await import(path.join(d, 'lif', 'network.ts'))) as NetworkModule,
        nets: (await import(path.join(d, 'loco', 'nets.ts'))) as NetsModule,
      })),
    );
    const rounds = opts.quick ? 5 : 9;
    const B = 32;
    const { train } = mnistSplit(0);
    // Interleaved rounds (each contender about targetMs of calls per round, old then new): wall time
    // and this process's CPU time (user + system: less disturbed by other jobs on a loaded machine).
    const compare = (name: string, size: string, fns: (() => void)[], targetMs: number) => {
      const before = load1();
      const reps = fns.map((fn) => {
        fn();
        const t0 = performance.now();
        fn();
        return Math.max(1, Math.round(targetMs / Math.max(1, performance.now() - t0)));
      });
      const wall = fns.map(() => [] as number[]);
      const cpu = fns.map(() => [] as number[]);
      for (let r = 0; r < rounds; r++) {
        fns.forEach((fn, i) => {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          for (let k = 0; k < reps[i]; k++) fn();
          const c = process.cpuUsage(c0);
          wall[i].push((performance.now() - t0) / reps[i]);
          cpu[i].push((c.user + c.system) / 1000 / reps[i]);
        });
      }
      const spread = (xs: number[]) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
      const ratios = (xs: number[][]) => xs[1].map((v, k) => v / xs[0][k]);
      const cr = ratios(cpu);
      const wr = ratios(wall);
      rows.push({
        name: `${name} [new/old CPU]`,
        size,
        value: median(cpu[1]) / median(cpu[0]),
        unit: 'x',
        note:
          `${rounds} interleaved rounds, ms per call: CPU old ${median(cpu[0]).toFixed(1)} (${spread(cpu[0])}), new ${median(cpu[1]).toFixed(1)} (${spread(cpu[1])}); ` +
          `per-round CPU new/old ${cr.map((v) => v.toFixed(2)).join(' ')} (median ${median(cr).toFixed(3)}); ` +
          `wall old ${median(wall[0]).toFixed(1)} (${spread(wall[0])}), new ${median(wall[1]).toFixed(1)} (${spread(wall[1])}), new/old ${(median(wall[1]) / median(wall[0])).toFixed(3)}, per-round median ${median(wr).toFixed(3)}; load ${before} -> ${load1()}`,
      });
    };
    const batches = classPureBatches(train.y, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], B, new Rng(3))
      .filter((idx) => idx.length === B)
      .slice(0, 40)
      .map((idx) => gatherBatch(train, idx));
    for (const rule of ['np', 'loco'] as const) {
      const steps = mods.map((m) => {
        const spec = m.lif.snnSpec({ sizes: [784, 500, 10], lif: SPIKINGJELLY_LIF, dt: 1, steps: 20, inputGain: 4, bias: true, noise: 0 });
        const net = new m.nets.SnnNet(spec, m.lif.initSnn(spec, new Rng(1), 4, 0.5), 8);
        const learner = new PerturbationLearner(net, { rule, sigma: MNIST_DEFAULTS.snn.sigma, eta: MNIST_DEFAULTS.snn.eta[rule] }, 11);
        let next = 0;
        return () => {
          const { x, t, y } = batches[next++ % batches.length];
          learner.step(x, t, B, y);
        };
      });
      compare(`LOCO SNN ${rule.toUpperCase()} training step`, '784-500-10, T=20, batch 32', steps, 300);
    }
    const x = train.x.slice(0, B * 784);
    for (const noise of [0, 0.3]) {
      const runs = mods.map((m) => {
        const spec = m.lif.snnSpec({ sizes: [784, 500, 10], lif: SPIKINGJELLY_LIF, dt: 1, steps: 100, inputGain: 4, bias: true, noise });
        const params = m.lif.initSnn(spec, new Rng(1), 4, 0.5);
        return () => void m.lif.simulateClock(spec, params, x, B, null, { noiseSeed: 1 });
      });
      compare(`lif simulateClock${noise ? `, noise ${noise}` : ''}`, '784-500-10, T=100, batch 32', runs, 400);
    }
  } finally {
    old.remove();
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const k = process.argv.indexOf('--against');
  const quick = process.argv.includes('--quick');
  (k >= 0 ? benchAgainst(process.argv[k + 1], { quick }) : benchLif({ quick })).then(
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
