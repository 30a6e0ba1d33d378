/**
 * Training the circuit on a data set: each epoch is one `solve` of the circuit's flow
 * (`SalCircuit.flow`) over a seeded shuffle of the training set, minibatch k the piecewise-constant
 * input on [k, k+1). The solver is the caller's choice (default forward Euler with dt0 = 1, one step
 * per minibatch: Algorithm 1's iteration); the minibatch loss is the flow's reduction, counted once
 * per accepted step whatever the solver. A divergence reported by `solve` ends the run with status
 * 'diverged' and its message.
 */
import '../../solvers/index'; // registers the built-in solvers by name
import { Rng } from '../../src/core/random';
import { epochCheckpoints, type CheckpointSettings } from '../../src/io/checkpoint';
import { solve } from '../../src/core/solve';
import { solvers } from '../../src/core/solvers';
import type { SolverChoice } from '../../src/experiment/solver-options';
import { oneHot, type Dataset } from '../../src/data/mnist';
import { epochOrder } from '../../src/nn/mlp';
import { SalCircuit, type BatchSource } from './circuit';

export interface EpochRecord {
  epoch: number;
  /**
   * Minibatch loss seen during the epoch: its time average, each accepted step weighing the loss of
   * its minibatch at the step's start by the step's length (one Euler step per minibatch: the mean
   * loss before each update, as Algorithm 1 reports it).
   */
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  /** Time of the flow at the end of the epoch (minibatches seen). */
  t: number;
}

export interface TrainResult<M = never> {
  curve: EpochRecord[];
  /** What `measure` returned after each epoch (epoch 0 first), restored epochs included. */
  measurements: M[];
  status: 'ok' | 'diverged';
  message: string;
  seconds: number;
  /** Connections at the end (the last finite state if diverged). */
  y: Float64Array;
  /** Training samples processed per second of wall time (flow only, evaluation excluded). */
  samplesPerSecond: number;
  /** Vector-field evaluations and accepted steps of the flow, summed over the epochs' `solve` calls. */
  nfe: number;
  steps: number;
}

export interface TrainOptions<M = never> {
  epochs: number;
  batch: number;
  /** Seed of the minibatch order. */
  seed: number;
  /**
   * The integrator of the flow (src/experiment/solver-options.ts; default forward Euler, dt0 = 1: one step
   * per minibatch). A fixed-step solver without dt0 takes dt0 = 1; an adaptive one its own first step.
   */
  solver?: SolverChoice;
  /** Initial connections (default: circuit.initState(seed)). */
  y0?: Float64Array;
  /** Called after every epoch (and once with epoch 0 before training). Not called again for epochs restored from a checkpoint. */
  onEpoch?: (rec: EpochRecord, y: Float64Array) => void;
  /**
   * A per-epoch measurement of the connections (e.g. effective ranks), kept in the result and in
   * the checkpoint, so a resumed run returns the measurements of every epoch (JSON-able values).
   */
  measure?: (rec: EpochRecord, y: Float64Array) => M;
  /**
   * Save the connections, the minibatch generator, the curve and the measurements to `dir` every
   * `every` epochs (src/io/checkpoint.ts `epochCheckpoints`); with `resume`, continue from the
   * checkpoint there (bit-identical to an uninterrupted run).
   */
  checkpoint?: CheckpointSettings;
}

/** Minibatches drawn in the order `order` (one epoch). */
export function minibatches(x: Float64Array, target: Float64Array, dIn: number, dOut: number, order: Int32Array, batch: number): BatchSource {
  const steps = Math.floor(order.length / batch);
  return {
    batch,
    load(step, X, T) {
      if (!(step >= 0 && step < steps)) throw new Error(`minibatch step ${step} is outside this epoch's ${steps} steps; integrate over [0, ${steps}] with dt = 1`);
      for (let r = 0; r < batch; r++) {
        const i = order[step * batch + r];
        X.set(x.subarray(i * dIn, (i + 1) * dIn), r * dIn);
        T.set(target.subarray(i * dOut, (i + 1) * dOut), r * dOut);
      }
    },
  };
}

/** Forward Euler with one step per minibatch (Algorithm 1): the default integrator of training. */
export const DEFAULT_TRAINING_SOLVER: SolverChoice = { solver: 'euler', dt0: 1 };

/** The caller's solver choice completed: a fixed-step solver without dt0 steps once per minibatch (dt0 = 1). */
export function trainingSolver(choice: SolverChoice | undefined): SolverChoice {
  if (!choice) return DEFAULT_TRAINING_SOLVER;
  if (choice.dt0 !== undefined || solvers.get(choice.solver).adaptive) return choice;
  return { ...choice, dt0: 1 };
}

function isDefaultSolver(c: SolverChoice): boolean {
  return c.solver === 'euler' && c.dt0 === 1 && c.rtol === undefined && c.atol === undefined;
}

export function trainCircuit<M = never>(circuit: SalCircuit, data: { train: Dataset; test: Dataset }, opts: TrainOptions<M>): TrainResult<M> {
  const { train, test } = data;
  const dIn = circuit.d(1);
  const dOut = circuit.d(circuit.L);
  if (train.d !== dIn) throw new Error(`the data have ${train.d} input features but the circuit's input width is ${dIn}; set sizes[0] = ${train.d}`);
  if (train.classes !== dOut) throw new Error(`the data have ${train.classes} classes but the circuit's output width is ${dOut}; set the last size to ${train.classes}`);
  if (!(Number.isInteger(opts.batch) && opts.batch >= 1 && opts.batch <= train.n)) {
    throw new Error(`batch must be an integer in [1, ${train.n}] (got ${opts.batch})`);
  }
  const trainT = oneHot(train.y, train.classes);
  const testT = oneHot(test.y, test.classes);
  const rng = new Rng(opts.seed * 7919 + 17);
  /** The live connections: every epoch's result is copied in, so a resume restores them in place. */
  const y = opts.y0 ? opts.y0.slice() : circuit.initState(opts.seed);
  const steps = Math.floor(train.n / opts.batch);
  const solver = trainingSolver(opts.solver);
  let curve: EpochRecord[] = [];
  let measurements: M[] = [];
  let flowMs = 0;
  let nfe = 0;
  let accepted = 0;
  const record = (epoch: number, trainLoss: number, t: number) => {
    const ev = circuit.evaluate(y, test.x, testT, test.n, test.y);
    const rec = { epoch, trainLoss, testLoss: ev.loss, testAccuracy: ev.accuracy, t };
    curve.push(rec);
    if (opts.measure) measurements.push(opts.measure(rec, y));
    opts.onEpoch?.(rec, y);
  };
  const { loss: _fn, ...spec } = circuit.spec;
  const ck = epochCheckpoints(opts.checkpoint, {
    epochs: opts.epochs,
    arrays: () => ({ y }),
    rngs: { order: rng },
    settings: { spec, batch: opts.batch, seed: opts.seed, data: [train.n, test.n], y0: opts.y0 ? 'given' : 'initState', ...(isDefaultSolver(solver) ? {} : { solver }) },
    extra: () => ({ curve, measurements, flowMs, nfe, accepted }),
  });
  if (ck.extra) ({ curve, measurements, flowMs, nfe = 0, accepted = 0 } = ck.extra);
  else record(0, circuit.evaluate(y, train.x, trainT, train.n).loss, 0);
  let status: TrainResult['status'] = 'ok';
  let message = 'finished';
  // One flow for the whole run: the minibatches of the current epoch's order are its input.
  let source: BatchSource | null = null; // none before the first epoch's order is drawn
  const flow = circuit.flow({ batch: opts.batch, load: (k, X, T) => source?.load(k, X, T) }, { t1: steps });
  for (let epoch = ck.start; epoch <= opts.epochs; epoch++) {
    source = minibatches(train.x, trainT, dIn, dOut, epochOrder(train.n, rng), opts.batch);
    const t0 = performance.now();
    const sol = solve(flow.problem, solver.solver, { t0: 0, t1: steps, y0: y, dt0: solver.dt0, rtol: solver.rtol, atol: solver.atol, reductions: [flow.loss] });
    flowMs += performance.now() - t0;
    nfe += sol.stats.nfe;
    accepted += sol.stats.accepted;
    y.set(sol.y);
    if (sol.status !== 'ok') {
      status = 'diverged';
      message = `epoch ${epoch}: ${sol.message}`;
      break;
    }
    record(epoch, sol.reductions[0][0] / steps, epoch * steps);
    ck.done(epoch);
  }
  const samples = (curve.length - 1) * steps * opts.batch;
  return { curve, measurements, status, message, seconds: flowMs / 1000, y, samplesPerSecond: samples / Math.max(1e-9, flowMs / 1000), nfe, steps: accepted };
}
