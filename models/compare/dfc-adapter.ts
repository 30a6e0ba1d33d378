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
 *   SGD step;
 * - DFC's loss is ‖r_L − y‖² per sample and its DFC updates are O(λ): ΔW = forwardUpdate/(2λ)
 *   estimates −∂L/∂W for L = ½‖r_L − y‖² (DFA: forwardUpdate/2);
 * - simulated time: T = steps·dt per minibatch in the forward phase plus the sleep phase's
 *   steps·dt per minibatch (units of τ_u), 0 for DFA.
 */
import { Rng } from '../../src/core/random';
import { mat, type Mat } from '../../src/linalg/mat';
import { DfcNet } from '../dfc/network';
import { dfaFeedback, forwardUpdate, type Method } from '../dfc/rules';
import { DfcTrainer, randomTrainedFeedback, type Data } from '../dfc/trainer';
import { copyMats, sgd, type Learner, type LearnerSetup } from './learners';

class DfcLearner implements Learner {
  readonly family = 'tanh' as const;
  private readonly net: DfcNet;
  private readonly trainer: DfcTrainer | null;
  private readonly W: Mat[];
  private readonly dfaB: Mat[];
  private readonly scale: number;
  private readonly trainData: Data;
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
    const batch = { X: mat(B, sizes[0], x.slice(0, B * sizes[0])), Y: mat(B, sizes[sizes.length - 1], t.slice(0, B * sizes[sizes.length - 1])) };
    const cfg = this.s.settings.dfc.forward;
    const params = this.trainer ? this.trainer.params : { W: this.W, Q: [] };
    const { dW } = forwardUpdate(this.method, this.net, params, batch, cfg, { engine: this.trainer?.engine, dfaB: this.dfaB });
    for (const m of dW) for (let i = 0; i < m.data.length; i++) m.data[i] *= this.scale;
    sgd(this.W, dW, this.s.lr);
    if (this.trainer) this.time += cfg.steps * cfg.dt;
    return dW;
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
