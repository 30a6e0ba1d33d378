/**
 * The LOCO projection of one layer (Section 2.3, eqs. 4-6).
 *
 * For the inputs X of one category in the current batch (the rows of one group):
 *   Z      = PCA_k(X)                                  top-k principal directions (eq. 6)
 *   u      = first principal direction of X            "the direction of the batch"
 *   U      = kmeans(buffer of past directions ∪ {u}, c) cluster centres (eq. 5)
 *   A      = U without the centre nearest to u         preserved directions of other categories (eq. 5)
 *   P_CO   = I − A(AᵀA)⁻¹Aᵀ                             cluster-orthogonal projector (eq. 4)
 *   Q      = GramSchmidt(P_CO Z), zero vectors removed  (eq. 6)
 *   P      = Q(QᵀQ)⁻¹Qᵀ = QQᵀ                          (Q orthonormal)
 * and the LOCO update of eq. (2) uses P x for every input x of the group. P is never formed: P x =
 * Q(Qᵀx), and P_CO Z = Z − Ã(ÃᵀZ) with Ã an orthonormal basis of A's columns.
 *
 * Choices where the paper is silent (Section 2.3 and Table S2 give c = 10 centres, a buffer of
 * p = 50 directions, 10 k-means iterations, k ≤ 20):
 * - The buffer is first-in first-out and holds the first principal direction of each group seen;
 *   the current direction enters it before clustering. k-means runs on every call, warm-started
 *   from the previous centres when their number is unchanged (deterministic, seeded).
 * - While the buffer holds fewer than c directions, c = its size; with one centre (the current
 *   category's own) A is empty and P is the low-rank projection alone. With clusters = 1 there is
 *   no orthogonality constraint (used where there are no categories, e.g. the sin fit).
 * - A batch is split into groups by label (the paper's batches hold one category; `groups` = null
 *   means one group); each group gets its own P and pushes its own direction.
 * - The projection acts on the layer's input augmented with a constant 1 when the layer has a bias
 *   (the bias is the weight of that input), so P sees the space the whole row [W b] lives in.
 * - If every principal direction lies in span(A), Q is empty and the group's update is zero.
 * - Within one minibatch the projection is fixed: `project` computes each group's Q at the
 *   minibatch's first evaluation (and advances the buffer and the centres once), and `reproject`
 *   applies those Q to the inputs at other weights (the further stages of a multi-stage solver of
 *   the learning flow), so that the flow on a minibatch is a function of the weights alone.
 */
import { Rng } from '../../src/core/random';
import { gramSchmidt, nearestCentre, principalDirections, sphericalKMeans } from './linalg';

export interface LocoOptions {
  /** Principal components kept per group (low-rank constraint), ≥ 1 and ≤ the input dimension. */
  k: number;
  /** k-means centres c (orthogonality constraint); 1 switches the constraint off. */
  clusters: number;
  /** Directions kept for k-means (p). */
  buffer: number;
  /** k-means iterations per call. */
  kmeansIters: number;
}

export const LOCO_DEFAULTS: LocoOptions = { k: 10, clusters: 10, buffer: 50, kmeansIters: 10 };

export function checkLocoOptions(o: LocoOptions): void {
  if (!Number.isInteger(o.k) || o.k < 1) throw new Error(`LOCO k (principal components) must be an integer >= 1 (got ${o.k})`);
  if (!Number.isInteger(o.clusters) || o.clusters < 1) throw new Error(`LOCO clusters (k-means centres) must be an integer >= 1 (got ${o.clusters})`);
  if (!Number.isInteger(o.buffer) || o.buffer < 1) throw new Error(`LOCO buffer (directions kept for k-means) must be an integer >= 1 (got ${o.buffer})`);
  if (!Number.isInteger(o.kmeansIters) || o.kmeansIters < 1) throw new Error(`LOCO kmeansIters must be an integer >= 1 (got ${o.kmeansIters})`);
}

/** What one projection did: the rank r of P and how many preserved directions were removed. */
export interface ProjectionInfo {
  rank: number;
  preserved: number;
}

/**
 * Orthonormal basis Q (rows, r x d) of GramSchmidt((I − Π_A) Z): eqs. (4) and (6) for given
 * principal directions Z (q x d rows) and preserved directions A (s x d rows). Returns r.
 */
export function locoBasis(Z: Float64Array, q: number, A: Float64Array, s: number, d: number, Q: Float64Array, tol = 1e-6): number {
  const Ab = A.slice(0, s * d);
  const sA = gramSchmidt(Ab, s, d, 1e-10);
  Q.set(Z.subarray(0, q * d));
  for (let i = 0; i < q; i++) {
    const z = Q.subarray(i * d, (i + 1) * d);
    let before = 0;
    for (let j = 0; j < d; j++) before += z[j] * z[j];
    for (let pass = 0; pass < 2; pass++) {
      for (let a = 0; a < sA; a++) {
        const u = Ab.subarray(a * d, (a + 1) * d);
        let dot = 0;
        for (let j = 0; j < d; j++) dot += u[j] * z[j];
        for (let j = 0; j < d; j++) z[j] -= dot * u[j];
      }
    }
    // A direction (almost) inside span(A) is a zero vector of P_CO Z: drop it here, against its
    // norm before the projection (Gram–Schmidt alone would renormalise the round-off).
    let after = 0;
    for (let j = 0; j < d; j++) after += z[j] * z[j];
    if (!(after > tol * tol * before)) z.fill(0);
  }
  return gramSchmidt(Q, q, d, tol);
}

/** out row b ← Q Qᵀ x_b for the rows `rows` of X (B x d). */
export function applyBasis(Q: Float64Array, r: number, d: number, X: Float64Array, rows: readonly number[], out: Float64Array): void {
  for (const b of rows) {
    const x = X.subarray(b * d, (b + 1) * d);
    const o = out.subarray(b * d, (b + 1) * d);
    o.fill(0);
    for (let i = 0; i < r; i++) {
      const qi = Q.subarray(i * d, (i + 1) * d);
      let c = 0;
      for (let j = 0; j < d; j++) c += qi[j] * x[j];
      for (let j = 0; j < d; j++) o[j] += c * qi[j];
    }
  }
}

export class LocoProjector {
  private readonly directions: Float64Array[] = [];
  private centres: Float64Array[] = [];
  /** Draws the k-means seeding; its state is part of a checkpoint. */
  readonly rng: Rng;
  private readonly Z: Float64Array;
  private readonly Q: Float64Array;
  /** Statistics of the last call to `project` (one entry per group). */
  last: ProjectionInfo[] = [];
  /** The bases Q (r x dim) the last call to `project` computed, by group. */
  private bases = new Map<number, { Q: Float64Array; r: number }>();

  constructor(
    readonly dim: number,
    readonly opts: LocoOptions,
    seed: number,
  ) {
    checkLocoOptions(opts);
    if (opts.k > dim) throw new Error(`LOCO k = ${opts.k} principal components exceeds the layer's input dimension ${dim}; choose k <= ${dim}`);
    this.rng = new Rng(seed);
    this.Z = new Float64Array(opts.k * dim);
    this.Q = new Float64Array(opts.k * dim);
  }

  /**
   * What carries over from one call to the next (the buffered directions and the k-means
   * centres; the generator is `rng`), packed into one array of fixed length for checkpoints:
   * [directions, centres, buffer x dim direction values, clusters x dim centre values]. Writes into
   * `out` when given.
   */
  saveState(out: Float64Array = new Float64Array(2 + (this.opts.buffer + this.opts.clusters) * this.dim)): Float64Array {
    const d = this.dim;
    out.fill(0);
    out[0] = this.directions.length;
    out[1] = this.centres.length;
    this.directions.forEach((u, i) => out.set(u, 2 + i * d));
    this.centres.forEach((c, i) => out.set(c, 2 + (this.opts.buffer + i) * d));
    return out;
  }

  /** Restore what `saveState` packed (of a projector with the same dimension and options). */
  loadState(a: Float64Array): void {
    const d = this.dim;
    const { buffer, clusters } = this.opts;
    const n = a[0];
    const c = a[1];
    if (a.length !== 2 + (buffer + clusters) * d || !(n <= buffer && c <= clusters)) throw new Error(`LocoProjector.loadState: the state does not belong to a projector of dimension ${d}, buffer ${buffer} and ${clusters} centres`);
    this.directions.length = 0;
    for (let i = 0; i < n; i++) this.directions.push(a.slice(2 + i * d, 2 + (i + 1) * d));
    this.centres = Array.from({ length: c }, (_, i) => a.slice(2 + (buffer + i) * d, 2 + (buffer + i + 1) * d));
  }

  /** The directions currently in the buffer (copies). */
  bufferedDirections(): Float64Array[] {
    return this.directions.map((d) => d.slice());
  }

  /**
   * out ← P_g X for every group g of the batch X (B x dim): the projected inputs of eq. (2).
   * `groups[b]` is the category of row b (null: one group).
   */
  project(X: Float64Array, B: number, groups: Int32Array | null, out: Float64Array): void {
    const d = this.dim;
    if (X.length !== B * d || out.length !== B * d) throw new Error(`LocoProjector.project: X and out must be ${B} x ${d}`);
    const byGroup = new Map<number, number[]>();
    for (let b = 0; b < B; b++) {
      const g = groups ? groups[b] : 0;
      let list = byGroup.get(g);
      if (!list) byGroup.set(g, (list = []));
      list.push(b);
    }
    this.last = [];
    this.bases = new Map();
    for (const g of [...byGroup.keys()].sort((a, b) => a - b)) this.last.push(this.projectGroup(g, X, byGroup.get(g)!, out));
  }

  /**
   * out ← P_g X with the projections P_g of the last call to `project` (same batch, same groups),
   * without changing the buffer or the centres: the minibatch's projection at other weights.
   */
  reproject(X: Float64Array, B: number, groups: Int32Array | null, out: Float64Array): void {
    const d = this.dim;
    if (X.length !== B * d || out.length !== B * d) throw new Error(`LocoProjector.reproject: X and out must be ${B} x ${d}`);
    for (let b = 0; b < B; b++) {
      const basis = this.bases.get(groups ? groups[b] : 0);
      if (!basis) throw new Error(`LocoProjector.reproject: group ${groups ? groups[b] : 0} was not in the batch of the last call to project`);
      applyBasis(basis.Q, basis.r, d, X, [b], out);
    }
  }

  private projectGroup(group: number, X: Float64Array, rows: number[], out: Float64Array): ProjectionInfo {
    const d = this.dim;
    const q = principalDirections(X, d, rows, this.opts.k, this.Z);
    if (q === 0) {
      for (const b of rows) out.fill(0, b * d, (b + 1) * d);
      this.bases.set(group, { Q: new Float64Array(0), r: 0 });
      return { rank: 0, preserved: 0 };
    }
    const u = this.Z.slice(0, d);
    this.directions.push(u);
    if (this.directions.length > this.opts.buffer) this.directions.shift();
    let s = 0;
    let A = new Float64Array(0);
    if (this.opts.clusters > 1) {
      const c = Math.min(this.opts.clusters, this.directions.length);
      const warm = this.centres.length === c ? this.centres : undefined;
      const km = sphericalKMeans(this.directions, c, this.opts.kmeansIters, this.rng, warm);
      this.centres = km.centres;
      const j = nearestCentre(u, this.centres);
      s = this.centres.length - 1;
      A = new Float64Array(Math.max(0, s) * d);
      let row = 0;
      this.centres.forEach((ctr, i) => {
        if (i !== j) A.set(ctr, d * row++);
      });
    }
    const r = locoBasis(this.Z, q, A, s, d, this.Q);
    applyBasis(this.Q, r, d, X, rows, out);
    this.bases.set(group, { Q: this.Q.slice(0, r * d), r });
    return { rank: r, preserved: s };
  }
}
