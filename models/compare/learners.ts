/**
 * One interface over every rule: a learner owns its network's forward weights (in the layout of
 * src/nn/mlp.ts, W_l of shape n_l x n_{l−1}, no biases) and whatever else its rule needs (feedback
 * weights, controller, projector), and learns along the minibatch flow
 *
 *   dθ/dt = η ΔW(θ) on minibatch k during [k, k + 1)   (θ: W_l and any learned feedback),
 *
 * integrated by `solve` (MinibatchStep below) with the same η for every rule: with the default
 * Euler step of one minibatch it is plain SGD, W_l ← W_l + η ΔW_l; `--solver` (RunArgs.solver)
 * integrates the same flow with another ODE solver. Fast phases inside ΔW (DFC's wake and sleep
 * settling, DLL's apical relaxation) keep their papers' integrators. `step` returns ΔW (the
 * direction the rule applied, per unit η), so the harness can measure its angle to the BP gradient.
 *
 * Scale conventions (so that η means the same thing for every rule; each rule's ΔW estimates
 * −∂L/∂W of the common loss L = ⟨½‖y − t‖²⟩ up to what the rule itself changes):
 * - DFC's loss is ‖r_L − y‖² (no ½) and its updates are O(λ): ΔW = forwardUpdate / (2λ)
 *   (dfc-adapter.ts); its 'DFA' baseline ΔW / 2.
 * - NP/LOCO estimate the gradient of eq. (27), (1/N)·½‖r − y‖²: ΔW = −N·ĝ (perturbation.ts).
 * - DLL, FA, URFB, SAL, KP, WM, BP are in the units of L already.
 *
 * This file: the learners on the tanh network built from src/nn and models/dll (BP, FA, URFB, DLL).
 * DFA, DFC-SSA, DFC: dfc-adapter.ts; NP, LOCO: perturbation.ts; BP-ReLU, KP, WM, SAL: sal-adapter.ts.
 */
import { mat, type Mat } from '../../src/linalg/mat';
import { mse } from '../../src/nn/losses';
import { Mlp } from '../../src/nn/mlp';
import { DllMlp, type DllParams, type DllUpdates, type DllWorkspace } from '../dll/mlp';
import { DllTrainer } from '../dll/trainer';
import { MinibatchFlow, PAPER_FLOW, arrayViews, type FlowSolver } from '../../src/experiment/minibatch-flow';
import { makeOptimizer } from '../../src/nn/optim';
import type { Family, RuleName } from './rules';
import type { TaskData } from './tasks';

/** Rule-specific settings of one task (defaults in run.ts). */
export interface RuleSettings {
  /** DFC: forward phase (λ, k_p, α, τ's, dt, steps), feedback phase, feedback optimiser. */
  dfc: {
    forward: { tauV: number; tauU: number; kp: number; alpha: number; lambda: number; dt: number; steps: number };
    sleep: { tauV: number; tauU: number; tauFb: number; kp: number; alpha: number; dt: number; steps: number; sigma: number; beta: number };
    /** Adam rate of the feedback weights Q (the DFC code's optimiser for Q). */
    lrQ: number;
    pretrainEpochs: number;
    fbEpochsPerEpoch: number;
  };
  /** NP/LOCO perturbation scale σ. */
  sigma: number;
  /** LOCO projector: principal directions k (capped per layer at its input width), k-means centres, buffer. */
  loco: { k: number; clusters: number; buffer: number };
  /** SAL/KP/WM weight decay γ per minibatch, and η_V = η_V̄ = interRate·η. */
  sal: { decay: number; interRate: number };
  /** URFB feedback rate ε (1 in the paper). */
  epsilon: number;
}

export interface LearnerSetup {
  rule: RuleName;
  data: TaskData;
  /** Shared initial forward weights (copied). */
  W0: readonly Mat[];
  /** Shared initial feedback weights with the shapes of W (B0[l] feeds layer l's error back; B0[0] unused). */
  B0: readonly Mat[];
  lr: number;
  batch: number;
  /** Seed of the rule's own randomness (noise, DFA matrices, SAL's V, V̄). */
  seed: number;
  settings: RuleSettings;
  /** The integrator of the rule's minibatch learning flow (default: Euler, one step per minibatch = SGD with η). */
  solver?: FlowSolver;
}

export interface Learner {
  readonly family: Family;
  /** Current forward weights (live views). */
  weights(): Mat[];
  /** Before the first epoch (DFC: feedback pre-training). */
  begin?(): void;
  /** One minibatch step; returns the applied direction ΔW per unit η. */
  step(x: Float64Array, t: Float64Array, labels: Int32Array | null, B: number): Mat[];
  /** After each epoch (DFC: the sleep phase). */
  endEpoch?(): void;
  /** Time of the fast neural dynamics simulated so far (units of the model's τ; 0 for algebraic passes). */
  simTime(): number;
}

export function copyMats(ms: readonly Mat[]): Mat[] {
  return ms.map((m) => mat(m.rows, m.cols, m.data.slice()));
}

/** ΔW = (after − before)/η, for learners whose model code applies the step itself. */
export function appliedDirection(before: readonly Mat[], after: readonly Mat[], lr: number): Mat[] {
  return after.map((m, l) => {
    const d = mat(m.rows, m.cols);
    const b = before[l].data;
    for (let i = 0; i < d.data.length; i++) d.data[i] = (m.data[i] - b[i]) / lr;
    return d;
  });
}

/**
 * A rule's learning flow over one minibatch through `solve` (models/dll/flow.ts): the parameters
 * θ (the forward weights, and the feedback weights a rule learns with them) follow dθ/dt = η Δ(θ)
 * on minibatch k during [k, k + 1), with Δ computed at the state by `direction`. Euler with one
 * step per minibatch (the default) is the comparison's common SGD step θ ← θ + ηΔ, bit for bit; the
 * run's `--solver` integrates the same flow over the minibatch with any other ODE solver.
 *
 * `step` returns the direction applied per unit η: with the default, Δ(θ_k) from the single
 * vector-field call (θ_{k+1} − θ_k = ηΔ exactly as the step computed it); with any other solver,
 * (θ_{k+1} − θ_k)/η.
 */
export class MinibatchStep {
  private readonly flow: MinibatchFlow;
  private readonly paper: boolean;
  private readonly before: Float64Array[];
  private readonly applied: Float64Array[];
  /** Minibatches presented so far (the index `load` sees). */
  private count = 0;
  constructor(
    private readonly arrays: Float64Array[],
    readonly dirs: Float64Array[],
    private readonly lr: number,
    direction: (theta: readonly Float64Array[]) => void,
    name: string,
    private readonly solver: FlowSolver = PAPER_FLOW,
    /** Called with the minibatch's index before its first vector-field call (a rule's per-minibatch draws). */
    load: (k: number) => void = () => {},
  ) {
    const sizes = arrays.map((a) => a.length);
    this.paper = isPaperFlow(solver);
    this.before = this.paper ? [] : arrays.map((a) => new Float64Array(a.length));
    this.applied = this.paper ? dirs : arrays.map((a) => new Float64Array(a.length));
    this.flow = new MinibatchFlow({
      name,
      sizes,
      dirs,
      groups: [{ optimizer: makeOptimizer('sgd', lr, sizes), members: sizes.map((_, k) => k) }],
      direction: (theta) => {
        direction(theta);
        return NaN;
      },
      load,
    });
  }
  /** One minibatch (already in place where `direction` reads it); throws when θ becomes non-finite. Returns the applied direction per array. */
  step(): Float64Array[] {
    if (!this.paper) this.arrays.forEach((a, k) => this.before[k].set(a));
    const r = this.flow.run(this.arrays, 1, this.solver, { offset: this.count++ });
    if (r.solution.status !== 'ok') throw new Error(`non-finite weights: ${r.solution.message}`);
    if (!this.paper) {
      this.arrays.forEach((a, k) => {
        const b = this.before[k];
        const d = this.applied[k];
        for (let i = 0; i < d.length; i++) d[i] = (a[i] - b[i]) / this.lr;
      });
    }
    return this.applied;
  }
}

/** The paper's integrator of a minibatch flow: Euler with one step per minibatch (SGD with η). */
export function isPaperFlow(f: FlowSolver): boolean {
  return f.solver === 'euler' && (f.dt0 === undefined || f.dt0 === 1) && f.rtol === undefined && f.atol === undefined;
}

/** Mats with the shapes of `like` viewing `arrays` (from index `from`). */
export function matViews(like: readonly Mat[], arrays: readonly Float64Array[], from = 0): Mat[] {
  return like.map((m, l) => ({ rows: m.rows, cols: m.cols, data: arrays[from + l] }));
}

/** BP on the bias-free tanh network (src/nn/mlp.ts): ΔW = −∂L/∂W. */
class BpLearner implements Learner {
  readonly family = 'tanh' as const;
  private readonly W: Mat[];
  private readonly mlp: Mlp;
  private readonly flow: MinibatchStep;
  private x: Float64Array = new Float64Array(0);
  private t: Float64Array = new Float64Array(0);
  private B = 0;
  constructor(s: LearnerSetup) {
    this.W = copyMats(s.W0);
    this.mlp = new Mlp({ sizes: s.data.sizes, hidden: 'tanh', output: 'linear', bias: false });
    const views = arrayViews((theta) => ({ W: matViews(this.W, theta), b: this.W.map((w) => new Float64Array(w.rows)) }));
    const dirs = this.W.map((w) => new Float64Array(w.data.length));
    this.flow = new MinibatchStep(this.W.map((w) => w.data), dirs, s.lr, (theta) => {
      const p = views(theta);
      const g = this.mlp.backward(p, this.mlp.forward(p, this.x, this.B), this.t, mse);
      g.gW.forEach((m, l) => {
        const d = dirs[l];
        for (let i = 0; i < m.data.length; i++) d[i] = -m.data[i];
      });
    }, 'BP (compare)', s.solver);
  }
  weights(): Mat[] {
    return this.W;
  }
  step(x: Float64Array, t: Float64Array, _labels: Int32Array | null, B: number): Mat[] {
    this.x = x;
    this.t = t;
    this.B = B;
    const applied = this.flow.step();
    return this.W.map((w, l) => mat(w.rows, w.cols, applied[l].slice()));
  }
  simTime(): number {
    return 0;
  }
}

/**
 * FA and URFB on the DLL network (models/dll/mlp.ts): its equilibrium sweep `closedForm`,
 * ξ_i = Θ_iᵀ[ξ_{i+1} ⊙ f′], e_i = ξ_{i+1} ⊙ f′, is exactly the backward pass of feedback alignment
 * with B = Θᵀ, and `weightRates` gives ΔW_i = ⟨e_i u_iᵀ⟩. With Θ fixed this is FA (= DLL-FA at its
 * equilibrium); URFB adds Amit's feedback rule R_l ← R_l + εη x_{l−1}δ_lᵀ (models/urfb/nonlinear.ts),
 * which with Θ = Rᵀ is Θ_i ← Θ_i + ε η ΔW_i. URFB's own FeedbackNet is not used because it fixes the
 * saturated-linear unit and the hinge/softmax losses (no MSE, no tanh).
 */
class FeedbackSweepLearner implements Learner {
  readonly family = 'tanh' as const;
  private readonly net: DllMlp;
  private readonly p: DllParams;
  private readonly ws: DllWorkspace;
  private readonly upd: DllUpdates;
  private readonly flow: MinibatchStep;
  private x: Float64Array = new Float64Array(0);
  private t: Float64Array = new Float64Array(0);
  constructor(private readonly s: LearnerSetup, private readonly epsilon: number) {
    this.net = new DllMlp({ sizes: s.data.sizes, hidden: 'tanh', loss: 'mse', bias: false, feedback: 'fixed' });
    this.p = dllParams(s);
    this.ws = this.net.workspace(s.batch);
    this.upd = this.net.zeroUpdates();
    // θ = W (FA), or W and Θ with dΘ_i/dt = ε η ΔW_i (URFB).
    const L = this.p.W.length;
    const learnsTheta = epsilon !== 0;
    const arrays = [...this.p.W.map((w) => w.data), ...(learnsTheta ? this.p.Theta.map((m) => m.data) : [])];
    const thetaDirs = learnsTheta ? this.p.Theta.map((m) => new Float64Array(m.data.length)) : [];
    const dirs = [...this.upd.W.map((w) => w.data), ...thetaDirs];
    const views = arrayViews((theta): DllParams => ({ W: matViews(this.p.W, theta), b: this.p.b, Theta: learnsTheta ? matViews(this.p.Theta, theta, L) : this.p.Theta }));
    this.flow = new MinibatchStep(arrays, dirs, s.lr, (theta) => {
      const p = views(theta);
      this.net.present(p, this.ws, this.x, this.t);
      this.net.closedForm(p, this.ws);
      this.net.weightRates(this.ws, this.upd);
      thetaDirs.forEach((d, k) => {
        const w = this.upd.W[k + 1].data;
        for (let i = 0; i < d.length; i++) d[i] = this.epsilon * w[i];
      });
    }, epsilon === 0 ? 'FA (compare)' : 'URFB (compare)', s.solver);
  }
  weights(): Mat[] {
    return this.p.W;
  }
  step(x: Float64Array, t: Float64Array, _labels: Int32Array | null, B: number): Mat[] {
    if (B !== this.s.batch) throw new Error(`batch of ${B} samples; this learner was built for ${this.s.batch}`);
    this.x = x;
    this.t = t;
    const applied = this.flow.step();
    return this.p.W.map((w, l) => mat(w.rows, w.cols, applied[l].slice()));
  }
  simTime(): number {
    return 0;
  }
}

/** DLL parameters from the shared initialisation: W = W0, b = 0, Θ_i = B0[i] (i = 1..L−1). */
function dllParams(s: LearnerSetup): DllParams {
  const W = copyMats(s.W0);
  return { W, b: W.map((w) => new Float64Array(w.rows)), Theta: copyMats(s.B0.slice(1)) };
}

/**
 * DLL as its own trainer runs it (models/dll/trainer.ts, Algorithm 1): present the batch, relax the
 * apical compartments by `solve` (Euler, dt = 0.5 τ_x) to the steady state of eq. (7), then one SGD
 * step of W and Θ (eqs. 8-9) with the common η: the trainer's slow flow (models/dll/flow.ts), which
 * the run's `--solver` integrates (a multi-stage solver relaxes once per stage). Simulated time: the
 * last relaxation's time per batch.
 */
class DllLearner implements Learner {
  readonly family = 'tanh' as const;
  private readonly trainer: DllTrainer;
  private readonly p: DllParams;
  private relaxed = 0;
  constructor(private readonly s: LearnerSetup) {
    const net = new DllMlp({ sizes: s.data.sizes, hidden: 'tanh', loss: 'mse', bias: false, feedback: 'learned' });
    this.p = dllParams(s);
    this.trainer = new DllTrainer(net, this.p, s.batch, { optimizer: 'sgd', lr: s.lr, ...(s.solver ? { flow: s.solver } : {}) });
  }
  weights(): Mat[] {
    return this.p.W;
  }
  step(x: Float64Array, t: Float64Array, _labels: Int32Array | null, B: number): Mat[] {
    if (B !== this.s.batch) throw new Error(`batch of ${B} samples; this learner was built for ${this.s.batch}`);
    const before = copyMats(this.p.W);
    this.trainer.step(x, t);
    this.relaxed += this.trainer.lastRelax?.t ?? 0;
    return appliedDirection(before, this.p.W, this.s.lr);
  }
  simTime(): number {
    return this.relaxed;
  }
}

export type LearnerFactory = (s: LearnerSetup) => Learner;

/** The learners of this file; run.ts adds those of the adapters. */
export const baseLearners: Partial<Record<RuleName, LearnerFactory>> = {
  BP: (s) => new BpLearner(s),
  FA: (s) => new FeedbackSweepLearner(s, 0),
  URFB: (s) => new FeedbackSweepLearner(s, s.settings.epsilon),
  DLL: (s) => new DllLearner(s),
};
