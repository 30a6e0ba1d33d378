/**
 * A feedforward network of LIF layers (LOCO paper, A.5-A.8):
 *
 *   layer 0 (coding):  τ_m dV⁰/dt = −(V⁰ − V_rest) + gain·x                       (A.7)
 *   layer l ≥ 1:       τ_m dVˡ/dt = −(Vˡ − V_rest) + bˡ + σξˡ + I_syn,ˡ(t) [+ σ_n √τ_m dW/dt]
 *                      I_syn,ˡ(t) = Wˡ sˡ⁻¹(t)                                       (eq. 25)
 *
 * with a spike when V reaches V_th and a reset (eq. 26). The output is the firing rate of the last
 * layer over the window (A.8). `σξˡ` is the node perturbation of eq. (8): a constant current, the
 * same at every step of the window ("the perturbation introduced in each layer during each
 * propagation is identical", A.1).
 *
 * Spikes as currents. sˡ⁻¹(t) = Σ_k δ(t − t_k) is a spike train, so a presynaptic spike at t_k
 * makes the postsynaptic membrane jump by w/τ_m at t_k (by w with `decayInput: false`). With the
 * step dt = 1 this is exactly spikingjelly's LIFNode with decay_input, which the paper used:
 * H = V + (X − (V − V_reset))/τ with X = W s. The bias bˡ (spikingjelly's nn.Linear has one; the
 * paper is silent) and the perturbation are constant currents; the average current of a synapse is
 * then w·r with r the presynaptic rate in spikes per ms, the "x_{l−1}" of the learning rules.
 *
 * The network is defined once (`lifNetwork`): a block of consecutive layers is one state (layer by
 * layer, sample-major inside a layer), the leak and constant currents are its drift, the membrane
 * noise its diffusion, and threshold, reset and refractoriness are the core's spike schedule
 * (src/core/spikes.ts) with one group per layer, whose group callback counts a layer's spikes and
 * delivers the jumps c·W s to the next layer. `runLif` integrates it with `solve`, in either of the
 * schedule's modes:
 * - 'clock' (spikingjelly's schedule): any fixed-step solver ('euler' and dt = 1 ms by default, the
 *   paper's); each step integrate, then threshold and reset layer by layer, each layer's spikes of
 *   the step delivered as one product W s before the next layer is thresholded (so they count in
 *   the same step); a neuron spikes at most once per step. The coding layer depends on x alone: it
 *   is solved once per batch (shared by a clean and a perturbed run) and its jumps c·W¹s⁰ of every
 *   step (W¹s⁰ by one product over the window, times c in the pass) are layer 1's input in its
 *   threshold pass (the schedule's `input`); the run's state holds layers 1..L. The drift declares
 *   itself a leak, so with 'euler' or 'euler_maruyama' the core runs each step as one pass over
 *   layer 1 (integrate, noise, input, threshold, reset: spikes.ts's fused clock step), as
 *   spikingjelly's LIFNode does.
 * - 'event': layers 0..L together; each threshold crossing is located within the step, its jumps
 *   are delivered at that instant and fire at once any neuron they lift over threshold; a
 *   refractory period ends by an event too. As dt → 0 the clock-driven spike times converge to
 *   these at order 1 (lif.clock-event).
 * `simulateClock` and `simulateEvents` are the two modes with the spec's step.
 */
import '../../solvers/index'; // registers the built-in solvers by name
import type { BrownianPath } from '../../src/core/brownian';
import { Rng } from '../../src/core/random';
import { solve } from '../../src/core/solve';
import type { SpikeMode, SpikeSpec, SpikeState } from '../../src/core/spikes';
import { defineState, vector } from '../../src/core/state';
import { diffusion, drift, odeProblem, sdeProblem, type Problem } from '../../src/core/terms';
import { solvers } from '../../src/core/solvers';
import { matMulTB, transpose } from '../../src/linalg/kernels';
import { mat, type Mat } from '../../src/linalg/mat';
import { directCurrent } from './coding';
import { checkClockStep, lifParams, type LifParams } from './params';

/**
 * The integrator of a network's window: `solver` by name, with its step `dt0` (fixed-step; default
 * the spec's dt) or tolerances (adaptive), and the spike schedule's mode (default 'clock' for a
 * fixed-step solver, 'event' for an adaptive one). The shape of the CLI's `solverChoice`.
 */
export type SynapseEngine = 'auto' | 'sparse' | 'dense';

export interface LifIntegrator {
  solver: string;
  dt0?: number;
  rtol?: number;
  atol?: number;
  mode?: SpikeMode;
}

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
  /**
   * How a clock-driven step computes W s from a layer's spikes of the step: sparse accumulation of
   * the spiking neurons' weight columns, a dense product (kernels), or by spike density ('auto').
   */
  readonly synapse: SynapseEngine;
  /**
   * Membrane noise σ_n of layers 1..L (clock-driven mode only; 0 = none, the paper's setting):
   * τ_m dV = (…) dt + σ_n √τ_m dW, so a free membrane fluctuates with std σ_n/√2; an Euler–Maruyama
   * step adds σ_n √(dt/τ_m) N(0, 1) (a refractory membrane is held: no noise). The draws are seeded
   * per batch and identical in the clean and the perturbed run, so the TD error measures the
   * perturbation alone.
   */
  readonly noise: number;
  /**
   * The integrator (default: 'euler' with step dt, or 'euler_maruyama' with membrane noise, clock
   * mode: spikingjelly's schedule).
   */
  readonly integrator?: LifIntegrator;
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


/**
 * A clock step h (ms) for a window of `duration` ms: at most τ_m (checkClockStep) and a whole number
 * of steps in the window, so that every step ends on the clock.
 */
export function checkClockWindow(h: number, duration: number, lif: LifParams): void {
  checkClockStep(h, lif);
  const n = Math.round(duration / h);
  if (n < 1 || Math.abs(n * h - duration) > 1e-9 * duration) {
    throw new Error(`the clock step dt0 = ${h} ms must divide the window of ${duration} ms into whole steps; choose dt0 = ${duration}/n for an integer n`);
  }
}

/** The integrator a spec runs with: its own, or Euler (Euler–Maruyama with noise) at its dt, clock mode. */
export function integratorOf(spec: SnnSpec): LifIntegrator {
  return spec.integrator ?? { solver: spec.noise > 0 ? 'euler_maruyama' : 'euler' };
}

/**
 * The membrane noise of layers 1..L as a Brownian path over the whole state: independent standard
 * increments √h·N(0, 1) for the membranes of layers 1..L, drawn from one seeded generator in state
 * order each step (the clock-driven runs before the move drew them so: same seed, same bits), and
 * none for the coding layer, which has no noise.
 */
class LayerNoise implements BrownianPath {
  readonly queryable = false;
  private readonly rng: Rng;

  constructor(
    readonly dim: number,
    private readonly from: number,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  increment(t0: number, t1: number, out: Float64Array): void {
    this.rng.normals(out, this.from, this.dim, Math.sqrt(t1 - t0));
  }
}

export interface LifNetworkOptions {
  /** Perturbation of eq. (8), one ξ per layer 1..L (B x n_l each). */
  pert?: Perturbation | null;
  /** Keep the spike times of sample 0. */
  record?: boolean;
  /** Seed of the membrane noise (shared by the clean and the perturbed run of a batch). */
  noiseSeed?: number;
  /** Window length (ms); default steps·dt. */
  duration?: number;
  /**
   * The coding layer of a clock-driven run (its spikes and the layer-1 drive W¹s⁰(t) of every
   * step), solved by the first run that is given it and reused by the next ones: it depends only on
   * x and W¹ (the coding layer has no noise and no perturbation), so a clean and a perturbed run on
   * the same batch share it. Give a fresh one per batch and weights.
   */
  codingDrive?: CodingDrive;
}

/** The coding layer of one batch, solved once and shared by the clock-driven runs on it. */
export interface CodingDrive {
  layer?: CodingLayer;
  /**
   * Buffers of the layer's spike matrix s⁰ and drive W¹s⁰ kept from batch to batch (zeroed before
   * each use, so the numbers are those of fresh arrays): the drive of a layer made with them is
   * valid until the next coding layer is made with the same buffers.
   */
  buffers?: CodingBuffers;
}

/** Reusable storage of the coding layer's products (see CodingDrive.buffers). */
export interface CodingBuffers {
  spikes?: Float64Array;
  drive?: Float64Array;
}

/** A fresh coding drive for one batch; with `buffers`, its products reuse their storage. */
export function codingDrive(buffers?: CodingBuffers): CodingDrive {
  return buffers ? { buffers } : {};
}

/** A zeroed array of n entries: `buffers[key]` reused when it has that length, else a new one kept there. */
function zeroed(buffers: CodingBuffers | undefined, key: keyof CodingBuffers, n: number): Float64Array {
  if (!buffers) return new Float64Array(n);
  const b = buffers[key];
  if (b && b.length === n) return b.fill(0);
  return (buffers[key] = new Float64Array(n));
}

/**
 * The coding layer over a window of `steps` clock steps of h ms: its spike counts (B x n_0), the
 * spike times of sample 0 (when recorded), and the layer-1 drive W¹s⁰ of every step (steps x B x
 * n_1, by one product over the window or by sparse accumulation).
 */
export interface CodingLayer {
  readonly h: number;
  readonly steps: number;
  readonly counts: Float64Array;
  readonly spikes: number;
  /** Spikes of each step (the drive of a step without spikes is zero and is skipped). */
  readonly perStep: Int32Array;
  /** W¹s⁰ of each step: layer 1's input (times c) in its threshold pass. */
  readonly drive: Float64Array;
  readonly raster?: number[][];
  /** The solve of the coding layer: accepted steps and vector-field evaluations. */
  readonly stats: { accepted: number; nfe: number };
}

/** Layers first..last of one network on one batch as one problem: what `solve` integrates. */
export interface LifLayers {
  readonly first: number;
  readonly last: number;
  readonly problem: Problem;
  readonly y0: Float64Array;
  readonly spikes: SpikeSpec;
  /** The membrane noise's path, when the spec has noise and the block holds a layer >= 1. */
  readonly brownian?: BrownianPath;
}

/** One network on one batch, defined once; `runLif` integrates it clock-driven or event-located. */
export interface LifNetwork {
  readonly spec: SnnSpec;
  readonly batch: number;
  /** Window [0, duration] (ms). */
  readonly duration: number;
  /** Spike counts per layer 0..L (B x n_l), filled by the run. */
  readonly counts: Float64Array[];
  /** Spike times (ms) of sample 0 per layer and neuron, when recorded. */
  readonly raster?: number[][][];
  /**
   * Layers first..last as one problem (see `lifNetwork`). `input`, when given, is the schedule's
   * input: the drive W s from below `first` as a vector, added times c to a layer in its threshold
   * pass (clock mode); `exit` keeps the spikes of layer `last` of each clock step when it is not
   * the output layer (they have nowhere to go in the block).
   */
  layers(first: number, last: number, hooks?: { input?: SpikeSpec['input']; exit?: StepSpikes }): LifLayers;
  /** The coding layer at clock step h, solved with `solver` (or taken from the codingDrive option). */
  coding(solver: string, h: number): CodingLayer;
}

/**
 * The spikes of one layer per clock step of h ms (step k ends at (k + 1)·h): step k's neuron
 * indices are buf[from[k] .. from[k] + perStep[k]), appended to one buffer (grown by doubling).
 */
export interface StepSpikes {
  readonly h: number;
  readonly perStep: Int32Array;
  readonly from: Int32Array;
  buf: Int32Array;
  length: number;
}

/** An empty store for `steps` steps of a layer of `size` neurons (room for a quarter of them firing each step, grown if needed). */
export function stepSpikes(h: number, steps: number, size: number): StepSpikes {
  return { h, perStep: new Int32Array(steps), from: new Int32Array(steps), buf: new Int32Array(Math.max(1024, Math.ceil((steps * size) / 4))), length: 0 };
}

function keepSpikes(store: StepSpikes, t: number, fired: Int32Array): void {
  const k = Math.round(t / store.h) - 1;
  const end = store.length + fired.length;
  if (end > store.buf.length) {
    const grown = new Int32Array(Math.max(end, 2 * store.buf.length));
    grown.set(store.buf.subarray(0, store.length));
    store.buf = grown;
  }
  store.buf.set(fired, store.length);
  store.perStep[k] = fired.length;
  store.from[k] = store.length;
  store.length = end;
}

/**
 * What the group callbacks of a network read to deliver c·W s: one shape for every network, and
 * the delivery functions below are module functions (not closures made per network), so their
 * compiled forms serve every run.
 */
interface Synapses {
  readonly B: number;
  readonly sizes: readonly number[];
  readonly W: Mat[];
  /** Wᵀ of each layer (its row j: the weights out of presynaptic neuron j), made when first needed. */
  readonly Wts: (Float64Array | undefined)[];
  readonly c: number;
  readonly refractory: boolean;
  readonly synapse: SynapseEngine;
  /** Scratch of the clock-mode products, per layer, made when first needed: its spikes (dense engine) and W s. */
  readonly spk: Float64Array[];
  readonly syn: Float64Array[];
}

function transposed(sy: Synapses, l: number): Float64Array {
  let wt = sy.Wts[l];
  if (!wt) {
    const w = sy.W[l];
    const t = mat(w.cols, w.rows);
    transpose(w, t);
    wt = sy.Wts[l] = t.data;
  }
  return wt;
}

/**
 * Clock mode: c·Wˡ⁺¹ s of layer l's spikes of the step (layer l at block index `from`, layer l + 1
 * at `to`), one product (sparse accumulation or dense), added to the non-refractory membranes.
 */
function deliverLayer(sy: Synapses, y: Float64Array, l: number, from: number, to: number, fired: Int32Array, s: SpikeState): void {
  const { B, c, refractory } = sy;
  const n = sy.sizes[l];
  const m = sy.sizes[l + 1];
  const out = (sy.syn[l + 1] ??= new Float64Array(B * m));
  if (sy.synapse === 'dense' || (sy.synapse === 'auto' && fired.length > 0.2 * B * n && n * m >= 4096)) {
    const sl = (sy.spk[l] ??= new Float64Array(B * n)).fill(0);
    markSpikes(sl, from, fired);
    matMulTB(mat(B, n, sl), sy.W[l], mat(B, m, out));
  } else {
    out.fill(0);
    accumulateColumns(out, transposed(sy, l), from, n, m, fired);
  }
  addJumps(y, to, c, out, B * m, refractory ? s : null);
}

// The loops of the delivery, each in a function with nothing after it: a long loop is compiled on
// the fly (on-stack replacement) before the code after it has run, and such code made the compiled
// form bail out at every call.

/** Count each spike of `fired` (block indices from `from` on) in `counts`. */
function countSpikes(counts: Float64Array, from: number, fired: Int32Array): void {
  for (let k = 0; k < fired.length; k++) counts[fired[k] - from]++;
}

/** Spike times of sample 0 (block indices from `from`, its first n neurons). */
function recordSpikes(raster: number[][], t: number, from: number, n: number, fired: Int32Array): void {
  for (let k = 0; k < fired.length; k++) if (fired[k] - from < n) raster[fired[k] - from].push(t);
}

/** s[i] = 1 for each spike (dense engine's spike vector). */
function markSpikes(s: Float64Array, from: number, fired: Int32Array): void {
  for (let k = 0; k < fired.length; k++) s[fired[k] - from] = 1;
}

/** out (B x m) += the row of Wᵀ (n x m) of each spiking neuron of its sample (sparse engine). */
function accumulateColumns(out: Float64Array, wt: Float64Array, from: number, n: number, m: number, fired: Int32Array): void {
  for (let k = 0; k < fired.length; k++) {
    const i = fired[k] - from;
    const b = (i / n) | 0;
    const r = (i - b * n) * m;
    const o = b * m;
    for (let q = 0; q < m; q++) out[o + q] += wt[r + q];
  }
}

/** y[to + q] += c·out[q] for q < len, skipping refractory membranes when a schedule is given. */
function addJumps(y: Float64Array, to: number, c: number, out: Float64Array, len: number, s: SpikeState | null): void {
  if (s !== null) {
    for (let q = 0; q < len; q++) if (!s.isRefractory(to + q)) y[to + q] += c * out[q];
  } else for (let q = 0; q < len; q++) y[to + q] += c * out[q];
}

/** Event mode: each spike's jumps c·w at its instant, in firing order (layers as in deliverLayer). */
function deliverEach(sy: Synapses, y: Float64Array, l: number, from: number, to: number, fired: Int32Array, s: SpikeState): void {
  const { c, refractory } = sy;
  const n = sy.sizes[l];
  const m = sy.sizes[l + 1];
  const wt = transposed(sy, l);
  for (let k = 0; k < fired.length; k++) {
    const i = fired[k] - from;
    const b = (i / n) | 0;
    const row = (i - b * n) * m;
    const base = to + b * m;
    for (let q = 0; q < m; q++) if (!(refractory && s.isRefractory(base + q))) y[base + q] += c * wt[row + q];
  }
}

/**
 * The LIF network on the batch x (B x n_0), defined once. A block of layers first..last is one
 * state [Vᶠⁱʳˢᵗ, …, Vˡᵃˢᵗ] (layer by layer, sample-major inside a layer) starting at V_rest, with
 * drift (V_rest − V + I_c)/τ_m, I_c = gain·x (coding layer) or bˡ + σξˡ; diffusion σ_n/√τ_m on
 * layers >= 1 when the spec has noise; and the core's spike schedule with the LIF's threshold,
 * reset and refractory period, one group per layer. After a layer is thresholded its group
 * callback counts the spikes and delivers c·Wˡ⁺¹ s (c = 1/τ_m with decay_input, else 1) to the
 * non-refractory membranes of the same sample in the next layer: in clock mode as one product per
 * layer and step (sparse accumulation of the spiking neurons' weight columns, or a dense product,
 * as spikingjelly's nn.Linear on the spike tensor), in event mode spike by spike at its instant.
 *
 * `runLif` runs the whole network (layers 0..L) in event mode. In clock mode the coding layer
 * depends on x alone, so it is solved once per batch (`coding`: the block 0..0, its spikes turned
 * into the layer-1 drive W¹s⁰ of every step by one product) and the run integrates layers 1..L,
 * given c·W¹s⁰ as layer 1's input in its threshold pass.
 */
export function lifNetwork(spec: SnnSpec, params: SnnParams, x: ArrayLike<number>, B: number, opts: LifNetworkOptions = {}): LifNetwork {
  checkParams(spec, params);
  const sizes = spec.sizes;
  const L = sizes.length - 1;
  if (!(Number.isInteger(B) && B >= 1)) throw new Error(`batch must be an integer >= 1 (got ${B})`);
  if (x.length !== B * sizes[0]) throw new Error(`input has ${x.length} values; batch ${B} x ${sizes[0]} inputs needs ${B * sizes[0]}`);
  const pert = opts.pert ?? null;
  checkPerturbation(spec, B, pert);
  const p = spec.lif;
  // Constant currents of every layer, layer by layer: gain·x into the coding layer, b + σξ into the others.
  const start: number[] = [0];
  for (const n of sizes) start.push(start[start.length - 1] + B * n);
  const Ic = new Float64Array(start[L + 1]);
  directCurrent(x, spec.inputGain, Ic.subarray(0, B * sizes[0]));
  for (let l = 1; l <= L; l++) {
    const n = sizes[l];
    const ic = Ic.subarray(start[l], start[l + 1]);
    if (spec.bias) for (let r = 0; r < B; r++) ic.set(params.b[l - 1], r * n);
    if (pert) {
      const xi = pert.xi[l - 1];
      for (let i = 0; i < ic.length; i++) ic[i] += pert.sigma * xi[i];
    }
  }
  const invTau = 1 / p.tauM;
  const vRest = p.vRest;
  const c = spec.decayInput ? invTau : 1;
  const refractory = p.tRef > 0;
  const counts = sizes.map((n) => new Float64Array(B * n));
  const raster = opts.record ? sizes.map((n) => Array.from({ length: n }, (): number[] => [])) : undefined;
  const duration = opts.duration ?? spec.steps * spec.dt;
  const sy: Synapses = {
    B,
    sizes,
    W: params.W,
    Wts: [],
    c,
    refractory,
    synapse: spec.synapse,
    spk: [],
    syn: [],
  };

  const layers: LifNetwork['layers'] = (first, last, hooks = {}) => {
    const off = start.map((o) => o - start[first]); // layer l's first state index in the block
    const N = off[last + 1];
    const layout = defineState(Object.fromEntries(sizes.slice(first, last + 1).map((n, k) => [`v${first + k}`, vector(B * n, { tau: p.tauM })])));
    const ic = Ic.subarray(start[first], start[last + 1]);
    // the leak toward V_rest + I_c; its Euler step y0 + h·f(y0) in one pass with the sum of the new state,
    // and the leak declared, so that a clock-driven step is one pass with the threshold (spikes.ts)
    const f = drift(
      N,
      function lifDrift(_t, y, out) {
        for (let i = 0; i < N; i++) out[i] = (vRest - y[i] + ic[i]) * invTau;
      },
      {
        leak: { rest: vRest, current: ic, rate: invTau },
        euler: function lifEuler(_t, y0, h, y1) {
          let s0 = 0;
          let s1 = 0;
          let i = 0;
          for (; i + 1 < N; i += 2) {
            const a = (y1[i] = y0[i] + h * ((vRest - y0[i] + ic[i]) * invTau));
            const b = (y1[i + 1] = y0[i + 1] + h * ((vRest - y0[i + 1] + ic[i + 1]) * invTau));
            s0 += a;
            s1 += b;
          }
          if (i < N) s0 += y1[i] = y0[i] + h * ((vRest - y0[i] + ic[i]) * invTau);
          return s0 + s1;
        },
      },
    );
    let problem: Problem;
    let brownian: BrownianPath | undefined;
    const from = first === 0 ? off[1] : 0; // the coding layer has no noise
    if (spec.noise > 0 && from < N) {
      // σ_n √(1/τ_m) with dW = √dt N(0, 1): σ_n √(dt/τ_m) N(0, 1) per step (refractory membranes: held by the core)
      const g = spec.noise * Math.sqrt(1 / p.tauM);
      const noise = diffusion(N, 'additive', (_t, _y, out) => {
        out.fill(0, 0, from);
        out.fill(g, from, N);
      });
      problem = sdeProblem(f, noise, { layout, name: 'LIF network' });
      brownian = new LayerNoise(N, from, opts.noiseSeed ?? 0);
    } else problem = odeProblem(f, { layout, name: 'LIF network' });

    /** Clock mode: c·Wˡ⁺¹ s of layer l's spikes of the step, one product. */
    const spikes: SpikeSpec = {
      name: 'LIF spikes',
      offset: 0,
      size: N,
      threshold: p.vTh,
      reset: p.reset === 'hard' ? 'zero' : 'subtract',
      vReset: p.vReset,
      refractory: p.tRef,
      groups: off.slice(first, last + 1),
      input: hooks.input,
      inputScale: c,
      onGroup(t, y, g, fired, s) {
        const l = first + g;
        const o = off[l];
        countSpikes(counts[l], o, fired);
        if (raster !== undefined) recordSpikes(raster[l], t, o, sizes[l], fired);
        if (l === last) {
          if (l < L && hooks.exit) keepSpikes(hooks.exit, t, fired);
          return;
        }
        if (fired.length === 0) return;
        if (s.mode === 'clock') deliverLayer(sy, y, l, off[l], off[l + 1], fired, s);
        else deliverEach(sy, y, l, off[l], off[l + 1], fired, s);
      },
    };
    return { first, last, problem, y0: new Float64Array(N).fill(vRest), spikes, brownian };
  };

  const coding = (solver: string, h: number): CodingLayer => {
    const shared = opts.codingDrive?.layer;
    const steps = Math.round(duration / h);
    if (shared && shared.h === h && shared.steps === steps && (shared.raster || !raster)) return shared;
    const n0 = sizes[0];
    const n1 = sizes[1];
    // the block 0..0: its spikes of each step, kept as index lists
    const exit = stepSpikes(h, steps, B * n0);
    const block = layers(0, 0, { exit });
    const c0 = counts[0].slice();
    const sol = solve(block.problem, solver, { t0: 0, t1: duration, y0: block.y0, dt0: h, spikes: block.spikes, spikeMode: 'clock', maxSteps: 10_000_000, saveAt: { ts: [duration], fn: () => 0 } });
    if (sol.status !== 'ok') throw new Error(`LIF coding layer run ended with status '${sol.status}': ${sol.message}`);
    const layerCounts = counts[0].slice();
    for (let i = 0; i < layerCounts.length; i++) layerCounts[i] -= c0[i];
    // W¹s⁰ of every step: one product over the window (T·B x n_0)(n_0 x n_1), or sparse sums
    const drive = zeroed(opts.codingDrive?.buffers, 'drive', steps * B * n1);
    const total = sol.stats.spikes;
    const { perStep, from, buf } = exit;
    if (spec.synapse === 'dense' || (spec.synapse === 'auto' && total / (steps * B * n0) > 0.05 && n0 * n1 >= 4096)) {
      const s0 = zeroed(opts.codingDrive?.buffers, 'spikes', steps * B * n0);
      for (let k = 0; k < steps; k++) {
        const o = k * B * n0;
        for (let q = from[k]; q < from[k] + perStep[k]; q++) s0[o + buf[q]] = 1;
      }
      matMulTB(mat(steps * B, n0, s0), params.W[0], mat(steps * B, n1, drive));
    } else {
      const wt = transposed(sy, 0);
      for (let k = 0; k < steps; k++) {
        for (let q = from[k]; q < from[k] + perStep[k]; q++) {
          const b = (buf[q] / n0) | 0;
          const r = (buf[q] - b * n0) * n1;
          const o = (k * B + b) * n1;
          for (let e = 0; e < n1; e++) drive[o + e] += wt[r + e];
        }
      }
    }
    const layer: CodingLayer = { h, steps, counts: layerCounts, spikes: total, perStep, drive, raster: raster?.[0], stats: { accepted: sol.stats.accepted, nfe: sol.stats.nfe } };
    if (opts.codingDrive) opts.codingDrive.layer = layer;
    return layer;
  };

  return { spec, batch: B, duration, counts, raster, layers, coding };
}

export interface LifRun {
  /** Spike counts per layer 0..L (B x n_l); counts[0] is the coding layer's. */
  counts: Float64Array[];
  /** Spike times (ms) of sample 0 per layer and neuron, when recorded. */
  raster?: number[][][];
  /** Total spikes over all layers and samples. */
  spikes: number;
  /** The solver's statistics. */
  stats: { accepted: number; rejected: number; nfe: number; events: number; spikes: number };
  /** Clock mode: the statistics of the coding layer's own solve (with a shared codingDrive, of the solve that made it, once for several runs). */
  codingStats?: { accepted: number; nfe: number };
}

/**
 * Integrate a network over its window with `solve`: the spec's integrator unless one is given;
 * clock mode for a fixed-step solver (step dt0, default the spec's dt), event mode otherwise. Clock
 * mode solves the coding layer once (or takes it from the codingDrive option) and integrates layers
 * 1..L fed its drive; event mode integrates layers 0..L together. `stats` are those of the run of
 * layers 1..L (clock) or 0..L (event), with `spikes` the total over all layers.
 */
export function runLif(net: LifNetwork, integrator: LifIntegrator = integratorOf(net.spec)): LifRun {
  const { spec } = net;
  const L = spec.sizes.length - 1;
  const adaptive = solvers.get(integrator.solver).adaptive;
  const mode = integrator.mode ?? (adaptive ? 'event' : 'clock');
  if (mode !== 'clock' && mode !== 'event') throw new Error(`spike mode must be 'clock' or 'event' (got '${String(mode)}')`);
  const h = integrator.dt0 ?? (adaptive ? undefined : spec.dt);
  if (mode === 'clock') checkClockWindow(h ?? spec.dt, net.duration, spec.lif);
  if (spec.noise > 0 && mode === 'event') throw new Error('membrane noise is implemented in the clock-driven mode only; set noise: 0 for the event-located mode');
  let block: LifLayers;
  let fromCoding = 0;
  let codingStats: LifRun['codingStats'];
  if (mode === 'clock') {
    const coding = net.coding(integrator.solver, h!);
    codingStats = coding.stats;
    net.counts[0].set(coding.counts);
    if (net.raster && coding.raster && coding.raster !== net.raster[0]) net.raster[0] = coding.raster.map((r) => r.slice());
    fromCoding = coding.spikes;
    // layer 1 (group 0) gets c·W¹s⁰ of the step in its threshold pass (the schedule's input times
    // its inputScale c; the state holds layers 1..L)
    const m = net.batch * spec.sizes[1];
    const { drive, perStep } = coding;
    block = net.layers(1, L, {
      input(t, g) {
        const k = Math.round(t / h!) - 1;
        return g > 0 || perStep[k] === 0 ? null : drive.subarray(k * m, (k + 1) * m);
      },
    });
  } else block = net.layers(0, L);
  const sol = solve(block.problem, integrator.solver, {
    t0: 0,
    t1: net.duration,
    y0: block.y0,
    dt0: h,
    rtol: integrator.rtol,
    atol: integrator.atol,
    spikes: block.spikes,
    spikeMode: mode,
    brownian: block.brownian,
    maxSteps: 10_000_000,
    saveAt: { ts: [net.duration], fn: () => 0 },
  });
  if (sol.status !== 'ok') throw new Error(`LIF network run ended with status '${sol.status}': ${sol.message}`);
  const spikes = sol.stats.spikes + fromCoding;
  return { counts: net.counts, raster: net.raster, spikes, stats: { ...sol.stats, spikes }, ...(codingStats ? { codingStats } : {}) };
}

/** Clock-driven run of the whole network on x (B x n_0): the spec's integrator (Euler at dt by default). */
export function simulateClock(spec: SnnSpec, params: SnnParams, x: Float64Array, B: number, pert: Perturbation | null = null, opts: Omit<LifNetworkOptions, 'pert'> = {}): LifRun {
  return runLif(lifNetwork(spec, params, x, B, { ...opts, pert }), { ...integratorOf(spec), mode: 'clock' });
}

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

/** Event-located run of one sample x (n_0 values): the same network in the schedule's event mode. */
export function simulateEvents(spec: SnnSpec, params: SnnParams, x: ArrayLike<number>, opts: EventRunOptions = {}): LifRun {
  if (x.length !== spec.sizes[0]) throw new Error(`input has ${x.length} values; the coding layer has ${spec.sizes[0]} neurons`);
  if (spec.noise > 0) throw new Error('membrane noise is implemented in the clock-driven mode only; set noise: 0 for simulateEvents');
  const net = lifNetwork(spec, params, x, 1, { pert: opts.pert, record: opts.record, duration: opts.duration });
  return runLif(net, { solver: opts.solver ?? 'rk4', dt0: opts.dt0, rtol: opts.rtol, atol: opts.atol, mode: 'event' });
}
