/**
 * Terms own the mathematics; problems combine them.
 *
 * A drift term is a vector field f(t, y) that meets the control dt over a step; a diffusion term is
 * a diagonal noise coefficient g(t, y) that meets a Brownian increment dW (componentwise: dy_i gets
 * g_i(t, y) dW_i). An SDE is dy = f(t, y) dt + g(t, y) ⊙ dW, read in the Itô sense. Because noise
 * is only a control, one Euler step serves as Euler–Maruyama.
 *
 * Terms write into a caller-owned output array (`out`) and must not allocate in their hot path.
 */
import { type StateLayout } from './state';

export interface DriftTerm {
  readonly kind: 'drift';
  /** Dimension of the state the term acts on. */
  readonly dim: number;
  /** out ← f(t, y). `out` never aliases `y`. */
  vf(t: number, y: Float64Array, out: Float64Array): void;
}

export type NoiseKind = 'additive' | 'diagonal';

export interface DiffusionTerm {
  readonly kind: 'diffusion';
  readonly dim: number;
  /** 'additive': g depends on t only; 'diagonal': g may depend on the state (multiplicative noise). */
  readonly noise: NoiseKind;
  /** out ← g(t, y), the diagonal noise coefficient (zero where a component has no noise). */
  g(t: number, y: Float64Array, out: Float64Array): void;
}

export function drift(dim: number, vf: (t: number, y: Float64Array, out: Float64Array) => void): DriftTerm {
  checkDim(dim, 'drift term');
  return { kind: 'drift', dim, vf };
}

export function diffusion(
  dim: number,
  noise: NoiseKind,
  g: (t: number, y: Float64Array, out: Float64Array) => void,
): DiffusionTerm {
  checkDim(dim, 'diffusion term');
  if (noise !== 'additive' && noise !== 'diagonal') {
    throw new Error(`diffusion noise must be 'additive' or 'diagonal' (got '${String(noise)}')`);
  }
  return { kind: 'diffusion', dim, noise, g };
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

/** The sum of diffusion terms (independent noise coefficients on the same increments). */
export function sumDiffusion(...terms: DiffusionTerm[]): DiffusionTerm {
  if (terms.length === 0) throw new Error('sumDiffusion needs at least one term');
  const dim = terms[0].dim;
  for (const t of terms) if (t.dim !== dim) throw new Error(`sumDiffusion: terms have sizes ${dim} and ${t.dim}; they must match`);
  if (terms.length === 1) return terms[0];
  const noise: NoiseKind = terms.every((t) => t.noise === 'additive') ? 'additive' : 'diagonal';
  const tmp = new Float64Array(dim);
  return diffusion(dim, noise, (t, y, out) => {
    terms[0].g(t, y, out);
    for (let k = 1; k < terms.length; k++) {
      terms[k].g(t, y, tmp);
      for (let i = 0; i < dim; i++) out[i] += tmp[i];
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
}

export function odeProblem(drift: DriftTerm, opts: { layout?: StateLayout; name?: string } = {}): Problem {
  checkLayout(drift.dim, opts.layout);
  return { dim: drift.dim, drift, layout: opts.layout, name: opts.name };
}

/** An Itô SDE dy = f dt + g ⊙ dW. */
export function sdeProblem(
  drift: DriftTerm,
  diffusion: DiffusionTerm,
  opts: { layout?: StateLayout; name?: string } = {},
): Problem {
  if (diffusion.dim !== drift.dim) {
    throw new Error(`sdeProblem: drift has size ${drift.dim} but diffusion has size ${diffusion.dim}; they must act on the same state`);
  }
  checkLayout(drift.dim, opts.layout);
  return { dim: drift.dim, drift, diffusion, layout: opts.layout, name: opts.name };
}

function checkLayout(dim: number, layout?: StateLayout): void {
  if (layout && layout.size !== dim) {
    throw new Error(`the state layout (${layout.describe()}) has ${layout.size} entries but the terms act on ${dim}; make the term dimension equal layout.size`);
  }
}

function checkDim(dim: number, what: string): void {
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`${what}: dimension must be a positive integer (got ${dim})`);
}
