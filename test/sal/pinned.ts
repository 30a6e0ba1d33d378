/**
 * Every SAL path that produces numbers, at a reduced size: the four `reproduce` commands (their
 * training runs through the worker task, their per-epoch measurements) and the theorem
 * measurements that integrate the circuit. pinned-core.test.ts compares these against literals
 * produced by the code before SAL moved onto the core's inputs and reductions (issue 14).
 *
 *   npx tsx test/sal/pinned.ts      prints today's values as JSON (to refresh the literals, on purpose only)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeContext } from '../../src/experiment/context';
import { parseOptions } from '../../src/experiment/options';
import { salExperiments } from '../../models/sal/experiments';
import { kpReduction, leakyLimit, lemma1Decay, theorem1 } from '../../models/sal/theory';

/** Reduced-size arguments of each experiment (one worker, so nothing depends on the thread count). */
export const EXPERIMENT_ARGS: Record<string, string[]> = {
  'sal-ablation': ['--epochs', '3', '--train-size', '160', '--test-size', '40', '--width', '8', '--hidden', '2', '--batch-size', '16', '--seeds', '3', '--lr', '0.02', '--lr-inter', '0.005'],
  'sal-width': ['--epochs', '2', '--train-size', '96', '--test-size', '40', '--width', '6', '--hidden', '2', '--batch-size', '16', '--ratios', '0.5,1,2', '--loss', 'mse'],
  'sal-table': ['--epochs', '2', '--train-size', '96', '--test-size', '40', '--width', '8', '--hidden', '2', '--batch-size', '16', '--seeds', '1,2', '--lr', '0.05', '--lr-inter', '0.01'],
  'sal-assembly': ['--epochs', '2', '--train-size', '96', '--test-size', '40', '--width', '8', '--hidden', '3', '--batch-size', '12', '--lr', '0.02', '--lr-inter', '0.004'],
};

export interface PinnedRun {
  key: string;
  seed: number;
  status: string;
  trainLoss: number[];
  testLoss: number[];
  testAccuracy: number[];
  /** The per-epoch measurements (spectra, effective ranks) as numbers. */
  measured: number[];
}

function numbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === 'number') out.push(v);
  else if (Array.isArray(v)) for (const x of v) numbers(x, out);
  else if (v && typeof v === 'object') for (const k of Object.keys(v).sort()) numbers((v as Record<string, unknown>)[k], out);
  return out;
}

/** Run one experiment at its reduced size (extra: further arguments) and return its runs' numbers. */
export async function runExperiment(name: string, extra: string[] = []): Promise<PinnedRun[]> {
  const spec = salExperiments.find((e) => e.name === name)!;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `pinned-${name}-`));
  try {
    const opts = parseOptions([...EXPERIMENT_ARGS[name], ...extra, '--workers', '1', '--out', out, '--json', '--no-png'], spec.options);
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write; // --json prints a summary
    try {
      await spec.run(opts, makeContext(true));
    } finally {
      process.stdout.write = write;
    }
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    const records: { key: string; seed: number; status: string; curve: { trainLoss: number; testLoss: number; testAccuracy: number }[]; measurements?: unknown }[] = results.records ?? [results.record];
    const ranks = name === 'sal-assembly' ? numbers([results.ranks, results.snapshots]) : [];
    return records.map((r) => ({
      key: r.key,
      seed: r.seed,
      status: r.status,
      trainLoss: r.curve.map((c) => c.trainLoss),
      testLoss: r.curve.map((c) => c.testLoss),
      testAccuracy: r.curve.map((c) => c.testAccuracy),
      measured: name === 'sal-assembly' ? ranks : numbers(r.measurements ?? []),
    }));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** The theorem measurements that integrate the circuit through `solve` (quick sizes, seed 1). */
export function theoryNumbers(): Record<string, number[]> {
  const l = lemma1Decay({ quick: true, seed: 1 });
  const k = kpReduction({ quick: true, seed: 1 });
  const t = theorem1({ quick: true, seed: 1 });
  const y = leakyLimit({ quick: true, seed: 1 });
  return {
    lemma1: [...l.rates, ...l.scaledRates, ...l.unscaledRatio, ...l.residuals.flat()],
    kp: [...k.rates, k.ratio, k.relMismatchEnd, k.sgdGapStart, k.sgdGapEnd],
    theorem1Assembly: [...t.assemblyGaps, t.assemblyRate],
    leaky: [...y.errors, y.slope],
  };
}

export async function allPinned(): Promise<{ experiments: Record<string, PinnedRun[]>; theory: Record<string, number[]> }> {
  const experiments: Record<string, PinnedRun[]> = {};
  for (const name of Object.keys(EXPERIMENT_ARGS)) experiments[name] = await runExperiment(name);
  return { experiments, theory: theoryNumbers() };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  allPinned().then(
    (v) => console.log(JSON.stringify(v)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
