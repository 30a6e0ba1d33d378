import { cosine as blockCosine } from '../../src/analysis/similarity';

/** Cosine similarity of two parameter sets given as lists of arrays (flattened and concatenated). */
export function cosine(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  return blockCosine(a, b);
}

/** ‖a − b‖ / ‖b‖ over lists of arrays. */
export function relativeError(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  let num = 0;
  let den = 0;
  for (let k = 0; k < a.length; k++) {
    for (let i = 0; i < a[k].length; i++) {
      num += (a[k][i] - b[k][i]) ** 2;
      den += b[k][i] ** 2;
    }
  }
  return Math.sqrt(num / den);
}
