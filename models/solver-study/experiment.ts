/**
 * `creditflow reproduce solver-study`: every registered case (cases.ts) run with every studied
 * integrator (runs.ts) on `--workers` threads, then the table (solver_study.csv, also in the
 * manifest), the measured orders (orders.csv), the work-precision figure (work_precision.html/png),
 * the findings and the claims (claims.csv) written to --out.
 *
 * --solver/--rtol/--atol (src/experiment/solver-options.ts, shared with every command) choose the
 * reference here: an adaptive solver at tight tolerances (default dopri5, 1e-10, 1e-13). The studied
 * integrators are --solvers (fixed-step ones on --step-fractions of each case's largest step,
 * adaptive ones at --rtols).
 */
import * as path from 'node:path';
import '../../solvers/index'; // registers the built-in solvers by name
import { solvers } from '../../src/core/solvers';
import { defineCommand } from '../../src/registry';
import { above, opt, UsageError, type OptionsInput, type OptionsOf, type ParsedOf } from '../../src/experiment/options';
import { outputOptions } from '../../src/experiment/groups';
import { callContext, callOptions, type CallReporting } from '../../src/experiment/call';
import { solverChoice, solverOptions } from '../../src/experiment/solver-options';
import { runSweep, sweepOptions } from '../../src/experiment/sweep';
import { printClaims, writeClaims } from '../../src/io/claims';
import { formatTable } from '../../src/io/output';
import { RunOutput } from '../../src/io/run';
import type { Registry } from '../../src/core/registry';
import type { SolverStudyCase, StudyRun, StudySize } from './case';
import { loadStudyCases } from './cases';
import { studyClaims } from './claims';
import { analyseStudy, ATOL_PER_RTOL, pointKey, runLabel, studyPlan, workPrecisionFigure, type StudyResult, type StudySettings } from './runs';

/** The study's sizes, as option choices. */
const STUDY_SIZE_NAMES = ['quick', 'default'] as const satisfies readonly StudySize[];

/** Default tolerances of the reference. */
export const REFERENCE_RTOL = 1e-10;
export const REFERENCE_ATOL = 1e-13;

/** The phase every case's learning problem is, for the solver checks: an ODE whose input jumps at known times. */
const PHASE = { what: "the study's learning problems (ODEs whose minibatch input jumps at known times)", sde: false, inputJumps: true };

/** Solvers that can integrate every case: ODE solvers that stop where the input jumps. */
function usable(name: string): boolean {
  const s = solvers.get(name);
  return s.ode && s.kind !== 'driver';
}

/** The settings from the parsed options, refused (one line naming the option) before any work. */
export function studySettings(opts: StudyParsed, cases: Registry<SolverStudyCase>): StudySettings {
  for (const id of opts.cases) {
    if (!cases.has(id)) throw new UsageError(`--cases ${id} is not a registered case; valid: ${cases.names().join(', ')}`);
  }
  const ref = solverChoice(opts, PHASE);
  if (!solvers.get(ref.solver).adaptive) {
    throw new UsageError(`--solver ${ref.solver} takes fixed steps, but here --solver is the study's reference, run at tight tolerances; use an adaptive solver (${solvers.names().filter((n) => usable(n) && solvers.get(n).adaptive).join(', ')})`);
  }
  if (ref.dt0 !== undefined) throw new UsageError("--dt0 sets no step here: each case's steps are --step-fractions of its own largest step, and the reference chooses its own; leave --dt0 out");
  for (const [option, list] of [['step-fractions', opts.stepFractions], ['rtols', opts.rtols]] as const) {
    const twice = list.find((v, i) => list.indexOf(v) !== i);
    if (twice !== undefined) throw new UsageError(`--${option} lists ${twice} twice; give each value once`);
  }
  for (const name of opts.solvers) {
    if (!usable(name)) throw new UsageError(`--solvers ${name} cannot integrate ${PHASE.what}; use ${solvers.names().filter(usable).join(', ')}`);
  }
  return {
    cases: opts.cases.length ? opts.cases : cases.names(),
    size: opts.size,
    solvers: opts.solvers,
    stepFractions: opts.stepFractions,
    rtols: opts.rtols,
    reference: { solver: ref.solver, rtol: ref.rtol ?? REFERENCE_RTOL, atol: ref.atol ?? REFERENCE_ATOL },
  };
}

export const TABLE_COLUMNS = ['case', 'role', 'solver', 'step', 'rtol', 'metric', 'metricError', 'stateError', 'nfe', 'steps', 'seconds', 'status'] as const;

const [referenceSolver, dt0Option, rtolOption, atolOption] = solverOptions({ solver: 'dopri5' });
const [studyOut, studyPng] = outputOptions('solver-study');

/** The options of solver-study (`creditflow reproduce solver-study --help`). */
export const solverStudyOptions = [
  studyOut,
  opt.strings('cases', 'learning problems, by id (default: every case of every models/<model>/study.ts; an unknown id is refused with the list)', { default: [] }),
  opt.choice('size', "problem sizes: 'quick' (seconds per case) or 'default' (minutes)", STUDY_SIZE_NAMES, { default: 'default' }),
  { ...opt.strings('solvers', 'integrators studied: fixed-step ones on the step grid, adaptive ones at each --rtols', { default: ['euler', 'heun', 'rk4', 'dopri5'] }), choices: solvers.names() },
  opt.numbers('step-fractions', "fixed steps as fractions of each case's largest step (each in (0, 1])", { default: [1, 0.5, 0.25, 0.125], min: 0, max: 1, validate: above(0) }),
  opt.numbers('rtols', `relative tolerances of the adaptive solvers studied (atol = ${ATOL_PER_RTOL} × rtol)`, { default: [1e-3, 1e-5, 1e-7], min: 0, validate: above(0) }),
  { ...referenceSolver, description: `the reference integrator, an adaptive solver at tight tolerances (registered solvers: ${solvers.names().join(', ')})` },
  { ...dt0Option, description: "not taken here (refused): each case's fixed steps are --step-fractions of its own largest step, and the reference chooses its own" },
  { ...rtolOption, description: `relative tolerance of the reference (default ${REFERENCE_RTOL}); the check run uses 10×` },
  { ...atolOption, description: `absolute tolerance of the reference (default ${REFERENCE_ATOL}); the check run uses 10×` },
  studyPng,
  ...sweepOptions('runs (case × integrator)', 0, null),
] as const;

/** solver-study's options by camelCase name. */
export type SolverStudyOptions = OptionsOf<typeof solverStudyOptions>;

type StudyParsed = ParsedOf<typeof solverStudyOptions>;

/**
 * solver-study as a function: every case with every studied integrator (on `workers` threads),
 * analysed: the table rows, the measured orders, the findings per case; writes nothing. The claims
 * are `studyClaims(result)`, the figure `workPrecisionFigure(result)`.
 */
export async function runSolverStudy(options: OptionsInput<typeof solverStudyOptions> = {}, reporting: CallReporting = {}): Promise<StudyResult> {
  const opts = callOptions(options, solverStudyOptions, 'runSolverStudy');
  const cases = await loadStudyCases();
  const settings = studySettings(opts, cases);
  const plan = studyPlan(settings, cases);
  const runs = await runSweep<StudyRun>(studyTasks(plan, settings), opts, callContext(reporting), 'solver-study');
  return analyseStudy(settings, cases, plan, runs);
}

/** The sweep tasks of a study plan: one per case × integrator. */
function studyTasks(plan: ReturnType<typeof studyPlan>, settings: StudySettings) {
  return plan.map((p) => ({ module: path.join(__dirname, 'runs.ts'), fn: 'studyTask', args: { caseId: p.caseId, choice: p.choice, size: settings.size }, key: pointKey(p) }));
}

export const studyCommand = defineCommand({
  name: 'solver-study',
  description: "each model's learning problem with euler, heun, rk4 and dopri5: metric, error against a tight reference, evaluations, wall time; work-precision figure and findings",
  options: solverStudyOptions,
  async run(opts, ctx) {
    const cases = await loadStudyCases();
    const settings = studySettings(opts, cases);
    const plan = studyPlan(settings, cases);
    // the manifest records the cases run (the default, none given, means all)
    const out = new RunOutput('solver-study', opts.out, { ...opts, cases: settings.cases }, ctx);
    const tasks = studyTasks(plan, settings);
    let runs: StudyRun[];
    try {
      runs = await runSweep<StudyRun>(tasks, opts, ctx, 'solver-study', (i, r) => `${plan[i].caseId} ${plan[i].role} ${plan[i].choice.solver}: ${r.nfe} evaluations`);
    } catch (e) {
      out.finish('failed');
      throw e;
    }
    const result = analyseStudy(settings, cases, plan, runs);
    const rows = result.rows.map((r) => [r.case, r.role, r.solver, r.step ?? '', r.rtol ?? '', r.metric, r.metricError, r.stateError, r.nfe, r.steps, r.seconds, r.status]);
    if (result.rows.some((r) => !Number.isFinite(r.metric) || !Number.isFinite(r.stateError))) out.allowNonFinite('runs that did not finish are kept with NaN results (status column)', ['metric', 'metricError', 'stateError']);
    if (result.orders.some((o) => !Number.isFinite(o.metricOrder) || !Number.isFinite(o.stateOrder))) out.allowNonFinite('an order is NaN where fewer than two steps had an error above the reference floor', ['metricOrder', 'stateOrder']);
    out.table('solver_study', [...TABLE_COLUMNS], rows);
    out.csv('orders', ['case', 'solver', 'declared', 'metricOrder', 'stateOrder', 'metricPoints', 'statePoints'], result.orders.map((o) => ({ ...o })));
    out.json('results', { ...result, rows: result.rows });
    const fig = workPrecisionFigure(result);
    out.figure('work_precision', fig.figure, { title: 'solver-study: work-precision', width: fig.width, height: fig.height });
    const claims = studyClaims(result);
    writeClaims(out, 'solver-study', claims);
    out.note(`wall times are per run, measured with ${opts.workers} worker thread(s) on this machine: compare them within one run only`);
    out.finish();
    if (ctx.json) {
      process.stdout.write(JSON.stringify({ dir: out.dir, cases: result.cases, orders: result.orders }, null, 2) + '\n');
      return 0;
    }
    for (const c of result.cases) {
      ctx.log(`\n${c.case} (${c.model}): ${c.title}\n  ${c.setting}; step unit: ${c.stepUnit}; metric: ${c.metric}`);
      const own = result.rows.filter((r) => r.case === c.case);
      ctx.log(formatTable(['run', 'role', 'metric', 'metric error', 'state error', 'evaluations', 'seconds', 'status'], own.map((r) => [runLabel(r) + (r.isDefault ? ' *' : ''), r.role, r.metric, r.metricError, r.stateError, r.nfe, r.seconds, r.status])));
      for (const f of c.findings) ctx.log(`  - ${f}`);
    }
    ctx.log("\n(* the model's default integrator)");
    printClaims(ctx, claims);
    ctx.log(`wrote ${out.dir}`);
    return 0;
  },
});
