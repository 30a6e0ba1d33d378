/**
 * creditflow's core: what `import { … } from 'creditflow'` gives.
 *
 * A model's state is named blocks in one Float64Array ({@link defineState}); its dynamics are terms
 * (a drift `dy = f(t, y) dt`, a diffusion `g(t, y) dW`) combined into a {@link Problem}; {@link solve}
 * integrates it with a registered solver (Euler, Euler–Maruyama, Heun, stochastic Heun, RK4,
 * Dormand–Prince 5(4), ODEX) under a step controller, saving what `saveAt` asks, driving the noise
 * from a seeded Brownian path and stopping or resetting the state at events (a spike);
 * {@link steadyState} integrates until the flow settles. The registries at the end are those the
 * `creditflow` command reads: a model registers its theorem checks and experiments there.
 *
 * The linear-algebra kernels are `creditflow/linalg`; each model is `creditflow/<model>`
 * (`creditflow/dfc`, `creditflow/urfb`, `creditflow/sal`, `creditflow/lif`, `creditflow/loco`,
 * `creditflow/dll`, `creditflow/compare`).
 *
 * ```ts
 * import { defineState, vector, drift, odeProblem, solve } from 'creditflow';
 * const layout = defineState({ x: vector(1) });
 * const problem = odeProblem(drift(1, (_t, y, out) => { out[0] = -y[0]; }), { layout });
 * const sol = solve(problem, 'dopri5', { t0: 0, t1: 1, y0: Float64Array.of(1), rtol: 1e-10 });
 * sol.ys.at(-1)![0];   // ≈ e⁻¹
 * ```
 *
 * @packageDocumentation
 * @module creditflow
 */

// State: named vector and matrix blocks with time constants, over one Float64Array.
export { defineState, vector, matrix, StateLayout, type VectorSpec, type MatrixSpec, type BlockSpec, type StateView, type Block } from './core/state';

// Terms and problems: drift, diffusion (noise 'diagonal', 'scalar' or 'general', additive or not: the term owns g·dW), sums, time scaling by each block's τ.
export {
  drift,
  diffusion,
  additiveNoise,
  blockDiffusion,
  sumDrift,
  sumDiffusion,
  timeScaled,
  odeProblem,
  sdeProblem,
  type DriftTerm,
  type DiffusionTerm,
  type DiffusionBlock,
  type NoiseKind,
  type NoiseShape,
  type Problem,
  type ProblemOptions,
} from './core/terms';

// Piecewise-constant inputs with jump times (a new minibatch every Δt): no step crosses a jump.
export { piecewiseInput, uniformJumps, segmentAt, type InputSignal } from './core/input';

// The spike schedule: threshold, reset and refractoriness, clock-driven or event-located.
export { checkSpikeSpec, type SpikeSpec, type SpikeState, type ResetMode, type SpikeMode } from './core/spikes';

// The entry point, its options (saveAt, reductions, events, spikes, stopWhen) and its result.
export { solve, SolveError, type SolveOptions, type Solution, type Status, type SaveAt, type Reduction, type EventSpec, type Divergence } from './core/solve';
export { steadyState, steadyStateResidual, type SteadyStateOptions, type SteadyStateResult } from './core/steady';

// Solvers: the registry by name, each solver, the explicit Runge–Kutta engine and its tableaux.
export { solvers, euler, eulerMaruyama, heun, stochasticHeun, rk4, dopri5, odex, explicitRK, checkTableau, type ButcherTableau } from '../solvers/index';
export type { Solver, StepSolver, DriverSolver, SolverTraits, SdeSupport, StepInfo, Interpolant, DriveOptions, DriveResult } from './core/solver';

// Step-size control.
export { constantStep, stepTo, piController, clipToJumps, errorNorm, type StepController, type ControllerInit, type AdaptResult, type PIOptions } from './core/controller';

// Brownian paths (fixed-grid increments; a tree and a grid that give the same path at every step size) and the seeded generator.
export { BrownianIncrements, BrownianTree, BrownianGrid, type BrownianPath } from './core/brownian';
export { Rng, hash32, hashNormal, type RngState } from './core/random';

// Registries: a name → value map that refuses duplicates and lists the valid names for an unknown one; the project's models, theorem checks and experiments.
export { Registry } from './core/registry';
export {
  registerModel,
  loadModels,
  models,
  checks,
  experiments,
  commands,
  type TheoremCheck,
  type CheckResult,
  type CommandSpec,
  type ModelInfo,
} from './registry';
