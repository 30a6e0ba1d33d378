/** Small shared set-ups for the DFC tests. */
import { Rng } from '../../src/core/random';
import { mat, type Mat } from '../../src/linalg/mat';
import { DfcNet, initForwardWeights, productFeedback, type DfcParams } from '../../models/dfc/network';

export function smallNet(opts: { sizes?: number[]; hidden?: string; seed?: number } = {}): { net: DfcNet; p: DfcParams; rng: Rng } {
  const net = new DfcNet({ sizes: opts.sizes ?? [4, 5, 6, 3], hidden: opts.hidden ?? 'tanh' });
  const rng = new Rng(opts.seed ?? 1);
  const W = initForwardWeights(net, rng);
  return { net, p: { W, Q: productFeedback(net, W) }, rng };
}

export function randomBatch(rng: Rng, B: number, nIn: number, nOut: number): { X: Mat; Y: Mat } {
  const X = mat(B, nIn);
  rng.fillUniform(X.data, -1, 1);
  const Y = mat(B, nOut);
  rng.fillNormal(Y.data);
  return { X, Y };
}

export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function flat(ms: readonly Mat[]): Float64Array {
  return Float64Array.from(ms.flatMap((m) => Array.from(m.data)));
}
