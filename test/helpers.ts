/** Small helpers shared by the tests. */
import * as fs from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
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

/**
 * An experiment function's call (runDfcFig3, runUrfbMnist, …), checked to write nothing: its
 * command's default output folder (`folder`, e.g. 'out/dfc-fig3') lists the same entries after the
 * call as before it (or is still absent).
 */
export async function writesNothing<T>(folder: string, call: () => Promise<T>): Promise<T> {
  const list = () => (fs.existsSync(folder) ? fs.readdirSync(folder).sort() : null);
  const before = list();
  const r = await call();
  expect(list()).toEqual(before);
  return r;
}
