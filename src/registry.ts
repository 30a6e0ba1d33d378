/**
 * The project's registries: models register their theorem checks, experiments (`creditflow
 * reproduce <name>`) and commands (`creditflow <name>`, e.g. 'train urfb') from their own folder.
 * `loadModels()` imports every `models/<name>/index.ts`, so adding a model changes nothing outside
 * its folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Registry } from './core/registry';
import type { OptionSpec, ParsedOf, ParsedOptions } from './experiment/options';
import type { RunContext } from './experiment/context';

export interface CheckResult {
  /** The measured quantity, as a short human-readable string (numbers with units). */
  measured: string;
  /** The bound it is held to, e.g. '≤ 1e-6' or 'slope ∈ [1.85, 2.15]'. */
  bound: string;
  pass: boolean;
  /** Raw numbers for --json. */
  details?: object;
}

export interface TheoremCheck {
  /** Unique id, e.g. 'urfb.theorem1'. */
  id: string;
  /** Paper short name, e.g. 'URFB (Amit)'. */
  paper: string;
  /** The claim with its number in the paper, e.g. 'Theorem 1: e² → 0, faster for larger ε'. */
  claim: string;
  run(ctx: { quick: boolean; seed: number }): CheckResult | Promise<CheckResult>;
}

export interface CommandSpec {
  /** One or more words, e.g. 'train urfb'. */
  name: string;
  description: string;
  options: readonly OptionSpec[];
  /** The usage line for --help (positional arguments and options). */
  usage?: string;
  /** Takes positional arguments (opts._, e.g. a plan folder); every other command refuses them. */
  positional?: boolean;
  run(opts: ParsedOptions, ctx: RunContext): Promise<number | void> | number | void;
}

/**
 * A command declared with `opt` options: `run` receives them typed (`ParsedOf<O>`: each option by
 * camelCase name with its declared type, optional where it has no default, and the common
 * options), so the command reads its options without casts. At run time it is the same
 * `CommandSpec` (the options are parsed and checked against the same declarations).
 */
export interface TypedCommandSpec<O extends readonly OptionSpec[]> {
  name: string;
  description: string;
  options: O;
  usage?: string;
  positional?: boolean;
  run(opts: ParsedOf<O>, ctx: RunContext): Promise<number | void> | number | void;
}

/** A `CommandSpec` whose `run` reads its options typed (see `TypedCommandSpec`). */
export function defineCommand<const O extends readonly OptionSpec[]>(spec: TypedCommandSpec<O>): CommandSpec & { options: O } {
  // The one conversion: parseOptions/optionsFrom produce exactly these keys and types from these declarations.
  return spec as unknown as CommandSpec & { options: O };
}

export interface ModelInfo {
  name: string;
  description: string;
  paper: string;
}

export const models = new Registry<ModelInfo>('model');
export const checks = new Registry<TheoremCheck>('theorem check');
export const experiments = new Registry<CommandSpec>('experiment');
export const commands = new Registry<CommandSpec>('command');

export function registerModel(spec: {
  model: ModelInfo;
  checks?: readonly TheoremCheck[];
  experiments?: readonly CommandSpec[];
  commands?: readonly CommandSpec[];
}): void {
  models.register(spec.model.name, spec.model);
  for (const c of spec.checks ?? []) checks.register(c.id, c);
  for (const e of spec.experiments ?? []) experiments.register(e.name, e);
  for (const c of spec.commands ?? []) commands.register(c.name, c);
}

let loaded: Promise<void> | null = null;

/**
 * Import every models/<name>/index.ts (once) and the core's own checks. In the compiled package
 * (dist/cjs) the same tree holds index.js instead.
 */
export function loadModels(): Promise<void> {
  loaded ??= (async () => {
    const { coreChecks } = await import('../solvers/checks');
    for (const c of coreChecks) checks.register(c.id, c);
    const dir = path.resolve(__dirname, '..', 'models');
    if (!fs.existsSync(dir)) return;
    const entry = (name: string) => ['index.ts', 'index.js'].map((f) => path.join(dir, name, f)).find((f) => fs.existsSync(f));
    const names = fs.readdirSync(dir).filter((d) => entry(d) !== undefined).sort();
    for (const name of names) await import(entry(name)!);
  })();
  return loaded;
}
