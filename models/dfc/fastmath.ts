/**
 * Array-at-a-time nonlinearities for the batched DFC vector fields (batched.ts).
 *
 * `Math.tanh` costs ~20 ns an element here (a call into the C library per element); the batched
 * simulation evaluates two nonlinearities per neuron per Euler step, so tanh would dominate the toy
 * network's step. `tanhInto` computes tanh(x) = 1 − 2/(e^{2x} + 1) with z = 2x clamped to ±38.2
 * (where tanh is ±1 in double precision), k = round(z/h), h = ln2/256 (by adding and subtracting
 * 1.5·2^52), r = z − k·h (|r| ≤ h/2, h split in two parts so that k·h_hi is exact) and
 * e^z = 2^{k>>8}·T[k & 255]·p(r): a power of two times an entry of the 256-entry table
 * T[j] = 2^{j/256} of `exp2Table256` (exact), and p the degree-4 Taylor polynomial (truncation
 * < 4e-17 relative). Absolute error ≤ 4.5e-16 against Math.tanh on the whole line
 * (test/dfc/fastmath.test.ts); relative accuracy near 0 is that of the absolute error, which is
 * all a simulation of eq. (1) needs (values are summed with O(1) terms). The wasm kernels of
 * WasmWorkspace (src/linalg/kernels.ts) run the same operations in the same order, so both give
 * the same bits (tested).
 */
import { exp2Table256 } from '../../src/linalg/kernels';
import type { Activation } from '../../src/nn/activations';

const ZMAX = 38.2; // |2x| beyond which tanh(x) rounds to ±1
const SHIFT = 6755399441055744; // 1.5·2^52: z/h + SHIFT rounds z/h to an integer
const T = exp2Table256();
/** 2^{j−64}, j = 0 … 127: the power-of-two factor 2^{k>>8} (|k>>8| ≤ 57). */
const P2 = new Float64Array(128);
for (let j = 0; j < 128; j++) P2[j] = Math.pow(2, j - 64);
const INV_H = 256 / Math.LN2;
const H = Math.LN2 / 256;
const H_HI = Math.fround(H);
const H_LO = H - H_HI;

/** dst[i] = tanh(src[i]) for i < n (dst may be src). NaN propagates (r becomes NaN); ±∞ give ±1. */
export function tanhInto(src: Float64Array, dst: Float64Array, n = src.length): void {
  for (let i = 0; i < n; i++) dst[i] = tanh1(src[i]);
}

/** tanh of one value (V8 inlines it into the loops of this module). */
export function tanh1(x: number): number {
  let z = 2 * x;
  z = z > ZMAX ? ZMAX : z;
  z = z < -ZMAX ? -ZMAX : z;
  const kf = z * INV_H + SHIFT - SHIFT; // round(z/h), exactly an integer, |kf| ≤ 14109
  const k = kf | 0; // NaN gives 0 (the result is NaN through r)
  const r = z - kf * H_HI - kf * H_LO;
  const r2 = r * r;
  const p = 1 + r + r2 * (0.5 + r * 0.16666666666666666 + r2 * 0.041666666666666664);
  const e = T[k & 255] * P2[(k >> 8) + 64];
  return 1 - 2 / (e * p + 1);
}

/** dst = φ(src) elementwise for the first n entries, with fast paths for tanh and linear. */
export function applyPhi(act: Activation, src: Float64Array, dst: Float64Array, n = src.length): void {
  if (act.name === 'tanh') tanhInto(src, dst, n);
  else if (act.name === 'linear') {
    if (dst !== src) dst.set(n === src.length ? src : src.subarray(0, n));
  } else {
    const f = act.f;
    for (let i = 0; i < n; i++) dst[i] = f(src[i]);
  }
}
