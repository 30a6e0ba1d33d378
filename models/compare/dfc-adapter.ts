/**
 * DFA, DFC-SSA and DFC through models/dfc: `forwardUpdate` of rules.ts gives each rule's ΔW on a
 * minibatch (DFC: the Euler integral of eq. 5 over the settling of the network + PI controller on
 * DfcEngine; DFC-SSA: the analytical steady state of Lemma 1; DFA: fixed random B_i), and
 * `DfcTrainer.feedbackEpoch` runs the sleep phase that trains the feedback weights Q (eq. 13).
 *
 * Matched to the comparison:
 * - the forward weights start at the shared W0; Q starts as DfcTrainer's trained-feedback
 *   initialisation (randomTrainedFeedback), is pre-trained for `pretrainEpochs` sleep epochs and
 *   then trained for `fbEpochsPerEpoch` sleep epochs after each forward epoch (wake-sleep, the
 *   paper's protocol), with Adam at `lrQ` as the DFC code does; the forward weights take the common
 *   step, the minibatch flow of learners.ts (Euler, one step per minibatch, unless the run's
 *   `--solver` says otherwise; the wake phase inside Δ keeps the paper's Euler step dt, and a
 *   multi-stage solver runs one wake phase per stage);
 * - DFC's loss is ‖r_L − y‖² per sample and its DFC updates are O(λ): ΔW = forwardUpdate/(2λ)
 *   estimates −∂L/∂W for L = ½‖r_L − y‖² (DFA: forwardUpdate/2);
 * - simulated time: T = steps·dt per wake phase (one per minibatch with the default) plus the sleep phase's
 *   steps·dt per minibatch (units of τ_u), 0 for DFA.
 */
import { Rng } from '../../src/core/random';
import { mat, type Mat } from '../../src/linalg/mat';
import { DfcNet } from '../dfc/network';
import { dfaFeedback, forwardUpdate, type Method } from '../dfc/rules';
import { DfcTrainer, randomTrainedFeedback, type Data } from '../dfc/trainer';
import { MinibatchStep, copyMats, type Learner, type LearnerSetup } from './learners';

class DfcLearner implements Learner {
  readonly family = 'tanh' as const;
  private readonly net: DfcNet;
  private readonly trainer: DfcTrainer | null;
  private readonly W: Mat[];
  private readonly dfaB: Mat[];
  private readonly scale: number;
  private readonly trainData: Data;
  private readonly flow: MinibatchStep;
  private batch: { X: Mat; Y: Mat } | null = null;
  private time = 0;

  constructor(private readonly s: LearnerSetup, private readonly method: Method) {
    this.net = new DfcNet({ sizes: s.data.sizes, hidden: 'tanh', output: 'linear', loss: 'mse' });
    const rng = new Rng(s.seed);
    const cfg = s.settings.dfc;
    this.trainData = { x: s.data.train.x, y: s.data.train.t, n: s.data.train.n };
    if (method === 'DFA') {
      this.trainer = null;
      this.W = copyMats(s.W0);
      this.dfaB = dfaFeedback(this.net, rng);
      this.scale = 0.5;
    } else {
      const Q = randomTrainedFeedback(this.net, rng);
      this.trainer = new DfcTrainer(
        this.net,
        {
          method,
          feedback: 'trained',
          forward: cfg.forward,
          sleep: cfg.sleep,
          optimizer: 'adam',
          lr: s.lr,
          lrQ: cfg.lrQ,
          batchSize: s.batch,
          fbEpochsPerEpoch: cfg.fbEpochsPerEpoch,
          seed: s.seed,
        },
        { W: copyMats(s.W0), Q },
      );
      this.W = this.trainer.params.W;
      this.dfaB = [];
      this.scale = 1 / (2 * cfg.forward.lambda);
    }
    const dirs = this.W.map((w) => new Float64Array(w.data.length));
    this.flow = new MinibatchStep(this.W.map((w) => w.data), dirs, s.lr, (theta) => this.direction(theta, dirs), `${method} (compare)`, s.solver);
  }

  weights(): Mat[] {
    return this.W;
  }

  private sleepEpochs(n: number): void {
    if (!this.trainer) return;
    const sl = this.s.settings.dfc.sleep;
    const batches = Math.ceil(this.trainData.n / this.s.batch);
    for (let e = 0; e < n; e++) {
      this.trainer.feedbackEpoch(this.trainData);
      this.time += batches * sl.steps * sl.dt;
    }
  }

  begin(): void {
    this.sleepEpochs(this.s.settings.dfc.pretrainEpochs);
  }

  endEpoch(): void {
    this.sleepEpochs(this.s.settings.dfc.fbEpochsPerEpoch);
  }

  step(x: Float64Array, t: Float64Array, _labels: Int32Array | null, B: number): Mat[] {
    const sizes = this.s.data.sizes;
    this.batch = { X: mat(B, sizes[0], x.slice(0, B * sizes[0])), Y: mat(B, sizes[sizes.length - 1], t.slice(0, B * sizes[sizes.length - 1])) };
    const applied = this.flow.step();
    return this.W.map((w, l) => mat(w.rows, w.cols, applied[l].slice()));
  }

  /**
   * Δ(θ) = scale · forwardUpdate at forward weights θ (copied into the weights the trainer's
   * engine and sleep phase read; the flow writes its result back into them).
   */
  private direction(theta: readonly Float64Array[], dirs: Float64Array[]): void {
    this.W.forEach((w, l) => {
      if (w.data !== theta[l]) w.data.set(theta[l]);
    });
    const cfg = this.s.settings.dfc.forward;
    const params = this.trainer ? this.trainer.params : { W: this.W, Q: [] };
    const { dW } = forwardUpdate(this.method, this.net, params, this.batch!, cfg, { engine: this.trainer?.engine, dfaB: this.dfaB });
    dW.forEach((m, l) => {
      const d = dirs[l];
      for (let i = 0; i < d.length; i++) d[i] = m.data[i] * this.scale;
    });
    if (this.trainer) this.time += cfg.steps * cfg.dt;
  }

  simTime(): number {
    return this.time;
  }
}

export const dfcLearners = {
  DFA: (s: LearnerSetup): Learner => new DfcLearner(s, 'DFA'),
  'DFC-SSA': (s: LearnerSetup): Learner => new DfcLearner(s, 'DFC-SSA'),
  DFC: (s: LearnerSetup): Learner => new DfcLearner(s, 'DFC'),
};
