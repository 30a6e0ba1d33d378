/**
 * `--solver`, `--dt0`, `--rtol`, `--atol`: the integrator of a model's learning dynamics, declared
 * once for every `reproduce` and `train` command (like `--workers`).
 *
 * A command spreads `solverOptions({ solver: 'euler' })` into its options, with the default its
 * paper uses, and turns the parsed values into a `SolverChoice` with `solverChoice(opts, phase)`,
 * which refuses, before any work, a solver that cannot integrate the phase (an ODE-only solver for
 * an SDE phase, say) with a message naming those that can. The values are options, so the run's
 * manifest records them with the others.
 */
import { solvers } from '../core/solvers';
import type { Solver } from '../core/solver';
import { UsageError, type Option, type ParsedOf, type ParsedOptions } from './options';

/** What `solve` needs to know about the integrator: its name and its step or tolerances. */
export interface SolverChoice {
  solver: string;
  /** Fixed step (fixed-step solvers) or first step (adaptive ones); undefined: the model's own. */
  dt0?: number;
  rtol?: number;
  atol?: number;
}

export interface SolverDefaults {
  /** The paper's integrator, e.g. 'euler' for a discrete iteration with step η. */
  solver: string;
  /** What the step is in this model, for --help (e.g. 'the learning rate η: one step per minibatch'). */
  dt0?: string;
}

/** The four options, with the model's defaults. */
export function solverOptions(d: SolverDefaults): [Option<'solver', string, true>, Option<'dt0', number, false>, Option<'rtol', number, false>, Option<'atol', number, false>] {
  return [
    { name: 'solver', type: 'string', description: `integrator of the learning dynamics (registered solvers: ${solvers.names().join(', ')})`, default: d.solver, choices: solvers.names() },
    { name: 'dt0', type: 'number', description: `step of a fixed-step solver, first step of an adaptive one (default: ${d.dt0 ?? "the model's own"})`, min: 0, validate: (v: number) => (v > 0 ? undefined : 'must be > 0') },
    { name: 'rtol', type: 'number', description: 'relative tolerance of an adaptive solver (default 1e-6)', min: 0 },
    { name: 'atol', type: 'number', description: 'absolute tolerance of an adaptive solver (default 1e-9)', min: 0 },
  ];
}

/** The parsed --solver/--dt0/--rtol/--atol (every command that declares `solverOptions` has them). */
export type SolverOptions = ParsedOf<ReturnType<typeof solverOptions>>;

/** What a phase of a model needs from its integrator. */
export interface PhaseNeeds {
  /** The phase's name for messages, e.g. 'the sleep phase (eqs. 12, 13)'. */
  what: string;
  /** The phase has a diffusion term. */
  sde: boolean;
  /** The phase needs fixed steps (a clock-driven spike schedule). */
  fixedStep?: boolean;
  /**
   * The phase's input jumps at known times (a new minibatch): the solver must stop there, which a
   * solver that drives its own steps (odex) cannot.
   */
  inputJumps?: boolean;
}

function fits(s: Solver, p: PhaseNeeds): boolean {
  if (p.sde ? s.sde === null : !s.ode) return false;
  if (p.fixedStep && s.adaptive) return false;
  if (p.inputJumps && s.kind === 'driver') return false;
  return true;
}

/**
 * The parsed options as a SolverChoice, refused with a one-line message when it cannot integrate the
 * phase. `prefix` reads a second group of the same options for another phase of the model (e.g.
 * 'snn-' for --snn-solver/--snn-dt0), named so in the messages.
 */
export function solverChoice(opts: ParsedOptions, phase: PhaseNeeds, prefix = ''): SolverChoice {
  if (prefix) {
    const key = (n: string) => `${prefix}${n}`.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const own: ParsedOptions = { _: [], solver: opts[key('solver')], dt0: opts[key('dt0')], rtol: opts[key('rtol')], atol: opts[key('atol')] };
    try {
      return solverChoice(own, phase);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new UsageError(e.message.replace(/--(solver|dt0|rtol|atol)\b/g, `--${prefix}$1`));
    }
  }
  const name = String(opts.solver);
  const s = solvers.get(name);
  if (!fits(s, phase)) {
    const ok = solvers.names().filter((n) => fits(solvers.get(n), phase));
    const why = phase.sde && s.sde === null ? 'handles ODEs only' : !phase.sde && !s.ode ? 'handles SDEs only' : 'chooses its own steps';
    const needs = phase.sde && s.sde === null ? 'is an SDE' : !phase.sde && !s.ode ? 'is an ODE' : phase.fixedStep ? 'needs fixed steps' : 'must stop where its input jumps';
    throw new UsageError(`--solver ${name} ${why}, but ${phase.what} ${needs}; use --solver ${ok.join(' or ')}`);
  }
  if (!s.adaptive && (opts.rtol !== undefined || opts.atol !== undefined)) {
    throw new UsageError(`--rtol and --atol set the tolerances of an adaptive solver, but --solver ${name} takes fixed steps; set --dt0, or choose an adaptive solver (${solvers.names().filter((n) => solvers.get(n).adaptive).join(', ')})`);
  }
  return {
    solver: name,
    ...(opts.dt0 !== undefined ? { dt0: opts.dt0 as number } : {}),
    ...(opts.rtol !== undefined ? { rtol: opts.rtol as number } : {}),
    ...(opts.atol !== undefined ? { atol: opts.atol as number } : {}),
  };
}
