/**
 * Minibatch learning as a flow integrated by `solve` (issue 14), for any model whose learning is a
 * discrete iteration θ ← θ + η Δ_k(θ) over minibatches k (DLL's W/Θ flows and the BP baselines
 * beside them, LOCO's node-perturbation and LOCO updates, the comparison's rules). It holds no
 * model's equations: a model gives the update direction Δ_k(θ) and the minibatch loader.
 *
 * Time counts presentations: minibatch k is presented during [k, k + 1), a piecewise-constant input
 * (src/core/input.ts) that no step crosses. On it the parameters θ (one state block per array) follow
 *
 *     dθ/dt = η Δ_k(θ),
 *
 * the paper's τ_W dθ/dt = Δ with τ_W = 1/η presentations, where Δ_k(θ) is the model's update
 * direction on minibatch k at θ. Forward Euler with dt0 = 1 is SGD with learning rate η, bit for bit
 * (Euler adds 1·(ηΔ) to θ, the same floating-point operations as θ += ηΔ); any other solver
 * integrates the same flow within each minibatch's segment (its stages evaluate Δ_k at other θ).
 *
 * Adam is not an integrator of this flow: it is a discrete map with its own state (two moment
 * vectors and a step count) that advance once per minibatch. It enters here as the vector field's
 * displacement, −η m̂/(√v̂ + ε), with its moments advanced in the vector-field call, which is exact
 * for Euler with dt0 = 1 (one call per minibatch: the same operations as the optimiser's own step)
 * and meaningless for anything else (a multi-stage solver would advance the moments once per
 * stage). So a flow with an Adam group runs only as 'euler' with dt0 = 1, and
 * `checkOptimizerSolver` refuses the rest before any work starts.
 *
 * The minibatch loss (at θ before the minibatch's first step, what trainers report) is a reduction:
 * taken once per segment from the vector-field call at the segment's start, never recomputed for
 * Euler.
 */
import '../../solvers/index'; // registers the built-in solvers by name
import { solve, type Solution } from '../core/solve';
import { addScaledSum, stateSum } from '../core/solver';
import { solvers } from '../core/solvers';
import { piecewiseInput, uniformJumps } from '../core/input';
import { defineState, vector, type BlockSpec, type StateLayout } from '../core/state';
import { drift, odeProblem, type Problem } from '../core/terms';
import type { Optimizer } from '../nn/optim';
import { solverChoice } from './solver-options';
import { UsageError, type ParsedOptions } from './options';

/** Caches typed views per state buffer (solvers reuse a few stage buffers), so vector fields allocate nothing. */
export function viewCache<V>(make: (y: Float64Array) => V): (y: Float64Array) => V {
  const cache = new WeakMap<Float64Array, V>();
  return (y) => {
    let v = cache.get(y);
    if (!v) {
      v = make(y);
      cache.set(y, v);
    }
    return v;
  };
}

/** Caches a structured view of the flow's arrays per state buffer (the arrays of one buffer are always the same objects). */
export function arrayViews<V>(make: (theta: readonly Float64Array[]) => V): (theta: readonly Float64Array[]) => V {
  const cache = new WeakMap<Float64Array, V>();
  return (theta) => {
    let v = cache.get(theta[0]);
    if (!v) {
      v = make(theta);
      cache.set(theta[0], v);
    }
    return v;
  };
}

/** The integrator of a minibatch flow: a registered solver and its step (presentations) or tolerances. */
export interface FlowSolver {
  solver: string;
  /** Step in presentations (default 1: one step per minibatch). */
  dt0?: number;
  rtol?: number;
  atol?: number;
}

/** The paper's: Euler with one step per minibatch (SGD, or Adam, with the learning rate η). */
export const PAPER_FLOW: FlowSolver = { solver: 'euler', dt0: 1 };

/**
 * Refuse, before work starts, a flow solver the optimiser cannot run with (Adam: only euler with
 * dt0 = 1) or that cannot stop at the minibatch boundaries. `what` names the options for messages.
 */
export function checkOptimizerSolver(optimizer: string, f: FlowSolver, what: { solver: string; dt0: string; optimizer: string; flow?: string } = { solver: '--solver', dt0: '--dt0', optimizer: '--optimizer' }): void {
  const s = solvers.get(f.solver);
  const flow = what.flow ?? 'the learning flow';
  if (s.kind === 'driver') {
    throw new UsageError(`${what.solver} ${f.solver} chooses its own steps and cannot stop at the minibatch boundaries of ${flow}; use euler, heun, rk4 or dopri5`);
  }
  if (!s.ode) throw new UsageError(`${what.solver} ${f.solver} handles SDEs only, but ${flow} is an ODE; use euler, heun, rk4 or dopri5`);
  if (f.dt0 !== undefined && !(f.dt0 > 0 && f.dt0 <= 1)) {
    throw new UsageError(`${what.dt0} ${f.dt0}: the step of ${flow} is in presentations (1 = one step per minibatch) and must be in (0, 1]`);
  }
  if (optimizer === 'adam' && (f.solver !== 'euler' || (f.dt0 ?? 1) !== 1)) {
    throw new UsageError(`${what.optimizer} adam is a discrete optimiser (its moments advance once per minibatch), so ${flow} runs with it only as ${what.solver} euler ${what.dt0} 1; use ${what.optimizer} sgd to integrate the flow with ${f.solver}${f.dt0 !== undefined ? ` at ${what.dt0} ${f.dt0}` : ''}`);
  }
}

/**
 * A command's --solver/--dt0/--rtol/--atol for a minibatch flow, refused before work when they
 * cannot run it (an SDE solver; odex, which cannot stop at minibatch boundaries; Adam with anything
 * but euler at dt0 = 1). `flow` names the flow in messages (e.g. 'the slow W/Θ flow (eqs. 8-9)').
 * `{}` for the paper's integrator (Euler, one step per minibatch: default runs keep their
 * settings), else `{ flow }`.
 */
export function minibatchFlowChoice(opts: ParsedOptions, flow: string, optimizer: string): { flow?: FlowSolver } {
  const c = solverChoice(opts, { what: `${flow} (one minibatch per unit of time)`, sde: false, inputJumps: true });
  checkOptimizerSolver(optimizer, c, { solver: '--solver', dt0: '--dt0', optimizer: '--optimizer', flow });
  return c.solver === 'euler' && (c.dt0 === undefined || c.dt0 === 1) ? {} : { flow: c };
}

/** An optimiser and the parameter arrays (indices into the flow's arrays) it moves. */
export interface OptimizerGroup {
  optimizer: Optimizer;
  members: readonly number[];
}

export interface MinibatchFlowSpec {
  /** Shapes of the parameter arrays: their lengths, in order (one state block each). */
  sizes: readonly number[];
  /** Names of the blocks (for divergence reports); default p0, p1, … */
  names?: readonly string[];
  /** The model's update-direction arrays, shaped like θ, that `direction` fills and the optimisers read. */
  dirs: readonly Float64Array[];
  /** Update directions Δ at θ on the current minibatch, written into `dirs`. Returns the minibatch loss at θ. */
  direction(theta: readonly Float64Array[]): number;
  /** Optimisers and the arrays each moves (every array in exactly one group, or in none: then it stays). */
  groups: readonly OptimizerGroup[];
  /** Load minibatch `k` (segment k of the run) where `direction` reads it. */
  load(k: number): void;
  name: string;
}

/** What a run of the flow over some presentations gives. */
export interface FlowRun {
  solution: Solution;
  /** Sum of the minibatch losses (at θ before each minibatch's first step), in presentation order. */
  lossSum: number;
}

/**
 * The flow dθ/dt = η Δ_k(θ) over a presentation schedule: `run(arrays, count, solver)` integrates
 * `count` minibatches from the parameters in `arrays` and writes the result back into them.
 */
export class MinibatchFlow {
  readonly layout: StateLayout;
  private readonly views: (y: Float64Array) => Float64Array[];
  /** The loss of the last vector-field call per state buffer (time and segment with it). */
  private readonly memo = new WeakMap<Float64Array, { t: number; segment: number; loss: number }>();
  private segment = 0;
  private offset = 0;
  private onSegmentLoss: ((k: number, loss: number) => void) | null = null;
  /** The fused Euler step's buffer for the displacement when h ≠ 1. */
  private scratch: Float64Array | null = null;
  /** The parameter arrays in no optimiser group (they stay where they are). */
  private readonly ungrouped: number[];
  /** The initial state, reused from run to run (solve copies it). */
  private y0: Float64Array | null = null;

  constructor(readonly spec: MinibatchFlowSpec) {
    const blocks: Record<string, BlockSpec> = {};
    spec.sizes.forEach((n, k) => (blocks[spec.names?.[k] ?? `p${k}`] = vector(n)));
    this.layout = defineState(blocks);
    spec.sizes.forEach((n, k) => {
      if (spec.dirs[k]?.length !== n) throw new Error(`direction array ${k} has ${spec.dirs[k]?.length ?? 0} entries but parameter array ${k} has ${n}`);
    });
    const offsets = this.layout.blocks.map((b) => b.offset);
    this.views = viewCache((y) => spec.sizes.map((n, k) => y.subarray(offsets[k], offsets[k] + n)));
    const seen = new Set<number>();
    for (const g of spec.groups) {
      for (const m of g.members) {
        if (seen.has(m)) throw new Error(`parameter array ${m} is in two optimiser groups; give each array one optimiser`);
        seen.add(m);
      }
    }
    this.ungrouped = spec.sizes.map((_n, k) => k).filter((k) => !seen.has(k));
  }

  /** The vector field: η Δ_k(θ) as the groups' optimisers displace θ from zero. */
  private field(t: number, y: Float64Array, out: Float64Array): void {
    const theta = this.views(y);
    const loss = this.spec.direction(theta);
    this.memo.set(y, { t, segment: this.segment, loss });
    out.fill(0);
    const o = this.views(out);
    for (const g of this.spec.groups) {
      g.optimizer.step(
        g.members.map((m) => o[m]),
        g.members.map((m) => this.spec.dirs[m]),
      );
    }
  }

  /**
   * The fused Euler update y1 ← y0 + h·η Δ_k(y0) (`DriftTerm.euler`). At h = 1 (one step per
   * minibatch, the optimiser's own step) the optimisers move a copy of θ in place: an SGD group in
   * one pass y1 = y0 + η·Δ, the in-place SGD step's operations (θ += ηΔ), with no zeroed
   * displacement to add and no separate pass to check the step; other optimisers step on y1 ← y0.
   * At any other h, y0 + h·(displacement) through a scratch buffer, as the generic Euler step.
   * Returns Σ y1 (NaN or ±∞ when an entry is: the divergence check). y1 may be y0 itself
   * (`eulerInPlace`): every direction is computed before anything is written.
   */
  private euler(t: number, y0: Float64Array, h: number, y1: Float64Array): number {
    let s = 0;
    if (h !== 1) {
      const k = (this.scratch ??= new Float64Array(y0.length));
      this.field(t, y0, k);
      for (let i = 0; i < y0.length; i++) {
        const v = y0[i] + h * k[i];
        y1[i] = v;
        s += v;
      }
      return s;
    }
    const theta = this.views(y0);
    const loss = this.spec.direction(theta);
    this.memo.set(y0, { t, segment: this.segment, loss });
    const o = this.views(y1);
    const dirs = this.spec.dirs;
    for (const g of this.spec.groups) {
      if (g.optimizer.name === 'sgd') {
        // θ += ηΔ (in place with eulerInPlace) and its sum, in one pass
        for (const m of g.members) s += addScaledSum(o[m], theta[m], g.optimizer.lr, dirs[m]);
        continue;
      }
      for (const m of g.members) if (o[m] !== theta[m]) o[m].set(theta[m]);
      g.optimizer.step(
        g.members.map((m) => o[m]),
        g.members.map((m) => dirs[m]),
      );
      for (const m of g.members) s += stateSum(o[m]);
    }
    for (const m of this.ungrouped) {
      if (o[m] !== theta[m]) o[m].set(theta[m]); // in no group: stays
      s += stateSum(o[m]);
    }
    return s;
  }

  /** The problem for presentations offset..offset+count−1 (segment k = presentation offset + k). */
  problem(count: number): Problem {
    const jumps = uniformJumps(0, count, 1);
    const input = piecewiseInput(jumps, (k) => {
      this.segment = k;
      this.spec.load(this.offset + k);
    });
    const term = drift(this.layout.size, (t, y, out) => this.field(t, y, out), { euler: (t, y0, h, y1) => this.euler(t, y0, h, y1), eulerInPlace: true });
    return odeProblem(term, { layout: this.layout, input, name: this.spec.name });
  }

  /**
   * Integrate `count` presentations, starting with presentation `offset` (passed to `load`), from
   * and back into `arrays`. Non-finite parameters end the run with status 'diverged', and `arrays`
   * then hold the diverged values with 'euler' (its fused update runs in place, as the optimiser's
   * own step: `DriftTerm.eulerInPlace`), the last finite ones with any other solver.
   * `onLoss(k, loss)` sees each minibatch's loss as it is taken; `stopWhen()`, asked after each accepted step, ends the run there (status 'stopped', the arrays
   * holding the state after that step) when it returns true.
   */
  run(arrays: readonly Float64Array[], count: number, f: FlowSolver, opts: { offset?: number; onLoss?: (k: number, loss: number) => void; stopWhen?: () => boolean } = {}): FlowRun {
    if (!(Number.isInteger(count) && count >= 1)) throw new Error(`a minibatch-flow run needs at least one minibatch (got ${count})`);
    this.offset = opts.offset ?? 0;
    this.onSegmentLoss = opts.onLoss ?? null;
    this.segment = -1;
    const y0 = (this.y0 ??= this.layout.create());
    const v0 = this.views(y0);
    arrays.forEach((a, k) => v0[k].set(a));
    const adaptive = solvers.get(f.solver).adaptive;
    const sol = solve(this.problem(count), f.solver, {
      t0: 0,
      t1: count,
      y0,
      dt0: f.dt0 ?? (adaptive ? undefined : 1),
      rtol: f.rtol,
      atol: f.atol,
      maxSteps: adaptive ? 1e7 : undefined,
      ...(opts.stopWhen ? { stopWhen: opts.stopWhen } : {}),
      reductions: [
        {
          name: 'minibatch loss',
          size: 1,
          inPlace: true,
          // Once per segment, at its first step: the loss at θ before the minibatch's first update.
          step: (t0, yStart, _t1, _y1, acc) => {
            const k = Math.round(t0);
            if (t0 !== k) return;
            const loss = this.lossAt(t0, yStart);
            acc[0] += loss;
            this.onSegmentLoss?.(this.offset + k, loss);
          },
        },
      ],
    });
    const v = this.views(sol.y);
    arrays.forEach((a, k) => a.set(v[k]));
    return { solution: sol, lossSum: sol.reductions[0][0] };
  }

  /**
   * The loss at (t, y): from the vector-field call there (always, for Euler and the explicit RK
   * methods, whose first stage is at the step's start), else evaluated afresh (the directions it
   * writes are not read again in this step).
   */
  private lossAt(t: number, y: Float64Array): number {
    const m = this.memo.get(y);
    if (m && m.t === t && m.segment === this.segment) return m.loss;
    return this.spec.direction(this.views(y));
  }
}
