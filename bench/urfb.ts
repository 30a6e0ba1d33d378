/**
 * Benchmark of the URFB Fig. 12 reproduction: wall time of the default full run (BP + ε = 0, 0.25,
 * 0.5, 1 on 40-100-100-10, 3 seeds, 1000 Euler iterations, error and the three W/Rᵀ correlations
 * recorded at every iteration).
 *
 *   npx tsx bench/urfb.ts                 (full size, prints a table)
 *   npx tsx bench/urfb.ts --quick         (1 seed, 200 iterations)
 *   npx tsx bench/urfb.ts --against REF   (only the side-by-side rows: Fig. 12 at this size and one
 *                                          training epoch, by this tree and by REF, a checkout
 *                                          directory or a commit (unpacked with `git archive` into
 *                                          a temporary folder that uses this tree's node_modules and
 *                                          .cache), alternating in interleaved rounds;
 *                                          --rounds N (default 5, 3 with --quick), --only fig12|train,
 *                                          --backend auto|blas|wasm|ts for both trees;
 *                                          `npm run bench -- --against` times these rows too)
 *
 * Rows: the default path of `creditflow reproduce fig12` (`solve` with 'euler', one step of η per
 * iteration, error and correlations recorded by a reduction), the same flow with 'rk4' (saving
 * every iteration), and the end-to-end command without PNG (computation + JSON/CSV/HTML). Each is the median wall time of several repeats after a warm-up run
 * (the note adds the process CPU time, which other work on the machine inflates less). A
 * numpy implementation of the same work takes about 3.6 s on these machines. The machine is shared
 * with other work while this runs, so the numbers are pessimistic.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fig12Defaults, runFig12, type Fig12Settings } from '../models/urfb/fig12';
import { writeFig12 } from '../models/urfb/fig12-report';
import { loadData, trainDefaults, trainNetwork, type TrainSettings } from '../models/urfb/train';
import { RunOutput } from '../src/io/run';
import { BACKENDS, getBackend, type Backend } from '../src/linalg/backend';
import { checkoutTree } from './checkout';
import { cliArg, median, pairRounds, pairRow, pairRows, roundsArg, selectBackendInBoth, type BenchRow, type PairRow, type PairTiming } from './types';

interface Timing {
  median: number;
  min: number;
  max: number;
  /** Median CPU time (user + system) of this process: less sensitive to other work on the machine. */
  cpu: number;
  repeats: number;
}

function time(fn: () => void, repeats: number): Timing {
  fn(); // warm-up (JIT, kernel scratch, wasm memory)
  const t: number[] = [];
  const c: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    t.push((performance.now() - t0) / 1000);
    const dc = process.cpuUsage(c0);
    c.push((dc.user + dc.system) / 1e6);
  }
  return { median: median(t), min: Math.min(...t), max: Math.max(...t), cpu: median(c), repeats };
}

/** The training case of the side-by-side rows: one epoch of `train urfb` (784-256-256-10, batch 50) on the 8,000 training images, tested on 100. */
const trainCase: TrainSettings = { ...trainDefaults, rule: 'urfb', seed: 1, epochs: 1, trainSize: 0, testSize: 100 };

/** One side-by-side case: its row name and size, and the CPU seconds per run of the checkout (a) and of this tree (b). */
interface UrfbPair {
  name: string;
  size: string;
  r: PairTiming;
}

/**
 * Fig. 12 at full size (quick: 1 seed, 200 iterations) and one training epoch (`trainCase`), by the
 * checkout at `dir` (a) and by this tree (b) in this process, `rounds` interleaved rounds each;
 * `backend` selected in both trees first.
 */
async function urfbPairs(dir: string, opts: { quick: boolean; rounds: number; only?: 'fig12' | 'train'; backend?: Backend }): Promise<UrfbPair[]> {
  const out: UrfbPair[] = [];
  const restore = opts.backend ? await selectBackendInBoth(dir, opts.backend) : () => {};
  try {
    if (opts.only !== 'train') {
      const other = (await import(path.join(dir, 'models/urfb/fig12.ts'))) as typeof import('../models/urfb/fig12');
      const settings: Fig12Settings = opts.quick ? { ...fig12Defaults, seeds: [1], steps: 200 } : { ...fig12Defaults };
      const before = { ...other.fig12Defaults, seeds: settings.seeds, steps: settings.steps };
      const runs = (settings.bp ? 1 : 0) + settings.epsilons.length;
      out.push({ name: 'urfb fig12', size: `${settings.dims.join('-')}, ${runs} algorithms x ${settings.seeds.length} seeds x ${settings.steps} steps`, r: pairRounds(() => other.runFig12(before), () => runFig12(settings), opts.rounds) });
    }
    if (opts.only !== 'fig12') {
      const other = (await import(path.join(dir, 'models/urfb/train.ts'))) as typeof import('../models/urfb/train');
      const s = opts.quick ? { ...trainCase, trainSize: 2000 } : trainCase;
      const oldData = other.loadData(s);
      const data = loadData(s);
      const r = pairRounds(() => void other.trainNetwork(s, oldData), () => void trainNetwork(s, data), opts.rounds);
      out.push({ name: 'urfb train epoch', size: `${[784, ...s.hidden, 10].join('-')} ${s.rule}, ${s.trainSize || data.train.n} images, batch ${s.batch}, test on ${s.testSize}`, r });
    }
  } finally {
    restore();
  }
  return out;
}

/**
 * This tree against the checkout `ref` (e.g. the commit before a change), side by side in one
 * process (`urfbPairs`): CPU seconds per run, this/ref per round.
 */
export async function benchUrfbAgainst(ref: string, opts: { quick: boolean; rounds?: number; only?: 'fig12' | 'train'; backend?: Backend }): Promise<BenchRow[]> {
  const old = checkoutTree(ref);
  try {
    const pairs = await urfbPairs(old.dir, { ...opts, rounds: opts.rounds ?? (opts.quick ? 3 : 5) });
    const on = `${opts.backend ?? getBackend()} backend`;
    return pairs.flatMap((c) => pairRows(c.name, c.size, ref, on, c.r));
  } finally {
    old.remove();
  }
}

/** The same cases for `npm run bench -- --against` (bench/types.ts PairRow): CPU seconds per run of each tree per round. */
export async function sideBySide(dir: string, opts: { quick: boolean; rounds: number }): Promise<PairRow[]> {
  return (await urfbPairs(dir, opts)).map((c) => pairRow(c.name, c.size, 's CPU', c.r));
}

export async function benchUrfb(opts: { quick: boolean }): Promise<BenchRow[]> {
  const settings: Fig12Settings = opts.quick ? { ...fig12Defaults, seeds: [1], steps: 200 } : { ...fig12Defaults };
  const runs = (settings.bp ? 1 : 0) + settings.epsilons.length;
  const size = `${settings.dims.join('-')}, ${runs} algorithms x ${settings.seeds.length} seeds x ${settings.steps} steps`;
  const repeats = opts.quick ? 3 : 5;
  const rows: BenchRow[] = [];
  const note = (t: Timing, extra: string) =>
    `wall median of ${t.repeats} (min ${t.min.toFixed(2)}, max ${t.max.toFixed(2)}), CPU ${t.cpu.toFixed(2)} s; ${extra}; shared machine: pessimistic`;

  const euler = time(() => runFig12(settings), repeats);
  rows.push({ name: 'urfb fig12 (euler)', size, value: euler.median, unit: 's', note: note(euler, 'numpy reference ≈3.6 s for the full size') });

  const rk4 = time(() => runFig12({ ...settings, solver: 'rk4' }), opts.quick ? 1 : 3);
  rows.push({ name: 'urfb fig12 (rk4)', size, value: rk4.median, unit: 's', note: note(rk4, 'the same flow with rk4 (4 evaluations per iteration), saving every iteration') });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-urfb-'));
  const full = time(() => {
    const out = new RunOutput('fig12', dir, {});
    writeFig12(runFig12(settings), out, { png: false });
    out.finish();
  }, opts.quick ? 1 : 3);
  fs.rmSync(dir, { recursive: true, force: true });
  rows.push({ name: 'urfb fig12 (command, no PNG)', size, value: full.median, unit: 's', note: note(full, 'computation + JSON/CSV/HTML') });
  const steps = runs * settings.seeds.length * settings.steps;
  rows.push({ name: 'urfb fig12 step (euler)', size: settings.dims.join('-'), value: (euler.median / steps) * 1e6, unit: 'µs/step', note: 'one Euler step incl. error and 3 correlations' });
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const against = cliArg('--against');
  const rounds = roundsArg();
  const only = cliArg('--only');
  if (only !== undefined && only !== 'fig12' && only !== 'train') throw new Error(`--only must be fig12 or train (got ${only})`);
  const backend = cliArg('--backend') as Backend | undefined;
  if (backend !== undefined && !BACKENDS.includes(backend)) throw new Error(`--backend must be one of ${BACKENDS.join(', ')} (got ${backend})`);
  (against ? benchUrfbAgainst(against, { quick, rounds, only, backend }) : benchUrfb({ quick })).then((rows) => {
    for (const r of rows) console.log(`${r.name.padEnd(30)} ${r.size.padEnd(52)} ${r.value.toFixed(3).padStart(9)} ${r.unit.padEnd(8)} ${r.note ?? ''}`);
  });
}
