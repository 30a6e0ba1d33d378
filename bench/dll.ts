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
 *
 *   npx tsx bench/dll.ts --against <commit>
 *
 * runs the training paths of this tree side by side with those of <commit> (issue 14: the last
 * commit before the slow flows moved onto `solve`, a7bcd7a), in interleaved rounds: models/dll of
 * <commit> is extracted into models/.dll-<commit>/ for the run and removed after.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/core/random';
import { formatTable } from '../src/io/output';
import { DllMlp, coupledProblem, packCoupled, resetApical } from '../models/dll/mlp';
import { BpTrainer, DllTrainer, toMlpParams } from '../models/dll/trainer';
import { DllRnn, RnnRelaxer, bpttDirections } from '../models/dll/rnn';
import { forceEngine, getBackend, setBackend } from '../src/linalg/backend';
import { backends, interleaved, load1, median, type BenchRow } from './types';


/** Minibatches per integration of the slow flow in the train-step rows (runMnist integrates a whole epoch at once). */
const PER_SOLVE = 8;

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
  const sameBatch = () => ({ input: x, target: t });
  const perBatch = (m: { median: number; min: number; max: number }) => ({ median: m.median / PER_SOLVE, min: m.min / PER_SOLVE, max: m.max / PER_SOLVE });

  for (const [label, relax] of [
    ['euler dt=1 (exact in L-1 steps)', { solver: 'euler', dt: 1, tol: 1e-8 }],
    ['euler dt=0.5, tol 1e-8', { solver: 'euler', dt: 0.5, tol: 1e-8 }],
    ['rk4 dt=0.5, tol 1e-8', { solver: 'rk4', dt: 0.5, tol: 1e-8 }],
    ['dopri5, tol 1e-8', { solver: 'dopri5', dt: 0.1, tol: 1e-8, rtol: 1e-8, atol: 1e-10 }],
  ] as const) {
    // As runMnist trains: one integration of the slow flow over several minibatches (flow.ts).
    const tr = new DllTrainer(net, net.init(new Rng(2)), B, { optimizer: 'adam', lr: 1e-4, relax });
    const s = perBatch(medianMs(() => tr.run(PER_SOLVE, sameBatch), repeats, inner));
    rows.push({ name: `DLL MLP train step, relax ${label}`, size, value: s.median, unit: 'ms/batch', note: `${tr.lastRelax?.steps} relaxation steps; ${PER_SOLVE} minibatches per solve; ${note(s)}` });
  }
  {
    const bp = new BpTrainer(sizes, 'tanh', toMlpParams(net.init(new Rng(2))), 'cross-entropy', { optimizer: 'adam', lr: 1e-4 });
    const s = perBatch(medianMs(() => bp.run(PER_SOLVE, sameBatch), repeats, inner));
    rows.push({ name: 'BP MLP train step', size, value: s.median, unit: 'ms/batch', note: `${PER_SOLVE} minibatches per solve; ${note(s)}` });
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
  const PAPER_PER_SOLVE = 2;
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
      ['DLL MLP train step (relax euler dt=1)', () => void dll.run(PAPER_PER_SOLVE, () => ({ input: x, target: t }))],
      ['BP MLP train step', () => void bp.run(PAPER_PER_SOLVE, () => ({ input: x, target: t }))],
    ] as const) {
      const before = load1();
      const secs = interleaved(bks.map((b) => ({ name: b.name, setup: b.setup, fn: step })), rounds, 1);
      const load = `load ${before} -> ${load1()}`;
      bks.forEach((b, i) => {
        const rates = secs[i].map((s) => (PAPER_PER_SOLVE * B) / s);
        rows.push({
          name: `${label} [${b.name}]`,
          size: `${sizes.join('-')}, batch ${B}`,
          value: median(rates),
          unit: 'samples/s',
          note: `${((1000 * median(secs[i])) / PAPER_PER_SOLVE).toFixed(0)} ms per batch, ${PAPER_PER_SOLVE} per solve; ${rounds} interleaved rounds, ${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)} samples/s; ${load}`,
        });
      });
    }
  } finally {
    forceEngine(null);
    setBackend(saved);
  }
  return rows;
}

type TrainerModule = typeof import('../models/dll/trainer');
type MnistModule = typeof import('../models/dll/mnist-train');
type RnnModule = typeof import('../models/dll/rnn-train');
type MlpModule = typeof import('../models/dll/mlp');

/** models/dll of `commit`, extracted beside this tree's (so its relative imports resolve); `remove` deletes it. */
function checkoutDll(commit: string): { dir: string; remove: () => void } {
  const root = path.join(__dirname, '..');
  const sha = execFileSync('git', ['rev-parse', '--short', commit], { cwd: root, encoding: 'utf8' }).trim();
  const dir = path.join(root, 'models', `.dll-${sha}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dll-old-'));
  const tar = path.join(tmp, 'dll.tar');
  execFileSync('git', ['archive', '-o', tar, sha, 'models/dll'], { cwd: root });
  execFileSync('tar', ['-xf', tar, '-C', tmp]);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(path.join(tmp, 'models', 'dll'), dir);
  fs.rmSync(tmp, { recursive: true, force: true });
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The training paths, old (`commit`) and new side by side in interleaved rounds: the DLL MLP and
 * BP steps (one minibatch each; the new DLL also as one integration over 8 minibatches, how
 * runMnist trains), a dll-mnist epoch, and DLL-RNN / BPTT training runs. Median and spread of the
 * time per minibatch (per run for the whole-run rows), new/old ratio.
 */
export async function benchAgainst(commit: string, opts: { quick: boolean }): Promise<BenchRow[]> {
  const old = checkoutDll(commit);
  const rows: BenchRow[] = [];
  try {
    const load = async <T>(dir: string, m: string) => (await import(path.join(dir, `${m}.ts`))) as T;
    const here = path.join(__dirname, '..', 'models', 'dll');
    const mods = await Promise.all(
      [old.dir, here].map(async (d) => ({
        trainer: await load<TrainerModule>(d, 'trainer'),
        mnist: await load<MnistModule>(d, 'mnist-train'),
        rnn: await load<RnnModule>(d, 'rnn-train'),
        mlp: await load<MlpModule>(d, 'mlp'),
      })),
    );
    const rounds = opts.quick ? 3 : 11;
    const sizes = [784, 256, 128, 10];
    const B = 128;
    const rng = new Rng(1);
    const x = rng.fillUniform(new Float64Array(B * 784));
    const t = new Float64Array(B * 10);
    for (let b = 0; b < B; b++) t[b * 10 + (b % 10)] = 1;
    const relax = { solver: 'euler', dt: 1, tol: 1e-8 };
    const size = `${sizes.join('-')}, batch ${B}, Adam`;
    // Interleaved rounds (each contender ≥ 200 ms of calls per round); wall time and this process's
    // CPU time (user + system: less disturbed by other jobs on a loaded machine) per unit.
    const compare = (name: string, sz: string, unit: string, perCall: number[], fns: (() => void)[], labels: string[]) => {
      const before = load1();
      const reps = fns.map((fn) => {
        fn();
        const t0 = performance.now();
        fn();
        return Math.max(1, Math.round(200 / Math.max(1, performance.now() - t0)));
      });
      const wall = fns.map(() => [] as number[]);
      const cpu = fns.map(() => [] as number[]);
      for (let r = 0; r < rounds; r++) {
        fns.forEach((fn, i) => {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          for (let k = 0; k < reps[i]; k++) fn();
          const c = process.cpuUsage(c0);
          wall[i].push((performance.now() - t0) / reps[i] / perCall[i]);
          cpu[i].push((c.user + c.system) / 1000 / reps[i] / perCall[i]);
        });
      }
      const base = median(cpu[0]);
      const baseWall = median(wall[0]);
      // Paired ratios (new and old measured back to back in the same round), robust to load drifting between rounds.
      const paired = (xs: number[][], i: number) => {
        const r = xs[i].map((v, k) => v / xs[0][k]);
        return `${median(r).toFixed(3)} (${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)})`;
      };
      fns.forEach((_, i) => {
        rows.push({
          name: `${name} [${labels[i]}]`,
          size: sz,
          value: median(cpu[i]),
          unit: `CPU ${unit}`,
          note: `${rounds} interleaved rounds: CPU ${Math.min(...cpu[i]).toFixed(2)}-${Math.max(...cpu[i]).toFixed(2)}, wall median ${median(wall[i]).toFixed(2)} (${Math.min(...wall[i]).toFixed(2)}-${Math.max(...wall[i]).toFixed(2)})${i === 0 ? '' : `; new/old CPU ${(median(cpu[i]) / base).toFixed(3)}, wall ${(median(wall[i]) / baseWall).toFixed(3)}; per-round CPU ratio ${paired(cpu, i)}`}; load ${before} -> ${load1()}`,
        });
      });
    };
    {
      const [o, n] = mods;
      const netO = new o.mlp.DllMlp({ sizes, hidden: 'tanh', loss: 'cross-entropy' });
      const netN = new n.mlp.DllMlp({ sizes, hidden: 'tanh', loss: 'cross-entropy' });
      const trO = new o.trainer.DllTrainer(netO, netO.init(new Rng(2)), B, { optimizer: 'adam', lr: 1e-4, relax });
      const trN = new n.trainer.DllTrainer(netN, netN.init(new Rng(2)), B, { optimizer: 'adam', lr: 1e-4, relax });
      const trR = new n.trainer.DllTrainer(netN, netN.init(new Rng(2)), B, { optimizer: 'adam', lr: 1e-4, relax });
      const batches = 8;
      compare('DLL MLP train step (relax euler dt=1)', size, 'ms/batch', [1, 1, batches], [() => void trO.step(x, t), () => void trN.step(x, t), () => void trR.run(batches, () => ({ input: x, target: t }))], ['old: loop + optimiser', 'new: solve per minibatch', 'new: one solve over 8 minibatches']);
      const bpO = new o.trainer.BpTrainer(sizes, 'tanh', o.trainer.toMlpParams(netO.init(new Rng(2))), 'cross-entropy', { optimizer: 'adam', lr: 1e-4 });
      const bpN = new n.trainer.BpTrainer(sizes, 'tanh', n.trainer.toMlpParams(netN.init(new Rng(2))), 'cross-entropy', { optimizer: 'adam', lr: 1e-4 });
      const bpR = new n.trainer.BpTrainer(sizes, 'tanh', n.trainer.toMlpParams(netN.init(new Rng(2))), 'cross-entropy', { optimizer: 'adam', lr: 1e-4 });
      compare('BP MLP train step', size, 'ms/batch', [1, 1, batches], [() => void bpO.step(x, t, B), () => void bpN.step(x, t, B), () => void bpR.run(batches, () => ({ input: x, target: t }))], ['old', 'new: solve per minibatch', 'new: one solve over 8 minibatches']);
    }
    {
      const epoch = { sizes, epochs: 1, batch: B, lr: 1e-3, optimizer: 'adam' as const, loss: 'cross-entropy' as const, seed: 1, trainSize: opts.quick ? 1024 : 4096, relax };
      const nb = Math.floor(epoch.trainSize / B);
      compare('dll-mnist epoch (DLL, incl. test evaluation)', `${sizes.join('-')}, ${nb} batches of ${B}`, 'ms/batch', [nb, nb], mods.map((m) => () => void m.mnist.runMnist({ ...epoch, method: 'dll' })), ['old', 'new: one solve per epoch']);
    }
    {
      const data = { task: 'text' as const, length: 5000, channels: 8, seed: 0 };
      const its = opts.quick ? 30 : 100;
      for (const method of ['dll', 'bptt'] as const) {
        const run = { method, hidden: 64, steps: 20, batch: 32, iterations: its, lr: 3e-3, optimizer: 'adam' as const, seed: 1, relaxMode: 'closed' as const, evalEvery: 0 };
        compare(`dll-rnn training (${method}${method === 'dll' ? ', closed-form relaxation' : ''}, incl. final evaluation)`, `24-64-24 text, 20 steps, batch 32, ${its} iterations`, 'ms/iteration', [its, its], mods.map((m) => () => void m.rnn.rnnTask({ data, run })), ['old', 'new: one solve per run']);
      }
    }
  } finally {
    old.remove();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const k = process.argv.indexOf('--against');
  const quick = process.argv.includes('--quick');
  (k >= 0 ? benchAgainst(process.argv[k + 1], { quick }) : benchDll({ quick })).then((rows) => {
    console.log(formatTable(['benchmark', 'size', 'value', 'unit', 'note'], rows.map((r) => [r.name, r.size, r.value, r.unit, r.note ?? ''])));
  });
}
