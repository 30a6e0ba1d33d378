/** Diagnostics of the self-assembled circuit: the matrices of Fig. 3 and their effective rank. */
import { svd } from '../../src/linalg/decomp';
import { matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';

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
