/**
 * The Fig. 3 measurements on one minibatch for one DFC variant: the network's own update compared
 * with the ideal updates, Conditions 1 and 2, and the stability of the equilibrium it settles in.
 *
 * Definitions (App. F.1 is not included; these are our reading, documented in diagnostics.ts):
 * - the network update is the minibatch average of the per-sample updates of the variant
 *   (rules.ts `forwardUpdate`, same settling as in training);
 * - the reference updates are minibatch averages of the per-sample GN (eq. 7), weighted-MN (eq. 10),
 *   DFC-SSA and BP updates (the theorems are stated for a minibatch of size 1);
 * - the MN angle compares the variant's update accumulated with per-sample weights 1/‖r_{i−1}⁻‖²
 *   (the layer rates of Proposition 4); the GN, SSA and BP angles use the plain update;
 * - Condition 1 and 2 statistics are batch means of per-sample values at the feedforward state;
 * - stability: the largest real part of the eigenvalues of the linearised network + controller
 *   (diagnostics.ts `stabilityMatrix`) at each sample's simulated final state, averaged over the batch.
 */
import type { Mat } from '../../src/linalg/mat';
import type { ControllerConfig } from './config';
import {
  angleDeg,
  bpUpdate,
  condition1,
  condition2Ratio,
  gnUpdate,
  maxRealEig,
  mnUpdate,
  sampleInfo,
  ssaUpdate,
  stabilityMatrix,
  sumUpdates,
} from './diagnostics';
import type { PhaseSolver } from './batched';
import type { DfcEngine } from './engine';
import type { DfcNet, DfcParams } from './network';
import { batchTargets, DfcDivergenceError, eigenvalueAt, forwardUpdate, type Batch, type DfcMethod } from './rules';

export interface Alignment {
  /** Angles in degrees between the variant's update and the ideal ones. */
  mn: number;
  gn: number;
  ssa: number;
  bp: number;
  condition1: number;
  condition2: number;
  maxEig: number;
}

function row(M: Mat, b: number): Float64Array {
  return M.data.subarray(b * M.cols, (b + 1) * M.cols);
}

export function measureAlignment(
  method: DfcMethod,
  net: DfcNet,
  p: DfcParams,
  batch: Batch,
  cfg: ControllerConfig,
  engine: DfcEngine,
  opts: { gnDamping?: number; solver?: PhaseSolver } = {},
): Alignment {
  const B = batch.X.rows;
  const infos = Array.from({ length: B }, (_, b) => sampleInfo(net, p.W, row(batch.X, b), row(batch.Y, b), cfg.lambda));
  const weights = net.sizes.slice(1).map((_n, i) => Float64Array.from(infos, (s) => 1 / sqnorm(s.r[i])));
  const plain = forwardUpdate(method, net, p, batch, cfg, { engine, solver: opts.solver }).dW;
  const weighted = forwardUpdate(method, net, p, batch, cfg, { engine, rowWeights: weights, solver: opts.solver }).dW;
  const mn = sumUpdates(infos.map((s) => mnUpdate(s)), 1 / B);
  const gn = sumUpdates(infos.map((s) => gnUpdate(s, opts.gnDamping ?? 0)), 1 / B);
  const ssa = sumUpdates(infos.map((s) => ssaUpdate(net, p, s, cfg.alpha, cfg.kp).dW), 1 / B);
  const bp = sumUpdates(infos.map((s, b) => bpUpdate(net, s, row(batch.Y, b))), 1 / B);
  // Equilibrium stability at the simulated final state.
  const { Rstar } = batchTargets(net, p, batch, cfg.lambda);
  const res = engine.wake(p, batch.X, Rstar, cfg, { accumulate: false, solver: opts.solver });
  if (res.status === 'diverged') {
    const d = res.divergence!;
    throw new DfcDivergenceError(d, eigenvalueAt(net, p, row(batch.X, d.sample), cfg), 'forward-phase');
  }
  let eig = 0;
  for (let b = 0; b < B; b++) {
    const v = net.sizes.slice(1).map((n, i) => Float64Array.from(res.V[i].data.subarray(b * n, (b + 1) * n)));
    eig += maxRealEig(stabilityMatrix(net, p, v, cfg));
  }
  return {
    mn: angleDeg(weighted, mn),
    gn: angleDeg(plain, gn),
    ssa: angleDeg(plain, ssa),
    bp: angleDeg(plain, bp),
    condition1: infos.reduce((s, i) => s + condition1(i.r), 0) / B,
    condition2: infos.reduce((s, i) => s + condition2Ratio(i.Jb, p.Q), 0) / B,
    maxEig: eig / B,
  };
}

function sqnorm(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}
