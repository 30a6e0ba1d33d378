/**
 * Benchmark of the URFB Fig. 12 reproduction: wall time of the default full run (BP + ε = 0, 0.25,
 * 0.5, 1 on 40-100-100-10, 3 seeds, 1000 Euler iterations, error and the three W/Rᵀ correlations
 * recorded at every iteration).
 *
 *   npx tsx bench/urfb.ts            (full size, prints a table)
 *   npx tsx bench/urfb.ts --quick    (1 seed, 200 iterations)
 *
 * Rows: the fused Euler iteration (the default path of `creditflow reproduce fig12`), the same
 * steps through `solve('euler')` with a save every step, and the end-to-end command without PNG
 * (computation + JSON/CSV/HTML). Each is the median wall time of several repeats after a warm-up run
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
import { RunOutput } from '../src/io/run';
import { median, type BenchRow } from './types';

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

export async function benchUrfb(opts: { quick: boolean }): Promise<BenchRow[]> {
  const settings: Fig12Settings = opts.quick ? { ...fig12Defaults, seeds: [1], steps: 200 } : { ...fig12Defaults };
  const runs = (settings.bp ? 1 : 0) + settings.epsilons.length;
  const size = `${settings.dims.join('-')}, ${runs} algorithms x ${settings.seeds.length} seeds x ${settings.steps} steps`;
  const repeats = opts.quick ? 3 : 5;
  const rows: BenchRow[] = [];
  const note = (t: Timing, extra: string) =>
    `wall median of ${t.repeats} (min ${t.min.toFixed(2)}, max ${t.max.toFixed(2)}), CPU ${t.cpu.toFixed(2)} s; ${extra}; shared machine: pessimistic`;

  const fused = time(() => runFig12(settings), repeats);
  rows.push({ name: 'urfb fig12 (fused Euler)', size, value: fused.median, unit: 's', note: note(fused, 'numpy reference ≈3.6 s for the full size') });

  const viaSolve = time(() => runFig12({ ...settings, fused: false }), opts.quick ? 1 : 3);
  rows.push({ name: 'urfb fig12 (solve euler)', size, value: viaSolve.median, unit: 's', note: note(viaSolve, 'same steps through solve with saveAt every step') });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-urfb-'));
  const full = time(() => {
    const out = new RunOutput('fig12', dir, {});
    writeFig12(runFig12(settings), out, { png: false });
    out.finish();
  }, opts.quick ? 1 : 3);
  fs.rmSync(dir, { recursive: true, force: true });
  rows.push({ name: 'urfb fig12 (command, no PNG)', size, value: full.median, unit: 's', note: note(full, 'computation + JSON/CSV/HTML') });
  const steps = runs * settings.seeds.length * settings.steps;
  rows.push({ name: 'urfb fig12 step (fused)', size: settings.dims.join('-'), value: (fused.median / steps) * 1e6, unit: 'µs/step', note: 'one Euler step incl. error and 3 correlations' });
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchUrfb({ quick: process.argv.includes('--quick') }).then((rows) => {
    for (const r of rows) console.log(`${r.name.padEnd(30)} ${r.size.padEnd(52)} ${r.value.toFixed(3).padStart(9)} ${r.unit.padEnd(8)} ${r.note ?? ''}`);
  });
}
