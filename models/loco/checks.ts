/**
 * Measurements behind the LOCO checks, shared by `creditflow verify` and test/loco.
 *
 * - `measureNpUnbiased` (A.1, eqs. 10-14): on a small ReLU network and a fixed batch, the mean of N
 *   independent NP estimates against the BP gradient; cosine → 1, and the relative error of the
 *   mean falls like N^(−1/2) (RMS over independent replicates, log-log slope).
 * - `measureVarianceLemma` (A.16, Lemma 1): a constructed case with known r and o. Inputs are
 *   isotropic in an r-dimensional subspace S of R^n, the LOCO projector is built by eqs. (4)-(6)
 *   from the batch's principal directions (which span S) and preserved directions A of which o lie
 *   in S (the others outside S), so P projects onto an (r − o)-dimensional part of S. A single
 *   linear layer (the lemma's unit set of parameters) starts at W = 0 with targets independent of
 *   the inputs; then E‖ĝ^LOCO‖² / E‖ĝ^NP‖² = E‖Px‖²/E‖x‖² = (r − o)/r exactly, which is the
 *   lemma's ratio (r − o)·E‖∇ℓ‖² / (r·E‖∇ℓ‖²).
 * - `measureCrossClassCosine` (Fig. S1A): a ReLU network on MNIST, class-pure batches; the update
 *   of the first layer accumulated over batches of digit 0 against those of digits 1-8, cosine
 *   similarity for NP and LOCO at the same weights, batches and perturbations.
 */
import { logLogSlope } from '../../src/analysis/fit';
import { Rng } from '../../src/core/random';
import { mnistSplit, oneHot } from '../../src/data/mnist';
import type { CheckResult, TheoremCheck } from '../../src/registry';
import { AnnNet } from './nets';
import { applyBasis, locoBasis } from './projector';
import { drawPerturbation, estimateFromPass, PerturbationLearner, type InputMap } from './rules';
import { principalDirections, gramSchmidt } from './linalg';
import { cosine } from '../../src/analysis/similarity';

function flatten(gW: { data: Float64Array }[], gb: Float64Array[], bias: boolean): Float64Array {
  const parts = bias ? [...gW.map((g) => g.data), ...gb] : gW.map((g) => g.data);
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return cosine(a, b, 0);
}

export interface UnbiasedResult {
  Ns: number[];
  /** RMS over replicates of ‖mean_N − g_BP‖ / ‖g_BP‖. */
  errors: number[];
  /** Mean over replicates of cos(mean_N, g_BP). */
  cosines: number[];
  slope: number;
  params: number;
  replicates: number;
  sigma: number;
}

export function measureNpUnbiased(quick: boolean, seed: number): UnbiasedResult {
  const rng = new Rng(seed);
  const sizes = [4, 8, 3];
  const B = 8;
  const net = AnnNet.init(sizes, rng);
  for (const b of net.b) rng.fillNormal(b, 0.1);
  const x = rng.fillNormal(new Float64Array(B * sizes[0]));
  const target = rng.fillNormal(new Float64Array(B * sizes[2]));
  const bp = net.gradient(x, target, B);
  const g = flatten(bp.gW, bp.gb, true);
  const gNorm = Math.hypot(...g);
  const pass = net.forward(x, B);
  const sigma = 1e-4;
  const Nmax = quick ? 4096 : 16384;
  const replicates = quick ? 8 : 12;
  const Ns: number[] = [];
  for (let N = 16; N <= Nmax; N *= 4) Ns.push(N);
  const sq = new Array(Ns.length).fill(0);
  const cos = new Array(Ns.length).fill(0);
  const sum = new Float64Array(g.length);
  for (let r = 0; r < replicates; r++) {
    const prng = new Rng(seed * 1000 + r + 1);
    sum.fill(0);
    let next = 0;
    for (let N = 1; N <= Nmax; N++) {
      const e = estimateFromPass(net, pass, target, drawPerturbation(net, B, sigma, prng));
      const f = flatten(e.gW, e.gb, true);
      for (let i = 0; i < f.length; i++) sum[i] += f[i];
      if (N === Ns[next]) {
        let err = 0;
        const mean = sum.map((s) => s / N);
        for (let i = 0; i < g.length; i++) err += (mean[i] - g[i]) ** 2;
        sq[next] += err / (gNorm * gNorm);
        cos[next] += cosineSimilarity(mean, g);
        next++;
      }
    }
  }
  const errors = sq.map((s) => Math.sqrt(s / replicates));
  return { Ns, errors, cosines: cos.map((c) => c / replicates), slope: logLogSlope(Ns, errors), params: g.length, replicates, sigma };
}

export interface VarianceCase {
  n: number;
  r: number;
  o: number;
}

export interface VarianceResult extends VarianceCase {
  predicted: number;
  measured: number;
  /** Mean ‖ĝ‖² of both rules and the rank of P found by eqs. (4)-(6). */
  npSecondMoment: number;
  locoSecondMoment: number;
  rankP: number;
  batches: number;
  draws: number;
}

/** Orthonormal rows: a random orthonormal basis of R^n (first r rows span S). */
function randomBasis(n: number, rng: Rng): Float64Array {
  const V = rng.fillNormal(new Float64Array(n * n));
  const r = gramSchmidt(V, n, n, 1e-10);
  if (r !== n) throw new Error('random basis is degenerate');
  return V;
}

export function measureVarianceLemma(c: VarianceCase, quick: boolean, seed: number): VarianceResult {
  const { n, r, o } = c;
  if (!(o >= 0 && o < r && r <= n - 2)) throw new Error(`variance case needs 0 <= o < r <= n − 2 (got n = ${n}, r = ${r}, o = ${o})`);
  const rng = new Rng(seed);
  const m = 4;
  const B = 2 * r;
  const basis = randomBasis(n, rng);
  // A: o directions inside S (mixtures of S's basis) and 2 outside S.
  const s = o + 2;
  const A = new Float64Array(s * n);
  for (let i = 0; i < o; i++) {
    const a = rng.fillNormal(new Float64Array(r));
    for (let q = 0; q < r; q++) for (let j = 0; j < n; j++) A[i * n + j] += a[q] * basis[q * n + j];
  }
  for (let i = o; i < s; i++) A.set(basis.subarray((r + i - o) * n, (r + i - o + 1) * n), i * n);
  const net = AnnNet.init([n, m], rng, false);
  net.W[0].data.fill(0);
  const sigma = 1e-4;
  const batches = quick ? 60 : 300;
  const draws = 20;
  let np = 0;
  let loco = 0;
  let rankP = 0;
  const Z = new Float64Array(r * n);
  const Q = new Float64Array(r * n);
  for (let t = 0; t < batches; t++) {
    const x = new Float64Array(B * n);
    for (let b = 0; b < B; b++) {
      const a = rng.fillNormal(new Float64Array(r));
      for (let q = 0; q < r; q++) for (let j = 0; j < n; j++) x[b * n + j] += a[q] * basis[q * n + j];
    }
    const target = rng.fillNormal(new Float64Array(B * m));
    const rows = Array.from({ length: B }, (_, b) => b);
    const q = principalDirections(x, n, rows, r, Z);
    rankP = locoBasis(Z, q, A, s, n, Q);
    const map: InputMap = (_l, X, _B, _g, out) => applyBasis(Q, rankP, n, X, rows, out);
    const pass = net.forward(x, B);
    for (let k = 0; k < draws; k++) {
      const pert = drawPerturbation(net, B, sigma, rng);
      const gNp = estimateFromPass(net, pass, target, pert);
      const gLoco = estimateFromPass(net, pass, target, pert, map);
      for (const v of gNp.gW[0].data) np += v * v;
      for (const v of gLoco.gW[0].data) loco += v * v;
    }
  }
  const total = batches * draws;
  return {
    ...c,
    predicted: (r - o) / r,
    measured: loco / np,
    npSecondMoment: np / total,
    locoSecondMoment: loco / total,
    rankP,
    batches,
    draws,
  };
}

export const VARIANCE_CASES: VarianceCase[] = [
  { n: 64, r: 16, o: 4 },
  { n: 64, r: 16, o: 12 },
];

export interface CrossClassResult {
  /** cos(ΔW_digit0, ΔW_digit c) for c = 1..8, per rule. */
  np: number[];
  loco: number[];
  npMeanAbs: number;
  locoMeanAbs: number;
  hidden: number;
  batchesPerClass: number;
}

/** Class-pure batches of size B from a dataset, digit by digit. */
function classBatch(x: Float64Array, y: Int32Array, d: number, cls: number, B: number, rng: Rng): Float64Array {
  const idx: number[] = [];
  for (let i = 0; i < y.length; i++) if (y[i] === cls) idx.push(i);
  const out = new Float64Array(B * d);
  for (let b = 0; b < B; b++) {
    const i = idx[rng.int(idx.length)];
    out.set(x.subarray(i * d, (i + 1) * d), b * d);
  }
  return out;
}

export function measureCrossClassCosine(quick: boolean, seed: number): CrossClassResult {
  const split = mnistSplit(0);
  const { x, y, d } = split.train;
  const hidden = quick ? 64 : 128;
  const B = 32;
  const batchesPerClass = quick ? 6 : 16;
  const warmRounds = 5;
  const net = AnnNet.init([d, hidden, 10], new Rng(seed));
  const learners = {
    np: new PerturbationLearner(net, { rule: 'np', sigma: 1e-2, eta: 0 }, seed),
    loco: new PerturbationLearner(net, { rule: 'loco', sigma: 1e-2, eta: 0, loco: { k: 10, clusters: 10, buffer: 50 } }, seed),
  };
  const res: Record<'np' | 'loco', number[]> = { np: [], loco: [] };
  for (const rule of ['np', 'loco'] as const) {
    const learner = learners[rule];
    const drng = new Rng(seed + 17);
    const prng = new Rng(seed + 29);
    // fill LOCO's direction buffer with every digit (no weight change: η = 0)
    for (let w = 0; w < warmRounds; w++) {
      for (let c = 0; c < 10; c++) {
        const xb = classBatch(x, y, d, c, B, drng);
        learner.estimate(xb, oneHot(new Int32Array(B).fill(c), 10), B);
      }
    }
    const updates: Float64Array[] = [];
    for (let c = 0; c <= 8; c++) {
      const acc = new Float64Array(hidden * d);
      for (let k = 0; k < batchesPerClass; k++) {
        const xb = classBatch(x, y, d, c, B, drng);
        const tb = oneHot(new Int32Array(B).fill(c), 10);
        const pass = net.forward(xb, B);
        const e = estimateFromPass(net, pass, tb, drawPerturbation(net, B, learner.opts.sigma, prng), learner.map);
        const g = e.gW[0].data;
        for (let i = 0; i < g.length; i++) acc[i] += g[i];
      }
      updates.push(acc);
    }
    for (let c = 1; c <= 8; c++) res[rule].push(cosineSimilarity(updates[0], updates[c]));
  }
  const meanAbs = (v: number[]) => v.reduce((s, a) => s + Math.abs(a), 0) / v.length;
  return { np: res.np, loco: res.loco, npMeanAbs: meanAbs(res.np), locoMeanAbs: meanAbs(res.loco), hidden, batchesPerClass };
}

const f3 = (v: number) => v.toFixed(3);

export const locoChecks: TheoremCheck[] = [
  {
    id: 'loco.np-unbiased',
    paper: 'LOCO (A.1, eqs. 10-14)',
    claim: 'node perturbation is unbiased: the mean of N NP estimates → the BP gradient (4-8-3 ReLU net), error ∝ N^(−1/2)',
    run({ quick, seed }): CheckResult {
      const r = measureNpUnbiased(quick, seed);
      const cos = r.cosines[r.cosines.length - 1];
      return {
        measured: `cos ${cos.toFixed(4)} at N = ${r.Ns[r.Ns.length - 1]}, slope ${f3(r.slope)}`,
        bound: 'cos > 0.99, slope ∈ [−0.6, −0.4]',
        pass: cos > 0.99 && r.slope >= -0.6 && r.slope <= -0.4,
        details: r,
      };
    },
  },
  {
    id: 'loco.variance',
    paper: 'LOCO (A.16, Lemma 1)',
    claim: 'E‖g_LOCO‖² / E‖g_NP‖² = (r − o)/r < 1 (constructed inputs in an r-dim subspace, o of its dims preserved)',
    run({ quick, seed }): CheckResult {
      const rows = VARIANCE_CASES.map((c) => measureVarianceLemma(c, quick, seed));
      const worst = Math.max(...rows.map((r) => Math.abs(r.measured / r.predicted - 1)));
      return {
        measured: rows.map((r) => `r=${r.r},o=${r.o}: ${f3(r.measured)} vs ${f3(r.predicted)}`).join('; '),
        bound: 'within 5% of (r − o)/r',
        pass: worst <= 0.05 && rows.every((r) => r.measured < 1),
        details: rows,
      };
    },
  },
  {
    id: 'loco.orthogonality',
    paper: 'LOCO (Fig. S1A)',
    claim: 'LOCO updates for digit 0 are closer to orthogonal to those for digits 1-8 than NP updates (MNIST, first layer)',
    run({ quick, seed }): CheckResult {
      const r = measureCrossClassCosine(quick, seed);
      return {
        measured: `mean |cos| NP ${f3(r.npMeanAbs)}, LOCO ${f3(r.locoMeanAbs)}`,
        bound: 'LOCO < 0.5 × NP',
        pass: r.locoMeanAbs < 0.5 * r.npMeanAbs,
        details: r,
      };
    },
  },
];
