/**
 * Benchmark of DLL (models/dll): time per training batch of the buffered DLL MLP (relaxation by a
 * solver, then the updates) against BP on the same network, the cost of the coupled flow's vector
 * field, and DLL-RNN (closed-form and flow relaxation) against BPTT.
 *
 *   npx tsx bench/dll.ts           (full sizes; prints a table)
 *   npx tsx bench/dll.ts --quick
 *
 * Each row is the median over repeats of the wall time per call, after a warm-up. The paper-size
 * MLP (784-1024-512-256-10) rows give samples/s for each linear-algebra backend side by side. The
 * machine is shared while this runs, so timings are pessimistic.
 */
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/core/random';
import { formatTable } from '../src/io/output';
import { DllMlp, coupledProblem, packCoupled, resetApical } from '../models/dll/mlp';
import { BpTrainer, DllTrainer, toMlpParams } from '../models/dll/trainer';
import { DllRnn, RnnRelaxer, bpttDirections } from '../models/dll/rnn';
import { forceEngine, getBackend, setBackend } from '../src/linalg/backend';
import { backends, interleaved, load1, median, type BenchRow } from './types';


function medianMs(fn: () => void, repeats: number, inner: number): { median: number; min: number; max: number } {
  fn();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let k = 0; k < inner; k++) fn();
    times.push((performance.now() - t0) / inner);
  }
  return { median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

export async function benchDll(opts: { quick: boolean }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const repeats = opts.quick ? 3 : 7;
  const inner = opts.quick ? 2 : 5;
  const sizes = opts.quick ? [784, 64, 32, 10] : [784, 256, 128, 10];
  const B = opts.quick ? 32 : 128;
  const size = `${sizes.join('-')}, batch ${B}`;
  const rng = new Rng(1);
  const x = rng.fillUniform(new Float64Array(B * 784));
  const t = new Float64Array(B * 10);
  for (let b = 0; b < B; b++) t[b * 10 + (b % 10)] = 1;
  const net = new DllMlp({ sizes, hidden: 'tanh', loss: 'cross-entropy' });
  const note = (s: { min: number; max: number }) => `min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)} ms; shared machine`;

  for (const [label, relax] of [
    ['euler dt=1 (exact in L-1 steps)', { solver: 'euler', dt: 1, tol: 1e-8 }],
    ['euler dt=0.5, tol 1e-8', { solver: 'euler', dt: 0.5, tol: 1e-8 }],
    ['rk4 dt=0.5, tol 1e-8', { solver: 'rk4', dt: 0.5, tol: 1e-8 }],
    ['dopri5, tol 1e-8', { solver: 'dopri5', dt: 0.1, tol: 1e-8, rtol: 1e-8, atol: 1e-10 }],
  ] as const) {
    const tr = new DllTrainer(net, net.init(new Rng(2)), B, { optimizer: 'adam', lr: 1e-4, relax });
    const s = medianMs(() => tr.step(x, t), repeats, inner);
    rows.push({ name: `DLL MLP train step, relax ${label}`, size, value: s.median, unit: 'ms/batch', note: `${tr.lastRelax?.steps} relaxation steps; ${note(s)}` });
  }
  {
    const bp = new BpTrainer(sizes, 'tanh', toMlpParams(net.init(new Rng(2))), 'cross-entropy', { optimizer: 'adam', lr: 1e-4 });
    const s = medianMs(() => bp.step(x, t, B), repeats, inner);
    rows.push({ name: 'BP MLP train step', size, value: s.median, unit: 'ms/batch', note: note(s) });
  }
  {
    const ws = net.workspace(B);
    net.setBatch(ws, x, t);
    const { problem, layout } = coupledProblem(net, ws, { tauX: 1, tauW: 1000, tauTheta: 1000 });
    const y = packCoupled(net, layout, net.init(new Rng(3)));
    resetApical(net, layout, ws, y);
    const out = new Float64Array(y.length);
    const s = medianMs(() => problem.drift.vf(0, y, out), repeats, inner * 2);
    rows.push({ name: 'coupled DLL flow: one vector-field evaluation (basal pass + apical + W, Θ rates)', size, value: s.median, unit: 'ms/eval', note: note(s) });
  }

  rows.push(...paperSize(opts.quick));

  const nh = opts.quick ? 32 : 64;
  const steps = 20;
  const RB = 32;
  const rnn = new DllRnn({ nIn: 24, nHidden: nh, nOut: 24, loss: 'cross-entropy' });
  const p = rnn.init(new Rng(4));
  const inputs = new Float64Array(steps * RB * 24);
  const targets = new Float64Array(steps * RB * 24);
  for (let k = 0; k < steps * RB; k++) {
    inputs[k * 24 + (k % 24)] = 1;
    targets[k * 24 + ((k * 7) % 24)] = 1;
  }
  const rsize = `24-${nh}-24, ${steps} steps, batch ${RB}`;
  const ws = rnn.workspace(RB, steps);
  const dirs = rnn.zeroParams();
  for (const [label, relaxer] of [
    ['closed form (eqs. 19-20)', new RnnRelaxer(rnn, ws, { closed: true })],
    ['flow, euler dt=1', new RnnRelaxer(rnn, ws, { solver: 'euler', dt: 1, tol: 1e-8 })],
  ] as const) {
    const s = medianMs(() => {
      rnn.present(p, ws, inputs, targets);
      relaxer.relax(p);
      rnn.updates(ws, dirs);
    }, repeats, inner);
    rows.push({ name: `DLL-RNN errors + updates, ${label}`, size: rsize, value: s.median, unit: 'ms/batch', note: note(s) });
  }
  {
    const s = medianMs(() => {
      rnn.present(p, ws, inputs, targets);
      bpttDirections(rnn, p, ws, dirs);
    }, repeats, inner);
    rows.push({ name: 'BPTT gradients', size: rsize, value: s.median, unit: 'ms/batch', note: note(s) });
  }
  return rows;
}

/**
 * The paper's MLP (784-1024-512-256-10, batch 128, Adam; relaxation by Euler at dt = 1, exact in
 * L − 1 steps, as dll-mnist runs by default) and BP on it: training samples per second on each
 * linear-algebra backend, side by side in interleaved rounds (the 'ts' backend, about 2 s a step,
 * only in the full run).
 */
function paperSize(quick: boolean): BenchRow[] {
  const sizes = [784, 1024, 512, 256, 10];
  const B = 128;
  const rng = new Rng(5);
  const x = rng.fillUniform(new Float64Array(B * 784));
  const t = new Float64Array(B * 10);
  for (let b = 0; b < B; b++) t[b * 10 + (b % 10)] = 1;
  const net = new DllMlp({ sizes, hidden: 'tanh', loss: 'cross-entropy' });
  const dll = new DllTrainer(net, net.init(new Rng(6)), B, { optimizer: 'adam', lr: 1e-4, relax: { solver: 'euler', dt: 1, tol: 1e-8 } });
  const bp = new BpTrainer(sizes, 'tanh', toMlpParams(net.init(new Rng(6))), 'cross-entropy', { optimizer: 'adam', lr: 1e-4 });
  const saved = getBackend();
  const bks = backends(quick ? ['auto', 'blas', 'wasm'] : ['auto', 'blas', 'wasm', 'ts']);
  const rounds = quick ? 2 : 5;
  const rows: BenchRow[] = [];
  try {
    for (const [label, step] of [
      ['DLL MLP train step (relax euler dt=1)', () => void dll.step(x, t)],
      ['BP MLP train step', () => void bp.step(x, t, B)],
    ] as const) {
      const before = load1();
      const secs = interleaved(bks.map((b) => ({ name: b.name, setup: b.setup, fn: step })), rounds, 1);
      const load = `load ${before} -> ${load1()}`;
      bks.forEach((b, i) => {
        const rates = secs[i].map((s) => B / s);
        rows.push({
          name: `${label} [${b.name}]`,
          size: `${sizes.join('-')}, batch ${B}`,
          value: median(rates),
          unit: 'samples/s',
          note: `${(1000 * median(secs[i])).toFixed(0)} ms per batch; ${rounds} interleaved rounds, ${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)} samples/s; ${load}`,
        });
      });
    }
  } finally {
    forceEngine(null);
    setBackend(saved);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchDll({ quick: process.argv.includes('--quick') }).then((rows) => {
    console.log(formatTable(['benchmark', 'size', 'value', 'unit', 'note'], rows.map((r) => [r.name, r.size, r.value, r.unit, r.note ?? ''])));
  });
}
