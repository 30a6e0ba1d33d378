/**
 * DFC as terms on one state (one sample): each equation of the paper is its own drift term over a
 * shared `defineState` layout, combined with `sumDrift` and scaled by each block's τ with
 * `timeScaled`, and integrated with the core `solve`. The right-hand sides are equations.ts's, the
 * same functions the batched terms of training (batched.ts) evaluate, here for one row (B = 1) with
 * factor 1 (`timeScaled` divides by τ), on the same products (V^ff = W_i r_{i−1}, C = Q u, the
 * outer products of eqs. 5 and 13) and the same φ (`applyPhi`).
 *
 * Blocks (τ in brackets):
 *   v1 … vL        [τ_v]   layer activations, eq. (1) / (12)
 *   uInt           [τ_u]   integral part of the PI controller, eq. (4)
 *   vfb1 … vfbL    [τ_fb]  feedback (apical) compartments, only in the noisy feedback phase
 *   W1 … WL        [τ_W]   forward weights as slow state ('coupled' learning), eq. (5)
 *   dW1 … dWL      [τ_W]   buffered forward update (weights frozen during the sample), eq. (5)
 *   Q1 … QL        [τ_Q]   feedback weights as slow state, eq. (13)
 *
 * Terms:
 *   networkDynamics     τ_v dv_i/dt   = −v_i + W_i φ(v_{i−1}) + c_i,  c_i = Q_i u  (eq. 1)  or  c_i = v_i^fb (eq. 12)
 *   controller          τ_u du^int/dt = e − α u^int,  u = u^int + k_p e,  e = r_L* − φ(v_L)   (eq. 4)
 *   forwardPlasticity   τ_W dW_i/dt   = (φ(v_i) − φ(W_i r_{i−1})) r_{i−1}ᵀ,  r_{i−1} = φ(v_{i−1}), r_0 = x   (eq. 5)
 *   feedbackCompartment τ_fb dv_i^fb  = (−v_i^fb + Q_i u) dt + σ_fb dW_i                          (noise, eq. 12)
 *   feedbackPlasticity  τ_Q dQ_i/dt   = −v_i^fb uᵀ − β Q_i                                         (eq. 13)
 *   layerNoise          τ_v dv_i     += σ dW_i   (the σε_i of eq. 12 that enters the layer directly; default 0)
 *
 * Choices where the paper is silent, with reasons:
 * - The noise of eq. (12) that enters "through the feedback compartment" is modelled as white noise
 *   σ_fb·ξ low-pass filtered by the compartment (an Ornstein-Uhlenbeck process with time constant τ_fb),
 *   so that eq. (13) is an Itô SDE with additive noise. As τ_fb → 0, v^fb → Q u + σ_fb ξ, the
 *   paper's v^fb = Q_i u + σ_fb ε^fb. With exactly white noise the Itô correlation between the
 *   noise in v^fb(t) and u(t) would vanish (u(t) is independent of the increment at t), and eq. (13)
 *   would have no teaching signal; the paper's code uses the same low-pass apical compartment.
 * - Coupled learning puts W_i in the state with τ_W (weights change during the settling); buffered
 *   learning integrates the same right-hand side into dW_i with W frozen and applies W ← W + dW after
 *   the sample (the paper's experiments). They agree as τ_W/τ_v → ∞ (test/dfc/coupling.test.ts).
 */
import '../../solvers/index'; // registers the built-in solvers by name
import { solve, type Solution } from '../../src/core/solve';
import { defineState, matrix, vector, type BlockSpec, type StateLayout } from '../../src/core/state';
import { diffusion, drift, odeProblem, sdeProblem, sumDrift, timeScaled, type DiffusionTerm, type DriftTerm, type Problem } from '../../src/core/terms';
import { matMulTA, matMulTB } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { compartmentField, controlOutput, feedbackRule, integralField, integrand, rateField } from './equations';
import { applyPhi } from './fastmath';
import type { DfcNet, DfcParams } from './network';

export interface DfcSystemSpec {
  net: DfcNet;
  /** W is used when forward weights are not state; Q when feedback weights are not state. */
  params: DfcParams;
  /** Input r_0 (n_0). */
  x: Float64Array;
  /** Output target r_L* (n_L): eq. (3) in the forward phase, r_L⁻ in the feedback phase. */
  rStar: Float64Array;
  tauV: number;
  tauU: number;
  kp: number;
  alpha: number;
  /** Forward plasticity eq. (5): 'coupled' (W in the state) or 'buffered' (dW accumulated, W frozen). */
  forward?: { mode: 'coupled' | 'buffered'; tauW: number };
  /** Feedback compartment with noise (eq. 12): present in the feedback phase. */
  feedbackCompartment?: { tauFb: number; sigmaFb: number };
  /** Noise σ entering the layers directly (eq. 12). */
  sigmaV?: number;
  /** Feedback plasticity eq. (13) (needs the feedback compartment). */
  feedbackPlasticity?: { tauQ: number; beta: number };
}

export interface DfcReadout {
  v: Float64Array[];
  r: Float64Array[];
  uInt: Float64Array;
  u: Float64Array;
  e: Float64Array;
  W: Mat[];
  Q: Mat[];
  dW?: Mat[];
  vfb?: Float64Array[];
}

export interface DfcSystem {
  spec: DfcSystemSpec;
  layout: StateLayout;
  problem: Problem;
  /** Initial state: feedforward equilibrium (eq. 2), u^int = 0, v^fb = 0, weights as given, dW = 0. */
  y0: Float64Array;
  /** Named copies of the quantities at state y. */
  read(y: Float64Array): DfcReadout;
  /** The terms, by name (for inspection and tests). */
  terms: Record<string, DriftTerm>;
  diffusion?: DiffusionTerm;
}

function checkPositive(name: string, v: number): void {
  if (!(v > 0 && Number.isFinite(v))) throw new Error(`${name} must be a finite number > 0 (got ${v})`);
}

/** Build the layout, the terms and the problem for one sample. */
export function dfcSystem(spec: DfcSystemSpec): DfcSystem {
  const { net, params, x, rStar } = spec;
  net.checkParams(params);
  checkPositive('tau_v', spec.tauV);
  checkPositive('tau_u', spec.tauU);
  if (!(spec.kp >= 0)) throw new Error(`k_p must be >= 0 (got ${spec.kp}); the PI controller of eq. (4) has K_P = k_p I with k_p >= 0`);
  if (!(spec.alpha >= 0)) throw new Error(`alpha must be >= 0 (got ${spec.alpha})`);
  if (x.length !== net.sizes[0]) throw new Error(`input x has ${x.length} entries but n_0 = ${net.sizes[0]}`);
  if (rStar.length !== net.nOut) throw new Error(`target r* has ${rStar.length} entries but n_L = ${net.nOut}`);
  if (spec.forward) checkPositive('tau_W', spec.forward.tauW);
  if (spec.feedbackCompartment) {
    checkPositive('tau_fb', spec.feedbackCompartment.tauFb);
    if (!(spec.feedbackCompartment.sigmaFb >= 0)) throw new Error(`sigma_fb must be >= 0 (got ${spec.feedbackCompartment.sigmaFb})`);
  }
  if (spec.feedbackPlasticity) {
    if (!spec.feedbackCompartment) throw new Error('feedback plasticity (eq. 13) needs the feedback compartment: pass feedbackCompartment: { tauFb, sigmaFb }');
    checkPositive('tau_Q', spec.feedbackPlasticity.tauQ);
    if (!(spec.feedbackPlasticity.beta >= 0)) throw new Error(`beta must be >= 0 (got ${spec.feedbackPlasticity.beta})`);
  }
  const L = net.L;
  const nL = net.nOut;
  const sizes = net.sizes;

  const blocks: Record<string, BlockSpec> = {};
  for (let i = 1; i <= L; i++) blocks[`v${i}`] = vector(sizes[i], { tau: spec.tauV });
  blocks.uInt = vector(nL, { tau: spec.tauU });
  if (spec.feedbackCompartment) for (let i = 1; i <= L; i++) blocks[`vfb${i}`] = vector(sizes[i], { tau: spec.feedbackCompartment.tauFb });
  if (spec.forward) {
    const prefix = spec.forward.mode === 'coupled' ? 'W' : 'dW';
    if (spec.forward.mode !== 'coupled' && spec.forward.mode !== 'buffered') {
      throw new Error(`forward plasticity mode must be 'coupled' or 'buffered' (got '${String(spec.forward.mode)}')`);
    }
    for (let i = 1; i <= L; i++) blocks[`${prefix}${i}`] = matrix(sizes[i], sizes[i - 1], { tau: spec.forward.tauW });
  }
  if (spec.feedbackPlasticity) for (let i = 1; i <= L; i++) blocks[`Q${i}`] = matrix(sizes[i], nL, { tau: spec.feedbackPlasticity.tauQ });
  const layout = defineState(blocks);
  // the compartments and the Q blocks are read as one stacked vector / N x n_L matrix (layer offsets)
  for (let i = 1; i < L; i++) {
    if (spec.feedbackCompartment && layout.block(`vfb${i + 1}`).offset !== layout.block('vfb1').offset + net.offsets[i]) throw new Error('DFC terms: the v^fb blocks must be contiguous');
    if (spec.feedbackPlasticity && layout.block(`Q${i + 1}`).offset !== layout.block('Q1').offset + net.offsets[i] * nL) throw new Error('DFC terms: the Q blocks must be contiguous');
  }
  const dim = layout.size;
  const coupledW = spec.forward?.mode === 'coupled';
  const plasticQ = spec.feedbackPlasticity !== undefined;
  const hasFb = spec.feedbackCompartment !== undefined;

  // Per-block index ranges.
  const off = (name: string) => layout.block(name).offset;
  const vOff = Array.from({ length: L }, (_, i) => off(`v${i + 1}`));
  const uOff = off('uInt');
  const fbOff = hasFb ? Array.from({ length: L }, (_, i) => off(`vfb${i + 1}`)) : [];
  const wOff = spec.forward ? Array.from({ length: L }, (_, i) => off(`${coupledW ? 'W' : 'dW'}${i + 1}`)) : [];
  const qOff = plasticQ ? Array.from({ length: L }, (_, i) => off(`Q${i + 1}`)) : [];

  // Scratch (allocated once): r_i = φ(v_i), e, u, V^ff_i = W_i r_{i−1} and φ(V^ff_i), the
  // eq. (5) integrand d_i, C = Q u stacked (N), G = v^fb uᵀ (N x n_L); one-row matrix views of them.
  const N = net.N;
  const offsets = net.offsets;
  const r: Float64Array[] = [x, ...sizes.slice(1).map((n) => new Float64Array(n))];
  const e = new Float64Array(nL);
  const u = new Float64Array(nL);
  const vff = sizes.slice(1).map((n) => new Float64Array(n));
  const pff = sizes.slice(1).map((n) => new Float64Array(n));
  const d = sizes.slice(1).map((n) => new Float64Array(n));
  const C = new Float64Array(N);
  const G = new Float64Array(plasticQ ? N * nL : 0);
  const rRow = r.map((ri) => mat(1, ri.length, ri));
  const uRow = mat(1, nL, u);
  const vffRow = vff.map((v) => mat(1, v.length, v));
  const dRow = d.map((v) => mat(1, v.length, v));
  const CRow = sizes.slice(1).map((n, i) => mat(1, n, C.subarray(offsets[i], offsets[i] + n)));
  const Gm = plasticQ ? mat(N, nL, G) : null;
  const acts = net.acts;

  /** Matrix views of a state's blocks (W_i, Q_i when they are state; the stacked v^fb row), made once per state buffer. */
  const views = new WeakMap<Float64Array, { W: Mat[]; Q: Mat[]; vfb: Mat | null }>();
  const fixedW = params.W.map((m) => mat(m.rows, m.cols, m.data));
  const fixedQ = params.Q.map((m) => mat(m.rows, m.cols, m.data));
  const viewsOf = (y: Float64Array): { W: Mat[]; Q: Mat[]; vfb: Mat | null } => {
    let v = views.get(y);
    if (v === undefined) {
      v = {
        W: coupledW ? sizes.slice(1).map((n, i) => mat(n, sizes[i], y.subarray(wOff[i], wOff[i] + n * sizes[i]))) : fixedW,
        Q: plasticQ ? sizes.slice(1).map((n, i) => mat(n, nL, y.subarray(qOff[i], qOff[i] + n * nL))) : fixedQ,
        vfb: hasFb ? mat(1, N, y.subarray(fbOff[0], fbOff[0] + N)) : null,
      };
      views.set(y, v);
    }
    return v;
  };

  /** r_i = φ(v_i) for all layers, then e = r* − r_L and u = u^int + k_p e (eq. 4). */
  const observe = (y: Float64Array): void => {
    for (let i = 1; i <= L; i++) applyPhi(acts[i - 1], y.subarray(vOff[i - 1], vOff[i - 1] + sizes[i]), r[i], sizes[i]);
    controlOutput(rStar, r[L], y, uOff, e, u, spec.kp, nL);
  };
  /** V^ff_i = W_i r_{i−1} (the forward input of layer i) at state y. */
  const forwardInput = (y: Float64Array, i: number): void => matMulTB(rRow[i - 1], viewsOf(y).W[i - 1], vffRow[i - 1]);
  /** C = Q u stacked: the controller's feedback to every layer. */
  const controlFeedback = (y: Float64Array): void => {
    const Q = viewsOf(y).Q;
    for (let i = 1; i <= L; i++) matMulTB(uRow, Q[i - 1], CRow[i - 1]);
  };

  /** Eq. (1) / (12): τ_v dv_i/dt = −v_i + W_i φ(v_{i−1}) + (Q_i u or v_i^fb). */
  const networkDynamics = drift(dim, (_t, y, out) => {
    out.fill(0);
    observe(y);
    if (!hasFb) controlFeedback(y);
    for (let i = 1; i <= L; i++) {
      forwardInput(y, i);
      if (hasFb) rateField(out, y, vOff[i - 1], vff[i - 1], y, 1, sizes[i], N, fbOff[i - 1], 1);
      else rateField(out, y, vOff[i - 1], vff[i - 1], C, 1, sizes[i], N, offsets[i - 1], 1);
    }
  });

  /** Eq. (4): τ_u du^int/dt = e − α u^int. */
  const controller = drift(dim, (_t, y, out) => {
    out.fill(0);
    observe(y);
    integralField(out, y, uOff, e, 1, spec.alpha, nL);
  });

  const terms: Record<string, DriftTerm> = { networkDynamics, controller };

  if (spec.forward) {
    /** Eq. (5): τ_W dW_i/dt = (φ(v_i) − φ(W_i r_{i−1})) r_{i−1}ᵀ, into W_i (coupled) or dW_i (buffered). */
    terms.forwardPlasticity = drift(dim, (_t, y, out) => {
      out.fill(0);
      observe(y);
      for (let i = 1; i <= L; i++) {
        const ni = sizes[i];
        const np = sizes[i - 1];
        forwardInput(y, i);
        applyPhi(acts[i - 1], vff[i - 1], pff[i - 1], ni);
        integrand(d[i - 1], 0, r[i], pff[i - 1], undefined, 1, ni);
        matMulTA(dRow[i - 1], rRow[i - 1], mat(ni, np, out.subarray(wOff[i - 1], wOff[i - 1] + ni * np)));
      }
    });
  }

  if (hasFb) {
    /** Eq. (12), the feedback compartments: τ_fb dv_i^fb/dt = −v_i^fb + Q_i u (drift part; the noise is the diffusion term). */
    terms.feedbackCompartment = drift(dim, (_t, y, out) => {
      out.fill(0);
      observe(y);
      controlFeedback(y);
      compartmentField(out, y, fbOff[0], C, 1, N);
    });
  }

  if (plasticQ) {
    const beta = spec.feedbackPlasticity!.beta;
    /** Eq. (13): τ_Q dQ_i/dt = −v_i^fb uᵀ − β Q_i. */
    terms.feedbackPlasticity = drift(dim, (_t, y, out) => {
      out.fill(0);
      observe(y);
      matMulTA(viewsOf(y).vfb!, uRow, Gm!); // G = v^fb uᵀ
      feedbackRule(out, qOff[0], G, y, qOff[0], 1, beta, N * nL);
    });
  }

  const total = timeScaled(layout, sumDrift(...Object.values(terms)));

  // Additive noise: dv^fb gets (σ_fb/τ_fb) dW, dv gets (σ/τ_v) dW.
  let noise: DiffusionTerm | undefined;
  const sigmaV = spec.sigmaV ?? 0;
  const sigmaFb = spec.feedbackCompartment?.sigmaFb ?? 0;
  if (sigmaV > 0 || sigmaFb > 0) {
    const g = new Float64Array(dim);
    for (let i = 0; i < L; i++) {
      if (sigmaV > 0) g.fill(sigmaV / spec.tauV, vOff[i], vOff[i] + sizes[i + 1]);
      if (sigmaFb > 0) g.fill(sigmaFb / spec.feedbackCompartment!.tauFb, fbOff[i], fbOff[i] + sizes[i + 1]);
    }
    noise = diffusion(dim, 'additive', (_t, _y, out) => out.set(g));
  }
  const problem = noise
    ? sdeProblem(total, noise, { layout, name: 'DFC (eqs. 1, 4, 5, 12, 13)' })
    : odeProblem(total, { layout, name: 'DFC (eqs. 1, 4, 5)' });

  // Initial state: feedforward equilibrium, controller at rest.
  const y0 = layout.create();
  const ff = net.feedforward(params.W, x);
  for (let i = 0; i < L; i++) y0.set(ff.v[i], vOff[i]);
  if (coupledW) for (let i = 0; i < L; i++) y0.set(params.W[i].data, wOff[i]);
  if (plasticQ) for (let i = 0; i < L; i++) y0.set(params.Q[i].data, qOff[i]);

  const read = (y: Float64Array): DfcReadout => {
    observe(y);
    const out: DfcReadout = {
      v: vOff.map((o, i) => y.slice(o, o + sizes[i + 1])),
      r: r.map((ri) => ri.slice()),
      uInt: y.slice(uOff, uOff + nL),
      u: u.slice(),
      e: e.slice(),
      W: viewsOf(y).W.map((m) => mat(m.rows, m.cols, m.data.slice())),
      Q: viewsOf(y).Q.map((m) => mat(m.rows, m.cols, m.data.slice())),
    };
    if (spec.forward && !coupledW) out.dW = sizes.slice(1).map((n, i) => mat(n, sizes[i], y.slice(wOff[i], wOff[i] + n * sizes[i])));
    if (hasFb) out.vfb = fbOff.map((o, i) => y.slice(o, o + sizes[i + 1]));
    return out;
  };

  return { spec, layout, problem, y0, read, terms, diffusion: noise };
}

export interface SettleOptions {
  /** Settling time (default steps·dt). */
  t1: number;
  dt: number;
  /** Default 'euler' (the paper's iteration) or 'euler_maruyama' for noise. */
  solver?: string;
  seed?: number;
}

/** Integrate one sample's dynamics from the feedforward state with a fixed step. */
export function settle(sys: DfcSystem, opts: SettleOptions): { solution: Solution; state: DfcReadout } {
  const solver = opts.solver ?? (sys.diffusion ? 'euler_maruyama' : 'euler');
  const solution = solve(sys.problem, solver, { t0: 0, t1: opts.t1, y0: sys.y0, dt0: opts.dt, seed: opts.seed });
  return { solution, state: sys.read(solution.y) };
}
