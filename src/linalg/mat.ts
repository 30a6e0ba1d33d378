/**
 * Dense row-major matrices on Float64Array.
 *
 * A `Mat` is a view: `data` may be a subarray of a model's state vector, so kernels that write into
 * a `Mat` write straight into the state. Element (i, j) lives at `data[i * cols + j]`.
 */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A new zero matrix, or a view over `data` (which must have rows * cols entries). */
export function mat(rows: number, cols: number, data?: Float64Array): Mat {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`matrix shape must be non-negative integers (got ${rows}x${cols})`);
  }
  if (data === undefined) return { rows, cols, data: new Float64Array(rows * cols) };
  if (data.length !== rows * cols) {
    throw new Error(`matrix data has ${data.length} entries but a ${rows}x${cols} matrix needs ${rows * cols}`);
  }
  return { rows, cols, data };
}

/** Matrix from nested arrays (row-major), e.g. fromRows([[1, 2], [3, 4]]). */
export function fromRows(rows: readonly (readonly number[])[]): Mat {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const m = mat(r, c);
  for (let i = 0; i < r; i++) {
    if (rows[i].length !== c) throw new Error(`row ${i} has ${rows[i].length} entries, expected ${c}`);
    for (let j = 0; j < c; j++) m.data[i * c + j] = rows[i][j];
  }
  return m;
}

/** Nested-array copy of a matrix (for printing, JSON and ml-matrix). */
export function toRows(a: Mat): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return out;
}

export function identity(n: number): Mat {
  const m = mat(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function cloneMat(a: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}
