/**
 * The SAL circuit with leaky fast dynamics: both pathways are state, relaxing with time constants
 * τ_u (upstream) and τ_d (downstream) towards the instantaneous eqs. (1)-(2), while the four
 * connections follow the same slow flows (5)-(8) driven by the current (leaky) activities:
 *
 *   τ_u dhᵏ/dt = −hᵏ + D_u(W^{k−1}h^{k−1}) W^{k−1}h^{k−1},     k = 2..L   (h¹ = x held fixed)
 *   τ_d dh̄ᴸ/dt = −h̄ᴸ − ∇F(hᴸ)
 *   τ_d dh̄ᵏ/dt = −h̄ᵏ + D_d(W̄ᵏh̄ᵏ⁺¹, Vᵏhᵏ) W̄ᵏh̄ᵏ⁺¹,              k = L−1..2
 *   dθ/dt = slow flows (5)-(8) evaluated at (h, h̄).
 *
 * Nothing orders the two pathways: the downstream input −∇F(hᴸ) is only right once the upstream
 * has settled, so the sequence "upstream first, then downstream" of eqs. (1)-(2) emerges from the
 * relaxation, layer by layer. As τ → 0 (τ ≪ 1/η) the activities follow their instantaneous values
 * and the connections follow the instantaneous circuit; the difference is O(τ) (measured in
 * ./theory.ts, `leakyLimit`). The whole batch is one fixed input (full-batch flow). Activities
 * start at zero. Stiff for small τ: use steps dt ≲ τ/2 with an explicit solver.
 */
import { defineState, matrix, type MatrixSpec, type StateLayout } from '../../src/core/state';
import { drift, type DriftTerm } from '../../src/core/terms';
import { matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { SalCircuit, type Connections, type Work } from './circuit';

export interface LeakyCircuit {
  layout: StateLayout;
  term: DriftTerm;
  /** Initial state: connections `weights`, activities zero. */
  initial(weights: Float64Array): Float64Array;
  /** The connections part of a leaky state (a copy). */
  weights(y: Float64Array): Float64Array;
}

export function leakyCircuit(
  circuit: SalCircuit,
  x: Float64Array,
  target: Float64Array,
  batch: number,
  opts: { tauUp: number; tauDown: number },
): LeakyCircuit {
  const { tauUp, tauDown } = opts;
  if (!(tauUp > 0 && tauDown > 0)) throw new Error(`time constants must be > 0 (got tauUp = ${tauUp}, tauDown = ${tauDown})`);
  const L = circuit.L;
  const dIn = circuit.d(1);
  if (x.length !== batch * dIn) throw new Error(`x has ${x.length} values but batch ${batch} x input width ${dIn} needs ${batch * dIn}`);
  if (target.length !== batch * circuit.d(L)) throw new Error(`target has ${target.length} values but batch ${batch} x output width ${circuit.d(L)} needs ${batch * circuit.d(L)}`);
  const nW = circuit.layout.size;
  const specs: Record<string, MatrixSpec> = { weights: matrix(1, nW) };
  for (let k = 2; k <= L; k++) specs[`h${k}`] = matrix(batch, circuit.d(k), { tau: tauUp });
  for (let k = L; k >= 2; k--) specs[`hbar${k}`] = matrix(batch, circuit.db(k), { tau: tauDown });
  const layout = defineState(specs);

  // Scratch: the instantaneous targets of each layer, and a Work whose activities are state views.
  const scratch = circuit.work(batch);
  const drive: Mat[] = [];
  for (let k = 2; k <= L; k++) drive[k] = mat(batch, circuit.d(k));
  const driveBar: Mat[] = [];
  for (let k = 2; k <= L; k++) driveBar[k] = mat(batch, circuit.db(k));
  const X = mat(batch, dIn, Float64Array.from(x));

  interface Views {
    c: Connections;
    w: Work;
    h: Mat[];
    hb: Mat[];
  }
  const cache = new WeakMap<Float64Array, Views>();
  const viewsOf = (y: Float64Array): Views => {
    let v = cache.get(y);
    if (v) return v;
    const s = layout.view(y) as Record<string, Mat>;
    const h: Mat[] = [];
    const hb: Mat[] = [];
    h[1] = X;
    for (let k = 2; k <= L; k++) h[k] = s[`h${k}`];
    for (let k = 2; k <= L; k++) hb[k] = s[`hbar${k}`];
    const M = scratch.M.slice();
    M[L] = hb[L];
    const w: Work = { ...scratch, X, H: h, Hb: hb, M };
    v = { c: circuit.views(s.weights.data), w, h, hb };
    cache.set(y, v);
    return v;
  };
  const relu = circuit.spec.upstream === 'relu';
  const gate = circuit.spec.downGate === 'relu-jacobian';
  const T = Float64Array.from(target);

  const term = drift(layout.size, (_t, y, out) => {
    const { c, w, h, hb } = viewsOf(y);
    const o = viewsOf(out);
    // upstream relaxation
    for (let k = 2; k <= L; k++) {
      const a = drive[k].data;
      matMulTB(h[k - 1], c.W[k - 1], drive[k]);
      if (relu && k < L) for (let i = 0; i < a.length; i++) if (a[i] < 0) a[i] = 0;
      relax(o.h[k].data, a, h[k].data, tauUp);
    }
    // downstream relaxation: error input from the current output
    const e = driveBar[L].data;
    circuit.spec.loss.evaluate(h[L].data, T, batch, scratch.grad);
    for (let i = 0; i < e.length; i++) e[i] = -batch * scratch.grad[i];
    relax(o.hb[L].data, e, hb[L].data, tauDown);
    for (let k = L - 1; k >= 2; k--) {
      if (circuit.spec.feedback === 'tied') throw new Error("the leaky circuit needs an explicit W̄ (feedback 'circuit' or 'mirror'), not 'tied'");
      matMulTB(hb[k + 1], c.Wbar[k], driveBar[k]);
      matMulTB(h[k], c.V[k], w.P[k]);
      const a = driveBar[k].data;
      if (gate) {
        const p = w.P[k].data;
        for (let i = 0; i < a.length; i++) if (!(p[i] > 0)) a[i] = 0;
      }
      relax(o.hb[k].data, a, hb[k].data, tauDown);
    }
    for (let k = 2; k <= L - 1; k++) matMulTB(hb[k], c.Vbar[k - 1], w.M[k]);
    circuit.weightFlow(c, w, o.c, 0);
  });

  return {
    layout,
    term,
    initial(weights) {
      const y = layout.create();
      y.set(weights, layout.block('weights').offset);
      return y;
    },
    weights(y) {
      const b = layout.block('weights');
      return y.slice(b.offset, b.offset + b.size);
    },
  };
}

/** out ← (target − x)/τ */
function relax(out: Float64Array, target: Float64Array, x: Float64Array, tau: number): void {
  const r = 1 / tau;
  for (let i = 0; i < out.length; i++) out[i] = (target[i] - x[i]) * r;
}
