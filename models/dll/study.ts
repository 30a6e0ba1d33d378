/**
 * DLL's cases of `creditflow reproduce solver-study` (models/solver-study/case.ts), both on the
 * shipped MNIST 8,000/2,000 split with a tanh MLP, cross-entropy on the logits, batch 32, SGD,
 * seed 1, and the same minibatches in the same order (the first training images, in order):
 *
 * - 'dll-relax', the buffered variant (Algorithm 1) whose apical relaxation (eqs. 5-6, τ_x = 1) is
 *   integrated by the solver under study over a fixed time T = 4 τ_x per minibatch
 *   (`ApicalRelaxer.relaxFor`; the commands' default instead relaxes to a residual tolerance, whose
 *   stopping time depends on the solver), and W, b, Θ then take the paper's SGD step (the slow flow
 *   by Euler, one step per minibatch). Evaluations: the relaxations' (the slow flow takes one per
 *   minibatch whatever the relaxation solver). Fixed steps up to 0.5 τ_x, the relaxation's
 *   default step with Euler.
 * - 'dll-coupled', the coupled flow (no phases, criterion C3): x, W, b, Θ move together while each
 *   minibatch is shown for T = η·τ_W/τ_x (`CoupledTrainer`, τ_x = 1, τ_W = τ_Θ = 20, η = 0.05:
 *   T = 1), the apical state reset to the basal values as each minibatch arrives. Fixed steps up to
 *   0.5 τ_x (the trainer's default: rk4 at 0.25 τ_x).
 *
 * Metric: the mean output loss on the first 256 training images after training. Learned state:
 * W, b and Θ. Where the paper is silent (T, τ_W, the network), the choice is ours and stated here.
 */
import { Rng } from '../../src/core/random';
import type { SolverChoice } from '../../src/experiment/solver-options';
import { mnistSplit, oneHot, take } from '../../src/data/mnist';
import type { SolverStudyCase, StudyRun, StudySize } from '../solver-study/case';
import { DllMlp, paramArrays, type DllParams } from './mlp';
import { CoupledTrainer, DllTrainer } from './trainer';

export const DLL_STUDY_SIZES: Record<StudySize, { sizes: number[]; minibatches: number }> = {
  quick: { sizes: [784, 16, 10], minibatches: 6 },
  default: { sizes: [784, 64, 32, 10], minibatches: 60 },
};

const SEED = 1;
const BATCH = 32;
const EVAL = 256;
/** Relaxation time per minibatch of 'dll-relax', in τ_x. */
export const DLL_STUDY_RELAX_TIME = 4;
/** Learning rate η (SGD) of both cases; the coupled flow's τ_W = τ_Θ. */
export const DLL_STUDY_ETA = 0.05;
export const DLL_STUDY_TAU_W = 20;

function setup(size: StudySize) {
  const s = DLL_STUDY_SIZES[size];
  const split = mnistSplit(0);
  const n = Math.max(EVAL, s.minibatches * BATCH);
  const train = take(split.train, n);
  const target = oneHot(train.y, train.classes);
  const net = new DllMlp({ sizes: s.sizes, hidden: 'tanh', loss: 'cross-entropy' });
  const p = net.init(new Rng(SEED));
  const d = train.d;
  const k = train.classes;
  const batch = (m: number) => ({ input: train.x.subarray(m * BATCH * d, (m + 1) * BATCH * d), target: target.subarray(m * BATCH * k, (m + 1) * BATCH * k) });
  const evalWs = net.workspace(EVAL);
  const loss = (q: DllParams) => {
    net.present(q, evalWs, train.x.subarray(0, EVAL * d), target.subarray(0, EVAL * k));
    return net.outputLoss(evalWs);
  };
  return { net, p, batch, loss, minibatches: s.minibatches, start: concat(paramArrays(p)) };
}

function concat(arrays: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** The run's outcome from the learned parameters (NaN metric if they are not finite). */
function outcome(loss: number, p: DllParams, start: Float64Array, nfe: number, steps: number, seconds: number): StudyRun {
  const state = concat(paramArrays(p));
  const ok = Number.isFinite(loss) && state.every(Number.isFinite);
  return { metric: ok ? loss : NaN, state, start, nfe, steps, seconds, status: ok ? 'ok' : 'diverged', message: ok ? 'finished' : 'the parameters became non-finite' };
}

function failed(start: Float64Array, e: unknown): StudyRun {
  return { metric: NaN, state: start, start, nfe: 0, steps: 0, seconds: 0, status: 'failed', message: e instanceof Error ? e.message : String(e) };
}

function runRelax(choice: SolverChoice, size: StudySize): StudyRun {
  const { net, p, batch, loss, minibatches, start } = setup(size);
  const tr = new DllTrainer(net, p, BATCH, { optimizer: 'sgd', lr: DLL_STUDY_ETA, relax: { solver: choice.solver, dt: choice.dt0, rtol: choice.rtol, atol: choice.atol }, relaxTime: DLL_STUDY_RELAX_TIME });
  const t0 = performance.now();
  try {
    tr.run(minibatches, batch);
  } catch (e) {
    return failed(start, e);
  }
  const seconds = (performance.now() - t0) / 1000;
  return outcome(loss(p), p, start, tr.relaxStats.nfe, tr.relaxStats.steps, seconds);
}

function runCoupled(choice: SolverChoice, size: StudySize): StudyRun {
  const { net, p, batch, loss, minibatches, start } = setup(size);
  const ts = { tauX: 1, tauW: DLL_STUDY_TAU_W, tauTheta: DLL_STUDY_TAU_W };
  const tr = new CoupledTrainer(net, p, BATCH, ts, { T: DLL_STUDY_ETA * DLL_STUDY_TAU_W, solver: choice.solver, dt: choice.dt0, rtol: choice.rtol, atol: choice.atol });
  const t0 = performance.now();
  try {
    for (let m = 0; m < minibatches; m++) {
      const b = batch(m);
      tr.present(b.input, b.target);
    }
  } catch (e) {
    return failed(start, e);
  }
  const seconds = (performance.now() - t0) / 1000;
  const q = tr.params();
  return outcome(loss(q), q, start, tr.stats.nfe, tr.stats.steps, seconds);
}

const describe = (what: string) => (size: StudySize) => {
  const s = DLL_STUDY_SIZES[size];
  return `DLL ${s.sizes.join('-')} tanh on MNIST, ${s.minibatches} minibatches of ${BATCH}, SGD η = ${DLL_STUDY_ETA}, seed ${SEED}; ${what}`;
};

export const studyCases: SolverStudyCase[] = [
  {
    id: 'dll-relax',
    model: 'dll',
    title: 'DLL buffered variant: the apical relaxation (eqs. 5-6) by the solver under study, then the SGD step',
    describe: describe(`relaxation over T = ${DLL_STUDY_RELAX_TIME} τ_x per minibatch`),
    metric: 'training loss on 256 images',
    maxStep: 0.5,
    stepUnit: 'τ_x',
    defaultSolver: { solver: 'euler', dt0: 0.5 },
    run: runRelax,
  },
  {
    id: 'dll-coupled',
    model: 'dll',
    title: 'DLL coupled flow (x, W, b, Θ together, no phases)',
    describe: describe(`τ_x = 1, τ_W = τ_Θ = ${DLL_STUDY_TAU_W}, T = ${DLL_STUDY_ETA * DLL_STUDY_TAU_W} τ_x per minibatch`),
    metric: 'training loss on 256 images',
    maxStep: 0.5,
    stepUnit: 'τ_x',
    defaultSolver: { solver: 'rk4', dt0: 0.25 },
    run: runCoupled,
  },
];
