/**
 * Cosine similarity and angle between updates given as one array or as lists of arrays (blocks of
 * a parameter set, flattened and concatenated): the alignment measures every model reports.
 */
type Blocks = ArrayLike<number> | readonly ArrayLike<number>[];

function asBlocks(x: Blocks): readonly ArrayLike<number>[] {
  return typeof (x as ArrayLike<number>)[0] === 'number' || (x as ArrayLike<number>).length === 0 ? [x as ArrayLike<number>] : (x as readonly ArrayLike<number>[]);
}

/** Σ a·b, Σ a², Σ b² over the concatenated blocks (which must have matching lengths). */
export function innerProducts(a: Blocks, b: Blocks): { ab: number; aa: number; bb: number } {
  const A = asBlocks(a);
  const B = asBlocks(b);
  if (A.length !== B.length) throw new Error(`cannot compare ${A.length} blocks with ${B.length}`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < A.length; k++) {
    const x = A[k];
    const y = B[k];
    if (x.length !== y.length) throw new Error(`block ${k} has ${x.length} entries on one side and ${y.length} on the other`);
    for (let i = 0; i < x.length; i++) {
      ab += x[i] * y[i];
      aa += x[i] * x[i];
      bb += y[i] * y[i];
    }
  }
  return { ab, aa, bb };
}

/** Cosine similarity; `ifZero` (default NaN) when either side is zero. */
export function cosine(a: Blocks, b: Blocks, ifZero = NaN): number {
  const { ab, aa, bb } = innerProducts(a, b);
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : ifZero;
}

/** Angle in degrees (NaN when either side is zero). */
export function angleDegrees(a: Blocks, b: Blocks): number {
  const c = cosine(a, b);
  return Number.isNaN(c) ? NaN : (Math.acos(Math.max(-1, Math.min(1, c))) * 180) / Math.PI;
}
