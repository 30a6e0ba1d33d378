/**
 * Benchmark of the LIF networks (models/lif): simulated neuron-steps per second of a 784-500-10
 * spiking network over T = 100 steps with batch 32, one problem (lifNetwork) through `solve`:
 * clock-driven (the core's spike schedule, Euler, spikingjelly semantics), with a layer's synaptic
 * input W s per step computed by the kernels' dense GEMM, by sparse accumulation of the spiking
 * neurons' weight columns, and chosen by spike density ('auto'); and event-located (rk4) on a small
 * network, for scale.
 *
 *   npx tsx bench/lif.ts            (prints a table; --quick for fewer repeats)
 *   npx tsx bench/lif.ts --against <commit> [--only <part of a row's name>]
 *
 * `--against` times this tree's clock-driven paths side by side with those of <commit> (e.g. the
 * private loop before the move onto solve, 92e2039), each in a process of its own, interleaved
 * rounds: a LOCO SNN
 * training (NP and LOCO, 784-500-10, T = 20, batch 32, 8 minibatches per call, as loco-mnist
 * trains; each tree's own learner, models/loco/rules.ts, so the time includes the weight update as
 * that tree makes it) and
 * simulateClock (T = 100, batch 32, without and with membrane noise). <commit>'s models/lif and
 * models/loco are extracted into models/.lif-<commit>/models/ for the run and removed after.
 *
 * A neuron-step is one neuron advanced by one dt (coding layer included: 1,294 neurons x 100 steps
 * x 32 samples per run). Inputs are 32 MNIST digits (direct coding, gain 4), weights as in
 * loco-mnist. Timings are medians over repeats on a machine shared with other jobs: pessimistic.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
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
 * A tree's learning rules: PerturbationLearner's constructor and `step` (every version), and `train`
 * (minibatches through one integration of the weights' flow) where the tree has it.
 */
type RulesModule = {
  PerturbationLearner: new (
    net: unknown,
    opts: { rule: 'np' | 'loco'; sigma: number; eta: number },
    seed: number,
  ) => {
    step(x: Float64Array, t: Float64Array, B: number, groups: Int32Array): unknown;
    train?(count: number, batchAt: (k: number) => { x: Float64Array; target: Float64Array; B: number; groups: Int32Array }): unknown;
  };
};

/** Minibatches per call of the training cases: loco-mnist trains an epoch in one integration of the flow, so the flow's per-run set-up is shared by many minibatches. */
const TRAIN_BLOCK = 8;

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

/** The paths --against times: each builds its call from one tree's models/lif and models/loco. */
const AGAINST: { name: string; size: string; targetMs: number; make: (lif: NetworkModule, nets: NetsModule, rules: RulesModule) => () => void }[] = [
  ...(['np', 'loco'] as const).map((rule) => ({
    name: `LOCO SNN ${rule.toUpperCase()} training, ${TRAIN_BLOCK} minibatches per call`,
    size: '784-500-10, T=20, batch 32',
    targetMs: 1500,
    make: (lif: NetworkModule, nets: NetsModule, rules: RulesModule) => {
      const B = 32;
      const { train } = mnistSplit(0);
      const batches = classPureBatches(train.y, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], B, new Rng(3))
        .filter((idx) => idx.length === B)
        .slice(0, 40)
        .map((idx) => gatherBatch(train, idx));
      const spec = lif.snnSpec({ sizes: [784, 500, 10], lif: SPIKINGJELLY_LIF, dt: 1, steps: 20, inputGain: 4, bias: true, noise: 0 });
      const net = new nets.SnnNet(spec, lif.initSnn(spec, new Rng(1), 4, 0.5), 8);
      const learner = new rules.PerturbationLearner(net, { rule, sigma: MNIST_DEFAULTS.snn.sigma, eta: MNIST_DEFAULTS.snn.eta[rule] }, 11);
      let next = 0;
      const batchAt = () => {
        const { x, t, y } = batches[next++ % batches.length];
        return { x, target: t, B, groups: y };
      };
      // as each tree trains: the new one TRAIN_BLOCK minibatches in one integration of the flow, the old one step by step
      if (learner.train) return () => void learner.train!(TRAIN_BLOCK, batchAt);
      return () => {
        for (let k = 0; k < TRAIN_BLOCK; k++) {
          const b = batchAt();
          learner.step(b.x, b.target, B, b.groups);
        }
      };
    },
  })),
  ...[0, 0.3].map((noise) => ({
    name: `lif simulateClock${noise ? `, noise ${noise}` : ''}`,
    size: '784-500-10, T=100, batch 32',
    targetMs: 400,
    make: (lif: NetworkModule) => {
      const B = 32;
      const x = mnistSplit(0).train.x.slice(0, B * 784);
      const spec = lif.snnSpec({ sizes: [784, 500, 10], lif: SPIKINGJELLY_LIF, dt: 1, steps: 100, inputGain: 4, bias: true, noise });
      const params = lif.initSnn(spec, new Rng(1), 4, 0.5);
      return () => void lif.simulateClock(spec, params, x, B, null, { noiseSeed: 1 });
    },
  })),
];

/**
 * A contender of --against, run in a child process of its own (so the old and the new code do not
 * share the optimizer's feedback or the heap): builds case `name` from the models under `dir`,
 * warms up (≥ 10 calls and ≥ 2 s), then on each message { reps } runs reps calls and answers their CPU (user + system)
 * and wall time in ms per call.
 */
async function againstChild(dir: string, name: string): Promise<void> {
  const lif = (await import(path.join(dir, 'lif', 'network.ts'))) as NetworkModule;
  const nets = (await import(path.join(dir, 'loco', 'nets.ts'))) as NetsModule;
  const rules = (await import(path.join(dir, 'loco', 'rules.ts'))) as RulesModule;
  const fn = AGAINST.find((c) => c.name === name)!.make(lif, nets, rules);
  // warm-up: at least 10 calls and 2 s, so that both trees' code is optimized before timing
  const t0 = performance.now();
  let calls = 0;
  while (calls < 10 || performance.now() - t0 < 2000) {
    fn();
    calls++;
  }
  process.send!({ perCall: (performance.now() - t0) / calls });
  process.on('message', (m: { reps?: number }) => {
    if (m.reps === undefined) process.exit(0);
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (let k = 0; k < m.reps; k++) fn();
    const c = process.cpuUsage(c0);
    process.send!({ cpu: (c.user + c.system) / 1000 / m.reps, wall: (performance.now() - w0) / m.reps });
  });
}

/**
 * This tree's clock-driven paths against `commit`'s: each in a child process of its own (three
 * fresh pairs of processes, five rounds each), in interleaved rounds (old then new, each about the
 * case's target time of calls per round) after a warm-up: median and spread of the CPU and wall time per call, the new/old ratio of the medians
 * and the per-round ratios (old and new measured back to back), and the load average before and
 * after. `only` keeps the cases whose name contains it.
 */
export async function benchAgainst(commit: string, opts: { quick: boolean; only?: string }): Promise<BenchRow[]> {
  const old = checkoutLif(commit);
  const rows: BenchRow[] = [];
  // a fresh pair of processes for each block of rounds: a process's compiled code and heap vary
  // from one process to the next (±30% at T = 20), so one pair alone can be lucky or unlucky
  const pairs = opts.quick ? 1 : 3;
  const perPair = 5;
  const rounds = pairs * perPair;
  const next = (k: ChildProcess, msg?: { reps: number }) =>
    new Promise<{ perCall?: number; cpu?: number; wall?: number }>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`bench child exited with code ${code}`));
      k.once('exit', onExit);
      k.once('message', (m: { perCall?: number; cpu?: number; wall?: number }) => {
        k.off('exit', onExit);
        resolve(m);
      });
      if (msg) k.send(msg);
    });
  try {
    const here = path.join(__dirname, '..', 'models');
    for (const c of AGAINST.filter((x) => !opts.only || x.name.includes(opts.only))) {
      const before = load1();
      const cpu: number[][] = [[], []];
      const wall: number[][] = [[], []];
      for (let p = 0; p < pairs; p++) {
        const kids = [old.dir, here].map((dir) => fork(__filename, ['--against-child', dir, c.name]));
        try {
          const ready = await Promise.all(kids.map((k) => next(k)));
          const reps = ready.map((r) => Math.max(1, Math.round(c.targetMs / Math.max(1, r.perCall!))));
          for (let r = 0; r < perPair; r++) {
            for (let i = 0; i < 2; i++) {
              const res = await next(kids[i], { reps: reps[i] });
              cpu[i].push(res.cpu!);
              wall[i].push(res.wall!);
            }
          }
        } finally {
          for (const k of kids) k.kill();
        }
      }
      const spread = (xs: number[]) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
      const ratios = (xs: number[][]) => xs[1].map((v, k) => v / xs[0][k]);
      const cr = ratios(cpu);
      const wr = ratios(wall);
      rows.push({
        name: `${c.name} [new/old CPU]`,
        size: c.size,
        value: median(cpu[1]) / median(cpu[0]),
        unit: 'x',
        note:
          `${rounds} interleaved rounds (${pairs} pairs of processes, ${perPair} rounds each), ms per call: CPU old ${median(cpu[0]).toFixed(1)} (${spread(cpu[0])}), new ${median(cpu[1]).toFixed(1)} (${spread(cpu[1])}); ` +
          `per-round CPU new/old ${cr.map((v) => v.toFixed(2)).join(' ')} (median ${median(cr).toFixed(3)}); ` +
          `wall old ${median(wall[0]).toFixed(1)} (${spread(wall[0])}), new ${median(wall[1]).toFixed(1)} (${spread(wall[1])}), new/old ${(median(wall[1]) / median(wall[0])).toFixed(3)}, per-round ${wr.map((v) => v.toFixed(2)).join(' ')} (median ${median(wr).toFixed(3)}); load ${before} -> ${load1()}`,
      });
    }
  } finally {
    old.remove();
  }
  return rows;
}

const child = process.argv.indexOf('--against-child');
if (child >= 0) {
  againstChild(process.argv[child + 1], process.argv[child + 2]).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const k = process.argv.indexOf('--against');
  const quick = process.argv.includes('--quick');
  const only = process.argv.indexOf('--only');
  (k >= 0 ? benchAgainst(process.argv[k + 1], { quick, only: only >= 0 ? process.argv[only + 1] : undefined }) : benchLif({ quick })).then(
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
