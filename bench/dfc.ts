/**
 * DFC forward-learning speed, side by side with the lean PyTorch loop of
 * ../shared/reference/dfc_torch_bench.py (run, never copied):
 *
 *   npx tsx bench/dfc.ts            (prints a table)
 *
 * The work per minibatch: network (eq. 1) + PI controller (eq. 4) by forward Euler from the
 * feedforward state, accumulating the eq. (5) update, float64, 1000 steps (models/dfc/engine.ts).
 * Configurations: toy 15-10-10-5, batch 128 (Fig. 3 settings) and MNIST-size 784-256-256-256-10,
 * batch 32 and 128 (MNIST settings). Each row is samples per second = batch / median wall time of a
 * minibatch over the repeats (min and max and the CPU-time figure in the note).
 *
 * Figures for creditflow: the engine as used in training (the input layer's X W_1ᵀ and its update
 * hoisted out of the time loop: r_0 and W_1 are constant during a sample), the same loop without
 * hoisting, which does the PyTorch loop's flops step for step, and the TypeScript loop (no wasm,
 * `resident: false`) for reference. The PyTorch figure comes from
 * `/usr/bin/python3 dfc_torch_bench.py --threads 1` when that Python can import torch; otherwise
 * the row says it is unavailable.
 *
 * Side by side: the machine is shared, so each configuration runs in rounds that interleave
 * creditflow and PyTorch (each round: our repeats, then the PyTorch script with its repeats), and
 * the ratio row is the median over rounds of the per-round ratios (rounds in the note, with the
 * 1-minute load average before and after). Timings on a machine shared with other jobs are
 * pessimistic. The PyTorch loop takes tmax − 1 = 999 Euler steps per minibatch, ours 1000.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../src/core/random';
import { mat } from '../src/linalg/mat';
import { formatTable } from '../src/io/output';
import { DfcEngine } from '../models/dfc/engine';
import { DfcNet, initForwardWeights, productFeedback } from '../models/dfc/network';
import { FIG3_FORWARD, type ControllerConfig } from '../models/dfc/config';
import { MNIST_FORWARD } from '../models/dfc/experiments/mnist';
import { median, type BenchRow } from './types';

const REFERENCE = path.resolve(__dirname, '..', '..', 'shared', 'reference', 'dfc_torch_bench.py');
const PYTHON = '/usr/bin/python3';

interface Case {
  task: 'toy' | 'mnist';
  sizes: number[];
  batch: number;
  cfg: ControllerConfig;
  loss: 'mse' | 'cross-entropy';
}

function torchAvailable(): boolean {
  if (!fs.existsSync(PYTHON) || !fs.existsSync(REFERENCE)) return false;
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** The PyTorch loop's samples/s (median of its repeats), or null with the reason. */
function torchSamplesPerSecond(c: Case, steps: number, reps: number): { value: number | null; note: string } {
  try {
    const outText = execFileSync(
      PYTHON,
      [REFERENCE, '--task', c.task, '--batch', String(c.batch), '--threads', '1', '--tmax', String(steps), '--reps', String(reps)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 },
    );
    const line = outText.trim().split('\n').pop() ?? '';
    const r = JSON.parse(line) as { samples_per_s: number; median_s: number };
    return { value: r.samples_per_s, note: `median ${r.median_s.toFixed(3)} s per minibatch, 1 thread` };
  } catch (e) {
    return { value: null, note: `PyTorch run failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

/** creditflow's samples/s for one case: wall-time median over `reps` minibatches after a warm-up. */
function ours(c: Case, steps: number, reps: number, hoistInput: boolean, resident = true): { value: number; note: string } {
  const net = new DfcNet({ sizes: c.sizes, hidden: 'tanh', loss: c.loss });
  const rng = new Rng(42);
  const W = initForwardWeights(net, rng);
  const p = { W, Q: productFeedback(net, W) };
  const X = mat(c.batch, c.sizes[0]);
  rng.fillUniform(X.data, -1, 1);
  const nL = c.sizes[c.sizes.length - 1];
  const { R } = net.feedforwardBatch(W, X);
  const Rstar = mat(c.batch, nL);
  for (let k = 0; k < Rstar.data.length; k++) Rstar.data[k] = R[net.L].data[k] + c.cfg.lambda * (rng.uniform() - 0.5);
  const cfg = { ...c.cfg, steps };
  const engine = new DfcEngine(net, c.batch);
  const opts = { accumulate: true, hoistInput, resident };
  engine.wake(p, X, Rstar, cfg, opts); // warm-up (JIT, buffers)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const res = engine.wake(p, X, Rstar, cfg, opts);
    wall.push((performance.now() - t0) / 1000);
    const cu = process.cpuUsage(c0);
    cpu.push((cu.user + cu.system) / 1e6);
    if (res.status !== 'ok') throw new Error(`benchmark dynamics diverged: ${JSON.stringify(res.divergence)}`);
  }
  const med = median(wall);
  const note = `median ${med.toFixed(3)} s per minibatch (min ${Math.min(...wall).toFixed(3)}, max ${Math.max(...wall).toFixed(3)}; CPU-time median ${median(cpu).toFixed(3)} s)`;
  return { value: c.batch / med, note };
}

function load1(): string {
  return os.loadavg()[0].toFixed(2);
}

export async function benchDfc(opts: { quick: boolean }): Promise<BenchRow[]> {
  // --quick: the MNIST-size cases settle for 200 steps instead of 1000 (samples/s scale as 1/steps)
  const mnistSteps = opts.quick ? 200 : 1000;
  const cases: (Case & { steps: number })[] = [
    { task: 'toy', sizes: [15, 10, 10, 5], batch: 128, cfg: FIG3_FORWARD, loss: 'mse', steps: 1000 },
    { task: 'mnist', sizes: [784, 256, 256, 256, 10], batch: 32, cfg: { ...MNIST_FORWARD, steps: mnistSteps }, loss: 'cross-entropy', steps: mnistSteps },
    { task: 'mnist', sizes: [784, 256, 256, 256, 10], batch: 128, cfg: { ...MNIST_FORWARD, steps: mnistSteps }, loss: 'cross-entropy', steps: mnistSteps },
  ];
  const torch = torchAvailable();
  const rows: BenchRow[] = [];
  for (const c of cases) {
    const { steps } = c;
    const toy = c.task === 'toy';
    const rounds = opts.quick ? 1 : toy ? 5 : 2;
    const reps = opts.quick ? (toy ? 3 : 1) : toy ? 7 : 2;
    const size = `${c.sizes.join('-')}, batch ${c.batch}, ${steps} steps`;
    const loadBefore = load1();
    const a: number[] = [];
    const b: number[] = [];
    const t: number[] = [];
    const ratio: number[] = [];
    const ratioB: number[] = [];
    let noteA = '';
    let noteB = '';
    let noteT = torch ? '' : `unavailable: ${PYTHON} cannot import torch (apt-get install python3-torch)`;
    for (let r = 0; r < rounds; r++) {
      const ra = ours(c, steps, reps, true);
      const rb = ours(c, steps, reps, false);
      a.push(ra.value);
      b.push(rb.value);
      noteA = ra.note;
      noteB = rb.note;
      if (torch) {
        const rt = torchSamplesPerSecond(c, steps, opts.quick ? reps : Math.max(3, reps));
        noteT = rt.note;
        if (rt.value !== null) {
          t.push(rt.value);
          ratio.push(ra.value / rt.value);
          ratioB.push(rb.value / rt.value);
        }
      }
    }
    // the TypeScript loop (no wasm), once, for reference
    const ts = toy || !opts.quick ? ours(c, steps, toy ? reps : 1, true, false) : null;
    const loadNote = `${rounds} round(s) x ${reps} repeats, load ${loadBefore} -> ${load1()}`;
    const spread = (xs: number[]) => (xs.length > 1 ? `; rounds ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}` : '');
    rows.push({ name: 'dfc forward learning (creditflow)', size, value: median(a), unit: 'samples/s', note: `${noteA}${spread(a)}; ${loadNote}` });
    rows.push({ name: 'dfc forward learning (creditflow, no input hoisting)', size, value: median(b), unit: 'samples/s', note: `${noteB}${spread(b)}` });
    if (ts) rows.push({ name: 'dfc forward learning (creditflow, TypeScript loop, no wasm)', size, value: ts.value, unit: 'samples/s', note: ts.note });
    rows.push({ name: 'dfc forward learning (PyTorch reference)', size, value: t.length ? median(t) : NaN, unit: 'samples/s', note: `${noteT}${spread(t)}` });
    if (ratio.length) {
      rows.push({ name: 'ratio creditflow / PyTorch', size, value: median(ratio), unit: 'x', note: `median of ${ratio.length} interleaved round(s); no hoisting: ${median(ratioB).toFixed(2)}x` });
    } else {
      rows.push({ name: 'ratio creditflow / PyTorch', size, value: NaN, unit: 'x', note: 'PyTorch figure unavailable' });
    }
  }
  return rows;
}

if (require.main === module) {
  benchDfc({ quick: process.argv.includes('--quick') }).then((rows) => {
    const table = formatTable(
      ['benchmark', 'size', 'value', 'unit', 'note'],
      rows.map((r) => [r.name, r.size, Number.isFinite(r.value) ? r.value : 'unavailable', r.unit, r.note ?? '']),
    );
    process.stdout.write(table + '\n(timings on a shared machine are pessimistic)\n');
  });
}
