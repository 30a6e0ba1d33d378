/**
 * Every `creditflow reproduce` experiment as a function: `runExperiment(name, options)` runs it in
 * this process and returns what it measured (its JSON documents, CSV tables, figures, claims and
 * notes) instead of leaving them in files, so a notebook or another program plots and tests the
 * data itself:
 *
 *     const r = await runExperiment('sal-ablation', { preset: 'quick', seeds: [1, 2] });
 *     r.claims;                 // the paper's claims with the verdicts computed from this run
 *     r.tables.summary;         // rows of summary.csv, as objects
 *     r.figures.ablation;       // the plotly figure the command would render
 *
 * Options are the command's (`creditflow reproduce <name> --help`), by name or camelCase, checked
 * once by the same declarations as the command line (type, range, choices; then the experiment's
 * own checks before any work). Nothing is written unless `out` is given: then the run writes its
 * folder and manifest exactly as the command does, and the result says where. Runs that would need
 * a folder (`resume`, checkpoints) need `out`. `formatClaims` prints a result's claims as the
 * command does; `captureRuns` keeps what any code that opens runs writes.
 *
 * A new experiment declares its options once with `opt` and the shared groups (`outputOptions`,
 * `seedsOption`, `trainingOptions`, `solverOptions`, `sweepOptions`), gets their type from
 * `OptionsOf<typeof options>`, and `defineCommand` hands its `run` the options typed; `callOptions`
 * checks a typed function call's options against the same declarations.
 *
 * @module creditflow/experiments
 */
import type { RunContext } from './context';
import { callContext, memoryOnly } from './call';
import { applyBackendOption, optionsFrom, UsageError } from './options';
import type { Claim } from '../io/claims';
import type { PlotlyFigure } from '../io/plot';
import { captureRuns, type Manifest } from '../io/run';
import { experiments, loadModels, type CommandSpec } from '../registry';

export { formatClaims, type Claim } from '../io/claims';
export { captureRuns, type CapturedRun } from '../io/run';
// Declaring an experiment's options once, typed (options.ts, groups.ts), and calling it as a typed function (call.ts).
export { opt, UsageError, type Option, type OptionSpec, type OptionsOf, type OptionsInput, type ParsedOf, type CommonOptions } from './options';
export { batchSizeOption, epochsOption, lrOption, outputOptions, pngOption, resumeOptions, seedsOption, singleSeed, solverOptions, sweepOptions, trainingOptions, workersOption } from './groups';
export { callContext, callOptions, type CallReporting } from './call';
export { dataOptions, dataOptionsSizedBy, type DataOptions } from './data';
export { MinibatchFlow, checkOptimizerSolver, PAPER_FLOW, type FlowRun, type FlowSolver, type MinibatchFlowSpec, type OptimizerGroup } from './minibatch-flow';
export { defineCommand, type TypedCommandSpec } from '../registry';

export interface ExperimentResult {
  experiment: string;
  /** The options the run used (defaults and preset filled in). */
  options: Record<string, unknown>;
  status: Manifest['status'];
  wallSeconds: number | null;
  /** The JSON documents the run wrote, by name ('results', 'claims', …). */
  data: Record<string, unknown>;
  /** The CSV tables, by name, as one object per row. */
  tables: Record<string, Record<string, unknown>[]>;
  /** The figures, by name, as plotly specifications. */
  figures: Record<string, PlotlyFigure>;
  /** The claims table (empty for an experiment without claims). */
  claims: Claim[];
  /** The manifest's notes (choices made, runs that diverged, …). */
  notes: string[];
  /** The run folder when `out` was given, else null. */
  dir: string | null;
}

async function findExperiment(name: string): Promise<CommandSpec> {
  await loadModels();
  if (!experiments.has(name)) throw new UsageError(`unknown experiment '${name}'; valid experiments: ${experiments.names().join(', ')}`);
  return experiments.get(name);
}

/** The experiments `runExperiment` knows (the names of `creditflow reproduce`). */
export async function experimentNames(): Promise<string[]> {
  await loadModels();
  return experiments.names();
}

/**
 * Run an experiment (its `creditflow reproduce` name, or its command object as a model exports it,
 * e.g. `ablationExperiment` from 'creditflow/sal') with `options` and return its data. `log`
 * receives the lines the command would print (silent by default).
 */
export async function runExperiment(experiment: string | CommandSpec, options: Record<string, unknown> = {}, opts: { log?: (line: string) => void } = {}): Promise<ExperimentResult> {
  const spec = typeof experiment === 'string' ? await findExperiment(experiment) : experiment;
  const name = spec.name;
  const parsed = optionsFrom(options, spec.options, `runExperiment('${name}')`);
  const toFiles = options.out !== undefined;
  // Nothing in memory-only runs goes to disk: no checkpoints, no PNG rendering.
  memoryOnly(parsed, options, `runExperiment('${name}')`);
  if (!toFiles) parsed.png = false;
  applyBackendOption(parsed);
  const ctx: RunContext = callContext(opts);
  const { runs } = await captureRuns(!toFiles, async () => spec.run(parsed, ctx));
  if (runs.length === 0) throw new Error(`experiment '${name}' finished without opening a run`);
  const run = runs[runs.length - 1];
  const claimsDoc = run.data.claims as { claims?: Claim[] } | undefined;
  return {
    experiment: name,
    options: run.manifest.options,
    status: run.manifest.status,
    wallSeconds: run.manifest.wallSeconds,
    data: run.data,
    tables: run.tables,
    figures: run.figures,
    claims: claimsDoc?.claims ?? [],
    notes: run.manifest.notes,
    dir: run.dir,
  };
}
