/**
 * Brownian motion, seeded and queryable: `increment(t0, t1, out)` writes W(t1) − W(t0).
 *
 * - `BrownianIncrements`: the cheap fixed-step path. Increments are drawn in sequence from an
 *   `Rng`, so they must be asked for in time order over adjacent intervals (what a fixed-step
 *   Euler–Maruyama loop does).
 * - `BrownianTree`: a virtual Brownian tree. W(t) is a pure function of (seed, t): the path is
 *   built by Brownian-bridge bisection of [t0, t1] with each midpoint's normal hashed from its
 *   position in the tree. Every step size sees the same path, so a coarse step's increment is
 *   exactly the sum of the fine steps' increments at dyadic times (needed for strong-order tests and
 *   for adaptive or event-located SDE steps). Between tree nodes finer than `tol` the bridge mean
 *   (linear interpolation) is used.
 */
import { Rng, checkSeed, hashNormal } from './random';

export interface BrownianPath {
  readonly dim: number;
  increment(t0: number, t1: number, out: Float64Array): void;
  /** True when any (t0, t1) may be asked, in any order. */
  readonly queryable: boolean;
}

export class BrownianIncrements implements BrownianPath {
  readonly queryable = false;
  private readonly rng: Rng;
  private last: number | null = null;

  constructor(readonly dim: number, seed: number) {
    this.rng = new Rng(seed);
  }

  increment(t0: number, t1: number, out: Float64Array): void {
    if (this.last !== null && Math.abs(t0 - this.last) > 1e-12 * Math.max(1, Math.abs(t0))) {
      throw new Error(
        `BrownianIncrements gives increments over adjacent intervals in time order (last ended at ${this.last}, asked from ${t0}); ` +
          `for steps that revisit time (adaptive or event-located SDE steps) pass a BrownianTree`,
      );
    }
    const sd = Math.sqrt(t1 - t0);
    this.rng.normals(out, 0, this.dim, sd);
    this.last = t1;
  }
}

export class BrownianTree implements BrownianPath {
  readonly queryable = true;
  private readonly span: number;
  private readonly maxDepth: number;
  private readonly wEnd: Float64Array;
  private readonly wa: Float64Array;
  private readonly wb: Float64Array;
  private readonly tmp: Float64Array;
  private cacheT = NaN;
  private readonly cacheW: Float64Array;
  private readonly w0: Float64Array;

  constructor(
    readonly dim: number,
    readonly t0: number,
    readonly t1: number,
    readonly seed: number,
    tol = (t1 - t0) * 2 ** -24,
  ) {
    if (!(t1 > t0)) throw new Error(`BrownianTree needs t1 > t0 (got t0 = ${t0}, t1 = ${t1})`);
    checkSeed(seed, 'BrownianTree seed');
    this.span = t1 - t0;
    this.maxDepth = Math.min(31, Math.max(1, Math.ceil(Math.log2(this.span / tol))));
    this.wEnd = new Float64Array(dim);
    const sd = Math.sqrt(this.span);
    for (let i = 0; i < dim; i++) this.wEnd[i] = sd * hashNormal(seed, 0, 0, i);
    this.wa = new Float64Array(dim);
    this.wb = new Float64Array(dim);
    this.tmp = new Float64Array(dim);
    this.cacheW = new Float64Array(dim);
    this.w0 = new Float64Array(dim);
  }

  /** out ← W(t), with W(t0) = 0. */
  value(t: number, out: Float64Array): void {
    if (t < this.t0 - 1e-12 * this.span || t > this.t1 + 1e-12 * this.span) {
      throw new Error(`BrownianTree covers [${this.t0}, ${this.t1}] but W(${t}) was asked; build the tree over the whole integration interval`);
    }
    if (t === this.cacheT) {
      out.set(this.cacheW);
      return;
    }
    const s = Math.min(1, Math.max(0, (t - this.t0) / this.span));
    const { wa, wb, dim } = this;
    wa.fill(0);
    wb.set(this.wEnd);
    let a = 0;
    let b = 1;
    let idx = 0;
    let done = s === 0 || s === 1;
    if (s === 0) out.fill(0);
    else if (s === 1) out.set(this.wEnd);
    for (let depth = 1; !done && depth <= this.maxDepth; depth++) {
      const m = 0.5 * (a + b);
      const sd = Math.sqrt((b - a) * this.span * 0.25);
      for (let i = 0; i < dim; i++) this.tmp[i] = 0.5 * (wa[i] + wb[i]) + sd * hashNormal(this.seed, depth, idx, i);
      if (s === m) {
        out.set(this.tmp);
        done = true;
      } else if (s < m) {
        b = m;
        wb.set(this.tmp);
        idx = 2 * idx;
      } else {
        a = m;
        wa.set(this.tmp);
        idx = 2 * idx + 1;
      }
    }
    if (!done) {
      const w = (s - a) / (b - a);
      for (let i = 0; i < dim; i++) out[i] = (1 - w) * wa[i] + w * wb[i];
    }
    this.cacheT = t;
    this.cacheW.set(out);
  }

  increment(t0: number, t1: number, out: Float64Array): void {
    const w0 = this.w0;
    this.value(t0, w0);
    this.value(t1, out);
    for (let i = 0; i < this.dim; i++) out[i] -= w0[i];
  }
}

/**
 * A Brownian path sampled once on a fine uniform grid of `steps` intervals over [t0, t1]: W at the
 * grid points is the running sum of seeded N(0, h) increments; between grid points the bridge mean
 * (linear interpolation) is used. Every step size that is a multiple of the grid spacing sees the
 * same path exactly, which is what convergence-order studies need, at the cost of storing
 * dim·(steps + 1) values.
 */
export class BrownianGrid implements BrownianPath {
  readonly queryable = true;
  private readonly w: Float64Array;
  private readonly h: number;

  constructor(readonly dim: number, readonly t0: number, readonly t1: number, readonly steps: number, seed: number) {
    if (!(t1 > t0)) throw new Error(`BrownianGrid needs t1 > t0 (got t0 = ${t0}, t1 = ${t1})`);
    if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`BrownianGrid steps must be an integer >= 1 (got ${steps})`);
    this.h = (t1 - t0) / steps;
    this.w = new Float64Array(dim * (steps + 1));
    const rng = new Rng(seed);
    const sd = Math.sqrt(this.h);
    for (let k = 1; k <= steps; k++) {
      const prev = (k - 1) * dim;
      const cur = k * dim;
      for (let i = 0; i < dim; i++) this.w[cur + i] = this.w[prev + i] + sd * rng.normal();
    }
  }

  /** out ← W(t). */
  value(t: number, out: Float64Array): void {
    const x = (t - this.t0) / this.h;
    if (x < -1e-9 || x > this.steps + 1e-9) throw new Error(`BrownianGrid covers [${this.t0}, ${this.t1}] but W(${t}) was asked`);
    const kr = Math.round(x);
    const { dim, w } = this;
    if (Math.abs(x - kr) < 1e-9) {
      for (let i = 0; i < dim; i++) out[i] = w[kr * dim + i];
      return;
    }
    const k = Math.min(this.steps - 1, Math.max(0, Math.floor(x)));
    const a = x - k;
    for (let i = 0; i < dim; i++) out[i] = (1 - a) * w[k * dim + i] + a * w[(k + 1) * dim + i];
  }

  increment(t0: number, t1: number, out: Float64Array): void {
    const x0 = (t0 - this.t0) / this.h;
    const x1 = (t1 - this.t0) / this.h;
    const k0 = Math.round(x0);
    const k1 = Math.round(x1);
    const { dim, w } = this;
    if (Math.abs(x0 - k0) < 1e-9 && Math.abs(x1 - k1) < 1e-9 && k0 >= 0 && k1 <= this.steps) {
      for (let i = 0; i < dim; i++) out[i] = w[k1 * dim + i] - w[k0 * dim + i];
      return;
    }
    const tmp = new Float64Array(dim);
    this.value(t0, tmp);
    this.value(t1, out);
    for (let i = 0; i < dim; i++) out[i] -= tmp[i];
  }
}
