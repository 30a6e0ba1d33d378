/**
 * The batched DFC simulation used by training: the wake phase (eqs. 1, 4, 5) and the sleep phase
 * (eqs. 12, 4, 13) are the batched terms of batched.ts integrated by `solve` ('euler' and
 * 'euler_maruyama' with the paper's dt by default).
 *
 * One engine per network and largest batch: it keeps the batched fields (wasm-resident where the
 * kernels apply, else TypeScript) and their buffers across minibatches.
 */
import type { Rng } from '../../src/core/random';
import type { Mat } from '../../src/linalg/mat';
import { DfcBatchedField, type SleepResult, type WakeOptions, type WakeResult } from './batched';
import type { ControllerConfig, FeedbackConfig } from './config';
import type { DfcNet, DfcParams } from './network';

export class DfcEngine {
  private fieldWasm: DfcBatchedField | undefined;
  private fieldTs: DfcBatchedField | undefined;

  constructor(readonly net: DfcNet, readonly maxBatch: number) {
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) throw new Error(`DfcEngine: maxBatch must be an integer >= 1 (got ${maxBatch})`);
  }

  /** The batched field on the wasm kernels (where they apply) or on the TypeScript ones. */
  private field(resident: boolean): DfcBatchedField {
    return resident ? (this.fieldWasm ??= new DfcBatchedField(this.net, this.maxBatch)) : (this.fieldTs ??= new DfcBatchedField(this.net, this.maxBatch, false));
  }

  /**
   * Forward (wake) phase for a minibatch: X (B x n_0), targets Rstar (B x n_L). Starts at the
   * feedforward equilibrium with u^int = 0 and integrates cfg.steps·cfg.dt (batched.ts).
   */
  wake(p: DfcParams, X: Mat, Rstar: Mat, cfg: ControllerConfig, opts: WakeOptions): WakeResult {
    return this.field(opts.resident !== false).wake(p, X, Rstar, cfg, opts);
  }

  /**
   * Feedback (sleep) phase for a minibatch: eqs. (12), (4) with r* = r_L⁻ and the feedback
   * compartment driven by white noise (see terms.ts), Euler–Maruyama (batched.ts), returning the
   * time- and batch-averaged v^fb uᵀ that drives eq. (13).
   */
  sleep(p: DfcParams, X: Mat, cfg: FeedbackConfig, rng: Rng): SleepResult {
    return this.field(true).sleep(p, X, cfg, rng);
  }
}
