/**
 * Command-line options: declared once (name, type, default, range, help), parsed and validated
 * before any work starts, with messages that name the option and the allowed values.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SEED_MAX, SEED_MIN } from '../core/random';
import { BACKENDS, setBackend, type Backend } from '../linalg/backend';

export type OptionType = 'number' | 'integer' | 'string' | 'boolean' | 'numbers' | 'integers' | 'strings';

export interface OptionSpec {
  name: string;
  type: OptionType;
  description: string;
  default?: unknown;
  min?: number;
  max?: number;
  /** Allowed values (for strings, or each element of 'strings'). */
  choices?: readonly string[];
  /**
   * A check of the converted value beyond type and range: returns what is wrong (the message
   * goes after the option's name), or undefined when the value is fine.
   */
  validate?: (value: any) => string | undefined;
}

export type ParsedOptions = Record<string, any> & { _: string[] };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Options every command accepts. */
export const commonOptions: OptionSpec[] = [
  { name: 'help', type: 'boolean', description: 'show this help', default: false },
  { name: 'json', type: 'boolean', description: 'print machine-readable JSON instead of a table', default: false },
  { name: 'config', type: 'string', description: 'JSON file of options (keys are option names); flags override it' },
  { name: 'backend', type: 'string', choices: BACKENDS, default: 'auto', description: 'dense linear algebra: auto (a system OpenBLAS when found, wasm for small products), blas, wasm or ts (CREDITFLOW_BLAS: a CBLAS library path; CREDITFLOW_BLAS_THREADS: BLAS threads, default 1)' },
];

/** Applies `--backend` (src/linalg/backend.ts) before a command runs; a BLAS that is missing or unusable is a usage error. */
export function applyBackendOption(opts: ParsedOptions): void {
  const backend = (opts.backend ?? 'auto') as Backend;
  try {
    setBackend(backend);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UsageError(msg.startsWith(`backend '${backend}': `) ? `--backend ${backend}: ${msg.slice(`backend '${backend}': `.length)}` : msg);
  }
}

/** `--png` / `--no-png`, for every command that writes figures (RunOutput reads it). */
export const pngOption: Option<'png', boolean, true> = { name: 'png', type: 'boolean', description: 'also render PNGs of the figures with headless chromium when installed (--no-png: HTML only)', default: true };

/**
 * Rules that complete an option's declaration from its name, applied to every command's options
 * (append a rule to extend them): seeds get the accepted range, output folders a path check.
 */
export const impliedRules: ((s: OptionSpec) => OptionSpec)[] = [
  (s) => ((s.name === 'seed' || s.name === 'seeds') && s.min === undefined && s.max === undefined && (s.type === 'integer' || s.type === 'integers') ? { ...s, min: SEED_MIN, max: SEED_MAX } : s),
  (s) => (s.name === 'out' && s.type === 'string' && !s.validate ? { ...s, validate: checkOutPath } : s),
  // A learning rate of 0 trains nothing and reports it as a result; a perturbation scale σ or a time step of 0 divides by zero.
  (s) => (/^(lr|lrs|eta|eta-.*|sigma|sigma-.*|dt)$/.test(s.name) && (s.type === 'number' || s.type === 'numbers') && !s.validate && (s.min ?? 0) <= 0 ? { ...s, validate: above(0) } : s),
  // A list that is a set (seeds, ε values, rules, …): a value given twice would be a second identical run.
  (s) => (isSetLike(s) ? { ...s, validate: both(s.validate, distinct) } : s),
];

/** Lists whose values name separate runs (not shapes such as --dims 40,100,100,10, where repeats are meant). */
export const setLikeLists = new Set(['seeds', 'epsilons', 'lrs', 'lambdas', 'alphas', 'depths', 'ratios', 'teacher-sds']);

function isSetLike(s: OptionSpec): boolean {
  return (s.type === 'strings' && s.choices !== undefined) || ((s.type === 'integers' || s.type === 'numbers') && setLikeLists.has(s.name));
}

function distinct(v: unknown[]): string | undefined {
  const seen = new Set<unknown>();
  for (const x of v) {
    if (seen.has(x)) return `lists ${x} twice; give each value once`;
    seen.add(x);
  }
  return undefined;
}

function both<T>(a: ((v: T) => string | undefined) | undefined, b: (v: T) => string | undefined): (v: T) => string | undefined {
  return (v) => a?.(v) ?? b(v);
}

/** A `validate` for a number, or each number of a list, that must be strictly above `bound` (min is inclusive). */
export function above(bound: number): (v: number | number[]) => string | undefined {
  return (v) => {
    const bad = (Array.isArray(v) ? v : [v]).find((x) => !(x > bound));
    return bad === undefined ? undefined : `${Array.isArray(v) ? 'values' : ''}${Array.isArray(v) ? ' ' : ''}must be > ${bound} (got ${bad})`;
  };
}

/** A spec with the implied rules applied. */
export function completeSpec(s: OptionSpec): OptionSpec {
  return impliedRules.reduce((x, rule) => rule(x), s);
}

/**
 * What is wrong with an output folder path that can be told without touching the disk beyond
 * reading it: empty, a pseudo-filesystem (/proc, /sys, /dev), or an existing file.
 */
export function checkOutPath(value: string): string | undefined {
  if (value.trim() === '') return `must name a folder (got '${value}'); pass e.g. --out out/run`;
  const abs = path.resolve(value);
  if (/^\/(proc|sys|dev)(\/|$)/.test(abs)) return `cannot be under ${abs.split('/')[1] === 'dev' ? '/dev' : '/' + abs.split('/')[1]} (got '${value}'); choose a folder on a disk, e.g. --out out/run`;
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory()) return `is a file, not a folder (got '${value}'); choose a folder, e.g. --out ${value}-run`;
  return undefined;
}

/** Decimal notation only: Number() would also take 0x10, 0b11 and 0o7. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function convertOne(spec: OptionSpec, raw: string, what: string): number | string {
  if (spec.type === 'number' || spec.type === 'numbers' || spec.type === 'integer' || spec.type === 'integers') {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${what} must be a number (got '${raw}')`);
    if (!DECIMAL.test(raw.trim())) throw new UsageError(`${what} must be a decimal number such as 12, 0.5 or 1e-3 (got '${raw}')`);
    if ((spec.type === 'integer' || spec.type === 'integers') && !Number.isInteger(v)) {
      throw new UsageError(`${what} must be an integer (got ${raw})`);
    }
    if (spec.min !== undefined && v < spec.min) throw new UsageError(`${what} must be >= ${spec.min} (got ${v})`);
    if (spec.max !== undefined && v > spec.max) throw new UsageError(`${what} must be <= ${spec.max} (got ${v})`);
    return v;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`${what} must be one of ${spec.choices.join(', ')} (got '${raw}')`);
  }
  return raw;
}

export function convert(spec: OptionSpec, raw: string | boolean): unknown {
  const value = convertRaw(spec, raw);
  const problem = spec.validate?.(value);
  if (problem !== undefined) throw new UsageError(`--${spec.name} ${problem}`);
  return value;
}

function convertRaw(spec: OptionSpec, raw: string | boolean): unknown {
  const what = `--${spec.name}`;
  if (spec.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new UsageError(`${what} is a flag: pass it without a value, or true/false (got '${raw}')`);
  }
  if (typeof raw === 'boolean') throw new UsageError(`${what} needs a value`);
  if (spec.type === 'numbers' || spec.type === 'integers' || spec.type === 'strings') {
    const parts = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (parts.length === 0) throw new UsageError(`${what} needs at least one value (comma-separated)`);
    return parts.map((p) => convertOne(spec, p, `each value of ${what}`));
  }
  return convertOne(spec, raw, what);
}

/**
 * Validate one value from a config file against its spec; the message names the field and the
 * allowed range.
 */
export function convertConfigValue(spec: OptionSpec, value: unknown, file: string): unknown {
  const v = convertConfigRaw(spec, value, file);
  const problem = spec.validate?.(v);
  if (problem !== undefined) throw new UsageError(`${file}: field '${spec.name}' ${problem}`);
  return v;
}

function convertConfigRaw(spec: OptionSpec, value: unknown, file: string): unknown {
  const where = `${file}: field '${spec.name}'`;
  const fail = (expected: string): never => {
    throw new UsageError(`${where} must be ${expected} (got ${JSON.stringify(value)})`);
  };
  const list = spec.type === 'numbers' || spec.type === 'integers' || spec.type === 'strings';
  if (spec.type === 'boolean') return typeof value === 'boolean' ? value : fail('true or false');
  if (list) {
    if (!Array.isArray(value) || value.length === 0) fail(`a non-empty array of ${spec.type === 'strings' ? 'strings' : spec.type}`);
    return (value as unknown[]).map((v) =>
      checkScalar(spec, v, `${where} entries`, (e) => {
        throw new UsageError(`${where} entries must be ${e} (got ${JSON.stringify(v)})`);
      }),
    );
  }
  return checkScalar(spec, value, where, fail);
}

function checkScalar(spec: OptionSpec, v: unknown, where: string, fail: (e: string) => never): unknown {
  const numeric = spec.type === 'number' || spec.type === 'numbers' || spec.type === 'integer' || spec.type === 'integers';
  if (numeric) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(spec.type.startsWith('integer') ? 'an integer' : 'a finite number');
    if (spec.type.startsWith('integer') && !Number.isInteger(v)) return fail('an integer');
    if (spec.min !== undefined && v < spec.min) throw new UsageError(`${where} must be >= ${spec.min} (got ${v})`);
    if (spec.max !== undefined && v > spec.max) throw new UsageError(`${where} must be <= ${spec.max} (got ${v})`);
    return v;
  }
  if (typeof v !== 'string') return fail('a string');
  if (spec.choices && !spec.choices.includes(v)) throw new UsageError(`${where} must be one of ${spec.choices.join(', ')} (got '${v}')`);
  return v;
}

/** Read and validate a JSON config file: every key must be an option of the command. */
export function readConfig(file: string, specs: readonly OptionSpec[]): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new UsageError(`cannot read config ${file}: ${why}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`config ${file} must be a JSON object of option names to values`);
  return checkValues(raw as Record<string, unknown>, specs, file);
}

/**
 * Values given as an object (a --config file, or the options of a function call such as
 * `runExperiment`), keyed by option name ('train-size') or its camelCase ('trainSize'): every key
 * must be an option, and each value is checked as a config file's (type, range, choices, the
 * option's own check). Returns them under the camelCase keys. `where` starts each message.
 */
export function checkValues(given: Record<string, unknown>, specs: readonly OptionSpec[], where: string): Record<string, unknown> {
  const all = specs.map(completeSpec);
  const byName = new Map(all.map((s) => [s.name, s]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const spec = byName.get(key) ?? all.find((s) => camel(s.name) === key);
    if (!spec || spec.name === 'config' || spec.name === 'help') {
      throw new UsageError(`${where}: unknown field '${key}'; valid fields: ${all.filter((s) => s.name !== 'config' && s.name !== 'help').map((s) => s.name).join(', ')}`);
    }
    out[camel(spec.name)] = convertConfigValue(spec, value, where);
  }
  return out;
}

/** The options of a command called as a function: defaults (common options included), then `given`, checked by `checkValues`. */
export function optionsFrom(given: Record<string, unknown>, specs: readonly OptionSpec[], where: string): ParsedOptions {
  const all = [...commonOptions, ...specs].map(completeSpec);
  const out: ParsedOptions = { _: [] };
  for (const s of all) if (s.default !== undefined) out[camel(s.name)] = s.default;
  return Object.assign(out, checkValues(given, all, where));
}

/** Parse argv against the specs (common options included); --config values sit under the flags. */
export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[]): ParsedOptions {
  const all = [...commonOptions, ...specs].map(completeSpec);
  const byName = new Map(all.map((s) => [s.name, s]));
  const out: ParsedOptions = { _: [] };
  for (const s of all) if (s.default !== undefined) out[camel(s.name)] = s.default;
  const ci = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (ci >= 0) {
    const file = argv[ci].includes('=') ? argv[ci].slice('--config='.length) : argv[ci + 1];
    if (!file || (!argv[ci].includes('=') && file.startsWith('--'))) throw new UsageError(`--config needs a file name${file ? ` (got the option ${file} next)` : ''}`);
    Object.assign(out, readConfig(file, all));
  }
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    let name = a.slice(2);
    let value: string | boolean | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let spec = byName.get(name);
    if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      spec = byName.get(name.slice(3))!;
      value = false;
    }
    if (!spec) {
      throw new UsageError(`unknown option --${name}; valid options: ${all.map((s) => '--' + s.name).join(', ')}`);
    }
    if (value === undefined) {
      if (spec.type === 'boolean') value = true;
      else {
        if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
        if (argv[i + 1].startsWith('--')) throw new UsageError(`--${name} needs a value (got the option ${argv[i + 1]} next); a value that starts with -- goes after '=': --${name}=${argv[i + 1]}`);
        value = argv[++i];
      }
    }
    const previous = given.get(spec.name);
    if (previous !== undefined) throw new UsageError(`--${spec.name} is given twice (${previous} and ${String(value)}); give it once`);
    given.set(spec.name, String(value));
    out[camel(spec.name)] = convert(spec, value);
  }
  return out;
}

export function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function formatHelp(usage: string, description: string, specs: readonly OptionSpec[]): string {
  const all = [...specs, ...commonOptions].map(completeSpec);
  const rows = all.map((s) => {
    const kind = s.type === 'boolean' ? '' : ` <${s.type}${s.choices ? ': ' + s.choices.join('|') : ''}>`;
    const range = s.min !== undefined || s.max !== undefined ? ` [${s.min ?? '-∞'}, ${s.max ?? '∞'}]` : '';
    const def = s.default !== undefined && s.type !== 'boolean' ? ` (default ${Array.isArray(s.default) ? s.default.join(',') : s.default})` : '';
    return [`  --${s.name}${kind}`, `${s.description}${range}${def}`];
  });
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  return `usage: ${usage}\n\n${description}\n\noptions:\n${rows.map(([a, b]) => a.padEnd(w) + b).join('\n')}\n`;
}

/**
 * The TypeScript type of a parsed value of each option type (what `parseOptions`, a `--config`
 * file and `checkValues` produce).
 */
export interface OptionValueTypes {
  number: number;
  integer: number;
  string: string;
  boolean: boolean;
  numbers: number[];
  integers: number[];
  strings: string[];
}

/**
 * An option declaration that also carries, at the type level only, the name `N` of the option,
 * the TypeScript type `V` of its parsed value and whether it has a default (`D`): built by `opt`,
 * it is an ordinary `OptionSpec` at run time (help, config keys, presets, plans and checks read it
 * as before), and `OptionsOf` turns a list of them into the type of the parsed options.
 */
export interface Option<N extends string = string, V = unknown, D extends boolean = boolean> extends OptionSpec {
  name: N;
  /** Type-level only (never set): the parsed value's type. */
  readonly __value?: V;
  /** Type-level only (never set): true when the option has a default, so it is always present. */
  readonly __hasDefault?: D;
}

/** What an option may declare besides its name, type and description; `validate` sees the parsed value. */
export interface OptionExtra<V> {
  min?: number;
  max?: number;
  validate?: (value: V) => string | undefined;
}

/** A default as written in a declaration (a list may be a readonly constant). */
type DefaultOf<V> = V extends (infer E)[] ? readonly E[] : V;

/** A builder of one option type: with a default the option is always present, without one it is optional. */
export interface OptionBuilder<V> {
  <N extends string>(name: N, description: string, extra: OptionExtra<V> & { default: DefaultOf<V> }): Option<N, V, true>;
  <N extends string>(name: N, description: string, extra?: OptionExtra<V>): Option<N, V, false>;
}

function builder<V>(type: OptionType): OptionBuilder<V> {
  return ((name: string, description: string, extra: Record<string, unknown> = {}) => ({ name, type, description, ...extra })) as OptionBuilder<V>;
}

/**
 * Typed option declarations, one builder per option type:
 *
 *     const options = [
 *       opt.integer('epochs', 'training epochs', { default: 20, min: 1 }),
 *       opt.choice('loss', 'objective F', ['cross-entropy', 'mse'], { default: 'cross-entropy' }),
 *       opt.integer('layer', 'hidden layer shown (default: the middle one)', { min: 2 }),
 *     ];
 *     type Opts = OptionsOf<typeof options>;
 *     // { epochs: number; loss: 'cross-entropy' | 'mse'; layer?: number }
 *
 * `choice`/`choices` take the allowed values as a list and type the value as their union.
 */
export const opt = {
  number: builder<number>('number'),
  integer: builder<number>('integer'),
  string: builder<string>('string'),
  boolean: builder<boolean>('boolean'),
  numbers: builder<number[]>('numbers'),
  integers: builder<number[]>('integers'),
  strings: builder<string[]>('strings'),
  /** A string that must be one of `choices`; the value's type is their union. */
  choice<N extends string, const C extends readonly string[]>(name: N, description: string, choices: C, extra: OptionExtra<C[number]> & { default: C[number] }): Option<N, C[number], true> {
    return { name, type: 'string', description, ...extra, choices };
  },
  /** A list whose every value must be one of `choices`. */
  choices<N extends string, const C extends readonly string[]>(name: N, description: string, choices: C, extra: OptionExtra<C[number][]> & { default: readonly C[number][] }): Option<N, C[number][], true> {
    return { name, type: 'strings', description, ...extra, choices };
  },
};

/** 'train-size' → 'trainSize', as `camel` does at run time. */
export type CamelCase<S extends string> = S extends `${infer H}-${infer C}${infer R}` ? `${H}${Uppercase<C>}${CamelCase<R>}` : S;

type Named<O, D extends boolean> = O extends Option<infer N, unknown, D> ? (string extends N ? never : CamelCase<N>) : never;
type ValueOf<O> = O extends Option<string, infer V> ? V : never;
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * The parsed options of a list of `opt` declarations, keyed by camelCase name: an option with a
 * default is always present, one without is optional. Untyped `OptionSpec`s in the list add
 * nothing to the type (declare them with `opt` to read them typed).
 */
export type OptionsOf<O extends readonly OptionSpec[]> = Flat<
  { [K in O[number] as Named<K, true>]: ValueOf<K> } & { [K in O[number] as Named<K, false>]?: ValueOf<K> }
>;

/** The options every command has (`commonOptions`), and the positional arguments. */
export type CommonOptions = {
  _: string[];
  help: boolean;
  json: boolean;
  config?: string;
  backend: Backend;
  /** Set on a reproduce command with presets (src/experiment/presets.ts), already applied. */
  preset?: 'quick' | 'default' | 'paper';
};

/** The options a command declared with `O` receives: its own, typed, and the common ones. */
export type ParsedOf<O extends readonly OptionSpec[]> = OptionsOf<O> & CommonOptions;

/** What a function call of a command takes: any of its options by camelCase name, and `backend`. */
export type OptionsInput<O extends readonly OptionSpec[]> = Partial<OptionsOf<O>> & { backend?: Backend };

/**
 * The options of a function call, typed: `given` by camelCase name (type-checked against the
 * declarations by the compiler, and checked once more at run time by `checkValues`, since a
 * notebook or JavaScript caller has no compiler), defaults filled in.
 */
export function typedOptionsFrom<const O extends readonly OptionSpec[]>(given: OptionsInput<O>, specs: O, where: string): ParsedOf<O> {
  return optionsFrom(given as Record<string, unknown>, specs, where) as unknown as ParsedOf<O>;
}
