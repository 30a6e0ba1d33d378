/**
 * SAL's case of `creditflow reproduce solver-study` (models/solver-study/case.ts): the circuit
 * (D_d = I, all four connections plastic from random connectivity) trained on the shipped MNIST
 * 8,000/2,000 split by `trainCircuit` (train.ts: minibatch k the piecewise-constant input on
 * [k, k + 1), one `solve` per epoch), with the rates of the SAL experiments (η_W = η_W̄ = 0.01,
 * η_V = η_V̄ = 0.001, γ = 1e-4), cross-entropy, batch 32, seed 1.
 *
 * Metric: the test loss after the last epoch. Learned state: the four connections. The paper's
 * integrator is Algorithm 1, forward Euler with one step per minibatch (dt0 = 1), the grid's
 * largest step: a step never crosses a minibatch change.
 */
import type { SolverChoice } from '../../src/experiment/solver-options';
import { mnistSplit, take } from '../../src/data/mnist';
import type { SolverStudyCase, StudyRun, StudySize } from '../solver-study/case';
import { SalCircuit } from './circuit';
import { methodConfig } from './presets';
import { trainCircuit } from './train';

export const SAL_STUDY_SIZES: Record<StudySize, { sizes: number[]; train: number; test: number; epochs: number }> = {
  quick: { sizes: [784, 16, 10], train: 256, test: 256, epochs: 1 },
  default: { sizes: [784, 64, 64, 10], train: 2000, test: 1000, epochs: 2 },
};

const SEED = 1;
const BATCH = 32;

function runSal(choice: SolverChoice, size: StudySize): StudyRun {
  const s = SAL_STUDY_SIZES[size];
  const split = mnistSplit(0);
  const data = { train: take(split.train, s.train), test: take(split.test, s.test) };
  const circuit = new SalCircuit(methodConfig('sal', { sizes: s.sizes, loss: 'cross-entropy', rates: { W: 0.01, Wbar: 0.01, V: 0.001, Vbar: 0.001 }, decay: 1e-4 }));
  const start = circuit.initState(SEED);
  const r = trainCircuit(circuit, data, { epochs: s.epochs, batch: BATCH, seed: SEED, solver: choice, y0: start });
  const last = r.curve[r.curve.length - 1];
  const ok = r.status === 'ok';
  return { metric: ok ? last.testLoss : NaN, state: r.y, start, nfe: r.nfe, steps: r.steps, seconds: r.seconds, status: ok ? 'ok' : 'diverged', message: r.message };
}

export const studyCases: SolverStudyCase[] = [
  {
    id: 'sal',
    model: 'sal',
    title: 'SAL circuit (D_d = I) trained on MNIST, test loss after training',
    describe: (size) => {
      const s = SAL_STUDY_SIZES[size];
      return `SAL ${s.sizes.join('-')} on MNIST ${s.train}/${s.test}, ${s.epochs} epoch${s.epochs > 1 ? 's' : ''} of batch ${BATCH}, seed ${SEED}`;
    },
    metric: 'test loss (cross-entropy)',
    maxStep: 1,
    stepUnit: 'one minibatch',
    defaultSolver: { solver: 'euler', dt0: 1 },
    run: runSal,
  },
];
