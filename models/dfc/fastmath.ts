/**
 * Array-at-a-time nonlinearities for the batched DFC loops (engine.ts).
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

// ---------------------------------------------------------------------------------------------
// The fused per-layer Euler step of engine.ts. It lives here, beside tanh1, because V8 inlines
// tanh1 only into callers in the same module (an imported function is called through the module
// object and costs ~2x).

/**
 * One layer of one Euler step, fused into one pass over the B x n_i block:
 *   d = w_b (φ(v) − φ(v^ff))   (eq. 5 integrand: mode 1 writes it to dOut[dBase + k], mode 2 adds it to dOut[k])
 *   v += c (v^ff + C_i − v) [+ noise increment],  r = φ(v)   (eq. 1 / 12)
 * `phiff` holds φ(v^ff) when it is precomputed (layer 1), else null. Specialised per nonlinearity
 * (tanh, linear, any other) so that the inner loop has no per-element dispatch.
 */
export interface LayerArgs {
  v: Float64Array;
  r: Float64Array;
  vff: Float64Array;
  phiff: Float64Array | null;
  C: Float64Array;
  B: number;
  ni: number;
  N: number;
  off: number;
  c: number;
  mode: 0 | 1 | 2;
  dOut: Float64Array;
  dBase: number;
  w: Float64Array | null;
  noise: Float64Array | null;
}

function fusedTanh(g: LayerArgs): void {
  const { v, r, vff, phiff, C, B, ni, N, off, c, mode, dOut, dBase, w, noise } = g;
  const n = B * ni;
  // eq. (5) integrand (flat loops: long trip counts keep tanh1's pipeline full)
  if (mode !== 0) {
    if (w === null && phiff === null) {
      if (mode === 1) for (let k = 0; k < n; k++) dOut[dBase + k] = r[k] - tanh1(vff[k]);
      else for (let k = 0; k < n; k++) dOut[k] += r[k] - tanh1(vff[k]);
    } else {
      for (let b = 0; b < B; b++) {
        const o = b * ni;
        const wb = w === null ? 1 : w[b];
        for (let a = 0; a < ni; a++) {
          const pf = phiff === null ? tanh1(vff[o + a]) : phiff[o + a];
          if (mode === 1) dOut[dBase + o + a] = wb * (r[o + a] - pf);
          else dOut[o + a] += wb * (r[o + a] - pf);
        }
      }
    }
  }
  // eq. (1): Euler step of v
  for (let b = 0; b < B; b++) {
    const o = b * ni;
    const oc = b * N + off;
    for (let a = 0; a < ni; a++) v[o + a] += c * (vff[o + a] + C[oc + a] - v[o + a]);
  }
  if (noise !== null) for (let k = 0; k < n; k++) v[k] += noise[k];
  for (let k = 0; k < n; k++) r[k] = tanh1(v[k]);
}

function fusedLinear(g: LayerArgs): void {
  const { v, r, vff, phiff, C, B, ni, N, off, c, mode, dOut, dBase, w, noise } = g;
  for (let b = 0; b < B; b++) {
    const o = b * ni;
    const oc = b * N + off;
    const wb = w === null ? 1 : w[b];
    for (let a = 0; a < ni; a++) {
      const k = o + a;
      if (mode !== 0) {
        const d = wb * (r[k] - (phiff === null ? vff[k] : phiff[k]));
        if (mode === 1) dOut[dBase + k] = d;
        else dOut[k] += d;
      }
      let vn = v[k] + c * (vff[k] + C[oc + a] - v[k]);
      if (noise !== null) vn += noise[k];
      v[k] = vn;
      r[k] = vn;
    }
  }
}

function fusedGeneric(act: Activation, g: LayerArgs): void {
  const { v, r, vff, phiff, C, B, ni, N, off, c, mode, dOut, dBase, w, noise } = g;
  const f = act.f;
  for (let b = 0; b < B; b++) {
    const o = b * ni;
    const oc = b * N + off;
    const wb = w === null ? 1 : w[b];
    for (let a = 0; a < ni; a++) {
      const k = o + a;
      if (mode !== 0) {
        const d = wb * (r[k] - (phiff === null ? f(vff[k]) : phiff[k]));
        if (mode === 1) dOut[dBase + k] = d;
        else dOut[k] += d;
      }
      let vn = v[k] + c * (vff[k] + C[oc + a] - v[k]);
      if (noise !== null) vn += noise[k];
      v[k] = vn;
      r[k] = f(vn);
    }
  }
}

export function fusedLayer(act: Activation, g: LayerArgs): void {
  if (act.name === 'tanh') fusedTanh(g);
  else if (act.name === 'linear') fusedLinear(g);
  else fusedGeneric(act, g);
}
