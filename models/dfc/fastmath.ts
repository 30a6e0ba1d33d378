/**
 * Array-at-a-time nonlinearities for the batched DFC vector fields (batched.ts).
 *
 * `Math.tanh` costs ~20 ns an element here (a call into the C library per element); the batched
 * simulation evaluates two nonlinearities per neuron per Euler step, so tanh would dominate the toy
 * network's step. tanh is therefore the resident workspaces' (src/linalg/workspace.ts `tanhInto`,
 * `tanh1`: absolute error ≤ 4.5e-16 against Math.tanh, the same bits in TypeScript and wasm); the
 * other nonlinearities are their own functions.
 */
import { tanhInto } from '../../src/linalg/workspace';
import type { Activation } from '../../src/nn/activations';

export { tanh1, tanhInto } from '../../src/linalg/workspace';

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
