/**
 * Terms own the mathematics; problems combine them.
 *
 * A drift term is a vector field f(t, y) that meets the control dt over a step. A diffusion term is
 * a noise coefficient g(t, y) that meets a Brownian increment ΔW over a step, and the term itself
 * says how (`prod`): so an SDE is dy = f(t, y) dt + g(t, y) ΔW, read in the Itô sense, and one
 * Euler step serves as Euler–Maruyama whatever the shape of the noise:
 *
 * - 'diagonal': one independent Brownian motion per component, g is a vector, (g ΔW)_i = g_i ΔW_i;
 * - 'scalar': one Brownian motion shared by all components, g is a vector, (g ΔW)_i = g_i ΔW;
 * - 'general': m Brownian motions, g is an n×m matrix (row-major), (g ΔW)_i = Σ_j g_ij ΔW_j.
 *
 * Independently, a term is additive (g depends on t only) or state-dependent (multiplicative);
 * which solvers apply depends on both (Stratonovich schemes equal the Itô solution for additive
 * noise only).
 *
 * Terms write into a caller-owned output array (`out`) and must not allocate in their hot path.
 */
import type { InputSignal } from './input';
import { type StateLayout } from './state';

export interface DriftTerm {
  readonly kind: 'drift';
  /** Dimension of the state the term acts on. */
  readonly dim: number;
  /** out ← f(t, y). `out` never aliases `y`. */
  vf(t: number, y: Float64Array, out: Float64Array): void;
  /**
   * Optional fused Euler update: y1 ← y0 + h f(t, y0) in one pass, returning Σ y1 (as
   * `stateSum`: NaN or ±∞ when an entry is). 'euler' and the drift part of 'euler_maruyama' use it
   * when present, so a term whose state is large next to its products (a learning flow over a
   * weight matrix) pays no separate pass to combine the step nor to check it for divergence. It
   * must give y0 + h·f(t, y0) for the same f as `vf` (the tests compare them); the order of the
   * floating-point operations is the term's own (e.g. an in-place SGD step's).
   */
  readonly euler?: EulerUpdate;
  /**
   * Optional: `euler(t, y, h, y)` is valid, i.e. the fused update may overwrite the state it reads
   * (an in-place SGD step). `solve`'s fixed-step fast path then updates one state buffer in place
   * (no second state-sized buffer for the new state, which for a learning flow over a large weight
   * matrix halves the memory the step touches), provided every reduction of the run accepts it
   * (`Reduction.inPlace`). The price: a solve that diverges returns the non-finite state, since the
   * last finite one was overwritten (where and when are reported as always).
   */
  readonly eulerInPlace?: boolean;
  /**
   * Optional declaration that the drift is a leak, f_i(t, y) = (rest − y_i + current_i)·rate for
   * every entry (the membrane of a leaky integrate-and-fire neuron: τ dV/dt = V_rest − V + I with
   * rate = 1/τ and a constant current I). `vf` must compute exactly this expression (the tests compare
   * them). A clock-driven spike schedule then integrates, adds the noise and its input, thresholds
   * and resets its membranes in one pass per step when the solver is 'euler' or 'euler_maruyama'
   * (spikes.ts, `SpikeRun.fusedClock`); everything else ignores it.
   */
  readonly leak?: LeakForm;
}

/** f_i(t, y) = (rest − y_i + current_i)·rate, in that order of operations (see `DriftTerm.leak`). */
export interface LeakForm {
  readonly rest: number;
  /** One constant current per state entry (the term's dim entries). */
  readonly current: Float64Array;
  readonly rate: number;
}

/** y1 ← y0 + h f(t, y0), returning the sum of y1's entries; y1 aliases y0 only when the term says so (`DriftTerm.eulerInPlace`). */
export type EulerUpdate = (t: number, y0: Float64Array, h: number, y1: Float64Array) => number;

/** How a diffusion term's coefficient meets the Brownian increment (see the module comment). */
export type NoiseShape = 'diagonal' | 'scalar' | 'general';

/**
 * The noise kinds solvers declare they handle: the shape, and whether the coefficient may depend
 * on the state. 'additive' and 'diagonal' keep their historic meaning (diagonal shape, additive or
 * state-dependent); the others are `${shape}-additive` and `${shape}` for scalar and general noise.
 */
export type NoiseKind = 'additive' | 'diagonal' | 'scalar-additive' | 'scalar' | 'general-additive' | 'general';

export interface DiffusionTerm {
  readonly kind: 'diffusion';
  /** Dimension of the state. */
  readonly dim: number;
  readonly shape: NoiseShape;
  /** True when g depends on t only (additive noise). */
  readonly additive: boolean;
  /** The noise kind (shape and state dependence in one name) that solvers are checked against. */
  readonly noise: NoiseKind;
  /** Number of independent Brownian motions (dim, 1 or m). */
  readonly brownianDim: number;
  /** Number of entries of g (dim for diagonal and scalar noise, dim·m for general noise). */
  readonly gSize: number;
  /** out ← g(t, y) (`gSize` entries; zero where a component has no noise). */
  g(t: number, y: Float64Array, out: Float64Array): void;
  /** out ← g ΔW (state-sized), the noise product for this shape. */
  prod(g: Float64Array, dW: Float64Array, out: Float64Array): void;
  /**
   * Optional: the noise acts on one block of entries only (diagonal shape; g is zero outside it, and
   * `g`/`prod` still give the whole state). A solver may then restrict its noise passes to the block:
   * 'euler_maruyama' adds g ΔW there in one pass and keeps the drift's fused-update sum (see
   * `blockDiffusion`).
   */
  readonly block?: DiffusionBlock;
}

/** The entries [offset, offset + size) a diffusion term acts on, and g on them (`size` entries). */
export interface DiffusionBlock {
  readonly offset: number;
  readonly size: number;
  /** out ← g(t, y) on the block (out has `size` entries). */
  g(t: number, y: Float64Array, out: Float64Array): void;
  /** When set, g is this one number on the whole block at every t and y (then `g` need not be called). */
  readonly amplitude?: number;
}

/**
 * A drift term; `opts.euler` is its fused Euler update (see `DriftTerm.euler`), `opts.eulerInPlace`
 * says that update may run in place (see `DriftTerm.eulerInPlace`), `opts.leak` declares it a leak
 * (see `DriftTerm.leak`).
 */
export function drift(dim: number, vf: (t: number, y: Float64Array, out: Float64Array) => void, opts: { euler?: EulerUpdate; eulerInPlace?: boolean; leak?: LeakForm } = {}): DriftTerm {
  checkDim(dim, 'drift term');
  if (opts.euler !== undefined && typeof opts.euler !== 'function') throw new Error(`drift term: euler must be a function (t, y0, h, y1) => sum of y1 (got ${typeof opts.euler})`);
  if (opts.eulerInPlace !== undefined && typeof opts.eulerInPlace !== 'boolean') throw new Error(`drift term: eulerInPlace must be true or false (got ${typeof opts.eulerInPlace})`);
  if (opts.eulerInPlace && !opts.euler) throw new Error('drift term: eulerInPlace declares that the fused Euler update may run in place, so it needs that update (opts.euler)');
  const leak = opts.leak;
  if (leak !== undefined) {
    if (!(leak.current instanceof Float64Array) || leak.current.length !== dim) {
      throw new Error(`drift term: leak.current must be a Float64Array of ${dim} entries, one current per state entry (got ${leak.current instanceof Float64Array ? `${leak.current.length} entries` : typeof leak.current})`);
    }
    if (!Number.isFinite(leak.rest) || !Number.isFinite(leak.rate)) throw new Error(`drift term: leak.rest and leak.rate must be finite numbers (got ${leak.rest} and ${leak.rate})`);
  }
  return {
    kind: 'drift',
    dim,
    vf,
    ...(opts.euler ? { euler: opts.euler } : {}),
    ...(opts.eulerInPlace ? { eulerInPlace: true } : {}),
    ...(leak ? { leak } : {}),
  };
}

function noiseKind(shape: NoiseShape, additive: boolean): NoiseKind {
  if (shape === 'diagonal') return additive ? 'additive' : 'diagonal';
  return additive ? `${shape}-additive` : shape;
}

const diagonalProd = (g: Float64Array, dW: Float64Array, out: Float64Array): void => {
  for (let i = 0; i < out.length; i++) out[i] = g[i] * dW[i];
};
const scalarProd = (g: Float64Array, dW: Float64Array, out: Float64Array): void => {
  const w = dW[0];
  for (let i = 0; i < out.length; i++) out[i] = g[i] * w;
};

/**
 * A diffusion term of any shape. `noise` 'additive' or 'diagonal' (the historic signature) is
 * diagonal noise, additive or state-dependent; pass `{ shape, additive, brownianDim }` for scalar
 * or general (matrix) noise.
 */
export function diffusion(
  dim: number,
  noise: 'additive' | 'diagonal' | { shape: NoiseShape; additive: boolean; brownianDim?: number },
  g: (t: number, y: Float64Array, out: Float64Array) => void,
): DiffusionTerm {
  checkDim(dim, 'diffusion term');
  let shape: NoiseShape;
  let additive: boolean;
  let m: number;
  if (noise === 'additive' || noise === 'diagonal') {
    shape = 'diagonal';
    additive = noise === 'additive';
    m = dim;
  } else if (typeof noise === 'object' && noise !== null && ['diagonal', 'scalar', 'general'].includes(noise.shape)) {
    shape = noise.shape;
    additive = noise.additive === true;
    if (shape === 'general') {
      m = noise.brownianDim ?? NaN;
      if (!(Number.isInteger(m) && m >= 1)) throw new Error(`general (matrix) noise needs brownianDim, the number of Brownian motions, an integer >= 1 (got ${noise.brownianDim})`);
    } else m = shape === 'scalar' ? 1 : dim;
  } else {
    throw new Error(`diffusion noise must be 'additive', 'diagonal' or { shape: 'diagonal' | 'scalar' | 'general', additive } (got ${JSON.stringify(noise)})`);
  }
  const gSize = shape === 'general' ? dim * m : dim;
  const prod =
    shape === 'diagonal'
      ? diagonalProd
      : shape === 'scalar'
        ? scalarProd
        : (gm: Float64Array, dW: Float64Array, out: Float64Array): void => {
            for (let i = 0; i < dim; i++) {
              let s = 0;
              const row = i * m;
              for (let j = 0; j < m; j++) s += gm[row + j] * dW[j];
              out[i] = s;
            }
          };
  return { kind: 'diffusion', dim, shape, additive, noise: noiseKind(shape, additive), brownianDim: m, gSize, g, prod };
}

/**
 * Diagonal noise on one block of the state, entries [offset, offset + size) (e.g. the feedback
 * compartments of a network): g(t, y) is given on the block (`size` entries), or as one number (a
 * constant amplitude, additive noise), and is zero elsewhere. The term declares its block
 * (`DiffusionTerm.block`), so 'euler_maruyama' adds g ΔW to those entries only, in one pass; every
 * other solver sees an ordinary diagonal term of the whole state.
 */
export function blockDiffusion(dim: number, offset: number, size: number, noise: 'additive' | 'diagonal', gOrAmplitude: ((t: number, y: Float64Array, out: Float64Array) => void) | number): DiffusionTerm {
  if (!(Number.isInteger(offset) && Number.isInteger(size) && offset >= 0 && size >= 1 && offset + size <= dim)) {
    throw new Error(`blockDiffusion: the block [${offset}, ${offset} + ${size}) must lie in the state's ${dim} entries (offset >= 0, size >= 1, integers)`);
  }
  const amplitude = typeof gOrAmplitude === 'number' ? gOrAmplitude : undefined;
  if (amplitude !== undefined && (noise !== 'additive' || !Number.isFinite(amplitude))) {
    throw new Error(`blockDiffusion: a constant amplitude (got ${amplitude}) must be a finite number, with noise 'additive'`);
  }
  const g = typeof gOrAmplitude === 'number' ? (_t: number, _y: Float64Array, out: Float64Array) => out.fill(gOrAmplitude) : gOrAmplitude;
  let last: Float64Array | null = null;
  let view: Float64Array | null = null;
  const full = diffusion(dim, noise, (t, y, out) => {
    if (out !== last) {
      last = out;
      view = out.subarray(offset, offset + size);
    }
    out.fill(0, 0, offset);
    g(t, y, view!);
    out.fill(0, offset + size);
  });
  return { ...full, block: amplitude === undefined ? { offset, size, g } : { offset, size, g, amplitude } };
}

/** Additive noise with constant per-component amplitude sigma (a number applies to all components). */
export function additiveNoise(dim: number, sigma: number | ArrayLike<number>): DiffusionTerm {
  const s = typeof sigma === 'number' ? new Float64Array(dim).fill(sigma) : Float64Array.from(sigma);
  if (s.length !== dim) throw new Error(`additiveNoise: sigma has ${s.length} entries but the state has ${dim}`);
  return diffusion(dim, 'additive', (_t, _y, out) => out.set(s));
}

/** The sum of several drift terms (e.g. network dynamics + controller + plasticity). */
export function sumDrift(...terms: DriftTerm[]): DriftTerm {
  if (terms.length === 0) throw new Error('sumDrift needs at least one term');
  const dim = terms[0].dim;
  for (const t of terms) {
    if (t.dim !== dim) throw new Error(`sumDrift: terms act on states of different sizes (${dim} and ${t.dim}); all terms must share one state layout`);
  }
  if (terms.length === 1) return terms[0];
  const tmp = new Float64Array(dim);
  return drift(dim, (t, y, out) => {
    terms[0].vf(t, y, out);
    for (let k = 1; k < terms.length; k++) {
      terms[k].vf(t, y, tmp);
      for (let i = 0; i < dim; i++) out[i] += tmp[i];
    }
  });
}

/** The sum of diffusion terms of one shape on the same Brownian increments (diagonal or scalar noise). */
export function sumDiffusion(...terms: DiffusionTerm[]): DiffusionTerm {
  if (terms.length === 0) throw new Error('sumDiffusion needs at least one term');
  const { dim, shape, brownianDim } = terms[0];
  for (const t of terms) if (t.dim !== dim) throw new Error(`sumDiffusion: terms have sizes ${dim} and ${t.dim}; they must match`);
  for (const t of terms) {
    if (t.shape !== shape || t.brownianDim !== brownianDim) {
      throw new Error(`sumDiffusion: terms have noise shapes '${shape}' and '${t.shape}'; sum terms of one shape (they share the Brownian increments)`);
    }
  }
  if (terms.length === 1) return terms[0];
  const tmp = new Float64Array(terms[0].gSize);
  const additive = terms.every((t) => t.additive);
  return diffusion(dim, { shape, additive, brownianDim }, (t, y, out) => {
    terms[0].g(t, y, out);
    for (let k = 1; k < terms.length; k++) {
      terms[k].g(t, y, tmp);
      for (let i = 0; i < out.length; i++) out[i] += tmp[i];
    }
  });
}

/**
 * Divide each block's rate of change by its time constant: with `F` written as the paper writes
 * τ_b dy_b/dt = F_b(t, y), this gives dy/dt = F(t, y) / τ.
 */
export function timeScaled(layout: StateLayout, term: DriftTerm): DriftTerm {
  if (term.dim !== layout.size) throw new Error(`timeScaled: term has size ${term.dim} but the layout has ${layout.size}`);
  const rates = layout.rates();
  return drift(term.dim, (t, y, out) => {
    term.vf(t, y, out);
    for (let i = 0; i < out.length; i++) out[i] *= rates[i];
  });
}

/** A problem: what to integrate. The layout is optional and names blocks in reports. */
export interface Problem {
  readonly dim: number;
  readonly drift: DriftTerm;
  readonly diffusion?: DiffusionTerm;
  readonly layout?: StateLayout;
  /** Human-readable name for reports. */
  readonly name?: string;
  /** A piecewise-constant input with jump times that no step may cross (see input.ts). */
  readonly input?: InputSignal;
  /** Where `solve` keeps the state it steps (see `StateStorage`); plain arrays when absent. */
  readonly storage?: StateStorage;
}

/**
 * The problem's own storage for the state `solve` steps: called once for each state-sized buffer of
 * the integration loop (the current state and the new one; a solver's stage arrays are its own),
 * it returns a Float64Array of exactly n entries that no other buffer of the same solve overlaps,
 * e.g. a view into the WebAssembly memory of the term's kernels, so that the vector field (or its
 * fused Euler update) reads and writes the state in place, found by the view's byteOffset, instead
 * of copying it in and out at every evaluation. `solve` refuses a buffer of another length or one
 * that overlaps another before it steps, and, at the end, a buffer that was detached meanwhile (a
 * WebAssembly memory that grew: its old views have length 0); the allocator must therefore not
 * grow the memory it hands out views of while a solve runs. The solution's `y` is a copy.
 */
export type StateStorage = (n: number) => Float64Array;

export interface ProblemOptions {
  layout?: StateLayout;
  name?: string;
  input?: InputSignal;
  storage?: StateStorage;
}

export function odeProblem(drift: DriftTerm, opts: ProblemOptions = {}): Problem {
  checkLayout(drift.dim, opts.layout);
  checkStorage(opts.storage);
  return withStorage({ dim: drift.dim, drift, layout: opts.layout, name: opts.name, input: opts.input }, opts.storage);
}

/** An Itô SDE dy = f dt + g dW (the diffusion term says how g meets dW). */
export function sdeProblem(drift: DriftTerm, diffusion: DiffusionTerm, opts: ProblemOptions = {}): Problem {
  if (diffusion.dim !== drift.dim) {
    throw new Error(`sdeProblem: drift has size ${drift.dim} but diffusion has size ${diffusion.dim}; they must act on the same state`);
  }
  checkLayout(drift.dim, opts.layout);
  checkStorage(opts.storage);
  return withStorage({ dim: drift.dim, drift, diffusion, layout: opts.layout, name: opts.name, input: opts.input }, opts.storage);
}

/** The problem with `storage` when one is given (absent otherwise, so problems compare as before). */
function withStorage(problem: Problem, storage: StateStorage | undefined): Problem {
  return storage === undefined ? problem : { ...problem, storage };
}

function checkStorage(storage: unknown): void {
  if (storage !== undefined && typeof storage !== 'function') throw new Error(`problem storage must be a function (n) => Float64Array of n entries (got ${typeof storage})`);
}

function checkLayout(dim: number, layout?: StateLayout): void {
  if (layout && layout.size !== dim) {
    throw new Error(`the state layout (${layout.describe()}) has ${layout.size} entries but the terms act on ${dim}; make the term dimension equal layout.size`);
  }
}

function checkDim(dim: number, what: string): void {
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`${what}: dimension must be a positive integer (got ${dim})`);
}
