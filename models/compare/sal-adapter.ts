/**
 * BP-ReLU, KP, WM and SAL through models/sal: the configurations of presets.ts ('sgd', 'kp', 'wm',
 * 'sal') on one SalCircuit, stepped as SAL's own trainer does (train.ts: `solve` of the circuit's
 * term, one minibatch per unit of time; the default forward Euler with dt = 1 minibatch is: load the
 * batch, `pass` (upstream, error, downstream pathways, eqs. 1-4), `weightFlow` (eqs. 5-8),
 * y ← y + dy/dt; the run's `--solver` integrates the same term over the minibatch).
 *
 * Matched to the comparison:
 * - the circuit's upstream pathway is ReLU with a linear output, no biases: SAL's circuit has no
 *   tanh upstream (D_u is a ReLU or the identity, eq. 3), so these four rules train the ReLU
 *   version of the task's network, and BP-ReLU (SAL's 'sgd' preset: V = V̄ = I, W̄ = Wᵀ) is their
 *   BP reference; the angle to BP is measured against the ReLU network's gradient;
 * - W starts at the shared W0 (the same draws as every other rule, not re-scaled for ReLU) and W̄
 *   at the shared feedback B0ᵀ (KP, WM, SAL); V, V̄ are the circuit's own seeded initialisation
 *   (identities for KP/WM/BP-ReLU, random for SAL);
 * - rates η_W = η_W̄ = η (the common rate), η_V = η_V̄ = interRate·η (SAL's default ratio 0.1);
 *   decay γ per minibatch on every plastic connection (0 for BP-ReLU, so it is plain SGD);
 * - the loss is MSE; SAL's downstream input is −∇F = t − ŷ, so ΔW is in the units of L;
 * - the weight-mirror noise is SAL's (32 samples of N(0, 1) per step, seeded by the step).
 */
import { type Mat } from '../../src/linalg/mat';
import '../../solvers/index'; // registers the built-in solvers by name
import { solve } from '../../src/core/solve';
import { drift, odeProblem } from '../../src/core/terms';
import { SalCircuit, fixedBatch } from '../sal/circuit';
import { methodConfig, type Method } from '../sal/presets';
import { solvers } from '../../src/core/solvers';
import { PAPER_FLOW, type FlowSolver } from '../../src/experiment/minibatch-flow';
import { isPaperFlow, type Learner, type LearnerSetup } from './learners';

class SalLearner implements Learner {
  readonly family = 'relu' as const;
  private readonly circuit: SalCircuit;
  private y: Float64Array;
  private readonly rate: Float64Array;
  private steps = 0;
  /** The integrator of the circuit's flow, and whether it is the default (Euler, one step per minibatch). */
  private readonly solver: FlowSolver;
  private readonly paper: boolean;

  constructor(private readonly s: LearnerSetup, method: Method) {
    const eta = s.lr;
    const inter = s.settings.sal.interRate * eta;
    const decay = method === 'sgd' ? 0 : s.settings.sal.decay;
    this.circuit = new SalCircuit(
      methodConfig(method, { sizes: s.data.sizes, loss: 'mse', rates: { W: eta, Wbar: eta, V: inter, Vbar: inter }, decay }),
    );
    this.y = this.circuit.initState(s.seed);
    const c = this.circuit.views(this.y);
    const L = this.circuit.L;
    for (let l = 1; l <= L - 1; l++) c.W[l].data.set(s.W0[l - 1].data);
    if (method !== 'sgd') {
      // W̄ᵏ (d̄ᵏ x d̄ᵏ⁺¹) carries the error from layer k+1 to k: the transpose of the shared B0 of W_k (0-based k−1).
      for (let k = 2; k <= L - 1; k++) {
        const B = s.B0[k - 1];
        const Wb = c.Wbar[k];
        for (let i = 0; i < B.rows; i++) for (let j = 0; j < B.cols; j++) Wb.data[j * Wb.cols + i] = B.data[i * B.cols + j];
      }
    }
    this.rate = this.circuit.layout.create();
    this.solver = s.solver ?? PAPER_FLOW;
    this.paper = isPaperFlow(this.solver);
  }

  weights(): Mat[] {
    return this.circuit.views(this.y).W.slice(1);
  }

  step(x: Float64Array, t: Float64Array, _labels: Int32Array | null, B: number): Mat[] {
    const circuit = this.circuit;
    const xb = x.subarray(0, B * circuit.d(1));
    const tb = t.subarray(0, B * circuit.d(circuit.L));
    circuit.checkBatch(xb, tb, B);
    // SAL's own slow flow (circuit.term: pass, eqs. 1-4, then weightFlow, eqs. 5-8) on this
    // minibatch, integrated by solve over one minibatch [s, s + 1] with the run's solver (default
    // Euler with dt0 = 1: y ← y + dy/dt, as SAL's trainer does), the weight-mirror noise seeded by
    // the minibatch count s. The applied ΔW: with the default, the rate of the (single) vector-field
    // call; otherwise (W(s + 1) − W(s))/η.
    const s = this.steps++;
    const term = circuit.term(fixedBatch(xb, tb, B));
    term.load(s); // minibatch s of the run: it keys the weight-mirror noise
    const rate = this.rate;
    const problem = odeProblem(
      drift(term.dim, (tt, y, out) => {
        term.vf(tt, y, out);
        if (this.paper) rate.set(out);
      }),
      { layout: circuit.layout, name: 'SAL circuit (compare)' },
    );
    const f = this.solver;
    const adaptive = solvers.get(f.solver).adaptive;
    const sol = solve(problem, f.solver, { t0: s, t1: s + 1, dt0: f.dt0 ?? (adaptive ? undefined : 1), rtol: f.rtol, atol: f.atol, y0: this.y });
    if (sol.status !== 'ok') throw new Error(`SAL circuit diverged at minibatch ${this.steps} (non-finite connection); lower --lr`);
    if (!this.paper) for (let i = 0; i < rate.length; i++) rate[i] = sol.y[i] - this.y[i];
    this.y.set(sol.y);
    const eta = this.s.lr;
    return circuit.views(rate).W.slice(1).map((m) => ({ rows: m.rows, cols: m.cols, data: Float64Array.from(m.data, (v) => v / eta) }));
  }

  simTime(): number {
    return 0;
  }
}

export const salLearners = {
  'BP-ReLU': (s: LearnerSetup): Learner => new SalLearner(s, 'sgd'),
  KP: (s: LearnerSetup): Learner => new SalLearner(s, 'kp'),
  WM: (s: LearnerSetup): Learner => new SalLearner(s, 'wm'),
  SAL: (s: LearnerSetup): Learner => new SalLearner(s, 'sal'),
};
