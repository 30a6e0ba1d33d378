/**
 * Training loops for the DLL MLP (buffered, Algorithm 1; or coupled, no phases) and for the BP
 * baseline on the same network (src/nn/mlp.ts), with the same initial W, data order and optimiser.
 */
import '../../solvers/index'; // registers the built-in solvers by name
import { Rng } from '../../src/core/random';
import { solve } from '../../src/core/solve';
import { constantStep } from '../../src/core/controller';
import type { StateLayout } from '../../src/core/state';
import type { Problem } from '../../src/core/terms';
import { losses as lossTable } from '../../src/nn/losses';
import { Mlp, epochOrder, gatherRows, type MlpParams } from '../../src/nn/mlp';
import {
  ApicalRelaxer,
  DllMlp,
  coupledProblem,
  packCoupled,
  paramArrays,
  resetApical,
  unpackCoupled,
  type DllParams,
  type DllUpdates,
  type DllWorkspace,
  type RelaxOptions,
  type RelaxResult,
  type Timescales,
} from './mlp';
import { makeOptimizer, type Optimizer, type OptimizerName } from '../../src/nn/optim';

export type Method = 'dll' | 'dll-fa' | 'bp';

/** One buffered DLL step (Algorithm 1): present, relax to eq. (7), then update W, b, Θ once. */
export class DllTrainer {
  readonly ws: DllWorkspace;
  readonly relaxer: ApicalRelaxer;
  readonly updates: DllUpdates;
  readonly optimizer: Optimizer;
  private readonly arrays: Float64Array[];
  private readonly dirs: Float64Array[];
  lastRelax: RelaxResult | null = null;

  constructor(
    readonly net: DllMlp,
    readonly params: DllParams,
    batch: number,
    opts: { optimizer: OptimizerName; lr: number; relax?: RelaxOptions; relaxTime?: number },
  ) {
    net.checkParams(params);
    this.ws = net.workspace(batch);
    this.relaxer = new ApicalRelaxer(net, this.ws, opts.relax);
    this.updates = net.zeroUpdates();
    this.arrays = paramArrays(params);
    this.dirs = paramArrays(this.updates);
    this.optimizer = makeOptimizer(opts.optimizer, opts.lr, this.arrays.map((a) => a.length));
    this.relaxTime = opts.relaxTime;
  }
  private readonly relaxTime?: number;

  /** Returns the batch's output loss before the update. */
  step(input: ArrayLike<number>, target: ArrayLike<number>): number {
    const { net, ws } = this;
    net.present(this.params, ws, input, target);
    const loss = net.outputLoss(ws);
    this.lastRelax = this.relaxTime !== undefined ? this.relaxer.relaxFor(this.params, this.relaxTime) : this.relaxer.relax(this.params);
    net.weightRates(ws, this.updates);
    this.optimizer.step(this.arrays, this.dirs);
    for (const a of this.arrays) {
      for (let i = 0; i < a.length; i++) {
        if (!Number.isFinite(a[i])) throw new Error('DLL weights became non-finite; lower the learning rate');
      }
    }
    return loss;
  }
}

/**
 * The coupled flow trained presentation by presentation: each batch is shown for a time T during
 * which x, W, b and Θ move together (x starts at u when the batch arrives, eq. 4). With plain flows
 * (no optimiser) the learning rate per presentation is η = T/τ_W.
 */
export class CoupledTrainer {
  readonly ws: DllWorkspace;
  readonly problem: Problem;
  readonly layout: StateLayout;
  y: Float64Array;

  constructor(
    readonly net: DllMlp,
    params: DllParams,
    batch: number,
    readonly ts: Timescales,
    readonly opts: { T: number; solver?: string; dt?: number },
  ) {
    net.checkParams(params);
    this.ws = net.workspace(batch);
    const c = coupledProblem(net, this.ws, ts);
    this.problem = c.problem;
    this.layout = c.layout;
    this.y = packCoupled(net, this.layout, params);
  }

  present(input: ArrayLike<number>, target: ArrayLike<number>): void {
    this.net.setBatch(this.ws, input, target);
    resetApical(this.net, this.layout, this.ws, this.y);
    const solver = this.opts.solver ?? 'rk4';
    const fixed = solver === 'euler' || solver === 'heun' || solver === 'rk4';
    const sol = solve(this.problem, solver, {
      t0: 0,
      t1: this.opts.T,
      y0: this.y,
      dt0: this.opts.dt ?? 0.25 * this.ts.tauX,
      rtol: 1e-9,
      atol: 1e-12,
      maxSteps: 1e7,
      ...(fixed ? { controller: constantStep() } : {}),
    });
    if (sol.status !== 'ok') throw new Error(`coupled DLL flow stopped: ${sol.message}`);
    this.y = sol.y;
  }

  params(): DllParams {
    return unpackCoupled(this.net, this.layout, this.y);
  }
}

/** BP on the same MLP with the same optimiser (the baseline). */
export class BpTrainer {
  readonly mlp: Mlp;
  readonly optimizer: Optimizer;
  private readonly arrays: Float64Array[];

  constructor(
    sizes: readonly number[],
    hidden: string,
    readonly params: MlpParams,
    readonly loss: 'mse' | 'cross-entropy',
    opts: { optimizer: OptimizerName; lr: number },
  ) {
    this.mlp = new Mlp({ sizes, hidden, output: 'linear' });
    this.arrays = [...params.W.map((w) => w.data), ...params.b];
    this.optimizer = makeOptimizer(opts.optimizer, opts.lr, this.arrays.map((a) => a.length));
  }

  step(input: Float64Array, target: Float64Array, batch: number): number {
    const cache = this.mlp.forward(this.params, input, batch);
    const g = this.mlp.backward(this.params, cache, target, lossTable[this.loss]);
    const dirs = [...g.gW.map((w) => w.data), ...g.gb].map((d) => {
      for (let i = 0; i < d.length; i++) d[i] = -d[i];
      return d;
    });
    this.optimizer.step(this.arrays, dirs);
    return g.loss;
  }
}

/** Initial parameters shared by DLL, DLL-FA and BP for one seed: identical W (and b = 0); Θ drawn after W. */
export function initialParams(net: DllMlp, seed: number): DllParams {
  return net.init(new Rng(seed));
}

export function toMlpParams(p: DllParams): MlpParams {
  return { W: p.W.map((w) => ({ rows: w.rows, cols: w.cols, data: w.data.slice() })), b: p.b.map((b) => b.slice()) };
}

/** Output of a network with weights W, b on x (n x d), in chunks. */
export function predict(sizes: readonly number[], hidden: string, p: { W: MlpParams['W']; b: MlpParams['b'] }, x: Float64Array, n: number): Float64Array {
  const mlp = new Mlp({ sizes, hidden, output: 'linear' });
  const k = sizes[sizes.length - 1];
  const d = sizes[0];
  const out = new Float64Array(n * k);
  const chunk = 500;
  for (let s = 0; s < n; s += chunk) {
    const e = Math.min(n, s + chunk);
    out.set(mlp.predict({ W: p.W, b: p.b }, x.subarray(s * d, e * d), e - s), s * k);
  }
  return out;
}

/** Shuffled minibatches for one epoch: calls fn(input, target) for each full batch. */
export function forEachBatch(
  x: Float64Array,
  t: Float64Array,
  n: number,
  d: number,
  k: number,
  batch: number,
  rng: Rng,
  fn: (input: Float64Array, target: Float64Array) => void,
): void {
  const order = epochOrder(n, rng);
  const xb = new Float64Array(batch * d);
  const tb = new Float64Array(batch * k);
  for (let s = 0; s + batch <= n; s += batch) {
    gatherRows(x, d, order, s, s + batch, xb);
    gatherRows(t, k, order, s, s + batch, tb);
    fn(xb, tb);
  }
}
