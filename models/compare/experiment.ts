/**
 * `creditflow reproduce compare`: every rule on every task with the same architecture,
 * initialisation, data order and budget (run.ts), 3 seeds, runs in worker threads
 * (src/parallel/pool.ts; `--workers 1` runs them in series with identical numbers).
 *
 * Writes: summary.csv (the table: per task and rule, mean ± std over seeds of the final test loss
 * and accuracy, the mean angle to the BP gradient over training, wall and simulated time per
 * epoch, η used, C1-C3), criteria.csv (the C1-C3 table with the reason for each mark and the code
 * each rule comes from), curves.csv (every run, every epoch), results.json (all of it), and one
 * HTML figure per task (test loss and angle to BP against epochs, mean over seeds).
 *
 * Default size (our choice; about 20 min with 2 workers, measured: 18 min 56 s for the MNIST task, where the LOCO and DFC runs
 * dominate): teacher 15-10-10-5 (2,000/500 samples, 20 epochs), MNIST 784-128-128-10 (8,000/2,000,
 * 5 epochs), XOR 2-8-8-1 (1,000 full-batch steps); `--quick`: teacher 512/256 samples 3 epochs,
 * MNIST 784-32-32-10 on 512/256 images 2 epochs, XOR 150 steps, DFC settling 100 steps.
 *
 * `--solver/--dt0/--rtol/--atol` (src/experiment/solver-options.ts): the integrator of every rule's
 * minibatch learning flow dθ/dt = ηΔ_k(θ), minibatch k on [k, k + 1) (learners.ts); default Euler
 * with dt0 = 1, the common SGD step (numbers unchanged). Recorded in the manifest (the options) and
 * in results.json (`solver`).
 *
 * `--data mnist|fashion-mnist|cifar10 --data-dir DIR` gives the image task ('mnist' in the tables)
 * other data (tasks.ts); `--train-size`/`--test-size` its sizes (not given: the configured ones
 * above; 0: the data set's whole split, e.g. 60,000/10,000 for the IDX files).
 *
 * `runCompare(options)` is the same experiment as a function: it returns these data (results.json's,
 * the claims and the notes) and writes nothing; the command is a thin layer that writes them.
 */
import '../../solvers/index'; // registers the built-in solvers by name (--solver lists them)
import { formatTable } from '../../src/io/output';
import { printClaims, writeClaims, type Claim } from '../../src/io/claims';
import { RunOutput } from '../../src/io/run';
import { compareClaims } from './claims';
import type { PlotlyFigure } from '../../src/io/plot';
import { runSweep, sweepOptions, type SweepTask } from '../../src/experiment/sweep';
import { opt, UsageError, type OptionsInput, type OptionsOf, type ParsedOf } from '../../src/experiment/options';
import { outputOptions, seedsOption } from '../../src/experiment/groups';
import { callContext, callOptions, type CallReporting } from '../../src/experiment/call';
import type { RunContext } from '../../src/experiment/context';
import { solverChoice, solverOptions, type SolverOptions } from '../../src/experiment/solver-options';
import { PAPER_FLOW, checkOptimizerSolver, type FlowSolver } from '../../src/experiment/minibatch-flow';
import { isPaperFlow } from './learners';
import { runTasks } from '../../src/parallel/pool';
import { defineCommand } from '../../src/registry';
import { taskConfig } from './config';
import { RUN_MODULE, type RunArgs, type RunResult } from './run';
import { mark, RULE_NAMES, RULES, type RuleInfo, type RuleName } from './rules';
import { TASK_LABELS, TASKS, checkTaskSetup, imageDataLabel, type TaskName, type TaskSetup } from './tasks';
import { loadDataset } from '../../src/data/files';
import { dataChoice, dataOptionsSizedBy } from '../../src/experiment/data';

export interface CompareOptions {
  tasks: TaskName[];
  rules: RuleName[];
  seeds: number[];
  quick: boolean;
  workers: number;
  /** Per-task overrides of the configured sizes (for tests and exploration). */
  override?: Partial<Record<TaskName, Partial<Pick<RunArgs, 'epochs' | 'lr' | 'batch' | 'anglesPerEpoch'>> & { trainSize?: number; testSize?: number; hidden?: number[] }>>;
  maxHalvings?: number;
  /** The image task's data read from files (tasks.ts); absent: the shipped MNIST subset. */
  data?: TaskSetup['data'];
  /** The integrator of every rule's minibatch flow (learners.ts); absent: Euler, one step per minibatch (SGD). */
  solver?: FlowSolver;
}

/** What --solver integrates in the comparison (for the refusal messages). */
const FLOW_PHASE = { what: "every rule's minibatch learning flow dθ/dt = ηΔ_k(θ) (one minibatch per unit of time)", sde: false, inputJumps: true };

/**
 * The integrator of the rules' minibatch flow from --solver/--dt0/--rtol/--atol, refused before any
 * work when it cannot integrate it (an SDE-only solver; one that chooses its own steps and cannot
 * stop where the minibatch changes; a step outside (0, 1] minibatches). Undefined for the default,
 * Euler with one step per minibatch (the common SGD step), so default runs keep their arguments.
 */
export function compareSolver(opts: CompareSolverOptions): FlowSolver | undefined {
  const c = solverChoice(opts, FLOW_PHASE);
  checkOptimizerSolver('sgd', c);
  return isPaperFlow(c) ? undefined : c;
}

function describeFlow(f: FlowSolver): string {
  return [f.solver, f.dt0 !== undefined ? `dt0 ${f.dt0}` : '', f.rtol !== undefined ? `rtol ${f.rtol}` : '', f.atol !== undefined ? `atol ${f.atol}` : ''].filter(Boolean).join(' ');
}

/** A task's setup: its configuration with the overrides and the image task's data. */
export function taskSetup(o: CompareOptions, task: TaskName): TaskSetup {
  const ov = o.override?.[task] ?? {};
  return {
    ...taskConfig(task, o.quick).setup,
    ...(ov.trainSize ? { trainSize: ov.trainSize } : {}),
    ...(ov.testSize ? { testSize: ov.testSize } : {}),
    ...(ov.hidden ? { hidden: ov.hidden } : {}),
    ...(task === 'mnist' && o.data ? { data: o.data } : {}),
  };
}

/**
 * The image task's data and sizes from --data, --data-dir, --train-size, --test-size: `data` when
 * read from files, and the sizes as overrides (0 = the data set's whole split).
 */
function imageData(opts: Pick<CompareParsed, 'data' | 'dataDir' | 'trainSize' | 'testSize'>): Pick<CompareOptions, 'data' | 'override'> {
  const data = dataChoice(opts);
  const whole = () => (data ? loadDataset(data.name, data.dir) : loadDataset('mnist'));
  const size = (v: number | undefined, part: 'train' | 'test') => (v === undefined ? undefined : v === 0 ? whole()[part].n : v);
  const trainSize = size(opts.trainSize, 'train');
  const testSize = size(opts.testSize, 'test');
  const mnist = { ...(trainSize ? { trainSize } : {}), ...(testSize ? { testSize } : {}) };
  return { ...(data ? { data } : {}), ...(Object.keys(mnist).length ? { override: { mnist } } : {}) };
}

/** The run arguments of every (task, rule, seed), most expensive first (so the pool ends evenly). */
export function compareTasks(o: CompareOptions): RunArgs[] {
  const cost = (t: TaskName, r: RuleName) => (t === 'mnist' ? 100 : t === 'teacher' ? 10 : 1) * (r === 'LOCO' ? 5 : r === 'DFC' ? 4 : r === 'DFC-SSA' ? 2 : 1);
  const out: RunArgs[] = [];
  for (const task of o.tasks) {
    const c = taskConfig(task, o.quick);
    const ov = o.override?.[task] ?? {};
    const setup = taskSetup(o, task);
    for (const rule of o.rules) {
      for (const seed of o.seeds) {
        out.push({
          rule,
          setup,
          seed,
          epochs: ov.epochs ?? c.epochs,
          batch: ov.batch ?? c.batch,
          lr: ov.lr ?? c.lr,
          anglesPerEpoch: ov.anglesPerEpoch ?? c.anglesPerEpoch,
          settings: c.settings,
          maxHalvings: o.maxHalvings,
          ...(o.solver ? { solver: o.solver } : {}),
        });
      }
    }
  }
  return out.sort((a, b) => cost(b.setup.task, b.rule) - cost(a.setup.task, a.rule));
}

export function meanStd(xs: readonly number[]): { mean: number; std: number; n: number } {
  const f = xs.filter(Number.isFinite);
  const n = f.length;
  if (!n) return { mean: NaN, std: NaN, n: 0 };
  const m = f.reduce((a, b) => a + b, 0) / n;
  const v = n > 1 ? f.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1) : 0;
  return { mean: m, std: Math.sqrt(v), n };
}

function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toPrecision(digits);
}

function pm(s: { mean: number; std: number }, scale = 1, digits = 4): string {
  if (!Number.isFinite(s.mean)) return '—';
  return `${fmt(s.mean * scale, digits)} ± ${fmt(s.std * scale, 2)}`;
}

export interface SummaryRow {
  task: TaskName;
  rule: RuleName;
  network: string;
  ok: number;
  seeds: number;
  lr: number[];
  testLoss: { mean: number; std: number; n: number };
  testAccuracy: { mean: number; std: number; n: number };
  angleHidden: { mean: number; std: number; n: number };
  angleAll: { mean: number; std: number; n: number };
  wallPerEpoch: { mean: number; std: number; n: number };
  simTimePerEpoch: { mean: number; std: number; n: number };
  messages: string[];
}

export function summarise(results: readonly RunResult[], tasks: readonly TaskName[], rules: readonly RuleName[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const task of tasks) {
    for (const rule of rules) {
      const rs = results.filter((r) => r.task === task && r.rule === rule);
      if (!rs.length) continue;
      const ok = rs.filter((r) => r.status === 'ok');
      const sizes = rs[0].sizes.join('-');
      rows.push({
        task,
        rule,
        network: `${sizes} ${rs[0].family}`,
        ok: ok.length,
        seeds: rs.length,
        lr: rs.map((r) => r.lr),
        testLoss: meanStd(ok.map((r) => r.final.testLoss)),
        testAccuracy: meanStd(ok.map((r) => r.final.testAccuracy)),
        angleHidden: meanStd(rs.map((r) => r.final.angleHidden)),
        angleAll: meanStd(rs.map((r) => r.final.angleAll)),
        wallPerEpoch: meanStd(rs.map((r) => r.final.wallPerEpoch)),
        simTimePerEpoch: meanStd(rs.map((r) => r.final.simTimePerEpoch)),
        messages: rs.filter((r) => r.message).map((r) => `seed ${r.seed}: ${r.message}`),
      });
    }
  }
  return rows;
}

export const SUMMARY_COLUMNS = [
  'task', 'rule', 'network', 'η', 'test loss', 'test acc %', 'angle to BP (hidden) °', 'angle to BP (all) °', 'wall s/epoch', 'sim. time/epoch', 'C1', 'C2', 'C3', 'ok',
] as const;

export function summaryTable(rows: readonly SummaryRow[]): string[][] {
  return rows.map((r) => {
    const info = RULES[r.rule];
    const lrs = [...new Set(r.lr)];
    return [
      r.task,
      r.rule,
      r.network,
      lrs.map((v) => fmt(v, 3)).join('/'),
      pm(r.testLoss),
      r.task === 'teacher' ? '—' : pm(r.testAccuracy, 100, 3),
      pm(r.angleHidden, 1, 3),
      pm(r.angleAll, 1, 3),
      fmt(r.wallPerEpoch.mean, 3),
      fmt(r.simTimePerEpoch.mean, 3),
      mark(info.c1),
      mark(info.c2),
      mark(info.c3),
      `${r.ok}/${r.seeds}`,
    ];
  });
}

export const CRITERIA_COLUMNS = ['rule', 'name', 'network', 'C1 asymmetric weights', 'C2 local errors', 'C3 no separate phases', 'why', 'update from'] as const;

export function criteriaTable(rules: readonly RuleName[]): string[][] {
  return rules.map((n) => {
    const r = RULES[n];
    return [r.name, r.label, r.family, mark(r.c1), mark(r.c2), mark(r.c3), r.why, r.source];
  });
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#ad494a', '#637939'];

/** Test loss (left) and angle to BP (right) against epochs, mean over seeds, one line per rule. */
export function taskFigure(results: readonly RunResult[], task: TaskName, rules: readonly RuleName[], label = TASK_LABELS[task]): PlotlyFigure {
  const data: Record<string, unknown>[] = [];
  rules.forEach((rule, i) => {
    const rs = results.filter((r) => r.task === task && r.rule === rule && r.status === 'ok');
    if (!rs.length) return;
    const n = Math.min(...rs.map((r) => r.curve.length));
    const epochs = rs[0].curve.slice(0, n).map((p) => p.epoch);
    const avg = (key: 'testLoss' | 'angleHidden') => epochs.map((_, e) => meanStd(rs.map((r) => r.curve[e][key])).mean);
    const color = PALETTE[i % PALETTE.length];
    const dash = RULES[rule].family === 'relu' ? 'dash' : 'solid';
    data.push({ x: epochs, y: avg('testLoss'), mode: 'lines', name: rule, legendgroup: rule, line: { color, dash }, xaxis: 'x', yaxis: 'y' });
    data.push({ x: epochs.slice(1), y: avg('angleHidden').slice(1), mode: 'lines', name: rule, legendgroup: rule, showlegend: false, line: { color, dash }, xaxis: 'x2', yaxis: 'y2' });
  });
  return {
    data,
    layout: {
      title: { text: `${label}: test loss and angle to the BP gradient (mean over seeds; dashed: ReLU network)` },
      xaxis: { domain: [0, 0.46], title: { text: 'epoch' } },
      yaxis: { title: { text: 'test loss ½‖y − t‖²' }, type: 'log' },
      xaxis2: { domain: [0.56, 1], title: { text: 'epoch' }, anchor: 'y2' },
      yaxis2: { title: { text: 'angle to −∇L (hidden layers, °)' }, anchor: 'x2', range: [0, 100] },
    },
  };
}

/** The runs of the comparison as worker tasks, keyed task-rule-seed, in the order of `compareTasks`. */
export function comparisonTasks(o: CompareOptions): SweepTask<RunArgs>[] {
  return compareTasks(o).map((a) => ({ module: RUN_MODULE, fn: 'compareRun', args: a, key: `${a.setup.task}-${a.rule}-seed${a.seed}` }));
}

/** Run the comparison; returns every run's result (in the order of `compareTasks`). */
export async function runComparison(o: CompareOptions): Promise<RunResult[]> {
  return runTasks<RunResult>(comparisonTasks(o), { workers: o.workers });
}

/** The options of compare (`creditflow reproduce compare --help`). */
export const compareCommandOptions = [
  ...outputOptions('compare'),
  seedsOption({ default: [1, 2, 3], description: 'seeds (initialisation, data order, rule noise)' }),
  opt.choices('tasks', 'tasks', TASKS, { default: [...TASKS] }),
  opt.choices('rules', 'rules', RULE_NAMES, { default: [...RULE_NAMES] }),
  opt.boolean('quick', 'reduced sizes (about 30-60 s on 2 cores)', { default: false }),
  ...sweepOptions('runs', 1, null),
  ...solverOptions({ solver: 'euler', dt0: "1 minibatch: one Euler step of η per minibatch, every rule's plain SGD step (DFC's wake and sleep phases and DLL's relaxation inside each step keep their papers' integrators)" }),
  opt.integer('max-halvings', 'times η may be halved after a divergence', { default: 4, min: 0 }),
  ...dataOptionsSizedBy({ train: '8,000, --quick 512', test: '2,000, --quick 256' }, 'data of the image task'),
] as const;

/** compare's options by camelCase name, as `runCompare` takes them (all optional there: defaults fill the rest). */
export type CompareCommandOptions = OptionsOf<typeof compareCommandOptions>;

type CompareParsed = ParsedOf<typeof compareCommandOptions>;

/** The options `compareSolver` reads: --solver, --dt0, --rtol, --atol. */
export type CompareSolverOptions = SolverOptions;

/** What compare measures (its results.json), the claims judged on it and the notes the run records. */
export interface CompareResult {
  /** The comparison's settings: tasks, rules, seeds, sizes, data, integrator. */
  options: CompareOptions;
  /** The integrator of the rules' minibatch flow (PAPER_FLOW: Euler, one step per minibatch). */
  solver: FlowSolver;
  /** Wall time of the runs (s). */
  wallSeconds: number;
  /** Per task and rule, over the seeds: final test loss and accuracy, angle to BP, times (summaryTable formats it as summary.csv). */
  summary: SummaryRow[];
  /** Each rule's C1-C3 and where its update comes from (criteriaTable formats it as criteria.csv). */
  criteria: RuleInfo[];
  /** Every (task, rule, seed) run with its curve (curves.csv). */
  runs: RunResult[];
  claims: Claim[];
  /** A line per run that diverged at some η (the manifest's notes). */
  notes: string[];
}

/** The settings of the comparison from its options, checked before any work (solver, the image task's data and sizes). */
function comparePlan(opts: CompareParsed): CompareOptions {
  const o: CompareOptions = {
    tasks: opts.tasks,
    rules: opts.rules,
    seeds: opts.seeds,
    quick: opts.quick,
    workers: opts.workers,
    maxHalvings: opts.maxHalvings,
    ...imageData(opts),
  };
  const solver = compareSolver(opts); // an unsuitable --solver, --dt0, --rtol or --atol fails here, before any work
  if (solver) o.solver = solver;
  if (o.tasks.includes('mnist')) checkTaskSetup(taskSetup(o, 'mnist')); // bad --data, --data-dir or sizes fail here, before any work
  else if (o.data || o.override?.mnist) throw new UsageError("--data, --data-dir, --train-size and --test-size set the image task's data, which --tasks leaves out; add mnist to --tasks");
  return o;
}

/** The image task's label (its data and sizes) for the figure and the claims. */
function imageLabels(o: CompareOptions): { mnist: string } {
  return { mnist: imageDataLabel(taskSetup(o, 'mnist')) };
}

async function compareRuns(o: CompareOptions, opts: CompareParsed, ctx: RunContext): Promise<CompareResult> {
  const n = o.tasks.length * o.rules.length * o.seeds.length;
  ctx.log(`compare: ${o.rules.length} rules x ${o.tasks.length} tasks x ${o.seeds.length} seeds = ${n} runs on ${o.workers} worker(s)${o.quick ? ' (quick)' : ''}${o.solver ? `, flow integrated by ${describeFlow(o.solver)}` : ''}`);
  const t0 = performance.now();
  const runs = await runSweep<RunResult>(comparisonTasks(o), opts, ctx, 'compare', (_i, r) => `${r.task}/${r.rule}/${r.seed}`);
  const summary = summarise(runs, o.tasks, o.rules);
  const claims = compareClaims(runs, o.tasks, o.seeds, o.quick, imageLabels(o));
  const notes = summary.flatMap((r) => r.messages.map((m) => `${r.task}/${r.rule} ${m}`));
  return { options: o, solver: o.solver ?? PAPER_FLOW, wallSeconds: (performance.now() - t0) / 1000, summary, criteria: o.rules.map((r) => RULES[r]), runs, claims, notes };
}

/** curves.csv: one row per run and epoch. */
export function compareCurveRows(runs: readonly RunResult[]): Record<string, unknown>[] {
  return runs.flatMap((r) => r.curve.map((p) => ({ task: r.task, rule: r.rule, seed: r.seed, lr: r.lr, status: r.status, ...p })));
}

/** compare's figures by file name: per task, the test loss and the angle to BP against epochs (`taskFigure`). */
export function compareFigures(r: Pick<CompareResult, 'options' | 'runs'>): Record<string, PlotlyFigure> {
  const labels = imageLabels(r.options);
  return Object.fromEntries(r.options.tasks.map((task) => [`curves-${task}`, taskFigure(r.runs, task, r.options.rules, task === 'mnist' ? labels.mnist : undefined)]));
}

/**
 * compare as a function: trains every rule on every task and seed (on `workers` threads) and
 * returns the summary, the criteria, every run's curve, the claims and the notes; writes nothing
 * (see src/experiment/call.ts). The figures are `compareFigures(result)`, the tables
 * `summaryTable(result.summary)` and `criteriaTable(result.options.rules)`.
 *
 *     const r = await runCompare({ quick: true, seeds: [1], tasks: ['xor'], rules: ['BP', 'FA', 'NP', 'LOCO'] });
 *     r.summary.map((s) => [s.rule, s.testLoss.mean]);
 */
export async function runCompare(options: OptionsInput<typeof compareCommandOptions> = {}, reporting: CallReporting = {}): Promise<CompareResult> {
  const opts = callOptions(options, compareCommandOptions, 'runCompare');
  return compareRuns(comparePlan(opts), opts, callContext(reporting));
}

export const compareCommand = defineCommand({
  name: 'compare',
  description: 'every learning rule (BP, FA, DFA, URFB, DFC-SSA, DFC, DLL, NP, LOCO; KP, WM, SAL on ReLU) on the same tasks, inits, data order and budget',
  options: compareCommandOptions,
  async run(opts, ctx) {
    const o = comparePlan(opts);
    const out = new RunOutput('compare', opts.out, opts, ctx);
    const r = await compareRuns(o, opts, ctx);
    const table = summaryTable(r.summary);
    out.table('summary', SUMMARY_COLUMNS, table);
    out.table('criteria', CRITERIA_COLUMNS, criteriaTable(o.rules));
    out.csv('curves', ['task', 'rule', 'seed', 'lr', 'status', 'epoch', 'trainLoss', 'testLoss', 'testAccuracy', 'angleHidden', 'angleAll', 'wallSeconds', 'simTime'], compareCurveRows(r.runs));
    out.json('results', { options: r.options, solver: r.solver, wallSeconds: r.wallSeconds, summary: r.summary, criteria: r.criteria, runs: r.runs });
    for (const [name, figure] of Object.entries(compareFigures(r))) out.figure(name, figure, { width: 1300, height: 560 });
    for (const note of r.notes) out.note(note);
    writeClaims(out, 'compare', r.claims);
    out.allowNonFinite('angles to the BP update are NaN where undefined (before the first update, or a zero update), and accuracy on the regression task', ['angleHidden', 'angleAll', 'angleLayers', 'testAccuracy']);
    if (r.runs.some((x) => x.status === 'diverged')) out.allowNonFinite('diverged runs are kept with NaN final losses and angles (status diverged)');
    out.finish();
    if (ctx.json) {
      process.stdout.write(JSON.stringify({ columns: SUMMARY_COLUMNS, rows: table, criteria: criteriaTable(o.rules) }, null, 2) + '\n');
    } else {
      ctx.log('\n' + formatTable(SUMMARY_COLUMNS, table));
      ctx.log('\n' + formatTable(['rule', 'C1', 'C2', 'C3', 'why'], criteriaTable(o.rules).map((x) => [x[0], x[3], x[4], x[5], x[6]])));
      ctx.log(`\n(${r.wallSeconds.toFixed(0)} s; files in ${out.dir})`);
      printClaims(ctx, r.claims);
    }
  },
});
