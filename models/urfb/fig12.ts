/**
 * Fig. 12 of Amit (Section 5.1): BP against FRFB/URFB with ε ∈ {0, 0.25, 0.5, 1} on a linear
 * 40-100-100-10 network, X = I_40, teacher T = A_3A_2A_1 with iid N(0, 2²) entries (no
 * normalisation), BP from random W(0), the feedback algorithms from W(0) = 0 and random R(0),
 * 3 runs, 1000 iterations; the error on a log scale and the correlation of W_l with R_lᵀ per layer.
 *
 * Choices where the paper is silent (each is an option):
 * - R(0) and BP's W(0) entries are iid N(0, 1) (`--r0-sd`, `--w0-sd`). All ε share one R(0) per seed.
 * - The error is reported raw, tr(EᵀE), and relative, tr(EᵀE)/tr(TᵀT) (the relative one is drawn and
 *   tabulated).
 * - The step. Measured with `creditflow reproduce fig12-step` (step.ts: bisection on η for 1000
 *   Euler iterations that stay finite and end below the starting error), default seeds: with the
 *   paper's teacher (sd 2, ‖T‖₂ ≈ 7200-7900) the largest stable c = η·‖T‖₂ is 0.021-0.022 for URFB
 *   (ε = 1), 0.027-0.029 for ε = 0.5, 0.030-0.037 for ε = 0.25, 0.037-0.044 for FRFB and ≈ 0.039
 *   for BP; with teacher sd 1 (‖T‖₂ 8x smaller, ≈ 900-980) URFB's limit is still c = 0.021-0.026
 *   (FRFB 0.028-0.032, BP 0.056-0.062, whose random W(0) is then relatively larger). The stable
 *   step therefore scales as 1/‖T‖₂, and the default is η = c/‖T‖₂ with c = 0.003
 *   (`--step-scale`), 7x inside the smallest limit: for the default seeds η ≈ 4.2e-7, 3.8e-7,
 *   4.1e-7, every algorithm falls below 1e-6 relative error within 360 iterations and ends below
 *   1e-16 at iteration 1000. `--eta` fixes η directly.
 * - Seeds: seed s draws T, then R(0), then BP's W(0) from independent forks of `new Rng(s)`.
 * - Layer 1's R never acts on the error signal but is updated by the same Hebbian rule (dR_1 = ε dW_1ᵀ);
 *   its correlation is drawn like the others.
 */
import * as fs from 'node:fs';
import { Rng } from '../../src/core/random';
import { svd } from '../../src/linalg/decomp';
import { matMul } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { initialState, LinearFlow, randomMatrix, teacherData, checkDims, checkEpsilon } from './linear';
import { iterate, iterationsTo, type Trajectory } from './iterate';

export interface Fig12Input {
  /** Where it came from (for messages). */
  source: string;
  dims?: number[];
  T: Mat;
  R0?: Mat[];
  W0?: Mat[];
}

export interface Fig12Settings {
  dims: number[];
  seeds: number[];
  epsilons: number[];
  /** Include back-propagation. */
  bp: boolean;
  steps: number;
  /** Fixed step; when absent η = stepScale/‖T‖₂ per seed. */
  eta?: number;
  stepScale: number;
  /**
   * The integrator (iterate.ts): 'euler' with step 1 is the paper's iteration. Time is counted in
   * iterations of η, so `dt0` is in iterations (default 1) and the run spans t ∈ [0, steps].
   */
  solver: string;
  dt0?: number;
  rtol?: number;
  atol?: number;
  teacherSd: number;
  r0Sd: number;
  w0Sd: number;
  input?: Fig12Input;
}

export const fig12Defaults: Fig12Settings = {
  dims: [40, 100, 100, 10],
  seeds: [1, 2, 3],
  epsilons: [0, 0.25, 0.5, 1],
  bp: true,
  steps: 1000,
  stepScale: 0.003,
  solver: 'euler',
  teacherSd: 2,
  r0Sd: 1,
  w0Sd: 1,
};

export interface Fig12Run {
  seed: number;
  /** 'BP' or 'ε=0.25' etc. */
  algorithm: string;
  epsilon: number | null;
  eta: number;
  normT: number;
  status: Trajectory['status'];
  message: string;
  error: Float64Array;
  relError: Float64Array;
  correlation: Float64Array[];
  itersTo1e3: number;
  itersTo1e6: number;
  finalRelError: number;
  finalCorrelation: number[];
}

export interface Fig12Result {
  settings: Fig12Settings;
  runs: Fig12Run[];
}

export function algorithmLabel(epsilon: number | null): string {
  return epsilon === null ? 'BP' : `ε=${epsilon}`;
}

/** Resolve the network widths from the input file (dims, or the shapes of R0/W0) or the option. */
export function resolveDims(s: Fig12Settings): number[] {
  const inp = s.input;
  if (!inp) return s.dims;
  if (inp.dims) return inp.dims;
  const mats = inp.R0 ?? inp.W0;
  if (mats) {
    // R_i is n_{i−1} x n_i; W_i is n_i x n_{i−1}.
    const dims = inp.R0 ? [inp.R0[0].rows, ...inp.R0.map((r) => r.cols)] : [inp.W0![0].cols, ...inp.W0!.map((w) => w.rows)];
    return dims;
  }
  return s.dims;
}

function checkShape(what: string, A: Mat, rows: number, cols: number, dims: number[], source: string): void {
  if (A.rows !== rows || A.cols !== cols) {
    throw new Error(`${what} in ${source} is ${A.rows}x${A.cols} but dims [${dims.join(', ')}] need ${rows}x${cols}`);
  }
}

/** Validate settings (and the input file's shapes) before any work starts. */
export function validateFig12(s: Fig12Settings): number[] {
  const dims = resolveDims(s);
  checkDims(dims);
  const k = dims.length - 1;
  if (s.epsilons.length === 0 && !s.bp) throw new Error('nothing to run: give at least one ε (--epsilons) or keep BP');
  for (const e of s.epsilons) checkEpsilon(e);
  if (s.seeds.length === 0) throw new Error('give at least one seed (--seeds)');
  if (!(Number.isInteger(s.steps) && s.steps >= 1)) throw new Error(`steps must be an integer >= 1 (got ${s.steps})`);
  if (s.eta === undefined && !s.input && s.teacherSd === 0) throw new Error('--teacher-sd 0 makes the teacher T = 0, so the default step η = c/‖T‖₂ is infinite; give --teacher-sd > 0 or an explicit --eta');
  if (s.eta !== undefined && !(s.eta > 0 && Number.isFinite(s.eta))) throw new Error(`--eta must be a finite number > 0 (got ${s.eta})`);
  if (!(s.stepScale > 0 && Number.isFinite(s.stepScale))) throw new Error(`--step-scale must be a finite number > 0 (got ${s.stepScale})`);
  for (const [name, v] of [['teacher-sd', s.teacherSd], ['r0-sd', s.r0Sd], ['w0-sd', s.w0Sd]] as const) {
    if (!(v >= 0 && Number.isFinite(v))) throw new Error(`--${name} must be a finite number >= 0 (got ${v})`);
  }
  const inp = s.input;
  if (inp) {
    checkShape('T', inp.T, dims[k], dims[0], dims, inp.source);
    for (const [name, list, shape] of [
      ['R0', inp.R0, (i: number) => [dims[i - 1], dims[i]]],
      ['W0', inp.W0, (i: number) => [dims[i], dims[i - 1]]],
    ] as const) {
      if (!list) continue;
      if (list.length !== k) throw new Error(`${name} in ${inp.source} lists ${list.length} matrices but dims [${dims.join(', ')}] have k = ${k} layers`);
      list.forEach((A, j) => {
        const [r, c] = shape(j + 1);
        checkShape(`${name}[${j}] (layer ${j + 1})`, A, r, c, dims, inp.source);
      });
    }
  }
  return dims;
}

/** The teacher T = A_k⋯A_1 with A_i ∈ ℝ^{n_i × n_{i−1}} iid N(0, sd²). */
export function teacherMap(dims: readonly number[], sd: number, rng: Rng): Mat {
  let T = randomMatrix(dims[1], dims[0], sd, rng);
  for (let i = 2; i < dims.length; i++) {
    const A = randomMatrix(dims[i], dims[i - 1], sd, rng);
    const next = mat(dims[i], dims[0]);
    matMul(A, T, next);
    T = next;
  }
  return T;
}

/** The initial conditions of one seed: T, R(0) (shared by every ε) and BP's W(0). */
export function seedSetup(s: Fig12Settings, dims: number[], seed: number): { T: Mat; R0: Mat[]; W0: Mat[] } {
  const rng = new Rng(seed);
  const teacherRng = rng.fork(1);
  const feedbackRng = rng.fork(2);
  const bpRng = rng.fork(3);
  const k = dims.length - 1;
  const T = s.input?.T ?? teacherMap(dims, s.teacherSd, teacherRng);
  const R0 = s.input?.R0 ?? Array.from({ length: k }, (_, j) => randomMatrix(dims[j], dims[j + 1], s.r0Sd, feedbackRng));
  const W0 = s.input?.W0 ?? Array.from({ length: k }, (_, j) => randomMatrix(dims[j + 1], dims[j], s.w0Sd, bpRng));
  return { T, R0, W0 };
}

export function spectralNorm(T: Mat): number {
  return svd(T).s[0];
}

/**
 * What a Fig. 12 sweep holds and writes, from its size: each run keeps its error, relative error
 * and k correlation series of steps + 1 values, and the report turns them into JSON arrays and CSV
 * rows. Measured (reproduce fig12, 15 runs, k = 3, peak resident memory at 20,000 and 80,000 steps):
 * about 1.5 kB per step and run on top of ~150 MB, i.e. ~290 bytes per saved value; the JSON text
 * is ~22 characters per value. Used to refuse a run that cannot fit before it allocates.
 */
export function fig12Footprint(settings: Fig12Settings): { bytes: number; chars: number; stateBytes: number } {
  const dims = resolveDims(settings);
  const k = dims.length - 1;
  const runs = fig12Plan(settings).length;
  const values = runs * (settings.steps + 1) * (2 + k);
  // The state of a run: W and R (or BP's W), their derivatives and the flow's scratch (~8 matrices of
  // the layers' sizes), X = I and T; every run may be live at once (one per worker).
  let weights = 0;
  for (let i = 0; i < k; i++) weights += dims[i] * dims[i + 1];
  const stateBytes = runs * 8 * (8 * weights + dims[0] * dims[0] + dims[k] * dims[0]);
  return { bytes: 2e8 + 300 * values + stateBytes, chars: 22 * values, stateBytes };
}

/** The runs of a Fig. 12 sweep in output order: every algorithm (BP = null, then each ε) for every seed. */
export function fig12Plan(settings: Fig12Settings): { seed: number; epsilon: number | null }[] {
  // With T, R(0) and W(0) all given, every seed would repeat the same run: do it once.
  const inp = settings.input;
  const seeds = inp && inp.R0 && inp.W0 ? settings.seeds.slice(0, 1) : settings.seeds;
  const algorithms: (number | null)[] = [...(settings.bp ? [null] : []), ...settings.epsilons];
  return seeds.flatMap((seed) => algorithms.map((epsilon) => ({ seed, epsilon })));
}

/**
 * One algorithm for one seed: a pure function of its arguments (also a sweep task). `onIteration`
 * is called once per completed iteration (for a progress bar).
 */
export function fig12Run(args: { settings: Fig12Settings; seed: number; epsilon: number | null }, onIteration?: () => void): Fig12Run {
  const { settings, seed, epsilon } = args;
  const dims = resolveDims(settings);
  const k = dims.length - 1;
  const { T, R0, W0 } = seedSetup(settings, dims, seed);
  const data = teacherData(T);
  const normT = spectralNorm(T);
  const eta = settings.eta ?? settings.stepScale / normT;
  const flow = new LinearFlow({ dims, algorithm: epsilon === null ? 'bp' : 'feedback', epsilon: epsilon ?? 1 }, data);
  const y0 = epsilon === null ? initialState(flow, W0, null) : initialState(flow, null, R0);
  const traj = iterate(flow, y0, eta, settings.steps, { solver: settings.solver, dt0: settings.dt0, rtol: settings.rtol, atol: settings.atol }, onIteration);
  const relError = traj.error.map((e) => e / data.trYY);
  const last = traj.completed;
  return {
    seed,
    algorithm: algorithmLabel(epsilon),
    epsilon,
    eta,
    normT,
    status: traj.status,
    message: traj.message,
    error: traj.error,
    relError,
    correlation: traj.correlation,
    itersTo1e3: iterationsTo(relError, 1e-3),
    itersTo1e6: iterationsTo(relError, 1e-6),
    finalRelError: relError[last],
    finalCorrelation: Array.from({ length: k }, (_, i) => traj.correlation[i][last]),
  };
}

/** Run every algorithm for every seed, in this thread (`reproduce fig12` runs the same runs on worker threads). */
export function runFig12(settings: Fig12Settings, onIteration?: () => void): Fig12Result {
  validateFig12(settings);
  return { settings, runs: fig12Plan(settings).map((run) => fig12Run({ settings, ...run }, onIteration)) };
}

// ---------------------------------------------------------------------------------------------
// input file

function toMat(value: unknown, what: string, source: string): Mat {
  if (!Array.isArray(value) || value.length === 0 || !value.every((r) => Array.isArray(r))) {
    throw new Error(`${what} in ${source} must be a non-empty array of rows (numbers[][])`);
  }
  const rows = value as unknown[][];
  const cols = rows[0].length;
  const A = mat(rows.length, cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`${what} in ${source}: row ${i} has ${r.length} entries but row 0 has ${cols}; rows must have equal length`);
    r.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what} in ${source}: entry [${i}][${j}] is ${JSON.stringify(v)}; entries must be finite numbers`);
      A.data[i * cols + j] = v;
    });
  });
  return A;
}

/**
 * Parse the explicit-initial-condition file: { "T": [[...]], "R0": [R1, ..., Rk], "W0": [W1, ..., Wk],
 * "dims": [n0, ..., nk] } with every matrix as an array of rows; only T is required. R_i is
 * n_{i−1} x n_i, W_i is n_i x n_{i−1}, T is n_k x n_0.
 */
export function parseFig12Input(text: string, source: string): Fig12Input {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${source} must hold a JSON object with at least "T"`);
  const o = raw as Record<string, unknown>;
  const known = ['T', 'R0', 'W0', 'dims'];
  const unknown = Object.keys(o).filter((key) => !known.includes(key));
  if (unknown.length) throw new Error(`${source} has unknown field(s) ${unknown.join(', ')}; allowed: ${known.join(', ')}`);
  if (o.T === undefined) throw new Error(`${source} has no "T" (the n_k x n_0 target map)`);
  const list = (name: string): Mat[] | undefined => {
    const v = o[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0) throw new Error(`${name} in ${source} must be a non-empty list of matrices, one per layer`);
    return v.map((m, i) => toMat(m, `${name}[${i}]`, source));
  };
  let dims: number[] | undefined;
  if (o.dims !== undefined) {
    if (!Array.isArray(o.dims) || !o.dims.every((d) => Number.isInteger(d) && d >= 1)) throw new Error(`dims in ${source} must be a list of integers >= 1`);
    dims = o.dims as number[];
  }
  return { source, dims, T: toMat(o.T, 'T', source), R0: list('R0'), W0: list('W0') };
}

export function readFig12Input(file: string): Fig12Input {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`cannot read --input file '${file}'; give the path of a JSON file with "T" (and optionally "R0", "W0")`);
  }
  return parseFig12Input(text, file);
}
