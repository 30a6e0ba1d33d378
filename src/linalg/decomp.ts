/**
 * Decompositions through ml-matrix (eigenvalues, SVD, pseudo-inverse, linear solves). These are
 * for set-up, diagnostics and tests, not for a step's inner loop.
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition, inverse, pseudoInverse, solve as mlSolve } from 'ml-matrix';
import { mat, type Mat } from './mat';

export function toMl(a: Mat): Matrix {
  const m = new Matrix(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) m.set(i, j, a.data[i * a.cols + j]);
  return m;
}

export function fromMl(m: Matrix): Mat {
  const out = mat(m.rows, m.columns);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out.data[i * m.columns + j] = m.get(i, j);
  return out;
}

/** Eigenvalues (real and imaginary parts) of a square matrix. */
export function eigenvalues(a: Mat): { re: number[]; im: number[] } {
  if (a.rows !== a.cols) throw new Error(`eigenvalues need a square matrix (got ${a.rows}x${a.cols})`);
  const e = new EigenvalueDecomposition(toMl(a));
  return { re: e.realEigenvalues, im: e.imaginaryEigenvalues };
}

/** Largest real part of the eigenvalues (the stability abscissa). */
export function spectralAbscissa(a: Mat): number {
  return Math.max(...eigenvalues(a).re);
}

export function svd(a: Mat): { U: Mat; s: number[]; V: Mat } {
  const d = new SingularValueDecomposition(toMl(a), { autoTranspose: true });
  return { U: fromMl(d.leftSingularVectors), s: d.diagonal, V: fromMl(d.rightSingularVectors) };
}

export function pinv(a: Mat, threshold?: number): Mat {
  return fromMl(pseudoInverse(toMl(a), threshold));
}

export function inv(a: Mat): Mat {
  return fromMl(inverse(toMl(a)));
}

/** Solve A x = b (least squares if A is not square). */
export function solveLinear(a: Mat, b: Float64Array): Float64Array {
  const x = mlSolve(toMl(a), Matrix.columnVector(Array.from(b)));
  return Float64Array.from(x.getColumn(0));
}

/**
 * exp(A t) y0 for a diagonalizable A with real eigenvalues, through the eigendecomposition
 * A = V Λ V⁻¹: the exact solution of y' = A y. Throws if A has complex eigenvalues.
 */
export function expmApply(a: Mat, y0: Float64Array, t: number): Float64Array {
  const e = new EigenvalueDecomposition(toMl(a));
  if (e.imaginaryEigenvalues.some((x) => Math.abs(x) > 1e-12)) throw new Error('expmApply needs real eigenvalues');
  const V = e.eigenvectorMatrix;
  const c = mlSolve(V, Matrix.columnVector(Array.from(y0)));
  const lam = e.realEigenvalues;
  for (let i = 0; i < lam.length; i++) c.set(i, 0, c.get(i, 0) * Math.exp(lam[i] * t));
  return Float64Array.from(V.mmul(c).getColumn(0));
}
