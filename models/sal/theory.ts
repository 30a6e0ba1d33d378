/**
 * The measurements behind SAL's theorem checks (Lemma 1, Theorem 1, the Kolen–Pollack reduction,
 * Proposition 1, the leaky-to-instantaneous limit). Each function builds a small circuit, runs it
 * and returns the measured numbers; ./checks.ts bounds them for `creditflow verify` and the tests
 * in test/sal/ call the very same functions. The derivations are in ./circuit.ts.
 */
import '../../solvers/index'; // registers the built-in solvers by name
import { linearFit, logLogSlope } from '../../src/analysis/fit';
import { Rng } from '../../src/core/random';
import { solve } from '../../src/core/solve';
import { odeProblem } from '../../src/core/terms';
import { eigenvalues, inv, pinv } from '../../src/linalg/decomp';
import { matMul, matMulTB, transpose } from '../../src/linalg/kernels';
import { cloneMat, identity, mat, type Mat } from '../../src/linalg/mat';
import { Mlp } from '../../src/nn/mlp';
import { fixedBatch, SalCircuit, type SalConfig } from './circuit';
import { leakyCircuit } from './leaky';

// ------------------------------------------------------------------------------------------------
// helpers

export function fro(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** ‖a − b‖_F */
export function diffNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** A random batch: Gaussian inputs; MSE targets Gaussian, cross-entropy targets one-hot. */
export function randomBatch(rng: Rng, B: number, dIn: number, dOut: number, loss: 'mse' | 'cross-entropy'): { x: Float64Array; target: Float64Array } {
  const x = rng.fillNormal(new Float64Array(B * dIn));
  const target = new Float64Array(B * dOut);
  if (loss === 'mse') rng.fillNormal(target);
  else for (let b = 0; b < B; b++) target[b * dOut + rng.int(dOut)] = 1;
  return { x, target };
}

/** ΔWˡ_sgd = −∂(mean F)/∂Wˡ by backpropagation in the core's reference MLP (src/nn/mlp.ts). */
export function sgdUpdate(circuit: SalCircuit, y: Float64Array, x: Float64Array, target: Float64Array, B: number): Mat[] {
  const spec = circuit.spec;
  const mlp = new Mlp({ sizes: spec.sizes, hidden: spec.upstream, output: 'linear', bias: false });
  const c = circuit.views(y);
  const W = c.W.slice(1);
  const b = W.map((w) => new Float64Array(w.rows));
  const cache = mlp.forward({ W, b }, x, B);
  const { gW } = mlp.backward({ W, b }, cache, target, spec.loss);
  const out: Mat[] = [];
  gW.forEach((g, i) => {
    const m = cloneMat(g);
    for (let j = 0; j < m.data.length; j++) m.data[j] = -m.data[j];
    out[i + 1] = m;
  });
  return out;
}

/** H = V̄ V̄ᵀ */
export function learningRateMatrix(Vbar: Mat): Mat {
  const H = mat(Vbar.rows, Vbar.rows);
  matMulTB(Vbar, Vbar, H);
  return H;
}

// ------------------------------------------------------------------------------------------------
// Lemma 1

export interface Lemma1Result {
  gamma: number;
  /** Fitted decay rate of ‖Vᵏ − V̄ᵏ⁻¹ᵀ‖ per hidden layer (equal rates η_V = η_V̄). */
  rates: number[];
  /** Worst |rate − γ|/γ. */
  worstRelError: number;
  /** Unequal rates: fitted rate of ‖Vᵏ/η_V − V̄ᵏ⁻¹ᵀ/η_V̄‖ and the ratio ‖Vᵏ − V̄ᵏ⁻¹ᵀ‖(T)/(0), which does not vanish. */
  scaledRates: number[];
  unscaledRatio: number[];
  ts: number[];
  /** ‖Vᵏ − V̄ᵏ⁻¹ᵀ‖ over time (equal rates), per hidden layer. */
  residuals: number[][];
}

/** Lemma 1 from random initial connectivity: all four plastic on a fixed batch, dopri5. */
export function lemma1Decay(opts: { quick: boolean; seed: number }): Lemma1Result {
  const sizes = opts.quick ? [8, 12, 10, 4] : [16, 32, 24, 6];
  const downWidths = opts.quick ? [18, 15] : [48, 36];
  const gamma = 0.5;
  const T = 6;
  const ts = Array.from({ length: 13 }, (_, i) => (i * T) / 12);
  const run = (rates: { V: number; Vbar: number }) => {
    const circuit = new SalCircuit({ sizes, downWidths, loss: 'mse', rates: { W: 0.05, Wbar: 0.05, ...rates }, decay: gamma });
    const rng = new Rng(opts.seed);
    const B = 16;
    const { x, target } = randomBatch(rng, B, sizes[0], sizes[sizes.length - 1], 'mse');
    const sol = solve(odeProblem(circuit.term(fixedBatch(x, target, B)), { layout: circuit.layout }), 'dopri5', {
      t0: 0,
      t1: T,
      y0: circuit.initState(opts.seed + 1),
      rtol: 1e-9,
      atol: 1e-12,
      saveAt: { ts },
      throwOnFailure: true,
    });
    const L = circuit.L;
    const plain: number[][] = [];
    const scaled: number[][] = [];
    for (let k = 2; k <= L - 1; k++) {
      const p: number[] = [];
      const s: number[] = [];
      for (const y of sol.ys) {
        const c = circuit.views(y);
        const VbT = mat(c.V[k].rows, c.V[k].cols);
        transpose(c.Vbar[k - 1], VbT);
        p.push(diffNorm(c.V[k].data, VbT.data));
        let acc = 0;
        for (let i = 0; i < VbT.data.length; i++) acc += (c.V[k].data[i] / rates.V - VbT.data[i] / rates.Vbar) ** 2;
        s.push(Math.sqrt(acc));
      }
      plain.push(p);
      scaled.push(s);
    }
    return { plain, scaled };
  };
  const rate = (r: number[]) => -linearFit(ts, r.map(Math.log)).slope;
  const equal = run({ V: 0.05, Vbar: 0.05 });
  const unequal = run({ V: 0.05, Vbar: 0.02 });
  const rates = equal.plain.map(rate);
  return {
    gamma,
    rates,
    worstRelError: Math.max(...rates.map((r) => Math.abs(r - gamma) / gamma)),
    scaledRates: unequal.scaled.map(rate),
    unscaledRatio: unequal.plain.map((r) => r[r.length - 1] / r[0]),
    ts,
    residuals: equal.plain,
  };
}

/**
 * The circuit's slow flows against eqs. (5)-(8) written out from the activities of eqs. (1)-(4)
 * (plain loops, per sample, independent of circuit.ts): ReLU upstream, D_d the ReLU Jacobian
 * 1[Vᵏhᵏ > 0], MSE error input h̄ᴸ = y − ŷ, random connectivity and batch. Returns the largest
 * |circuit − reference| / max |reference| over every block. Lemma 1 follows from the V and V̄
 * drives being eqs. (6) and (8) of the same activities, so this is what makes `sal.lemma1` more
 * than a property of the code (both drives reading the same wrong activity would still decay).
 */
export function slowFlowDeviation(opts: { quick: boolean; seed: number }): number {
  const sizes = opts.quick ? [8, 12, 10, 4] : [16, 32, 24, 6];
  const downWidths = opts.quick ? [18, 15] : [48, 36];
  const rates = { W: 0.05, Wbar: 0.03, V: 0.02, Vbar: 0.04 };
  const gamma = 0.5;
  const circuit = new SalCircuit({ sizes, downWidths, loss: 'mse', rates, decay: gamma, downGate: 'relu-jacobian' });
  const rng = new Rng(opts.seed + 7);
  const B = 6;
  const { x, target } = randomBatch(rng, B, sizes[0], sizes[sizes.length - 1], 'mse');
  const y = circuit.initState(opts.seed + 3);
  const out = new Float64Array(y.length);
  circuit.term(fixedBatch(x, target, B)).vf(0, y, out);
  const c = circuit.views(y);
  const d = circuit.views(out);
  const L = sizes.length;
  const mv = (M: Mat, v: Float64Array) => Float64Array.from({ length: M.rows }, (_, i) => {
    let a = 0;
    for (let j = 0; j < M.cols; j++) a += M.data[i * M.cols + j] * v[j];
    return a;
  });
  const ref: Record<string, Float64Array> = {};
  const acc = (name: string, size: number) => (ref[name] ??= new Float64Array(size));
  const outer = (name: string, u: Float64Array, v: Float64Array, eta: number) => {
    const r = acc(name, u.length * v.length);
    for (let i = 0; i < u.length; i++) for (let j = 0; j < v.length; j++) r[i * v.length + j] += (eta / B) * u[i] * v[j];
  };
  for (let b = 0; b < B; b++) {
    const h: Float64Array[] = [new Float64Array(0), x.slice(b * sizes[0], (b + 1) * sizes[0])];
    for (let l = 1; l <= L - 1; l++) {
      const z = mv(c.W[l], h[l]);
      h.push(l + 1 < L ? z.map((v) => Math.max(0, v)) : z); // eqs. (1), (3); linear output
    }
    const hb: Float64Array[] = new Array(L + 1);
    hb[L] = Float64Array.from(h[L], (v, i) => target[b * sizes[L - 1] + i] - v); // −∇F for F = ½‖ŷ − y‖²
    for (let k = L - 1; k >= 2; k--) {
      const gate = mv(c.V[k], h[k]);
      hb[k] = mv(c.Wbar[k], hb[k + 1]).map((v, i) => (gate[i] > 0 ? v : 0)); // eqs. (2), (4)
    }
    for (let l = 1; l <= L - 1; l++) outer(`W${l}`, l + 1 < L ? mv(c.Vbar[l], hb[l + 1]) : hb[L], h[l], rates.W); // (5), V̄ᴸ⁻¹ = I
    for (let k = 2; k <= L - 1; k++) {
      outer(`V${k}`, hb[k], h[k], rates.V); // (6)
      outer(`Wbar${k}`, mv(c.V[k], h[k]), hb[k + 1], rates.Wbar); // (7), transposed
    }
    for (let l = 1; l <= L - 2; l++) outer(`Vbar${l}`, h[l + 1], hb[l + 1], rates.Vbar); // (8), transposed
  }
  let dev = 0;
  let scale = 0;
  const compare = (name: string, got: Mat, own: Mat) => {
    const r = ref[name];
    for (let i = 0; i < r.length; i++) {
      const want = r[i] - gamma * own.data[i];
      dev = Math.max(dev, Math.abs(got.data[i] - want));
      scale = Math.max(scale, Math.abs(want));
    }
  };
  for (let l = 1; l <= L - 1; l++) compare(`W${l}`, d.W[l], c.W[l]);
  for (let k = 2; k <= L - 1; k++) {
    compare(`V${k}`, d.V[k], c.V[k]);
    compare(`Wbar${k}`, d.Wbar[k], c.Wbar[k]);
  }
  for (let l = 1; l <= L - 2; l++) compare(`Vbar${l}`, d.Vbar[l], c.Vbar[l]);
  return dev / scale;
}

// ------------------------------------------------------------------------------------------------
// Kolen–Pollack reduction

export interface KpResult {
  gamma: number;
  /** Fitted decay rate of ‖W̄ᵏ − Wᵏᵀ‖ per hidden layer. */
  rates: number[];
  worstRelError: number;
  /** ‖W̄ − Wᵀ‖(T)/‖W̄ − Wᵀ‖(0), all layers together, and e^{−γT}. */
  ratio: number;
  expected: number;
  /** max_k ‖W̄ᵏ − Wᵏᵀ‖/‖Wᵏ‖ at t = T. */
  relMismatchEnd: number;
  /** Relative distance of the circuit's ΔW from the backprop ΔW_sgd − γW at t = 0 and t = T (theorem1Gap with H = I). */
  sgdGapStart: number;
  sgdGapEnd: number;
}

/**
 * V = V̄ = I, D_d = ReLU Jacobian, W̄ plastic from random: the circuit is KP and W̄ − Wᵀ → 0 at rate
 * γ (exactly, whatever W does). Full-batch MSE flow, rk4 with dt = 0.05. The decay must be weak
 * against the learning drive (γ ≪ η‖∇L‖) for W to stay away from 0, so that the mismatch relative to
 * ‖W‖ also vanishes and the update becomes the backprop one.
 */
export function kpReduction(opts: { quick: boolean; seed: number }): KpResult {
  const sizes = opts.quick ? [6, 10, 8, 3] : [12, 24, 16, 5];
  const gamma = 0.05;
  const eta = 0.5;
  const T = 100;
  const config: SalConfig = {
    sizes,
    loss: 'mse',
    downGate: 'relu-jacobian',
    inter: 'identity',
    feedback: 'circuit',
    plastic: { W: true, Wbar: true, V: false, Vbar: false },
    rates: { W: eta, Wbar: eta },
    decay: gamma,
  };
  const circuit = new SalCircuit(config);
  const rng = new Rng(opts.seed);
  const B = 16;
  const { x, target } = randomBatch(rng, B, sizes[0], sizes[sizes.length - 1], 'mse');
  const ts = Array.from({ length: 11 }, (_, i) => (i * T) / 10);
  const y0 = circuit.initState(opts.seed + 1);
  const sol = solve(odeProblem(circuit.term(fixedBatch(x, target, B)), { layout: circuit.layout }), 'rk4', {
    t0: 0,
    t1: T,
    y0,
    dt0: 0.05,
    saveAt: { ts },
    throwOnFailure: true,
  });
  const L = circuit.L;
  const mismatch = (y: Float64Array, k: number) => {
    const c = circuit.views(y);
    const WT = mat(c.W[k].cols, c.W[k].rows);
    transpose(c.W[k], WT);
    return { abs: diffNorm(c.Wbar[k].data, WT.data), rel: diffNorm(c.Wbar[k].data, WT.data) / fro(WT.data) };
  };
  const rates: number[] = [];
  for (let k = 2; k <= L - 1; k++) rates.push(-linearFit(ts, sol.ys.map((y) => Math.log(mismatch(y, k).abs))).slope);
  const yEnd = sol.ys[sol.ys.length - 1];
  const total = (y: Float64Array) => Math.hypot(...Array.from({ length: L - 2 }, (_, i) => mismatch(y, i + 2).abs));
  return {
    gamma,
    rates,
    worstRelError: Math.max(...rates.map((r) => Math.abs(r - gamma) / gamma)),
    ratio: total(yEnd) / total(sol.ys[0]),
    expected: Math.exp(-gamma * T),
    relMismatchEnd: Math.max(...Array.from({ length: L - 2 }, (_, i) => mismatch(yEnd, i + 2).rel)),
    sgdGapStart: theorem1Gap(circuit, sol.ys[0], x, target, B).gap,
    sgdGapEnd: theorem1Gap(circuit, yEnd, x, target, B).gap,
  };
}

// ------------------------------------------------------------------------------------------------
// Theorem 1

export type StationaryKind = 'relu-copy' | 'linear-dense' | 'relu-dense';

/**
 * The exact-stationary construction of Theorem 1 (circuit.ts, conditions A-D): an overparametrised
 * downstream pathway (d̄ = ratio·d), full-rank V held fixed, V̄ᵏ⁻¹ = Vᵏᵀ (Lemma 1's fixed point),
 * W̄ᵏ = VᵏWᵏᵀ(Vᵏ⁺¹)⁺ (so W̄ᵏV̄ᵏᵀ = VᵏWᵏᵀ, the KP fixed point; Vᴸ = I). 'relu-copy': ReLU
 * upstream, V a positive "copy" matrix, D_d the ReLU Jacobian (gate transport D holds);
 * 'linear-dense': linear upstream, dense Gaussian V, D_d = I (D holds); 'relu-dense': ReLU upstream,
 * dense V, D_d = I (D fails: the case the paper's proof glosses over).
 */
export function stationaryCircuit(kind: StationaryKind, opts: { sizes: number[]; ratio: number; seed: number; rateW: number; gamma: number }): { circuit: SalCircuit; y: Float64Array } {
  const { sizes, ratio } = opts;
  const L = sizes.length;
  const downWidths = sizes.slice(1, L - 1).map((d) => Math.round(ratio * d));
  const circuit = new SalCircuit({
    sizes,
    downWidths,
    upstream: kind === 'linear-dense' ? 'linear' : 'relu',
    downGate: kind === 'relu-copy' ? 'relu-jacobian' : 'identity',
    loss: 'cross-entropy',
    rates: { W: opts.rateW, Wbar: 0, V: 0, Vbar: 0 },
    plastic: { W: true, Wbar: false, V: false, Vbar: false },
    decay: opts.gamma,
  });
  const rng = new Rng(opts.seed);
  const y = circuit.initState(opts.seed);
  const c = circuit.views(y);
  for (let k = 2; k <= L - 1; k++) {
    const V = c.V[k];
    V.data.fill(0);
    if (kind === 'relu-copy') {
      const perm = rng.shuffle(Array.from({ length: V.cols }, (_, j) => j)) as number[];
      for (let i = 0; i < V.rows; i++) {
        const j = i < V.cols ? perm[i] : rng.int(V.cols);
        V.data[i * V.cols + j] = 0.5 + rng.uniform();
      }
    } else rng.fillNormal(V.data, 1 / Math.sqrt(V.cols));
    transpose(V, c.Vbar[k - 1]);
  }
  for (let k = 2; k <= L - 1; k++) {
    const VWt = mat(c.V[k].rows, c.W[k].rows);
    matMulTB(c.V[k], c.W[k], VWt); // Vᵏ Wᵏᵀ (d̄ᵏ × dᵏ⁺¹)
    if (k + 1 === L) c.Wbar[k].data.set(VWt.data);
    else matMul(VWt, pinv(c.V[k + 1]), c.Wbar[k]);
  }
  return { circuit, y };
}

/** Worst relative gap ‖ΔW_SAL − (η_W HΔW_sgd − γW)‖/‖η_W HΔW_sgd‖ over layers, and the smallest eigenvalue of the H's. */
export function theorem1Gap(circuit: SalCircuit, y: Float64Array, x: Float64Array, target: Float64Array, B: number): { gap: number; perLayer: number[]; minEigH: number; maxCondH: number } {
  const L = circuit.L;
  const { rates, decay } = circuit.spec;
  const sal = circuit.wUpdate(y, x, target, B).dW;
  const sgd = sgdUpdate(circuit, y, x, target, B);
  const c = circuit.views(y);
  const perLayer: number[] = [];
  let minEigH = Infinity;
  let maxCondH = 1;
  for (let l = 1; l <= L - 1; l++) {
    const H = l <= L - 2 ? learningRateMatrix(c.Vbar[l]) : identity(circuit.d(L));
    if (l <= L - 2) {
      const ev = eigenvalues(H).re;
      minEigH = Math.min(minEigH, ...ev);
      maxCondH = Math.max(maxCondH, Math.max(...ev) / Math.min(...ev));
    }
    const HG = mat(H.rows, sgd[l].cols);
    matMul(H, sgd[l], HG, rates.W);
    let num = 0;
    for (let i = 0; i < HG.data.length; i++) num += (sal[l].data[i] - (HG.data[i] - decay.W * c.W[l].data[i])) ** 2;
    perLayer.push(Math.sqrt(num) / fro(HG.data));
  }
  return { gap: Math.max(...perLayer), perLayer, minEigH, maxCondH };
}

export interface Theorem1Result {
  /** Exact construction, ReLU upstream with copy V (H diagonal PD): worst relative gap. */
  reluCopyGap: number;
  /** Exact construction, linear upstream with dense V (H dense PD). */
  linearDenseGap: number;
  minEigH: number;
  maxCondH: number;
  /** ReLU upstream, dense V, D_d = I: gate transport fails; the gap is O(1). */
  reluDenseGap: number;
  /** Away from stationarity: V̄ and W̄ perturbed by relative size ε. */
  eps: number[];
  gapsVsEps: number[];
  slope: number;
  /** Run to stationarity: W̄ plastic from random (V, V̄ fixed at the Lemma 1 point); gap at saved times. */
  assemblyTs: number[];
  assemblyGaps: number[];
  assemblyRate: number;
  gamma: number;
}

export function theorem1(opts: { quick: boolean; seed: number }): Theorem1Result {
  const sizes = opts.quick ? [6, 8, 7, 5, 3] : [10, 16, 12, 10, 4];
  const B = 12;
  const base = { sizes, ratio: 2, seed: opts.seed, rateW: 0.1, gamma: 0.05 };
  const rng = new Rng(opts.seed + 101);
  const { x, target } = randomBatch(rng, B, sizes[0], sizes[sizes.length - 1], 'cross-entropy');
  const reluCopy = stationaryCircuit('relu-copy', base);
  const g1 = theorem1Gap(reluCopy.circuit, reluCopy.y, x, target, B);
  const linDense = stationaryCircuit('linear-dense', base);
  const g2 = theorem1Gap(linDense.circuit, linDense.y, x, target, B);
  const reluDense = stationaryCircuit('relu-dense', base);
  const g3 = theorem1Gap(reluDense.circuit, reluDense.y, x, target, B);

  // Degradation: perturb V̄ (breaks B) and W̄ (breaks C) by relative size ε.
  const eps = [1e-4, 1e-3, 1e-2, 1e-1];
  const gapsVsEps = eps.map((e) => {
    const y = reluCopy.y.slice();
    const c = reluCopy.circuit.views(y);
    const prng = new Rng(opts.seed + 7);
    for (const m of [...c.Vbar, ...c.Wbar]) {
      if (!m) continue;
      const r = prng.fillNormal(new Float64Array(m.data.length));
      const s = (e * fro(m.data)) / fro(r);
      for (let i = 0; i < r.length; i++) m.data[i] += s * r[i];
    }
    return theorem1Gap(reluCopy.circuit, y, x, target, B).gap;
  });

  // Run to stationarity: the same V, V̄, but W̄ starts random and learns (eq. 7) with W (eq. 5).
  const gamma = 0.05;
  const assembling = new SalCircuit({
    ...configOf(reluCopy.circuit),
    loss: 'mse',
    rates: { W: 0.5, Wbar: 0.5, V: 0, Vbar: 0 },
    plastic: { W: true, Wbar: true, V: false, Vbar: false },
    decay: gamma,
  });
  const y0 = reluCopy.y.slice();
  const c0 = assembling.views(y0);
  const arng = new Rng(opts.seed + 11);
  for (const m of c0.Wbar) if (m) arng.fillNormal(m.data, 1 / Math.sqrt(m.cols));
  const T = 100;
  const assemblyTs = Array.from({ length: 11 }, (_, i) => (i * T) / 10);
  const mse = randomBatch(new Rng(opts.seed + 13), B, sizes[0], sizes[sizes.length - 1], 'mse');
  const sol = solve(odeProblem(assembling.term(fixedBatch(mse.x, mse.target, B)), { layout: assembling.layout }), 'rk4', {
    t0: 0,
    t1: T,
    y0,
    dt0: 0.05,
    saveAt: { ts: assemblyTs },
    throwOnFailure: true,
  });
  const assemblyGaps = sol.ys.map((y) => theorem1Gap(assembling, y, mse.x, mse.target, B).gap);
  return {
    reluCopyGap: g1.gap,
    linearDenseGap: g2.gap,
    minEigH: Math.min(g1.minEigH, g2.minEigH),
    maxCondH: Math.max(g1.maxCondH, g2.maxCondH),
    reluDenseGap: g3.gap,
    eps,
    gapsVsEps,
    slope: logLogSlope(eps, gapsVsEps),
    assemblyTs,
    assemblyGaps,
    assemblyRate: -linearFit(assemblyTs.slice(2), assemblyGaps.slice(2).map(Math.log)).slope,
    gamma,
  };
}

function configOf(c: SalCircuit): SalConfig {
  const s = c.spec;
  return {
    sizes: s.sizes,
    downWidths: s.down.slice(2, s.L),
    upstream: s.upstream,
    downGate: s.downGate,
    loss: s.lossName,
    inter: s.inter,
    feedback: s.feedback,
  };
}

// ------------------------------------------------------------------------------------------------
// Proposition 1

export interface Prop1Run {
  /** Loss at every saved (accepted) step. */
  losses: number[];
  /** Largest increase L(t_{i+1}) − L(t_i) over saved steps (≤ 0 means non-increasing). */
  maxIncrease: number;
  /** ‖∇L‖ at the end relative to the start, and ‖H∇L‖ at the end relative to the start. */
  gradRatio: number;
  precondGradRatio: number;
  steps: number;
}

export interface Prop1Result {
  fullRank: Prop1Run;
  gd: Prop1Run;
  /** PSD but rank-deficient H: still monotone, but may stop where ∇L ≠ 0. */
  rankDeficient: Prop1Run;
  /** With decay γ: the regularised loss L + (γ/2)Σ tr(WᵀH⁻¹W) (footnote 3) along θ̇ = −H∇L − γθ. */
  regularized: Prop1Run;
  /** At GD's end point: ‖H∇L‖ relative to the start (GD's stationary point is the H-flow's). */
  hFieldAtGdEnd: number;
}

/**
 * θ̇ = −H∇L(θ) on the weights of a small deep linear network (MSE, fixed batch), with one PSD matrix
 * Hˡ per layer acting on the left of ∇_{Wˡ}L (the form of Theorem 1). Integrated by dopri5; L is
 * evaluated at every accepted step. A linear upstream keeps L smooth: with ReLU the gradient jumps
 * where a pre-activation crosses 0 and an adaptive solver stalls in the sliding mode there, which
 * says nothing about Proposition 1 (a statement about the exact flow of a differentiable L).
 */
export function proposition1(opts: { quick: boolean; seed: number }): Prop1Result {
  const sizes = opts.quick ? [4, 10, 8, 3] : [6, 16, 12, 4];
  const B = opts.quick ? 10 : 16;
  const T = opts.quick ? 150 : 250;
  const circuit = new SalCircuit({
    sizes,
    loss: 'mse',
    upstream: 'linear',
    downGate: 'identity',
    inter: 'identity',
    feedback: 'tied',
    plastic: { W: true, Wbar: false, V: false, Vbar: false },
    rates: { W: 1 },
    decay: 0,
  });
  const L = circuit.L;
  const rng = new Rng(opts.seed);
  const { x, target } = randomBatch(rng, B, sizes[0], sizes[L - 1], 'mse');
  const y0 = circuit.initState(opts.seed);
  const makeH = (rank: 'full' | 'deficient' | 'identity'): Mat[] => {
    const Hs: Mat[] = [];
    for (let l = 1; l <= L - 1; l++) {
      const d = circuit.d(l + 1);
      if (rank === 'identity') {
        Hs[l] = identity(d);
        continue;
      }
      const r = rank === 'full' ? d : Math.max(1, Math.floor(d / 2));
      const A = mat(d, r);
      rng.fillNormal(A.data, 1 / Math.sqrt(r));
      const H = mat(d, d);
      matMulTB(A, A, H);
      if (rank === 'full') for (let i = 0; i < d; i++) H.data[i * d + i] += 0.2;
      Hs[l] = H;
    }
    return Hs;
  };
  const w = circuit.work(B);
  w.X.data.set(x);
  w.T.set(target);
  const grad = circuit.layout.create(); // −∇L in W blocks
  const lossAndGrad = (y: Float64Array): number => {
    const c = circuit.views(y);
    const loss = circuit.pass(c, w);
    circuit.weightFlow(c, w, circuit.views(grad), 0);
    return loss;
  };
  const regTerm = (y: Float64Array, Hinv: Mat[] | null, gamma: number): number => {
    if (!Hinv) return 0;
    const c = circuit.views(y);
    let s = 0;
    for (let l = 1; l <= L - 1; l++) {
      const HW = mat(Hinv[l].rows, c.W[l].cols);
      matMul(Hinv[l], c.W[l], HW);
      for (let i = 0; i < HW.data.length; i++) s += HW.data[i] * c.W[l].data[i];
    }
    return 0.5 * gamma * s;
  };
  const run = (Hs: Mat[], gamma = 0, start = y0): Prop1Run & { end: Float64Array } => {
    const Hinv = gamma > 0 ? Hs.map((H) => H && inv(H)) : null;
    const term = {
      kind: 'drift' as const,
      dim: circuit.layout.size,
      vf: (_t: number, y: Float64Array, out: Float64Array) => {
        lossAndGrad(y);
        const g = circuit.views(grad);
        const o = circuit.views(out);
        const c = circuit.views(y);
        for (let l = 1; l <= L - 1; l++) {
          matMul(Hs[l], g.W[l], o.W[l]);
          if (gamma > 0) for (let i = 0; i < o.W[l].data.length; i++) o.W[l].data[i] -= gamma * c.W[l].data[i];
        }
      },
    };
    const objective = (y: Float64Array) => lossAndGrad(y) + regTerm(y, Hinv, gamma);
    const sol = solve(odeProblem(term, { layout: circuit.layout }), 'dopri5', {
      t0: 0,
      t1: T,
      y0: start,
      rtol: 1e-10,
      atol: 1e-12,
      saveAt: { steps: 1, fn: (_t, y) => objective(y) },
      maxSteps: 200_000,
      throwOnFailure: true,
    });
    const losses = sol.ys.map((v) => v[0]);
    let maxIncrease = -Infinity;
    for (let i = 1; i < losses.length; i++) maxIncrease = Math.max(maxIncrease, losses[i] - losses[i - 1]);
    const gradNorm = (y: Float64Array) => {
      lossAndGrad(y);
      return fro(grad);
    };
    const hGradNorm = (y: Float64Array) => {
      lossAndGrad(y);
      const g = circuit.views(grad);
      let s = 0;
      for (let l = 1; l <= L - 1; l++) {
        const o = mat(g.W[l].rows, g.W[l].cols);
        matMul(Hs[l], g.W[l], o);
        s += fro(o.data) ** 2;
      }
      return Math.sqrt(s);
    };
    return {
      losses,
      maxIncrease,
      gradRatio: gradNorm(sol.y) / gradNorm(start),
      precondGradRatio: hGradNorm(sol.y) / hGradNorm(start),
      steps: sol.stats.accepted,
      end: sol.y,
    };
  };
  const Hfull = makeH('full');
  const fullRank = run(Hfull);
  const gd = run(makeH('identity'));
  const rankDeficient = run(makeH('deficient'));
  const regularized = run(Hfull, 0.01);
  // H-flow field at GD's end point, relative to its value at the start.
  const field = (y: Float64Array) => {
    lossAndGrad(y);
    const g = circuit.views(grad);
    let s = 0;
    for (let l = 1; l <= L - 1; l++) {
      const o = mat(g.W[l].rows, g.W[l].cols);
      matMul(Hfull[l], g.W[l], o);
      s += fro(o.data) ** 2;
    }
    return Math.sqrt(s);
  };
  const strip = ({ end: _e, ...r }: Prop1Run & { end: Float64Array }): Prop1Run => r;
  return {
    fullRank: strip(fullRank),
    gd: strip(gd),
    rankDeficient: strip(rankDeficient),
    regularized: strip(regularized),
    hFieldAtGdEnd: field(gd.end) / field(y0),
  };
}

// ------------------------------------------------------------------------------------------------
// Leaky fast dynamics → instantaneous circuit

export interface LeakyLimitResult {
  taus: number[];
  /** ‖θ_leaky(T) − θ_inst(T)‖/‖θ_inst(T) − θ(0)‖ per τ. */
  errors: number[];
  /** log-log slope of the error against τ over the three smallest τ. */
  slope: number;
}

/** All-plastic SAL on a fixed batch: the leaky circuit (τ_u = τ_d = τ) against the instantaneous one, both rk4. */
export function leakyLimit(opts: { quick: boolean; seed: number }): LeakyLimitResult {
  const sizes = opts.quick ? [5, 8, 6, 3] : [8, 16, 12, 4];
  const circuit = new SalCircuit({ sizes, downWidths: opts.quick ? [12, 9] : [24, 18], loss: 'mse', rates: { W: 0.2, Wbar: 0.2, V: 0.1, Vbar: 0.1 }, decay: 0.05 });
  const rng = new Rng(opts.seed);
  const B = 8;
  const { x, target } = randomBatch(rng, B, sizes[0], sizes[sizes.length - 1], 'mse');
  const y0 = circuit.initState(opts.seed + 3);
  const T = 2;
  const taus = opts.quick ? [0.04, 0.02, 0.01] : [0.04, 0.02, 0.01, 0.005];
  const dtRef = 0.0025;
  const inst = solve(odeProblem(circuit.term(fixedBatch(x, target, B)), { layout: circuit.layout }), 'rk4', { t0: 0, t1: T, y0, dt0: dtRef, throwOnFailure: true }).y;
  const moved = diffNorm(inst, y0);
  const errors = taus.map((tau) => {
    const leaky = leakyCircuit(circuit, x, target, B, { tauUp: tau, tauDown: tau });
    const sol = solve(odeProblem(leaky.term, { layout: leaky.layout }), 'rk4', { t0: 0, t1: T, y0: leaky.initial(y0), dt0: Math.min(dtRef, tau / 4), throwOnFailure: true });
    return diffNorm(leaky.weights(sol.y), inst) / moved;
  });
  // Slope over the three smallest τ (the asymptotic range; larger τ are pre-asymptotic).
  return { taus, errors, slope: logLogSlope(taus.slice(-3), errors.slice(-3)) };
}
