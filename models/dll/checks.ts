/**
 * The measuring functions behind DLL's theorem checks (shared by `creditflow verify` and the tests):
 *
 * 1. `measureEquilibrium`: the apical flow (eqs. 5-6) integrated by a registered solver reaches a
 *    steady state (residual below tolerance) equal to eq. (7) computed layer by layer.
 * 2. `measureBpMatch`: with Θ = W and MSE, the equilibrium local errors are the negative
 *    backpropagated errors and the DLL update (eq. 8) is the negative BP gradient; and how the cosine
 *    falls as Θ departs from W (Θ = W + σ·N(0, 1/n_i), and Θ independent = DLL-FA).
 * 3. `measureCoupledVsBuffered`: the coupled flow (x, W, b, Θ together, C3) against the buffered
 *    variant (Algorithm 1: relax, then update) as the timescale ratio τ_W/τ_x grows.
 * 4. `measureRnnBptt` (rnn.ts): DLL-RNN with Θ = W against BPTT.
 */
import { Rng } from '../../src/core/random';
import { logLogSlope } from '../../src/analysis/fit';
import { matMul } from '../../src/linalg/kernels';
import { mat } from '../../src/linalg/mat';
import { mse, softmaxCrossEntropy } from '../../src/nn/losses';
import { Mlp } from '../../src/nn/mlp';
import type { TheoremCheck } from '../../src/registry';
import { ApicalRelaxer, DllMlp, cloneParams, paramArrays, type DllParams, type OutputLoss } from './mlp';
import { CoupledTrainer, DllTrainer } from './trainer';
import { cosine, relativeError } from './stats';
import { DllRnn, RnnRelaxer, bpttDirections, cloneRnnParams, rnnParamArrays } from './rnn';

export { cosine, relativeError };

interface Fixture {
  net: DllMlp;
  params: DllParams;
  input: Float64Array;
  target: Float64Array;
  batch: number;
}

/** A random network, batch and target (targets in [−1, 1] for MSE, one-hot for cross-entropy). */
export function fixture(sizes: readonly number[], batch: number, seed: number, loss: OutputLoss = 'mse'): Fixture {
  const rng = new Rng(seed);
  const net = new DllMlp({ sizes, hidden: 'tanh', loss });
  const params = net.init(rng);
  for (const b of params.b) rng.fillNormal(b, 0.1);
  const input = rng.fillNormal(new Float64Array(batch * sizes[0]));
  const k = sizes[sizes.length - 1];
  const target = new Float64Array(batch * k);
  if (loss === 'mse') rng.fillUniform(target, -1, 1);
  else for (let b = 0; b < batch; b++) target[b * k + rng.int(k)] = 1;
  return { net, params, input, target, batch };
}

export interface EquilibriumResult {
  solver: string;
  reason: string;
  residual: number;
  t: number;
  steps: number;
  /** max |x_relaxed − x_closed-form| over hidden layers and samples. */
  maxDiff: number;
}

/** Relax with each solver to tol and compare with the layer-by-layer closed form of eq. (7). */
export function measureEquilibrium(opts: { sizes: readonly number[]; batch: number; seed: number; solvers: readonly string[]; tol?: number; loss?: OutputLoss }): EquilibriumResult[] {
  const { net, params, input, target, batch } = fixture(opts.sizes, batch0(opts.batch), opts.seed, opts.loss);
  const closed = net.workspace(batch);
  net.present(params, closed, input, target);
  net.closedForm(params, closed);
  return opts.solvers.map((solver) => {
    const adaptive = solver === 'dopri5' || solver === 'odex';
    const relaxer = new ApicalRelaxer(net, net.workspace(batch), { solver, dt: adaptive ? 0.1 : 0.25, tol: opts.tol ?? 1e-10, tMax: 200 });
    net.present(params, relaxer.ws, input, target);
    const r = relaxer.relax(params);
    let maxDiff = 0;
    for (let i = 1; i < net.L; i++) {
      const a = relaxer.ws.x[i].data;
      const b = closed.x[i].data;
      for (let k = 0; k < a.length; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
    }
    return { solver, reason: r.reason, residual: r.residual, t: r.t, steps: r.steps, maxDiff };
  });
}

function batch0(b: number): number {
  if (!(Number.isInteger(b) && b >= 1)) throw new Error(`batch must be an integer >= 1 (got ${b})`);
  return b;
}

export interface BpMatchRow {
  /** Θ = W + sigma·N(0, 1/n_i); sigma = Infinity stands for Θ independent of W (DLL-FA). */
  sigma: number;
  cosine: number;
  relError: number;
  /** Cosine over the hidden layers' updates only (the output layer's is exact for any Θ). */
  hiddenCosine: number;
}

export interface BpMatchResult {
  /** max over hidden layers of ‖ξ_i − (−∂ℓ/∂u_i)‖ / ‖∂ℓ/∂u_i‖ at Θ = W. */
  errorRelError: number;
  cosine: number;
  relError: number;
  residual: number;
  sweep: BpMatchRow[];
}

/**
 * With Θ = W: relax (rk4, tol 1e-12), compare ξ_i with −B·∂L/∂u_i from BP (L the batch-mean loss)
 * and (ΔW, Δb) with −(∇W, ∇b). Then repeat for Θ = W + σ·N(0, 1/n_i).
 */
export function measureBpMatch(opts: { sizes: readonly number[]; batch: number; seed: number; sigmas: readonly number[]; loss?: OutputLoss }): BpMatchResult {
  const loss = opts.loss ?? 'mse';
  const fx = fixture(opts.sizes, batch0(opts.batch), opts.seed, loss);
  const { net, input, target, batch } = fx;
  const mlp = new Mlp({ sizes: opts.sizes, hidden: 'tanh', output: 'linear' });
  const bpParams = { W: fx.params.W, b: fx.params.b };
  const cache = mlp.forward(bpParams, input, batch);
  const bp = mlp.backward(bpParams, cache, target, loss === 'mse' ? mse : softmaxCrossEntropy);
  const negGrad = [...bp.gW.map((w) => w.data.map((v) => -v)), ...bp.gb.map((b) => b.map((v) => -v))];
  const hiddenCount = net.L - 1;
  const negGradHidden = [...negGrad.slice(0, hiddenCount), ...negGrad.slice(net.L, net.L + hiddenCount)];

  const rng = new Rng(opts.seed + 7919);
  const run = (sigma: number) => {
    const p = cloneParams(fx.params);
    for (let i = 1; i < net.L; i++) {
      const th = p.Theta[i - 1].data;
      if (sigma === Infinity) continue; // independent Θ from init (DLL-FA)
      const noise = rng.fillNormal(new Float64Array(th.length), 1 / Math.sqrt(net.sizes[i]));
      for (let k = 0; k < th.length; k++) th[k] = p.W[i].data[k] + sigma * noise[k];
    }
    const relaxer = new ApicalRelaxer(net, net.workspace(batch), { solver: 'rk4', dt: 0.25, tol: 1e-12, tMax: 400 });
    net.present(p, relaxer.ws, input, target);
    const r = relaxer.relax(p);
    const upd = net.zeroUpdates();
    net.weightRates(relaxer.ws, upd);
    const dll = [...upd.W.map((w) => w.data), ...upd.b];
    const dllHidden = [...dll.slice(0, hiddenCount), ...dll.slice(net.L, net.L + hiddenCount)];
    return { ws: relaxer.ws, residual: r.residual, cos: cosine(dll, negGrad), rel: relativeError(dll, negGrad), hiddenCos: cosine(dllHidden, negGradHidden) };
  };

  const exact = run(0);
  // −∂L/∂u_i = −δ_i W_i (rows), times B for the per-sample error.
  let errorRelError = 0;
  for (let i = 1; i < net.L; i++) {
    const g = { rows: batch, cols: net.sizes[i], data: new Float64Array(batch * net.sizes[i]) };
    matMul(bp.delta[i], fx.params.W[i], g, -batch);
    errorRelError = Math.max(errorRelError, relativeError([exact.ws.xi[i].data], [g.data]));
  }
  const sweep = opts.sigmas.map((sigma) => {
    const r = sigma === 0 ? exact : run(sigma);
    return { sigma, cosine: r.cos, relError: r.rel, hiddenCosine: r.hiddenCos };
  });
  return { errorRelError, cosine: exact.cos, relError: exact.rel, residual: exact.residual, sweep };
}

export interface CoupledRow {
  /** τ_W/τ_x (τ_Θ = τ_W). */
  ratio: number;
  /** ‖p_coupled − p_buffered‖ / ‖p_buffered − p_0‖ over W, b, Θ. */
  vsBuffered: number;
  /** The same against the reduced slow flow (buffered with `substeps` Euler sub-steps per presentation). */
  vsSlowFlow: number;
}

export interface CoupledResult {
  eta: number;
  presentations: number;
  rows: CoupledRow[];
  /** Buffered (one Euler step per presentation) against the reduced slow flow: the η-floor. */
  bufferedVsSlowFlow: number;
  /** Log-log slope of vsSlowFlow against the ratio (−1 expected: the transient lasts a few τ_x of T = η τ_W). */
  slope: number;
}

/**
 * A small network sees `presentations` batches (cycled from a fixed set), each for T = η τ_W. The
 * coupled flow (rk4, dt = τ_x/4) runs x, W, b, Θ together; the buffered variant relaxes to eq. (7)
 * and then steps W, b, Θ by η·Δ (SGD, the Euler step of the slow flow); the slow-flow reference
 * does the same with `substeps` steps of η/substeps (re-relaxing each time).
 */
export function measureCoupledVsBuffered(opts: {
  sizes: readonly number[];
  batch: number;
  batches: number;
  presentations: number;
  eta: number;
  ratios: readonly number[];
  seed: number;
  substeps?: number;
}): CoupledResult {
  const rng = new Rng(opts.seed);
  const net = new DllMlp({ sizes: opts.sizes, hidden: 'tanh', loss: 'mse' });
  const p0 = net.init(rng);
  const B = batch0(opts.batch);
  const n0 = opts.sizes[0];
  const k = opts.sizes[opts.sizes.length - 1];
  const data = Array.from({ length: opts.batches }, () => ({
    x: rng.fillNormal(new Float64Array(B * n0)),
    t: rng.fillUniform(new Float64Array(B * k), -1, 1),
  }));
  const substeps = opts.substeps ?? 64;

  // The buffered variant as its slow flow (flow.ts): presentation s on [s, s + 1), dθ/dt = η Δ_s(θ),
  // Euler with `sub` steps per presentation (one step: Algorithm 1's SGD step).
  const buffered = (sub: number): DllParams => {
    const p = cloneParams(p0);
    const tr = new DllTrainer(net, p, B, { optimizer: 'sgd', lr: opts.eta, relax: { solver: 'euler', dt: 1, tol: 1e-13, tMax: 100 }, flow: { solver: 'euler', dt0: 1 / sub } });
    tr.run(opts.presentations, (s) => ({ input: data[s % data.length].x, target: data[s % data.length].t }));
    return p;
  };
  const pBuf = buffered(1);
  const pFlow = buffered(substeps);
  const a0 = paramArrays(p0);
  const diff = (p: DllParams, ref: DllParams) => {
    const a = paramArrays(p);
    const r = paramArrays(ref);
    let num = 0;
    let den = 0;
    for (let m = 0; m < a.length; m++) {
      for (let i = 0; i < a[m].length; i++) {
        num += (a[m][i] - r[m][i]) ** 2;
        den += (r[m][i] - a0[m][i]) ** 2;
      }
    }
    return Math.sqrt(num / den);
  };

  const rows = opts.ratios.map((ratio) => {
    const ts = { tauX: 1, tauW: ratio, tauTheta: ratio };
    const tr = new CoupledTrainer(net, p0, B, ts, { T: opts.eta * ratio, solver: 'rk4', dt: 0.25 });
    for (let s = 0; s < opts.presentations; s++) {
      const d = data[s % data.length];
      tr.present(d.x, d.t);
    }
    const p = tr.params();
    return { ratio, vsBuffered: diff(p, pBuf), vsSlowFlow: diff(p, pFlow) };
  });
  return {
    eta: opts.eta,
    presentations: opts.presentations,
    rows,
    bufferedVsSlowFlow: diff(pBuf, pFlow),
    slope: logLogSlope(rows.map((r) => r.ratio), rows.map((r) => r.vsSlowFlow)),
  };
}

export interface RnnBpttResult {
  /** DLL updates (W_x, W_h, b_h, W_y, b_y) with Θ = W against the negative BPTT gradient. */
  cosine: number;
  relError: number;
  /** max_i ‖ξ^h_i − (−B ∂ℓ/∂h_i)‖ / ‖B ∂ℓ/∂h_i‖ (the errors of eqs. 19-20 against BPTT's). */
  errorRelError: number;
  /** Relaxation (eqs. 17-18, rk4) against the closed form of eqs. (19)-(20). */
  relaxResidual: number;
  relaxMaxDiff: number;
  relaxTime: number;
  /** DLL-FA-RNN (Θ random) cosine, for comparison. */
  randomThetaCosine: number;
}

/** DLL-RNN with Θ_h = W_h, Θ_y = W_y on a short random sequence, against BPTT. */
export function measureRnnBptt(opts: { nIn: number; nHidden: number; nOut: number; steps: number; batch: number; seed: number; loss?: OutputLoss }): RnnBpttResult {
  const rng = new Rng(opts.seed);
  const net = new DllRnn({ nIn: opts.nIn, nHidden: opts.nHidden, nOut: opts.nOut, loss: opts.loss ?? 'mse' });
  const p = net.init(rng);
  rng.fillNormal(p.bh, 0.1);
  rng.fillNormal(p.by, 0.1);
  const B = batch0(opts.batch);
  const inputs = rng.fillNormal(new Float64Array(opts.steps * B * opts.nIn));
  const targets = rng.fillUniform(new Float64Array(opts.steps * B * opts.nOut), -1, 1);
  const pSym = cloneRnnParams(p);
  pSym.ThetaH.data.set(p.Wh.data);
  pSym.ThetaY.data.set(p.Wy.data);

  // Relaxation by a solver, then the closed form, on the same presented batch.
  const ws = net.workspace(B, opts.steps);
  const relaxer = new RnnRelaxer(net, ws, { solver: 'rk4', dt: 0.25, tol: 1e-12, tMax: 40 * opts.steps + 100 });
  net.present(pSym, ws, inputs, targets);
  const r = relaxer.relax(pSym);
  const relaxed = ws.hp.map((m) => m.data.slice());
  const dll = net.zeroParams();
  net.updates(ws, dll);
  net.closedForm(pSym, ws);
  let relaxMaxDiff = 0;
  for (let i = 0; i < opts.steps; i++) for (let k = 0; k < relaxed[i].length; k++) relaxMaxDiff = Math.max(relaxMaxDiff, Math.abs(relaxed[i][k] - ws.hp[i].data[k]));

  const bptt = net.zeroParams();
  bpttDirections(net, pSym, ws, bptt);
  const a = rnnParamArrays(dll, false);
  const b = rnnParamArrays(bptt, false);

  // −B ∂ℓ/∂h_i by the BPTT recursion on the errors: g_i = ξ^y_i W_y + (g_{i+1} ⊙ f′_{i+1}) W_h.
  let errorRelError = 0;
  const g = Array.from({ length: opts.steps }, () => mat(B, opts.nHidden));
  for (let i = opts.steps - 1; i >= 0; i--) {
    matMul(ws.xiY[i], p.Wy, g[i]);
    if (i + 1 < opts.steps) {
      const d = mat(B, opts.nHidden);
      for (let k = 0; k < d.data.length; k++) d.data[k] = g[i + 1].data[k] * ws.fp[i + 1].data[k];
      matMul(d, p.Wh, g[i], 1, 1);
    }
    errorRelError = Math.max(errorRelError, relativeError([Float64Array.from(relaxed[i], (v, k) => v - ws.h[i + 1].data[k])], [g[i].data]));
  }

  // Θ random (DLL-FA-RNN).
  net.present(p, ws, inputs, targets);
  net.closedForm(p, ws);
  const fa = net.zeroParams();
  net.updates(ws, fa);
  return {
    cosine: cosine(a, b),
    relError: relativeError(a, b),
    errorRelError,
    relaxResidual: r.residual,
    relaxMaxDiff,
    relaxTime: r.t,
    randomThetaCosine: cosine(rnnParamArrays(fa, false), b),
  };
}

// ---------------------------------------------------------------------------------------------
// registered checks (`creditflow verify --only dll`)

const PAPER = 'DLL (Lv et al.)';
const sci = (x: number) => x.toExponential(2);

export const EQUILIBRIUM_SOLVERS = ['euler', 'heun', 'rk4', 'dopri5'] as const;
export const equilibriumSize = (quick: boolean) => (quick ? { sizes: [6, 8, 7, 5, 3], batch: 4 } : { sizes: [30, 40, 30, 20, 10], batch: 16 });
export const bpMatchSize = equilibriumSize;
export const SIGMAS = [0, 0.01, 0.03, 0.1, 0.3, 1, 3, Infinity];
export const coupledSize = (quick: boolean) => ({
  sizes: [4, 6, 5, 3],
  batch: 4,
  batches: 5,
  presentations: quick ? 10 : 20,
  eta: 0.01,
  ratios: quick ? [100, 1000, 10000] : [100, 1000, 10000, 100000],
});
/** Transient bound: the coupled flow's distance to the slow flow is at most C·τ_x/T = C/(η·ratio). */
export const TRANSIENT_C = 2.5;
export const rnnSize = (quick: boolean) => (quick ? { nIn: 3, nHidden: 6, nOut: 2, steps: 5, batch: 3 } : { nIn: 8, nHidden: 32, nOut: 5, steps: 12, batch: 8 });

export const dllChecks: TheoremCheck[] = [
  {
    id: 'dll.equilibrium',
    paper: PAPER,
    claim: 'eqs. (5)-(7): the apical flow integrated by euler, heun, rk4 and dopri5 reaches a steady state equal to eq. (7) computed layer by layer',
    run({ quick, seed }) {
      const rows = measureEquilibrium({ ...equilibriumSize(quick), seed, solvers: EQUILIBRIUM_SOLVERS, tol: 1e-10 });
      const worstDiff = Math.max(...rows.map((r) => r.maxDiff));
      const worstRes = Math.max(...rows.map((r) => r.residual));
      const pass = rows.every((r) => r.reason === 'converged') && worstRes < 1e-10 && worstDiff <= 1e-8;
      return { measured: `residual ≤ ${sci(worstRes)}, max|x − x*| ${sci(worstDiff)}`, bound: 'residual < 1e-10, |x − x*| ≤ 1e-8', pass, details: { rows } };
    },
  },
  {
    id: 'dll.bp-match',
    paper: PAPER,
    claim: 'with Θ = W and MSE, the equilibrium local errors are the negative BP errors and ΔW (eq. 8) is the negative BP gradient; cosine vs σ for Θ = W + σ·noise in details',
    run({ quick, seed }) {
      const r = measureBpMatch({ ...bpMatchSize(quick), seed, sigmas: SIGMAS });
      const pass = r.cosine >= 0.9999 && r.relError <= 1e-6 && r.errorRelError <= 1e-6;
      const fall = r.sweep.map((s) => `σ=${s.sigma === Infinity ? 'indep' : s.sigma}: ${s.cosine.toFixed(4)}`).join(', ');
      return {
        measured: `cos ${r.cosine.toFixed(8)}, rel ${sci(r.relError)}, ξ rel ${sci(r.errorRelError)}; ${fall}`,
        bound: 'cos ≥ 0.9999, rel ≤ 1e-6',
        pass,
        details: r,
      };
    },
  },
  {
    id: 'dll.coupled-vs-buffered',
    paper: PAPER,
    claim: 'C3: the coupled flow (x, W, Θ together) approaches the buffered variant (Algorithm 1) as τ_W/τ_x grows: distance to the slow flow ≤ 2.5/(η·τ_W/τ_x), slope ≈ −1',
    run({ quick, seed }) {
      const size = coupledSize(quick);
      const r = measureCoupledVsBuffered({ ...size, seed });
      const last = r.rows[r.rows.length - 1];
      const scaled = last.vsSlowFlow * r.eta * last.ratio;
      const pass = scaled <= TRANSIENT_C && r.slope >= -1.2 && r.slope <= -0.7;
      return {
        measured: `${r.rows.map((x) => `τW/τx=${x.ratio}: vs buffered ${sci(x.vsBuffered)}, vs slow flow ${sci(x.vsSlowFlow)}`).join('; ')}; Euler floor ${sci(r.bufferedVsSlowFlow)}; slope ${r.slope.toFixed(3)}`,
        bound: `slow-flow gap·η·ratio ≤ ${TRANSIENT_C} (got ${scaled.toFixed(2)}), slope ∈ [−1.2, −0.7]`,
        pass,
        details: r,
      };
    },
  },
  {
    id: 'dll.rnn-bptt',
    paper: PAPER,
    claim: 'Appendix B: DLL-RNN with Θ_h = W_h, Θ_y = W_y relaxed by rk4 (eqs. 17-18) gives the BPTT errors and the negative BPTT gradient (eqs. 21-26)',
    run({ quick, seed }) {
      const r = measureRnnBptt({ ...rnnSize(quick), seed });
      const pass = r.cosine >= 0.9999 && r.relError <= 1e-6 && r.errorRelError <= 1e-6 && r.relaxMaxDiff <= 1e-8;
      return {
        measured: `cos ${r.cosine.toFixed(8)}, rel ${sci(r.relError)}, ξ^h rel ${sci(r.errorRelError)}, relax vs eqs. 19-20 ${sci(r.relaxMaxDiff)}; random Θ cos ${r.randomThetaCosine.toFixed(3)}`,
        bound: 'cos ≥ 0.9999, rel ≤ 1e-6',
        pass,
        details: r,
      };
    },
  },
];
