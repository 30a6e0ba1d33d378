/**
 * DFC's equations, written once, element by element over B sample rows (row-major B x n blocks):
 * the batched terms of batched.ts evaluate them for a minibatch and the one-sample terms of
 * terms.ts for B = 1. Each function computes one right-hand side from its operands; the products
 * (V^ff = R_{i−1} W_iᵀ, C = U Qᵀ, D_iᵀ R_{i−1}, V^fbᵀ U) are the shared dense kernels, and the
 * nonlinearity φ is `applyPhi` (fastmath.ts). `c` is the factor the right-hand side is multiplied
 * by: dt/τ in batched.ts's clock (steps of the paper's dt), 1 in terms.ts (whose `timeScaled`
 * divides by τ afterwards).
 *
 *   eq. (4)   e = r* − r_L,  u = u^int + k_p e                          `controlOutput`
 *   eq. (4)   c (e − α u^int)                                          `integralField`
 *   eq. (1)   c (v^ff_i + c_i − v_i),  c_i = Q_i u                     `rateField`
 *   eq. (12)  c (v^ff_i + v^fb_i − v_i)                                `rateField`
 *   eq. (12)  c (Q_i u − v^fb_i)  (the feedback compartment's drift)   `compartmentField`
 *   eq. (5)   w_b (φ(v_i) − φ(v^ff_i)), times r_{i−1}ᵀ by a product    `integrand`
 *   eq. (13)  −(G/s + β Q),  G = v^fb uᵀ (s = 1) or its average ⟨v^fb uᵀ⟩ with s = σ² (the
 *             buffered update of rules.ts)                             `feedbackRule`
 */

/** E = R* − R_L, U = U^int + k_p E (U^int read from y at uOff), n = B·n_L entries (eq. 4). */
export function controlOutput(rs: Float64Array, RL: Float64Array, y: Float64Array, uOff: number, E: Float64Array, U: Float64Array, kp: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const e = rs[k] - RL[k];
    E[k] = e;
    U[k] = y[uOff + k] + kp * e;
  }
}

/** out[o + ·] = c (V^ff + C_i − V) for a B x n_i block, C_i at column `off` of the B x N input (eq. 1 / 12). */
export function rateField(out: Float64Array, y: Float64Array, o: number, vff: Float64Array, C: Float64Array, B: number, ni: number, N: number, off: number, c: number): void {
  for (let b = 0; b < B; b++) {
    const ob = o + b * ni;
    const fb = b * ni;
    const oc = b * N + off;
    for (let a = 0; a < ni; a++) out[ob + a] = c * (vff[fb + a] + C[oc + a] - y[ob + a]);
  }
}

/** d[od + k] = R − φ(V^ff), or w_b (R − φ(V^ff)) with row weights (eq. 5 integrand). */
export function integrand(d: Float64Array, od: number, r: Float64Array, pf: Float64Array, w: Float64Array | undefined, B: number, ni: number): void {
  if (w === undefined) {
    const n = B * ni;
    for (let k = 0; k < n; k++) d[od + k] = r[k] - pf[k];
    return;
  }
  for (let b = 0; b < B; b++) {
    const wb = w[b];
    const o = b * ni;
    for (let a = 0; a < ni; a++) d[od + o + a] = wb * (r[o + a] - pf[o + a]);
  }
}

/** out[o + k] = c (C − V^fb), V^fb = y[o …] (the feedback compartments' drift, eq. 12). */
export function compartmentField(out: Float64Array, y: Float64Array, o: number, C: Float64Array, c: number, n: number): void {
  for (let k = 0; k < n; k++) out[o + k] = c * (C[k] - y[o + k]);
}

/** out[uOff + k] = c (E − α U^int) (eq. 4, integral part). */
export function integralField(out: Float64Array, y: Float64Array, uOff: number, E: Float64Array, c: number, alpha: number, n: number): void {
  for (let k = 0; k < n; k++) out[uOff + k] = c * (E[k] - alpha * y[uOff + k]);
}

/**
 * out[o + k] = −(G[k]/s + β Q[qo + k]) (eq. 13): with G = v^fb uᵀ and s = 1 the rate τ_Q dQ/dt of
 * the coupled feedback plasticity, with G = ⟨v^fb uᵀ⟩ over a sleep phase and s = σ² the buffered
 * update ΔQ the trainers apply.
 */
export function feedbackRule(out: Float64Array, o: number, G: Float64Array, Q: Float64Array, qo: number, s: number, beta: number, n: number): void {
  for (let k = 0; k < n; k++) out[o + k] = -(G[k] / s + beta * Q[qo + k]);
}
