/**
 * DFC's case of `creditflow reproduce solver-study` (models/solver-study/case.ts): the wake phase
 * of the Fig. 3 student-teacher task (models/dfc/batched.ts), one minibatch of the 15-10-10-5 tanh
 * student on data from the ReLU teacher, with the paper's forward-phase settings (FIG3_FORWARD:
 * τ_u = 1, τ_v = 0.2, k_p = 1.5, α = 0.0015, λ = 0.05). The network (eq. 1) and the PI controller
 * (eq. 4) settle while the eq. (5) update accumulates; that update, ΔW = ∫ (φ(v_i) − φ(W_i r_{i−1}))
 * r_{i−1}ᵀ dt, is what the phase learns.
 *
 * Metric: the mean squared output error ‖r* − r_L‖² per sample at the end of the phase (the
 * controller drives it towards zero). Learned state: the accumulated update of every layer. The
 * paper's integrator is forward Euler at dt = 0.005 τ_u (the grid's largest step).
 */
import type { SolverChoice } from '../../src/experiment/solver-options';
import { Rng } from '../../src/core/random';
import { mat } from '../../src/linalg/mat';
import type { SolverStudyCase, StudyRun, StudySize } from '../solver-study/case';
import { DfcBatchedField } from './batched';
import { FIG3_FORWARD } from './config';
import { teacherData } from './experiments/teacher';
import { DfcNet, initForwardWeights, productFeedback } from './network';

export const DFC_STUDY_SIZES: Record<StudySize, { batch: number; steps: number }> = {
  quick: { batch: 16, steps: 200 },
  default: { batch: 128, steps: 1000 },
};

const SEED = 1;
const STUDENT = [15, 10, 10, 5];
const TEACHER = [15, 100, 100, 5];

function runDfc(choice: SolverChoice, size: StudySize): StudyRun {
  const s = DFC_STUDY_SIZES[size];
  const data = teacherData(TEACHER, s.batch, 0, SEED).train;
  const net = new DfcNet({ sizes: STUDENT, hidden: 'tanh' });
  const W = initForwardWeights(net, new Rng(SEED + 1));
  const p = { W, Q: productFeedback(net, W) };
  const X = mat(s.batch, STUDENT[0], data.x.slice(0, s.batch * STUDENT[0]));
  // The nudged target of eq. (3) for the L2 loss: r* = r_L − λ (r_L − y).
  const { R } = net.feedforwardBatch(W, X);
  const rL = R[net.L].data;
  const y = data.y;
  const Rstar = mat(s.batch, STUDENT[3]);
  for (let k = 0; k < Rstar.data.length; k++) Rstar.data[k] = rL[k] - FIG3_FORWARD.lambda * (rL[k] - y[k]);
  const cfg = { ...FIG3_FORWARD, steps: s.steps };
  const field = new DfcBatchedField(net, s.batch);
  // The case's step unit is the paper's dt; the wake phase takes its step in units of τ_u.
  const solver = { ...choice, ...(choice.dt0 !== undefined ? { dt0: choice.dt0 * cfg.dt } : {}) };
  const t0 = performance.now();
  const r = field.wake(p, X, Rstar, cfg, { accumulate: true, solver });
  const seconds = (performance.now() - t0) / 1000;
  const state = new Float64Array((r.dW ?? []).reduce((n, g) => n + g.data.length, 0));
  let off = 0;
  for (const g of r.dW ?? []) {
    state.set(g.data, off);
    off += g.data.length;
  }
  let err = 0;
  const out = r.R[r.R.length - 1].data;
  for (let k = 0; k < Rstar.data.length; k++) err += (Rstar.data[k] - out[k]) ** 2;
  const ok = r.status === 'ok';
  return {
    metric: ok ? err / s.batch : NaN,
    state,
    start: new Float64Array(state.length),
    nfe: r.nfe,
    steps: r.steps,
    seconds,
    status: ok ? 'ok' : 'diverged',
    message: ok ? '' : `the wake phase diverged (${JSON.stringify(r.divergence)})`,
  };
}

export const studyCases: SolverStudyCase[] = [
  {
    id: 'dfc-wake',
    model: 'dfc',
    title: 'DFC wake phase (eqs. 1, 4, 5) on the Fig. 3 student-teacher task: the accumulated update',
    describe: (size) => {
      const s = DFC_STUDY_SIZES[size];
      return `DFC ${STUDENT.join('-')} tanh student, ReLU teacher ${TEACHER.join('-')}, one minibatch of ${s.batch}, ${s.steps} steps of dt = ${FIG3_FORWARD.dt} τ_u (Fig. 3 forward settings), seed ${SEED}`;
    },
    metric: 'output error ‖r* − r_L‖² per sample',
    maxStep: 1,
    stepUnit: `the paper's dt = ${FIG3_FORWARD.dt} τ_u`,
    defaultSolver: { solver: 'euler', dt0: 1 },
    run: runDfc,
  },
];
