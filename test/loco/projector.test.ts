import { describe, expect, test } from 'vitest';
import { Rng } from '../../src/core/random';
import { svd } from '../../src/linalg/decomp';
import { mat } from '../../src/linalg/mat';
import { gramSchmidt, principalDirections, sphericalKMeans, symmetricEigen } from '../../models/loco/linalg';
import { applyBasis, locoBasis, LocoProjector } from '../../models/loco/projector';

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('the LOCO projection (eqs. 4-6)', () => {
  test('uncentred PCA through the Gram matrix equals the top right singular vectors (ml-matrix SVD)', () => {
    const rng = new Rng(1);
    const B = 12;
    const d = 30;
    const X = rng.fillNormal(new Float64Array(B * d));
    const Z = new Float64Array(4 * d);
    expect(principalDirections(X, d, Array.from({ length: B }, (_, i) => i), 4, Z)).toBe(4);
    const { V } = svd(mat(B, d, X));
    for (let k = 0; k < 4; k++) {
      const v = Float64Array.from({ length: d }, (_, j) => V.data[j * V.cols + k]);
      expect(Math.abs(dot(v, Z.subarray(k * d, (k + 1) * d)))).toBeCloseTo(1, 10);
    }
  });

  test('symmetric eigendecomposition: A v = λ v, descending', () => {
    const A = Float64Array.from([4, 1, 2, 1, 3, 0, 2, 0, 5]);
    const { values, vectors } = symmetricEigen(A, 3);
    expect(values[0]).toBeGreaterThanOrEqual(values[1]);
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 3; i++) {
        let s = 0;
        for (let j = 0; j < 3; j++) s += A[i * 3 + j] * vectors[j * 3 + k];
        expect(s).toBeCloseTo(values[k] * vectors[i * 3 + k], 10);
      }
    }
  });

  test('Gram–Schmidt keeps an orthonormal basis and drops dependent vectors', () => {
    const V = Float64Array.from([1, 0, 0, 2, 0, 0, 1, 1, 0, 3, 1, 0]);
    expect(gramSchmidt(V, 4, 3)).toBe(2);
    expect(dot(V.subarray(0, 3), V.subarray(3, 6))).toBeCloseTo(0, 14);
  });

  test('P = QQᵀ is symmetric, idempotent, orthogonal to the preserved directions A, and of rank ≤ k', () => {
    const rng = new Rng(2);
    const d = 20;
    const Z = rng.fillNormal(new Float64Array(5 * d));
    gramSchmidt(Z, 5, d);
    const A = rng.fillNormal(new Float64Array(3 * d));
    const Q = new Float64Array(5 * d);
    const r = locoBasis(Z, 5, A, 3, d, Q);
    expect(r).toBe(5);
    const x = rng.fillNormal(new Float64Array(2 * d));
    const Px = new Float64Array(2 * d);
    applyBasis(Q, r, d, x, [0, 1], Px);
    const PPx = new Float64Array(2 * d);
    applyBasis(Q, r, d, Px, [0, 1], PPx);
    for (let i = 0; i < 2 * d; i++) expect(PPx[i]).toBeCloseTo(Px[i], 12);
    for (let a = 0; a < 3; a++) expect(dot(Px.subarray(0, d), A.subarray(a * d, (a + 1) * d))).toBeCloseTo(0, 10);
    // symmetric: ⟨P x1, x2⟩ = ⟨x1, P x2⟩
    expect(dot(Px.subarray(0, d), x.subarray(d))).toBeCloseTo(dot(x.subarray(0, d), Px.subarray(d)), 10);
  });

  test('principal directions inside span(A) are removed: the group gets no update', () => {
    const d = 6;
    const Z = Float64Array.from([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const A = Float64Array.from([1, 1, 0, 0, 0, 0, 1, -1, 0, 0, 0, 0]);
    expect(locoBasis(Z, 2, A, 2, d, new Float64Array(2 * d))).toBe(0);
  });

  test('spherical k-means is seeded: same seed, same centres; it separates two clear directions', () => {
    const dirs = [
      [1, 0.05, 0],
      [1, -0.05, 0],
      [0, 0.05, 1],
      [0.02, 0, 1],
    ].map((v) => {
      const n = Math.hypot(...v);
      return Float64Array.from(v.map((x) => x / n));
    });
    const a = sphericalKMeans(dirs, 2, 10, new Rng(5));
    const b = sphericalKMeans(dirs, 2, 10, new Rng(5));
    expect(a.centres.map((c) => Array.from(c))).toEqual(b.centres.map((c) => Array.from(c)));
    expect(a.assignment[0]).toBe(a.assignment[1]);
    expect(a.assignment[2]).toBe(a.assignment[3]);
    expect(a.assignment[0]).not.toBe(a.assignment[2]);
  });

  test('a projector keeps at most p directions and projects each group separately', () => {
    const rng = new Rng(6);
    const d = 10;
    const P = new LocoProjector(d, { k: 2, clusters: 3, buffer: 4, kmeansIters: 5 }, 1);
    for (let t = 0; t < 6; t++) {
      const X = rng.fillUniform(new Float64Array(8 * d));
      const out = new Float64Array(8 * d);
      P.project(X, 8, Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]), out);
      expect(P.last.length).toBe(2);
      for (const info of P.last) expect(info.rank).toBeLessThanOrEqual(2);
    }
    expect(P.bufferedDirections().length).toBe(4);
  });
});
