/**
 * `--preset quick|default|paper` for a reproduce command: named sets of option values.
 *
 * - quick: a reduced size that shows the experiment's shape in about a minute on 2 cores;
 * - default: the option defaults (what the command does without a preset);
 * - paper: the paper's own size where the paper states it (null where it does not, with a note).
 *
 * A preset only changes options still at their default: a flag (or config field) that differs from
 * the default wins over the preset. The resolved values are what the run records in its manifest.
 */
import type { CommandSpec } from '../registry';
import { camel, UsageError, type OptionSpec, type ParsedOptions } from './options';

export const PRESETS = ['quick', 'default', 'paper'] as const;
export type PresetName = (typeof PRESETS)[number];

export interface Presets {
  /** Option values (by option name, e.g. 'train-size') of the quick size. */
  quick: Record<string, unknown>;
  /** The paper's size, or null when the paper does not state one. */
  paper: Record<string, unknown> | null;
  /** What the paper preset means, or why there is none. */
  note?: string;
}

function describe(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([k, v]) => `--${k} ${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
}

/** The options with the preset's values put in where the option is still at its default. */
export function applyPreset(spec: CommandSpec, presets: Presets, opts: ParsedOptions): ParsedOptions {
  const name = (opts.preset ?? 'default') as PresetName;
  if (name === 'default') return opts;
  const values = name === 'quick' ? presets.quick : presets.paper;
  if (!values) throw new UsageError(`--preset paper is not defined for ${spec.name}: ${presets.note ?? 'the paper states no size for it'}; use --preset quick or default`);
  const out: ParsedOptions = { ...opts };
  for (const [option, value] of Object.entries(values)) {
    const s = spec.options.find((o) => o.name === option)!;
    const key = camel(option);
    if (JSON.stringify(out[key]) === JSON.stringify(s.default)) out[key] = value;
  }
  return out;
}

/** The command with a `--preset` option; every preset's option names are checked against the command's options. */
export function withPresets(spec: CommandSpec, presets: Presets): CommandSpec {
  for (const option of [...Object.keys(presets.quick), ...Object.keys(presets.paper ?? {})]) {
    if (!spec.options.some((o) => o.name === option)) throw new Error(`preset of ${spec.name} sets --${option}, which the command does not have`);
  }
  const option: OptionSpec = {
    name: 'preset',
    type: 'string',
    description: `sizes: quick (${describe(presets.quick)}), default (the defaults below), paper (${presets.paper ? describe(presets.paper) || 'the defaults' : 'not defined'}${presets.note ? `; ${presets.note}` : ''}); options you set win`,
    default: 'default',
    choices: [...PRESETS],
  };
  return { ...spec, options: [...spec.options, option], run: (opts, ctx) => spec.run(applyPreset(spec, presets, opts), ctx) };
}
