/** The width of the downstream pathway: the 'fan-in' rate scaling and the per-step sizes behind the sal-width divergence (circuit.ts). */
import { describe, expect, it } from 'vitest';
import { SalCircuit, type RateScaling } from '../../models/sal/circuit';
import { relativeSteps } from '../../models/sal/analysis';
import { diffNorm, fro } from '../../models/sal/theory';
import { flowOnce } from './helpers';

const sizes = [30, 20, 20, 20, 5];

function flow(ratio: number, rateScaling: RateScaling) {
  const c = new SalCircuit({ sizes, downWidths: [1, 2, 3].map(() => Math.round(ratio * 20)), rates: { W: 0.01, Wbar: 0.01, V: 0.01, Vbar: 0.01 }, decay: 0, rateScaling });
  return { c, ...flowOnce(c, { state: 2, batch: 9, B: 16 }) };
}

describe("rateScaling 'fan-in'", () => {
  it('scales the rates of W̄ᵏ and V̄ˡ by d/d̄ of the downstream layer they read, and nothing else', () => {
    const none = flow(4, 'none');
    const fan = flow(4, 'fan-in');
    const rel = (a: Float64Array, b: Float64Array, s: number) => diffNorm(a, b.map((v) => s * v)) / fro(a);
    for (const k of [2, 3]) expect(rel(fan.o.Wbar[k].data, none.o.Wbar[k].data, 1 / 4)).toBeLessThan(1e-14);
    expect(rel(fan.o.Wbar[4].data, none.o.Wbar[4].data, 1)).toBe(0); // reads the output layer: d̄ᴸ = dᴸ
    for (const l of [1, 2, 3]) expect(rel(fan.o.Vbar[l].data, none.o.Vbar[l].data, 1 / 4)).toBeLessThan(1e-14);
    for (const l of [1, 2, 3, 4]) expect(rel(fan.o.W[l].data, none.o.W[l].data, 1)).toBe(0);
    for (const k of [2, 3, 4]) expect(rel(fan.o.V[k].data, none.o.V[k].data, 1)).toBe(0);
    expect(fan.c.rate('Wbar', 2)).toBeCloseTo(0.0025, 15);
  });
  it('changes nothing when the downstream pathway is as wide as the upstream one', () => {
    const none = flow(1, 'none');
    const fan = flow(1, 'fan-in');
    for (const kind of ['W', 'Wbar', 'V', 'Vbar'] as const) fan.o[kind].forEach((m, i) => m && expect(diffNorm(m.data, none.o[kind][i].data)).toBe(0));
  });
  it("keeps Lemma 1 exact with the scaled rate: V̄ᵏ⁻¹ᵀ is driven by (dᵏ/d̄ᵏ) times Vᵏ's drive", () => {
    const { o } = flow(4, 'fan-in');
    for (const k of [2, 3, 4]) {
      const V = o.V[k];
      const Vb = o.Vbar[k - 1];
      let m = 0;
      for (let i = 0; i < V.rows; i++) for (let j = 0; j < V.cols; j++) m = Math.max(m, Math.abs(V.data[i * V.cols + j] / 4 - Vb.data[j * Vb.cols + i]));
      expect(m / Math.max(...V.data.map(Math.abs))).toBeLessThan(1e-14);
    }
  });
  it("makes W̄'s relative step width-independent (without it the step grows like d̄: the sal-width divergence)", () => {
    const step = (ratio: number, s: RateScaling) => {
      const f = flow(ratio, s);
      return relativeSteps(f.c, f.y, f.x, f.target, 16);
    };
    const growth = (s: RateScaling, key: string) => step(8, s)[key] / step(1, s)[key];
    // Measured growth of σ(ΔX)/σ(X) from d̄/d = 1 to 8: W̄² 7.73 (none) vs 0.97 (fan-in); V̄¹ 6.10 vs 0.76.
    expect(growth('none', 'Wbar2')).toBeGreaterThan(5);
    expect(growth('fan-in', 'Wbar2')).toBeGreaterThan(0.5);
    expect(growth('fan-in', 'Wbar2')).toBeLessThan(1.5);
    expect(growth('none', 'Vbar1')).toBeGreaterThan(4);
    expect(growth('fan-in', 'Vbar1')).toBeLessThan(1.5);
  });
});
