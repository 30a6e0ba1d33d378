/**
 * A feedforward network of LIF layers (LOCO paper, A.5-A.8):
 *
 *   layer 0 (coding):  τ_m dV⁰/dt = −(V⁰ − V_rest) + gain·x                       (A.7)
 *   layer l ≥ 1:       τ_m dVˡ/dt = −(Vˡ − V_rest) + bˡ + σξˡ + I_syn,ˡ(t)
 *                      I_syn,ˡ(t) = Wˡ sˡ⁻¹(t)                                       (eq. 25)
 *
 * with a spike when V reaches V_th and a reset (eq. 26). The output is the firing rate of the last
 * layer over the window (A.8). `σξˡ` is the node perturbation of eq. (8): a constant current, the
 * same at every step of the window ("the perturbation introduced in each layer during each
 * propagation is identical", A.1).
 *
 * Spikes as currents. sˡ⁻¹(t) = Σ_k δ(t − t_k) is a spike train, so a presynaptic spike at t_k
 * makes the postsynaptic membrane jump by w/τ_m at t_k (by w with `decayInput: false`). With the
 * step dt = 1 this is exactly
 * spikingjelly's LIFNode with decay_input, which the paper used: H = V + (X − (V − V_reset))/τ with
 * X = W s. The bias bˡ (spikingjelly's nn.Linear has one; the paper is silent) and the perturbation
 * are constant currents; the average current of a synapse is then w·r with r the presynaptic rate
 * in spikes per ms, the "x_{l−1}" of the learning rules.
 *
 * Two integrators of the same equations:
 * - `simulateClock`: clock-driven, one Euler step per dt, as spikingjelly. Each step: integrate
 *   (leak, constant currents, the presynaptic spikes of this same step), threshold, reset. A neuron
 *   spikes at most once per step. Batched; synaptic input by sparse accumulation of the spiking
 *   neurons' weight columns, or a dense product (kernels) when many neurons spike.
 * - `simulateEvents`: event-located, through the core's `solve` with vector-valued events (one
 *   component per neuron): crossings are located within the step, the handler resets the neuron,
 *   delivers the jumps w/τ_m to the next layer and fires (at the same instant) any neuron those
 *   jumps lift over threshold. The refractory period ends by an event too, so the flow restarts at
 *   the exact time. As dt → 0 the clock-driven spike times converge to these (test/lif).
 */
import '../../solvers/index'; // registers the built-in solvers by name
import { Rng } from '../../src/core/random';
import { solve } from '../../src/core/solve';
import { defineState, vector } from '../../src/core/state';
import { drift, odeProblem } from '../../src/core/terms';
import type { EventSpec } from '../../src/core/solve';
import { matMulTB, transpose } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { directCurrent } from './coding';
import { checkClockStep, lifParams, type LifParams } from './params';

export type SynapseEngine = 'auto' | 'sparse' | 'dense';

export interface SnnSpec {
  /** Widths [n_0 (coding layer = input size), n_1, ..., n_L]. */
  readonly sizes: readonly number[];
  readonly lif: LifParams;
  /** Step (ms) of the clock-driven mode; the window is steps·dt ms. */
  readonly dt: number;
  /** T, the number of steps of the window. */
  readonly steps: number;
  /** Direct coding gain: the coding layer receives the current gain·x. */
  readonly inputGain: number;
  /** A constant bias current per neuron of layers 1..L. */
  readonly bias: boolean;
  /**
   * spikingjelly's decay_input for the synaptic spikes: true (LIFNode's default, the paper's
   * eq. 25-26) makes a presynaptic spike lift the membrane by w/τ_m, so the mean synaptic current is
   * w·r with r in spikes per ms; false makes it lift the membrane by w, so the mean current is
   * w·(r τ_m), with the dimensionless rate r τ_m (spikes per membrane time constant). The second
   * keeps weights and rates O(1) when dt ≪ τ_m. Constant currents (coding, bias, perturbation)
   * are currents in both cases.
   */
  readonly decayInput: boolean;
  /** How the clock-driven mode computes W s: sparse accumulation, dense product, or by spike density. */
  readonly synapse: SynapseEngine;
  /**
   * Membrane noise σ_n of layers 1..L (clock-driven mode only; 0 = none, the paper's setting):
   * τ_m dV = (…) dt + σ_n √τ_m dW, so a free membrane fluctuates with std σ_n/√2. A step adds
   * σ_n √(dt/τ_m) N(0, 1). The draws are seeded per batch and identical in the clean and the
   * perturbed run, so the TD error measures the perturbation alone.
   */
  readonly noise: number;
}

export interface SnnParams {
  /** W[l−1] is Wˡ, of shape n_l x n_{l−1}. */
  W: Mat[];
  /** b[l−1] is bˡ (zeros and unused when the spec has no bias). */
  b: Float64Array[];
}

/** A perturbation of eq. (8): xi[l−1] is ξˡ (batch x n_l), scaled by sigma. */
export interface Perturbation {
  sigma: number;
  xi: Float64Array[];
}

export function snnSpec(s: Partial<SnnSpec> & { sizes: readonly number[] }): SnnSpec {
  const spec: SnnSpec = {
    lif: lifParams(s.lif),
    dt: 1,
    steps: 20,
    inputGain: 2,
    bias: true,
    decayInput: true,
    synapse: 'auto',
    noise: 0,
    ...s,
  };
  if (spec.sizes.length < 2) throw new Error(`a spiking network needs at least a coding layer and an output layer (sizes [${spec.sizes.join(', ')}])`);
  spec.sizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) throw new Error(`layer width sizes[${i}] = ${n}; every width must be an integer >= 1`);
  });
  checkClockStep(spec.dt, spec.lif);
  if (!Number.isInteger(spec.steps) || spec.steps < 1) throw new Error(`steps (the window T) must be an integer >= 1 (got ${spec.steps})`);
  if (!Number.isFinite(spec.inputGain)) throw new Error(`inputGain must be finite (got ${spec.inputGain})`);
  if (!['auto', 'sparse', 'dense'].includes(spec.synapse)) throw new Error(`synapse must be 'auto', 'sparse' or 'dense' (got '${spec.synapse}')`);
  if (!(Number.isFinite(spec.noise) && spec.noise >= 0)) throw new Error(`membrane noise must be a finite number >= 0 (got ${spec.noise})`);
  return spec;
}

/** Weights N(0, gain²/fan_in), biases `biasInit`. */
export function initSnn(spec: SnnSpec, rng: Rng, gain = 2, biasInit = 0): SnnParams {
  const W: Mat[] = [];
  const b: Float64Array[] = [];
  for (let l = 1; l < spec.sizes.length; l++) {
    const w = mat(spec.sizes[l], spec.sizes[l - 1]);
    rng.fillNormal(w.data, gain / Math.sqrt(spec.sizes[l - 1]));
    W.push(w);
    b.push(new Float64Array(spec.sizes[l]).fill(spec.bias ? biasInit : 0));
  }
  return { W, b };
}

function checkParams(spec: SnnSpec, p: SnnParams): void {
  const L = spec.sizes.length - 1;
  if (p.W.length !== L) throw new Error(`the network has ${L} weight layers but ${p.W.length} weight matrices were given`);
  for (let l = 1; l <= L; l++) {
    const w = p.W[l - 1];
    if (w.rows !== spec.sizes[l] || w.cols !== spec.sizes[l - 1]) {
      throw new Error(`W${l} is ${w.rows}x${w.cols} but layer ${l} needs ${spec.sizes[l]}x${spec.sizes[l - 1]}`);
    }
  }
}

function checkPerturbation(spec: SnnSpec, B: number, pert: Perturbation | null | undefined): void {
  if (!pert) return;
  const L = spec.sizes.length - 1;
  if (pert.xi.length !== L) throw new Error(`the perturbation has ${pert.xi.length} layers; the network has ${L} (one ξ per layer 1..L)`);
  for (let l = 1; l <= L; l++) {
    if (pert.xi[l - 1].length !== B * spec.sizes[l]) throw new Error(`ξ${l} has ${pert.xi[l - 1].length} values; batch ${B} x width ${spec.sizes[l]} needs ${B * spec.sizes[l]}`);
  }
}

// ---------------------------------------------------------------------------------------------
// clock-driven mode

/**
 * One clock-driven step of a layer (spikingjelly LIFNode): integrate, threshold, reset.
 *   H = V + (dt/τ)(−(V − V_rest) + I_c) + syn/τ (syn without /τ when decayInput is false);
 *   spike if H ≥ V_th;  V ← reset(H).
 * `ref` counts the refractory steps left. Writes spikes (0/1) into `spk`, adds them to `counts`,
 * and returns the number of spikes.
 */
export function lifClockStep(
  V: Float64Array,
  ref: Int32Array,
  Ic: Float64Array,
  syn: Float64Array | null,
  synOffset: number,
  p: LifParams,
  dt: number,
  refSteps: number,
  spk: Uint8Array,
  counts: Float64Array,
  noise: Float64Array | null = null,
  decayInput = true,
): number {
  const a = dt / p.tauM;
  const c = decayInput ? 1 / p.tauM : 1;
  const vRest = p.vRest;
  const vTh = p.vTh;
  const vReset = p.vReset;
  const jump = vTh - vReset;
  const hard = p.reset === 'hard';
  let n = 0;
  const N = V.length;
  for (let i = 0; i < N; i++) {
    if (ref[i] > 0) {
      ref[i]--;
      spk[i] = 0;
      continue;
    }
    let h = V[i] + a * (vRest - V[i] + Ic[i]);
    if (syn !== null) h += c * syn[synOffset + i];
    if (noise !== null) h += noise[i];
    if (h >= vTh) {
      spk[i] = 1;
      counts[i]++;
      n++;
      V[i] = hard ? vReset : h - jump;
      ref[i] = refSteps;
    } else {
      spk[i] = 0;
      V[i] = h;
    }
  }
  return n;
}

/**
 * out (B x n_out, at offset) = W s for binary spikes s (B x n_in): sparse accumulation of the
 * columns of W (rows of Wt = Wᵀ, n_in x n_out) of the neurons that spiked, or a dense product.
 */
function synapticInput(
  spk: Uint8Array,
  nSpikes: number,
  B: number,
  nIn: number,
  W: Mat,
  Wt: Mat,
  engine: SynapseEngine,
  sDense: Float64Array,
  out: Float64Array,
  offset: number,
): void {
  const nOut = W.rows;
  const size = B * nOut;
  const density = nSpikes / (B * nIn);
  if (engine === 'dense' || (engine === 'auto' && density > 0.2 && nIn * nOut >= 4096)) {
    for (let i = 0; i < spk.length; i++) sDense[i] = spk[i];
    const outView = mat(B, nOut, out.subarray(offset, offset + size));
    matMulTB(mat(B, nIn, sDense), W, outView);
    return;
  }
  out.fill(0, offset, offset + size);
  if (nSpikes === 0) return;
  const wt = Wt.data;
  for (let b = 0; b < B; b++) {
    const o = offset + b * nOut;
    const sb = b * nIn;
    for (let j = 0; j < nIn; j++) {
      if (spk[sb + j] === 0) continue;
      const r = j * nOut;
      for (let k = 0; k < nOut; k++) out[o + k] += wt[r + k];
    }
  }
}

/** The coding layer's spikes and the layer-1 synaptic input for every step: shared by a clean and a perturbed run. */
export interface ClockInput {
  readonly batch: number;
  /** Spike counts of the coding layer (B x n_0). */
  readonly counts0: Float64Array;
  /** W¹ s⁰(t) for t = 0..T−1 (T x B x n_1). */
  readonly syn1: Float64Array;
  /** Wᵀ of layers 2..L (for sparse accumulation), computed once per batch. */
  readonly Wt: Mat[];
  /** Spike raster of the coding layer for sample 0, when recorded. */
  readonly raster0?: number[][];
  /** Seed of the membrane noise of this batch (shared by every run on it). */
  readonly noiseSeed: number;
}

/** Run the coding layer over the window and precompute W¹ s⁰(t). `x` is B x n_0. */
export function prepareClock(spec: SnnSpec, params: SnnParams, x: Float64Array, B: number, opts: { record?: boolean; noiseSeed?: number } = {}): ClockInput {
  checkParams(spec, params);
  const n0 = spec.sizes[0];
  const n1 = spec.sizes[1];
  if (x.length !== B * n0) throw new Error(`input has ${x.length} values; batch ${B} x ${n0} inputs needs ${B * n0}`);
  const T = spec.steps;
  const V = new Float64Array(B * n0).fill(spec.lif.vRest);
  const ref = new Int32Array(B * n0);
  const Ic = directCurrent(x, spec.inputGain, new Float64Array(B * n0));
  const spk = new Uint8Array(B * n0);
  const counts0 = new Float64Array(B * n0);
  const syn1 = new Float64Array(T * B * n1);
  const W1 = params.W[0];
  const refSteps = Math.round(spec.lif.tRef / spec.dt);
  const raster0: number[][] | undefined = opts.record ? Array.from({ length: n0 }, () => []) : undefined;
  // The coding layer over the whole window first (its input is constant), then W¹ s⁰(t) for all t.
  const spikes0 = new Float64Array(T * B * n0);
  let total = 0;
  for (let t = 0; t < T; t++) {
    total += lifClockStep(V, ref, Ic, null, 0, spec.lif, spec.dt, refSteps, spk, counts0);
    const o = t * B * n0;
    for (let i = 0; i < spk.length; i++) spikes0[o + i] = spk[i];
    if (raster0) for (let j = 0; j < n0; j++) if (spk[j]) raster0[j].push((t + 1) * spec.dt);
  }
  const density = total / (T * B * n0);
  if (spec.synapse === 'dense' || (spec.synapse === 'auto' && density > 0.05 && n0 * n1 >= 4096)) {
    // one product (T·B x n_0)(n_0 x n_1): the kernels' packed GEMM
    matMulTB(mat(T * B, n0, spikes0), W1, mat(T * B, n1, syn1));
  } else {
    const Wt1 = mat(n0, n1);
    transpose(W1, Wt1);
    const wt = Wt1.data;
    for (let row = 0; row < T * B; row++) {
      const so = row * n0;
      const o = row * n1;
      for (let j = 0; j < n0; j++) {
        if (spikes0[so + j] === 0) continue;
        const r = j * n1;
        for (let k = 0; k < n1; k++) syn1[o + k] += wt[r + k];
      }
    }
  }
  const Wt: Mat[] = [];
  for (let l = 2; l < spec.sizes.length; l++) {
    const w = params.W[l - 1];
    const wt = mat(w.cols, w.rows);
    transpose(w, wt);
    Wt.push(wt);
  }
  return { batch: B, counts0, syn1, Wt, raster0, noiseSeed: opts.noiseSeed ?? 0 };
}

export interface ClockRun {
  /** Spike counts per layer 0..L (B x n_l); counts[0] is the coding layer's. */
  counts: Float64Array[];
  /** Spike times (ms) of sample 0 per layer and neuron, when recorded. */
  raster?: number[][][];
  /** Total spikes over all layers and samples. */
  spikes: number;
}

/**
 * Clock-driven run of layers 1..L on a prepared input, optionally perturbed (eq. 8): layer l gets
 * the constant current bˡ + σξˡ. Returns the spike counts of every layer.
 */
export function runClock(spec: SnnSpec, params: SnnParams, input: ClockInput, pert: Perturbation | null = null, opts: { record?: boolean } = {}): ClockRun {
  const B = input.batch;
  checkPerturbation(spec, B, pert);
  const L = spec.sizes.length - 1;
  const T = spec.steps;
  const refSteps = Math.round(spec.lif.tRef / spec.dt);
  const V: Float64Array[] = [];
  const ref: Int32Array[] = [];
  const Ic: Float64Array[] = [];
  const spk: Uint8Array[] = [];
  const counts: Float64Array[] = [input.counts0];
  const syn: Float64Array[] = [];
  const sDense: Float64Array[] = [];
  for (let l = 1; l <= L; l++) {
    const n = spec.sizes[l];
    V.push(new Float64Array(B * n).fill(spec.lif.vRest));
    ref.push(new Int32Array(B * n));
    const ic = new Float64Array(B * n);
    if (spec.bias) {
      const bl = params.b[l - 1];
      for (let r = 0; r < B; r++) ic.set(bl, r * n);
    }
    if (pert) {
      const xi = pert.xi[l - 1];
      for (let i = 0; i < ic.length; i++) ic[i] += pert.sigma * xi[i];
    }
    Ic.push(ic);
    spk.push(new Uint8Array(B * n));
    counts.push(new Float64Array(B * n));
    syn.push(new Float64Array(B * n));
    sDense.push(new Float64Array(B * n));
  }
  const raster: number[][][] | undefined = opts.record
    ? spec.sizes.map((n, l) => (l === 0 && input.raster0 ? input.raster0 : Array.from({ length: n }, () => [])))
    : undefined;
  let total = input.counts0.reduce((s, v) => s + v, 0);
  const n1 = spec.sizes[1];
  const noiseRng = spec.noise > 0 ? new Rng(input.noiseSeed) : null;
  const noiseScale = spec.noise * Math.sqrt(spec.dt / spec.lif.tauM);
  const noise = noiseRng ? spec.sizes.slice(1).map((n) => new Float64Array(B * n)) : null;
  const draw = (l: number): Float64Array | null => (noise ? noiseRng!.fillNormal(noise[l - 1], noiseScale) : null);
  for (let t = 0; t < T; t++) {
    let nPrev = lifClockStep(V[0], ref[0], Ic[0], input.syn1, t * B * n1, spec.lif, spec.dt, refSteps, spk[0], counts[1], draw(1), spec.decayInput);
    total += nPrev;
    for (let l = 2; l <= L; l++) {
      synapticInput(spk[l - 2], nPrev, B, spec.sizes[l - 1], params.W[l - 1], input.Wt[l - 2], spec.synapse, sDense[l - 2], syn[l - 1], 0);
      nPrev = lifClockStep(V[l - 1], ref[l - 1], Ic[l - 1], syn[l - 1], 0, spec.lif, spec.dt, refSteps, spk[l - 1], counts[l], draw(l), spec.decayInput);
      total += nPrev;
    }
    if (raster) {
      for (let l = 1; l <= L; l++) for (let j = 0; j < spec.sizes[l]; j++) if (spk[l - 1][j]) raster[l][j].push((t + 1) * spec.dt);
    }
  }
  return { counts, raster, spikes: total };
}

/** Clock-driven run of the whole network on x (B x n_0). */
export function simulateClock(spec: SnnSpec, params: SnnParams, x: Float64Array, B: number, pert: Perturbation | null = null, opts: { record?: boolean; noiseSeed?: number } = {}): ClockRun {
  return runClock(spec, params, prepareClock(spec, params, x, B, opts), pert, opts);
}

// ---------------------------------------------------------------------------------------------
// event-located mode

export interface EventRunOptions {
  /** Solver of the flow between spikes (default 'rk4' with step dt0). */
  solver?: string;
  /** Step of a fixed-step solver (default: the spec's dt). */
  dt0?: number;
  rtol?: number;
  atol?: number;
  /** Window length (ms); default steps·dt. */
  duration?: number;
  /** Perturbation of this one sample: xi[l−1] has n_l values. */
  pert?: Perturbation | null;
  /** Keep the spike times. */
  record?: boolean;
}

export interface EventRun {
  /** Spike counts per layer 0..L. */
  counts: Float64Array[];
  /** Spike times (ms) per layer and neuron, when recorded. */
  raster?: number[][][];
  /** The solver's statistics. */
  stats: { accepted: number; rejected: number; nfe: number; events: number };
}

/**
 * Event-located run of one sample x (n_0 values) through `solve`: the membranes of all layers are
 * one state (blocks v0..vL, τ = τ_m), spikes and refractory ends are vector-valued events.
 */
export function simulateEvents(spec: SnnSpec, params: SnnParams, x: ArrayLike<number>, opts: EventRunOptions = {}): EventRun {
  checkParams(spec, params);
  const sizes = spec.sizes;
  const L = sizes.length - 1;
  if (x.length !== sizes[0]) throw new Error(`input has ${x.length} values; the coding layer has ${sizes[0]} neurons`);
  checkPerturbation(spec, 1, opts.pert);
  if (spec.noise > 0) throw new Error('membrane noise is implemented in the clock-driven mode only; set noise: 0 for simulateEvents');
  const p = spec.lif;
  const layout = defineState(Object.fromEntries(sizes.map((n, l) => [`v${l}`, vector(n, { tau: p.tauM })])));
  const N = layout.size;
  const offset: number[] = [];
  let o = 0;
  for (const n of sizes) {
    offset.push(o);
    o += n;
  }
  const layerOf = new Int32Array(N);
  sizes.forEach((n, l) => layerOf.fill(l, offset[l], offset[l] + n));
  // Constant currents: gain·x into the coding layer, b + σξ into the others.
  const Ic = new Float64Array(N);
  directCurrent(x, spec.inputGain, Ic.subarray(0, sizes[0]));
  for (let l = 1; l <= L; l++) {
    for (let j = 0; j < sizes[l]; j++) {
      let c = spec.bias ? params.b[l - 1][j] : 0;
      if (opts.pert) c += opts.pert.sigma * opts.pert.xi[l - 1][j];
      Ic[offset[l] + j] = c;
    }
  }
  const refractory = new Uint8Array(N);
  const refUntil = new Float64Array(N);
  const counts = sizes.map((n) => new Float64Array(n));
  const raster = opts.record ? sizes.map((n) => Array.from({ length: n }, (): number[] => [])) : undefined;
  const invTau = 1 / p.tauM;
  const jumpScale = spec.decayInput ? invTau : 1;
  const problem = odeProblem(
    drift(N, (_t, y, out) => {
      for (let i = 0; i < N; i++) out[i] = refractory[i] ? 0 : (p.vRest - y[i] + Ic[i]) * invTau;
    }),
    { layout, name: 'LIF network' },
  );
  const jump = p.vTh - p.vReset;
  /** Fire neuron i at time t: count, reset, refractory, deliver w/τ to the next layer. */
  const fireOne = (t: number, y: Float64Array, i: number): void => {
    const l = layerOf[i];
    const j = i - offset[l];
    counts[l][j]++;
    raster?.[l][j].push(t);
    y[i] = p.reset === 'hard' ? p.vReset : y[i] - jump;
    if (p.tRef > 0) {
      refractory[i] = 1;
      refUntil[i] = t + p.tRef;
    }
    if (l < L) {
      const W = params.W[l];
      const nNext = sizes[l + 1];
      const base = offset[l + 1];
      for (let k = 0; k < nNext; k++) if (!refractory[base + k]) y[base + k] += W.data[k * W.cols + j] * jumpScale;
    }
  };
  const spikeEvent: EventSpec = {
    name: 'spike',
    size: N,
    direction: 'up',
    condition: (_t, y, out) => {
      for (let i = 0; i < N; i++) out[i] = refractory[i] ? -1 : y[i] - p.vTh;
    },
    handle: (t, y, fired) => {
      // Layer by layer: the located crossings, then whatever the jumps lifted over threshold.
      const byLayer: number[][] = sizes.map(() => []);
      for (const i of fired) byLayer[layerOf[i]].push(i);
      for (let l = 0; l <= L; l++) {
        const seen = new Set(byLayer[l]);
        for (let i = offset[l]; i < offset[l] + sizes[l]; i++) if (!refractory[i] && y[i] >= p.vTh && !seen.has(i)) byLayer[l].push(i);
        for (const i of byLayer[l]) {
          if (refractory[i]) continue;
          fireOne(t, y, i);
          // A subtract reset after a large jump can leave V above threshold: fire again at once.
          let guard = 0;
          while (p.reset === 'subtract' && !refractory[i] && y[i] >= p.vTh && guard++ < 10_000) fireOne(t, y, i);
        }
      }
    },
  };
  const events: EventSpec[] = [spikeEvent];
  if (p.tRef > 0) {
    events.push({
      name: 'refractory end',
      size: N,
      direction: 'up',
      condition: (t, _y, out) => {
        for (let i = 0; i < N; i++) out[i] = refractory[i] ? t - refUntil[i] : -1;
      },
      handle: (_t, _y, fired) => {
        for (const i of fired) refractory[i] = 0;
      },
    });
  }
  const duration = opts.duration ?? spec.steps * spec.dt;
  const solver = opts.solver ?? 'rk4';
  const y0 = new Float64Array(N).fill(p.vRest);
  const sol = solve(problem, solver, {
    t0: 0,
    t1: duration,
    y0,
    dt0: opts.dt0 ?? (opts.rtol === undefined ? spec.dt : undefined),
    rtol: opts.rtol,
    atol: opts.atol,
    events,
    maxSteps: 10_000_000,
    saveAt: { ts: [duration], fn: () => 0 },
  });
  if (sol.status !== 'ok') throw new Error(`event-located LIF run ended with status '${sol.status}': ${sol.message}`);
  return { counts, raster, stats: sol.stats };
}
