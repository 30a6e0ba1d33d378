/** Shared pieces of the LOCO experiments: option specs, batching, evaluation, plotting helpers. */
import { Rng } from '../../../src/core/random';
import type { Dataset } from '../../../src/data/mnist';
import type { OptionSpec } from '../../../src/cli/options';
import { gatherRows } from '../../../src/nn/mlp';
import { accuracy } from '../../../src/nn/losses';
import type { PerturbableNetwork } from '../nets';

export const outOption = (name: string): OptionSpec => ({ name: 'out', type: 'string', description: 'output folder', default: `out/${name}` });

/**
 * Class-pure batches for one epoch (Section 2.3: "the data within each batch belongs to the same
 * category"): each class's indices are shuffled and cut into batches of `size` (the last one of a
 * class may be smaller), and the batches are shuffled.
 */
export function classPureBatches(labels: Int32Array, classes: readonly number[], size: number, rng: Rng): Int32Array[] {
  const byClass = new Map<number, number[]>();
  for (const c of classes) byClass.set(c, []);
  labels.forEach((c, i) => byClass.get(c)?.push(i));
  const batches: Int32Array[] = [];
  for (const c of classes) {
    const idx = rng.shuffle(byClass.get(c)!.slice()) as number[];
    for (let s = 0; s < idx.length; s += size) batches.push(Int32Array.from(idx.slice(s, s + size)));
  }
  rng.shuffle(batches);
  return batches;
}

/** Rows of a dataset as a batch: inputs (B x d), one-hot targets scaled by `on`, labels. */
export function gatherBatch(ds: Dataset, idx: Int32Array, on = 1): { x: Float64Array; t: Float64Array; y: Int32Array } {
  const B = idx.length;
  const x = new Float64Array(B * ds.d);
  gatherRows(ds.x, ds.d, idx, 0, B, x);
  const y = new Int32Array(B);
  const t = new Float64Array(B * ds.classes);
  for (let b = 0; b < B; b++) {
    y[b] = ds.y[idx[b]];
    t[b * ds.classes + y[b]] = on;
  }
  return { x, t, y };
}

/** Accuracy of the network's arg-max output on (a subset of the classes of) a dataset, in batches. */
export function evaluate(net: PerturbableNetwork, ds: Dataset, opts: { classes?: readonly number[]; batch?: number } = {}): number {
  const keep: number[] = [];
  for (let i = 0; i < ds.n; i++) if (!opts.classes || opts.classes.includes(ds.y[i])) keep.push(i);
  const B = opts.batch ?? 250;
  let correct = 0;
  for (let s = 0; s < keep.length; s += B) {
    const idx = Int32Array.from(keep.slice(s, s + B));
    const { x, y } = gatherBatch(ds, idx);
    const out = net.forward(x, idx.length).output;
    correct += accuracy(out, y, ds.classes) * idx.length;
  }
  return keep.length ? correct / keep.length : NaN;
}

/** Mean and (sample) standard deviation. */
export function meanStd(v: readonly number[]): { mean: number; std: number } {
  const n = v.length;
  const mean = v.reduce((s, a) => s + a, 0) / n;
  const std = n > 1 ? Math.sqrt(v.reduce((s, a) => s + (a - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

export const COLORS: Record<string, string> = { bp: '#444444', np: '#1f77b4', loco: '#d62728' };
