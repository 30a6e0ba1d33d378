/** Diagnostics of the self-assembled circuit: the matrices of Fig. 3 and their effective rank. */
import { svd } from '../../src/linalg/decomp';
import { matMulTB, matTVec, matVec } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import type { SalCircuit } from './circuit';

/**
 * Effective rank (Roy & Vetterli 2007): exp of the Shannon entropy of the normalised singular
 * values p_i = σ_i/Σσ_j. 1 for a rank-one matrix, n for a multiple of an orthogonal n × n matrix.
 */
export function effectiveRank(A: Mat): number {
  const s = svd(A).s.filter((v) => v > 0);
  const total = s.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let h = 0;
  for (const v of s) {
    const p = v / total;
    h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/** A Aᵀ (the Gram matrix of A's rows: V̄V̄ᵀ = H, or WWᵀ). */
export function gram(A: Mat): Mat {
  const G = mat(A.rows, A.rows);
  matMulTB(A, A, G);
  return G;
}

/**
 * Largest singular value σ_max(A) by power iteration on AᵀA from a fixed start (deterministic;
 * `iterations` sweeps, relative accuracy ~ (σ₂/σ₁)^(2·iterations)). σ_max(V̄)² = λ_max(V̄V̄ᵀ).
 */
export function spectralNorm(A: Mat, iterations = 50): number {
  const v = new Float64Array(A.cols);
  for (let j = 0; j < v.length; j++) v[j] = 1 + ((j * 7919) % 13) / 13; // not orthogonal to the top singular vector in practice
  const u = new Float64Array(A.rows);
  let s = 0;
  for (let it = 0; it < iterations; it++) {
    matVec(A, v, u);
    matTVec(A, u, v);
    const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    if (n === 0 || !Number.isFinite(n)) return n === 0 ? 0 : NaN;
    s = Math.sqrt(n);
    for (let j = 0; j < v.length; j++) v[j] /= n;
  }
  return s;
}

/**
 * The relative size of one update of every connection, σ_max(ΔX)/σ_max(X) per layer, on one batch
 * (the quantity behind the width divergence: with fixed rates it grows like d̄ for W̄ and V̄, the
 * connections that read the downstream pathway; see circuit.ts). Keys 'W1', 'Wbar2', 'V2', 'Vbar1', ...
 */
export function relativeSteps(circuit: SalCircuit, y: Float64Array, x: Float64Array, target: Float64Array, B: number): Record<string, number> {
  circuit.checkBatch(x, target, B);
  const w = circuit.work(B);
  w.X.data.set(x);
  w.T.set(target);
  const c = circuit.views(y);
  circuit.pass(c, w);
  const out = circuit.layout.create();
  const o = circuit.views(out);
  circuit.weightFlow(c, w, o, 0);
  const steps: Record<string, number> = {};
  for (const kind of ['W', 'Wbar', 'V', 'Vbar'] as const) {
    c[kind].forEach((m, i) => {
      if (m) steps[`${kind}${i}`] = spectralNorm(o[kind][i]) / spectralNorm(m);
    });
  }
  return steps;
}
