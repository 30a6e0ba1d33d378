/**
 * The small, deterministic linear algebra of the LOCO projection (eqs. 4-6): symmetric
 * eigendecomposition (ml-matrix, on a batch-sized Gram matrix), uncentred PCA of a batch,
 * Gram–Schmidt with removal of (near-)zero vectors, and seeded spherical k-means.
 *
 * Vectors are rows of row-major Float64Arrays (a set of m vectors of dimension d is m x d).
 *
 * Choices where the paper is silent:
 * - PCA is uncentred (the top right singular vectors of the batch matrix, i.e. the principal
 *   directions of the inputs, not of their deviations from the mean): the NP update of a neuron's
 *   weights lies in the span of its inputs x (eq. 9), so the low-rank subspace must contain the
 *   inputs themselves; for non-negative rates the first direction is close to the mean input.
 * - A principal direction's sign is fixed so that its entries sum to ≥ 0 (so "the direction of a
 *   batch" is well defined for k-means).
 * - k-means clusters directions by angle (spherical k-means: cosine similarity, unit centres), as
 *   "nearest in terms of angular distance" in Section 2.3; seeded k-means++ initialisation.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { Rng } from '../../src/core/random';
import { cosine as blockCosine } from '../../src/analysis/similarity';

/**
 * Eigenvalues (descending) and eigenvectors of a symmetric n x n matrix (row-major, not changed),
 * through ml-matrix's symmetric eigendecomposition (Householder tridiagonalisation and QL).
 * vectors[i*n + k] is component i of eigenvector k.
 */
export function symmetricEigen(A: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  if (A.length !== n * n) throw new Error(`symmetricEigen: matrix has ${A.length} entries, expected ${n}x${n}`);
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.set(i, j, A[i * n + j]);
  const e = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const lam = e.realEigenvalues;
  const V = e.eigenvectorMatrix;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => lam[j] - lam[i] || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, k) => {
    values[k] = lam[src];
    for (let i = 0; i < n; i++) vectors[i * n + k] = V.get(i, src);
  });
  return { values, vectors };
}

/**
 * Uncentred PCA_k of the rows `rows` of X (B x d): up to k unit principal directions, written as
 * the rows of Z (k x d); returns how many were found (directions with eigenvalue below
 * 1e-12·λ₁ are dropped). Through the g x g Gram matrix of the g selected rows.
 */
export function principalDirections(X: Float64Array, d: number, rows: readonly number[], k: number, Z: Float64Array): number {
  const g = rows.length;
  if (Z.length < k * d) throw new Error(`principalDirections: Z has ${Z.length} entries, needs k x d = ${k * d}`);
  if (g === 0 || k === 0) return 0;
  const G = new Float64Array(g * g);
  for (let a = 0; a < g; a++) {
    const oa = rows[a] * d;
    for (let b = a; b < g; b++) {
      const ob = rows[b] * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += X[oa + j] * X[ob + j];
      G[a * g + b] = s;
      G[b * g + a] = s;
    }
  }
  const { values, vectors } = symmetricEigen(G, g);
  const lam1 = values[0];
  if (!(lam1 > 0)) return 0;
  let found = 0;
  for (let i = 0; i < Math.min(k, g); i++) {
    const lam = values[i];
    if (!(lam > 1e-12 * lam1)) break;
    const z = Z.subarray(found * d, (found + 1) * d);
    z.fill(0);
    const inv = 1 / Math.sqrt(lam);
    for (let a = 0; a < g; a++) {
      const w = vectors[a * g + i] * inv;
      if (w === 0) continue;
      const oa = rows[a] * d;
      for (let j = 0; j < d; j++) z[j] += w * X[oa + j];
    }
    // renormalise (round-off) and fix the sign
    let nn = 0;
    let sum = 0;
    for (let j = 0; j < d; j++) {
      nn += z[j] * z[j];
      sum += z[j];
    }
    const s = (sum < 0 ? -1 : 1) / Math.sqrt(nn);
    for (let j = 0; j < d; j++) z[j] *= s;
    found++;
  }
  return found;
}

/**
 * Modified Gram–Schmidt (twice, for stability) on the m rows of V (m x d), in place: the first r
 * rows become an orthonormal basis of their span and r is returned. A vector whose norm after
 * orthogonalisation falls below tol times its norm before is dropped ("after removing zero vectors",
 * Section 2.3).
 */
export function gramSchmidt(V: Float64Array, m: number, d: number, tol = 1e-8): number {
  let r = 0;
  for (let i = 0; i < m; i++) {
    const v = V.subarray(i * d, (i + 1) * d);
    let n0 = 0;
    for (let j = 0; j < d; j++) n0 += v[j] * v[j];
    n0 = Math.sqrt(n0);
    if (!(n0 > 0)) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < r; q++) {
        const u = V.subarray(q * d, (q + 1) * d);
        let dot = 0;
        for (let j = 0; j < d; j++) dot += u[j] * v[j];
        for (let j = 0; j < d; j++) v[j] -= dot * u[j];
      }
    }
    let n1 = 0;
    for (let j = 0; j < d; j++) n1 += v[j] * v[j];
    n1 = Math.sqrt(n1);
    if (!(n1 > tol * n0)) continue;
    const inv = 1 / n1;
    const dst = V.subarray(r * d, (r + 1) * d);
    for (let j = 0; j < d; j++) dst[j] = v[j] * inv;
    r++;
  }
  return r;
}

function cosine(a: Float64Array, b: Float64Array): number {
  return blockCosine(a, b, 0);
}

export interface KMeansResult {
  /** Unit centres, one per row (c x d). */
  centres: Float64Array[];
  /** Cluster of each input direction. */
  assignment: Int32Array;
}

/**
 * Spherical k-means of unit directions into c clusters by cosine similarity: seeded k-means++
 * initialisation (or the given initial centres), then `iters` rounds of assign / re-centre. An
 * empty cluster keeps its centre.
 */
export function sphericalKMeans(dirs: readonly Float64Array[], c: number, iters: number, rng: Rng, init?: readonly Float64Array[]): KMeansResult {
  const n = dirs.length;
  if (n === 0) return { centres: [], assignment: new Int32Array(0) };
  const d = dirs[0].length;
  const k = Math.min(c, n);
  let centres: Float64Array[];
  if (init && init.length === k) centres = init.map((x) => x.slice());
  else {
    centres = [dirs[rng.int(n)].slice()];
    const dist = new Float64Array(n);
    while (centres.length < k) {
      let total = 0;
      for (let i = 0; i < n; i++) {
        let best = Infinity;
        for (const ctr of centres) best = Math.min(best, 1 - cosine(dirs[i], ctr));
        dist[i] = Math.max(0, best);
        total += dist[i];
      }
      if (!(total > 1e-15)) break; // fewer distinct directions than clusters
      let u = rng.uniform() * total;
      let pick = n - 1;
      for (let i = 0; i < n; i++) {
        u -= dist[i];
        if (u <= 0) {
          pick = i;
          break;
        }
      }
      centres.push(dirs[pick].slice());
    }
  }
  const assignment = new Int32Array(n);
  const sums = centres.map(() => new Float64Array(d));
  for (let it = 0; it < Math.max(1, iters); it++) {
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      let arg = 0;
      for (let q = 0; q < centres.length; q++) {
        const s = cosine(dirs[i], centres[q]);
        if (s > best) {
          best = s;
          arg = q;
        }
      }
      assignment[i] = arg;
    }
    for (const s of sums) s.fill(0);
    for (let i = 0; i < n; i++) {
      const s = sums[assignment[i]];
      const x = dirs[i];
      for (let j = 0; j < d; j++) s[j] += x[j];
    }
    for (let q = 0; q < centres.length; q++) {
      const s = sums[q];
      let nn = 0;
      for (let j = 0; j < d; j++) nn += s[j] * s[j];
      if (nn > 0) {
        const inv = 1 / Math.sqrt(nn);
        for (let j = 0; j < d; j++) centres[q][j] = s[j] * inv;
      }
    }
  }
  return { centres, assignment };
}

/** Index of the centre with the largest cosine similarity to x. */
export function nearestCentre(x: Float64Array, centres: readonly Float64Array[]): number {
  let best = -Infinity;
  let arg = -1;
  centres.forEach((c, q) => {
    const s = cosine(x, c);
    if (s > best) {
      best = s;
      arg = q;
    }
  });
  return arg;
}
