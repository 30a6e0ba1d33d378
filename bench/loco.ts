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
 * steps (batches cycling over the ten classes), after a warm-up block; each timed call trains 8
 * minibatches in one integration of the weights' flow (as loco-mnist trains an epoch in one). The machine may be shared
 * while this runs: pessimistic.
 */
import { pathToFileURL } from 'node:url';
import { mnistSplit } from '../src/data/mnist';
import { formatTable } from '../src/io/output';
import { classPureBatches, gatherBatch } from '../models/loco/experiments/common';
import { buildNetwork, MNIST_DEFAULTS, type MnistRule, type NetKind } from '../models/loco/experiments/mnist';
import { AnnNet } from '../models/loco/nets';
import { GradientLearner, PerturbationLearner } from '../models/loco/rules';
import { Rng } from '../src/core/random';
import { forceEngine, getBackend, setBackend } from '../src/linalg/backend';
import { backends, interleaved, load1, median, type BenchRow } from './types';

/** Minibatches per timed call: the learners train them in one integration of the weights' flow (rules.ts NetworkLearner.train). */
const TRAIN_BLOCK = 8;

export async function benchLoco(opts: { quick: boolean }): Promise<BenchRow[]> {
  const { train } = mnistSplit(0);
  const B = 32;
  const batches = classPureBatches(train.y, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], B, new Rng(3))
    .filter((idx) => idx.length === B)
    .slice(0, 40)
    .map((idx) => gatherBatch(train, idx));
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
    for (let k = 0; k < Math.ceil(block / TRAIN_BLOCK); k++) step(); // warm-up (and fills LOCO's buffer)
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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchLoco({ quick: process.argv.includes('--quick') }).then(
    (rows) => console.log(formatTable(['benchmark', 'size', 'value', 'unit', 'note'], rows.map((r) => [r.name, r.size, r.value.toFixed(1), r.unit, r.note ?? '']))),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
