/**
 * Benchmark of NP and LOCO training (models/loco): training samples per second of one learning step
 * on class-pure MNIST batches of 32 (as loco-mnist trains), for the ANN 784-500-10 (NP, LOCO, BP)
 * and the spiking 784-500-10 network (T = 20 steps; NP, LOCO). LOCO's step includes its projector
 * (k-means of the buffered inputs and the projection), which is what makes it slower than NP.
 *
 *   npx tsx bench/loco.ts            (prints a table; --quick for fewer repeats)
 *
 * Each row is, for one linear-algebra backend (auto, blas where found, wasm; ts in the full run),
 * the median over interleaved rounds (every backend in turn) of the time per step in a block of
 * steps (batches cycling over the ten classes), after a warm-up block (for LOCO, at least enough
 * minibatches to fill its buffer of past directions, so that every timed step clusters a full
 * buffer, as in training); each timed call trains 8 minibatches in one integration of the
 * weights' flow (as loco-mnist trains an epoch in one). The machine may be shared while this
 * runs: pessimistic.
 *
 *   npx tsx bench/loco.ts --against REF [--rounds N] [--quick]
 *
 * times the NP and LOCO steps of the ANN and SNN above side by side with the learners of REF (a
 * commit, unpacked with `git archive` into a temporary folder, or a checkout folder) in this
 * process, on the same minibatches after the same warm-up, in interleaved rounds (default 5, 3
 * with --quick) of 16 minibatches (8 for the SNN); REF's learner trains a minibatch per call to
 * `step` when it has no `train`. `npm run bench -- --against` times these cases (`sideBySide`):
 * when it ran each tree's own bench, whose warm-up differed before the buffer was filled first,
 * its LOCO rows compared different work.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { mnistSplit } from '../src/data/mnist';
import { formatTable } from '../src/io/output';
import { classPureBatches, gatherBatch } from '../models/loco/experiments/common';
import { buildNetwork, MNIST_DEFAULTS, type MnistRule, type NetKind } from '../models/loco/experiments/mnist';
import { AnnNet } from '../models/loco/nets';
import { GradientLearner, PerturbationLearner } from '../models/loco/rules';
import { LOCO_DEFAULTS } from '../models/loco/projector';
import { Rng } from '../src/core/random';
import { forceEngine, getBackend, setBackend } from '../src/linalg/backend';
import { checkoutTree } from './checkout';
import { backends, cliArg, interleaved, load1, median, pairRounds, pairRow, pairRows, roundsArg, type BenchRow, type PairRow, type PairTiming } from './types';

/** Minibatches per timed call: the learners train them in one integration of the weights' flow (rules.ts NetworkLearner.train). */
const TRAIN_BLOCK = 8;

const B = 32;

/** Class-pure MNIST minibatches of B (as loco-mnist trains), 40 of them, cycled. */
function benchBatches() {
  const { train } = mnistSplit(0);
  return classPureBatches(train.y, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], B, new Rng(3))
    .filter((idx) => idx.length === B)
    .slice(0, 40)
    .map((idx) => gatherBatch(train, idx));
}

/** Warm-up minibatches: `block`, and for LOCO enough to fill its buffer of past directions. */
function warmUp(rule: MnistRule, block: number): number {
  return rule === 'loco' ? Math.max(block, LOCO_DEFAULTS.buffer + 1) : block;
}

export async function benchLoco(opts: { quick: boolean }): Promise<BenchRow[]> {
  const batches = benchBatches();
  const repeats = opts.quick ? 3 : 7;
  const rows: BenchRow[] = [];
  const saved = getBackend();
  const bks = backends(opts.quick ? ['auto', 'blas', 'wasm'] : ['auto', 'blas', 'wasm', 'ts']);
  const cases: [NetKind, MnistRule][] = [['ann', 'bp'], ['ann', 'np'], ['ann', 'loco'], ['snn', 'np'], ['snn', 'loco']];
  for (const [kind, rule] of cases) {
    const net = buildNetwork({ net: kind, depth: 3, hidden: 500, steps: 20, noise: 0, seed: 1 });
    const d = MNIST_DEFAULTS[kind];
    const learner = rule === 'bp' ? new GradientLearner(net as AnnNet, d.eta.bp) : new PerturbationLearner(net, { rule, sigma: d.sigma, eta: d.eta[rule] }, 11);
    const block = kind === 'snn' ? (opts.quick ? 4 : 10) : opts.quick ? 10 : 40;
    let next = 0;
    // TRAIN_BLOCK minibatches per call through one integration of the weights' flow, as loco-mnist trains an epoch
    const step = () =>
      void learner.train(TRAIN_BLOCK, () => {
        const { x, t, y } = batches[next++ % batches.length];
        return { x, target: t, B, groups: y };
      });
    for (let k = 0; k < Math.ceil(warmUp(rule, block) / TRAIN_BLOCK); k++) step(); // warm-up (and fills LOCO's buffer)
    const before = load1();
    const secs = interleaved(bks.map((b) => ({ name: b.name, setup: b.setup, fn: step })), repeats, kind === 'snn' ? 300 : 150);
    const load = `load ${before} -> ${load1()}`;
    bks.forEach((b, i) => {
      const med = median(secs[i]);
      rows.push({
        name: `loco ${kind.toUpperCase()} ${rule.toUpperCase()} training step [${b.name}]`,
        size: `784-500-10${kind === 'snn' ? ', T = 20' : ''}, batch ${B}`,
        value: (TRAIN_BLOCK * B) / med,
        unit: 'samples/s',
        note: `${((1000 * med) / TRAIN_BLOCK).toFixed(2)} ms per batch, ${TRAIN_BLOCK} batches per call (${repeats} interleaved rounds, ${(1000 * Math.min(...secs[i])).toFixed(2)}-${(1000 * Math.max(...secs[i])).toFixed(2)}); ${load}`,
      });
    });
  }
  forceEngine(null);
  setBackend(saved);
  return rows;
}

/** A learner of either tree: this tree's trains a run of minibatches in one integration, REF's may only `step`. */
interface AnyLearner {
  train?: (count: number, batchAt: (k: number) => { x: Float64Array; target: Float64Array; B: number; groups: Int32Array | null }) => unknown;
  step: (x: Float64Array, target: Float64Array, B: number, groups: Int32Array | null) => unknown;
}

/** One side-by-side case: its row name and size, the minibatches of B samples in each timed call, and the CPU times of the checkout (a) and of this tree (b). */
interface LocoPair {
  name: string;
  size: string;
  samples: number;
  r: PairTiming;
}

/** NP and LOCO steps of the ANN and SNN, the learners of the checkout at `dir` (a) and this tree's (b) in this process (see the header). */
async function locoPairs(dir: string, rounds: number): Promise<LocoPair[]> {
  const batches = benchBatches();
  const out: LocoPair[] = [];
  const oldMnist = (await import(path.join(dir, 'models/loco/experiments/mnist.ts'))) as typeof import('../models/loco/experiments/mnist');
  const oldRules = (await import(path.join(dir, 'models/loco/rules.ts'))) as { PerturbationLearner: new (...a: ConstructorParameters<typeof PerturbationLearner>) => AnyLearner };
  const cases: [NetKind, 'np' | 'loco'][] = [['ann', 'np'], ['ann', 'loco'], ['snn', 'np'], ['snn', 'loco']];
  for (const [kind, rule] of cases) {
    const cfg = { net: kind, depth: 3, hidden: 500, steps: 20, noise: 0, seed: 1 };
    const d = MNIST_DEFAULTS[kind];
    const settings = { rule, sigma: d.sigma, eta: d.eta[rule] };
    const learners: AnyLearner[] = [new oldRules.PerturbationLearner(oldMnist.buildNetwork(cfg), settings, 11), new PerturbationLearner(buildNetwork(cfg), settings, 11)];
    const count = kind === 'snn' ? TRAIN_BLOCK : 2 * TRAIN_BLOCK;
    const runs = learners.map((l) => {
      let next = 0;
      const batchAt = () => {
        const { x, t, y } = batches[next++ % batches.length];
        return { x, target: t, B, groups: y };
      };
      return (n: number) => {
        if (l.train) l.train(n, batchAt);
        else for (let k = 0; k < n; k++) {
          const b = batchAt();
          l.step(b.x, b.target, B, b.groups);
        }
      };
    });
    for (const run of runs) run(warmUp(rule, TRAIN_BLOCK)); // the same warm-up: LOCO's buffer full
    const r = pairRounds(() => runs[0](count), () => runs[1](count), rounds);
    out.push({ name: `loco ${kind.toUpperCase()} ${rule.toUpperCase()} training`, size: `784-500-10${kind === 'snn' ? ', T = 20' : ''}, ${count} minibatches of ${B}`, samples: count * B, r });
  }
  return out;
}

/** NP and LOCO steps of the ANN and SNN, this tree against the learners of `ref` in this process (see the header). */
export async function benchLocoAgainst(ref: string, opts: { quick: boolean; rounds?: number }): Promise<BenchRow[]> {
  const old = checkoutTree(ref);
  try {
    const pairs = await locoPairs(old.dir, opts.rounds ?? (opts.quick ? 3 : 5));
    return pairs.flatMap((c) => pairRows(c.name, c.size, ref, `${getBackend()} backend`, c.r));
  } finally {
    old.remove();
  }
}

/** The same cases for `npm run bench -- --against` (bench/types.ts PairRow): training samples per second of each tree per round. */
export async function sideBySide(dir: string, opts: { quick: boolean; rounds: number }): Promise<PairRow[]> {
  return (await locoPairs(dir, opts.rounds)).map((c) => pairRow(c.name, c.size, 'samples/s', c.r, (s) => c.samples / s));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const against = cliArg('--against');
  const quick = process.argv.includes('--quick');
  (against ? benchLocoAgainst(against, { quick, rounds: roundsArg() }) : benchLoco({ quick })).then(
    (rows) => console.log(formatTable(['benchmark', 'size', 'value', 'unit', 'note'], rows.map((r) => [r.name, r.size, r.value.toPrecision(4), r.unit, r.note ?? '']))),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
