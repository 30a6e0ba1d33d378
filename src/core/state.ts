/**
 * A model's state: named blocks (vectors and matrices) laid out in one Float64Array.
 *
 * Every solver sees a flat vector `y`; model code sees typed views over the same memory, so
 * `view.W1` is a `Mat` whose `data` is a subarray of `y` and a kernel writing into it writes into
 * the state. Each block may carry a time constant τ: a learning rule is then a slow flow on its
 * weight block (τ_W large) in the same integration as the fast neural blocks (τ_v small).
 *
 * ```ts
 * const layout = defineState({ v: vector(10, { tau: 1 }), W: matrix(10, 15, { tau: 100 }) });
 * const y = layout.create();
 * const s = layout.view(y);   // s.v: Float64Array(10), s.W: Mat 10x15
 * ```
 */
import { type Mat } from '../linalg/mat';

export interface VectorSpec {
  readonly kind: 'vector';
  readonly length: number;
  readonly tau?: number;
}
export interface MatrixSpec {
  readonly kind: 'matrix';
  readonly rows: number;
  readonly cols: number;
  readonly tau?: number;
}
export type BlockSpec = VectorSpec | MatrixSpec;

export function vector(length: number, opts: { tau?: number } = {}): VectorSpec {
  return { kind: 'vector', length, tau: opts.tau };
}
export function matrix(rows: number, cols: number, opts: { tau?: number } = {}): MatrixSpec {
  return { kind: 'matrix', rows, cols, tau: opts.tau };
}

/** The typed view of a layout: vectors become Float64Array, matrices become Mat. */
export type StateView<S extends Record<string, BlockSpec>> = {
  [K in keyof S]: S[K] extends MatrixSpec ? Mat : Float64Array;
};

export interface Block {
  readonly name: string;
  readonly spec: BlockSpec;
  readonly offset: number;
  readonly size: number;
  /** Time constant of the block (1 when not given). */
  readonly tau: number;
}

export class StateLayout<S extends Record<string, BlockSpec> = Record<string, BlockSpec>> {
  readonly blocks: readonly Block[];
  readonly size: number;
  private readonly byName = new Map<string, Block>();
  private readonly viewCache = new WeakMap<Float64Array, StateView<S>>();

  constructor(readonly specs: S) {
    const blocks: Block[] = [];
    let offset = 0;
    for (const [name, spec] of Object.entries(specs)) {
      const size = spec.kind === 'vector' ? spec.length : spec.rows * spec.cols;
      const dims = spec.kind === 'vector' ? [spec.length] : [spec.rows, spec.cols];
      for (const d of dims) {
        if (!Number.isInteger(d) || d < 0) {
          throw new Error(`state block '${name}' has shape ${dims.join('x')}; dimensions must be non-negative integers`);
        }
      }
      if (spec.tau !== undefined && !(spec.tau > 0 && Number.isFinite(spec.tau))) {
        throw new Error(`state block '${name}' has time constant tau = ${spec.tau}; tau must be a finite number > 0`);
      }
      const block: Block = { name, spec, offset, size, tau: spec.tau ?? 1 };
      blocks.push(block);
      this.byName.set(name, block);
      offset += size;
    }
    this.blocks = blocks;
    this.size = offset;
  }

  /** A zero state vector of the right size. */
  create(): Float64Array {
    return new Float64Array(this.size);
  }

  block(name: string): Block {
    const b = this.byName.get(name);
    if (!b) throw new Error(`no state block '${name}'; blocks are: ${[...this.byName.keys()].join(', ')}`);
    return b;
  }

  /**
   * Typed views over `y` (which must have `size` entries). Views share memory with `y` and are
   * cached per array, so a vector field may call this on every evaluation without allocating.
   */
  view(y: Float64Array): StateView<S> {
    const hit = this.viewCache.get(y);
    if (hit) return hit;
    if (y.length !== this.size) {
      throw new Error(`state vector has ${y.length} entries but the layout (${this.describe()}) needs ${this.size}`);
    }
    const out: Record<string, Float64Array | Mat> = {};
    for (const b of this.blocks) {
      const data = y.subarray(b.offset, b.offset + b.size);
      out[b.name] = b.spec.kind === 'vector' ? data : { rows: b.spec.rows, cols: b.spec.cols, data };
    }
    this.viewCache.set(y, out as StateView<S>);
    return out as StateView<S>;
  }

  /** Build a state vector from per-block values; every block must be given with the right size. */
  pack(values: { [K in keyof S]?: ArrayLike<number> | Mat }): Float64Array {
    const y = this.create();
    for (const b of this.blocks) {
      const v = values[b.name as keyof S];
      if (v === undefined) continue;
      const data: ArrayLike<number> = isMat(v) ? v.data : v;
      if (isMat(v) && b.spec.kind === 'matrix' && (v.rows !== b.spec.rows || v.cols !== b.spec.cols)) {
        throw new Error(`block '${b.name}' is ${b.spec.rows}x${b.spec.cols} but the value given is ${v.rows}x${v.cols}`);
      }
      if (data.length !== b.size) {
        throw new Error(`block '${b.name}' needs ${b.size} entries (${shapeOf(b.spec)}) but the value given has ${data.length}`);
      }
      y.set(data, b.offset);
    }
    return y;
  }

  /** The block holding flat index i (for divergence reports). */
  blockAt(i: number): { block: Block; index: number } {
    for (const b of this.blocks) if (i >= b.offset && i < b.offset + b.size) return { block: b, index: i - b.offset };
    throw new Error(`index ${i} is outside the state (size ${this.size})`);
  }

  /** Per-component 1/τ (rate of each component's block). */
  rates(): Float64Array {
    const r = new Float64Array(this.size);
    for (const b of this.blocks) r.fill(1 / b.tau, b.offset, b.offset + b.size);
    return r;
  }

  /** Per-component τ. */
  taus(): Float64Array {
    const r = new Float64Array(this.size);
    for (const b of this.blocks) r.fill(b.tau, b.offset, b.offset + b.size);
    return r;
  }

  describe(): string {
    return this.blocks.map((b) => `${b.name}: ${shapeOf(b.spec)}`).join(', ');
  }
}

export function defineState<S extends Record<string, BlockSpec>>(specs: S): StateLayout<S> {
  return new StateLayout(specs);
}

function isMat(v: unknown): v is Mat {
  return typeof v === 'object' && v !== null && 'data' in v && 'rows' in v && 'cols' in v;
}

function shapeOf(spec: BlockSpec): string {
  return spec.kind === 'vector' ? `${spec.length}` : `${spec.rows}x${spec.cols}`;
}
