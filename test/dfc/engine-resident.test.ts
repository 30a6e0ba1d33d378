import { afterAll, beforeAll, expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { setBackend } from '../../src/linalg/backend';
import { WasmWorkspace } from '../../src/linalg/kernels';
import { mat } from '../../src/linalg/mat';
import { FIG3_FORWARD } from '../../models/dfc/config';
import type { WakeOptions } from '../../models/dfc/batched';
import { DfcEngine } from '../../models/dfc/engine';
import { tanhInto } from '../../models/dfc/fastmath';
import { randomBatch, smallNet } from './helpers';

// The resident wasm kernels against their TypeScript twins: on the 'wasm' backend ('auto' would put
// the larger products of either loop on BLAS, where the sums run in another order).
beforeAll(() => setBackend('wasm'));
afterAll(() => setBackend('auto'));

/** Both implementations of the wake phase on the same inputs; the resident one is the default. */
function bothWakes(sizes: number[], B: number, steps: number, opts: Omit<WakeOptions, 'resident' | 'rng'>, sigma = 0) {
  const { net, p, rng } = smallNet({ sizes, seed: 3 });
  const nL = sizes[sizes.length - 1];
  const { X } = randomBatch(rng, B, sizes[0], nL);
  const { R } = net.feedforwardBatch(p.W, X);
  const Rstar = mat(B, nL);
  for (let k = 0; k < Rstar.data.length; k++) Rstar.data[k] = R[net.L].data[k] + 0.3 * (rng.uniform() - 0.5);
  const engine = new DfcEngine(net, B + 2);
  const cfg = { ...FIG3_FORWARD, steps, sigma };
  const snap = (r: ReturnType<DfcEngine['wake']>) => ({
    status: r.status,
    steps: r.steps,
    divergence: r.divergence,
    dW: r.dW?.map((m) => Array.from(m.data)),
    V: r.V.map((m) => Array.from(m.data)),
    R: r.R.slice(1).map((m) => Array.from(m.data)),
    U: Array.from(r.U.data),
    Uint: Array.from(r.Uint.data),
  });
  const ts = snap(engine.wake(p, X, Rstar, cfg, { ...opts, resident: false, rng: new Rng(5) }));
  const wasm = snap(engine.wake(p, X, Rstar, cfg, { ...opts, rng: new Rng(5) }));
  return { ts, wasm, net, p, X, Rstar, engine, cfg };
}

test('the wasm-resident wake phase equals the TypeScript workspace (state bit for bit; DFC and DFC-SS, hoisted or not, noise, odd widths, packed products)', () => {
  // [15,10,10,5]: the toy network (all products unpacked); [7,9,3]: odd widths; [30,70,65,5]: the 70x65 product is packed;
  // [4,3]: one layer; [6,300,150,12]: U Qᵀ (k·n = 12·462) packed too
  for (const sizes of [[15, 10, 10, 5], [7, 9, 3], [30, 70, 65, 5], [4, 3], [6, 300, 150, 12]]) {
    for (const hoistInput of [true, false]) {
      for (const accumulate of [true, false]) {
        const { ts, wasm } = bothWakes(sizes, 5, 23, { accumulate, hoistInput }); // 23 steps: chunks of 4 and a partial one
        expect(ts.status).toBe('ok');
        expect({ ...wasm, dW: undefined }).toEqual({ ...ts, dW: undefined }); // the state: same bits
        // the update: same bits except where the TypeScript workspace's products take another order of sums
        // (products of ≤ 128 multiply-adds run as plain loops there)
        expect(wasm.dW === undefined).toBe(!accumulate);
        wasm.dW?.forEach((d, i) => {
          const scale = Math.max(...ts.dW![i].map(Math.abs));
          d.forEach((v, k) => expect(Math.abs(v - ts.dW![i][k])).toBeLessThanOrEqual(4e-16 * scale));
        });
      }
    }
  }
  const noisy = bothWakes([15, 10, 10, 5], 3, 10, { accumulate: true }, 0.05);
  expect(noisy.wasm).toEqual(noisy.ts);
});

test('per-sample row weights: the state equal bit for bit, the weighted updates equal up to the order of sums in the products', () => {
  const sizes = [7, 9, 6, 3];
  const B = 4;
  const rng = new Rng(8);
  const rowWeights = sizes.slice(1).map(() => {
    const w = new Float64Array(B);
    rng.fillUniform(w, 0, 2);
    return w;
  });
  for (const hoistInput of [true, false]) {
    const { ts, wasm } = bothWakes(sizes, B, 11, { accumulate: true, rowWeights, hoistInput });
    expect(wasm.V).toEqual(ts.V);
    // Σ_t w_b D_b(t) r(t)ᵀ: the wasm product and matMulTA sum the batch rows in different orders
    ts.dW!.forEach((d, i) => {
      const scale = Math.max(...d.map(Math.abs));
      d.forEach((v, k) => expect(Math.abs(v - wasm.dW![i][k])).toBeLessThan(1e-14 * scale));
    });
  }
});

test('the resident wake phase reports divergence at the same step and block as the TypeScript workspace', () => {
  const { net, p, rng } = smallNet({ seed: 2 });
  const Q = p.Q.map((m) => mat(m.rows, m.cols, m.data.map((v) => -5 * v)));
  const { X } = randomBatch(rng, 4, 4, 3);
  const { R } = net.feedforwardBatch(p.W, X);
  const Rstar = mat(4, 3, R[net.L].data.map((v) => v + 0.05));
  const engine = new DfcEngine(net, 4);
  const cfg = { ...FIG3_FORWARD, steps: 1000 };
  const a = engine.wake({ W: p.W, Q }, X, Rstar, cfg, { accumulate: true, resident: false });
  const b = engine.wake({ W: p.W, Q }, X, Rstar, cfg, { accumulate: true });
  expect(a.status).toBe('diverged');
  expect(b.status).toBe('diverged');
  expect(b.divergence).toEqual(a.divergence);
  expect(b.steps).toBe(a.steps);
  expect(b.dW).toBeUndefined();
});

test('the wasm tanh equals fastmath.tanhInto bit for bit, within 4.5e-16 of Math.tanh, and keeps ±1 and NaN', () => {
  const ws = WasmWorkspace.create();
  expect(ws).not.toBeNull();
  const n = 40001; // odd: the scalar tail too
  const src = ws!.alloc(n);
  const dst = ws!.alloc(n);
  const h = ws!.f64;
  const rng = new Rng(4);
  for (let i = 0; i < n; i++) h[src + i] = (rng.uniform() * 2 - 1) * (i % 3 === 0 ? 40 : i % 3 === 1 ? 3 : 1e-3);
  h.set([Infinity, -Infinity, NaN, 0, -0, 19.2, -19.2, 1e-300], src);
  ws!.tanh(src, dst, n);
  const js = new Float64Array(n);
  tanhInto(h.subarray(src, src + n), js);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    expect(Object.is(h[dst + i], js[i]) || (Number.isNaN(js[i]) && Number.isNaN(h[dst + i]))).toBe(true);
    if (Number.isFinite(h[src + i])) worst = Math.max(worst, Math.abs(js[i] - Math.tanh(h[src + i])));
  }
  expect(worst).toBeLessThan(4.5e-16);
  expect([h[dst], h[dst + 1], h[dst + 5], h[dst + 6]]).toEqual([1, -1, 1, -1]);
  expect(Number.isNaN(h[dst + 2])).toBe(true);
  expect(Math.abs(h[dst + 3])).toBe(0);
});
