/** Small helpers shared by the tests. */
import { afterAll, beforeAll } from 'vitest';
import { setBackend } from '../src/linalg/backend';

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Numbers pinned on the wasm kernels: run this file's tests on the 'wasm' backend, whatever the
 * machine has ('auto' takes a system OpenBLAS when there is one, which sums in another order and
 * changes the last bits). Call at the top of a test file.
 */
export function onWasmBackend(): void {
  beforeAll(() => setBackend('wasm'));
  afterAll(() => setBackend('auto'));
}
