/**
 * Option groups, declared once for every command that takes them (issue 16: "one spelling per
 * concept"). Each group is a list of `opt` declarations, so a command that spreads it into its
 * options gets the group's help text, config keys, defaults, checks and, through `OptionsOf`, its
 * TypeScript types:
 *
 * - output: `--out` (default `out/<experiment>`) and `--png` (`outputOptions`);
 * - seeds: `--seeds`, a list (never `--seed`), or exactly one seed for a command that trains one
 *   network (`seedsOption`);
 * - training: `--epochs`, `--batch-size` (never `--batch`), `--lr` (`epochsOption`,
 *   `batchSizeOption`, `lrOption`, or all three as `trainingOptions`);
 * - integration: `--solver`, `--dt0`, `--rtol`, `--atol` (`solverOptions`, ./solver-options.ts);
 * - sweep and checkpoints: `--workers`, `--checkpoint-every`, `--resume` (`sweepOptions`,
 *   `workersOption`, `resumeOptions`, ./sweep.ts).
 *
 * The seed range [0, 2^32 − 1], the distinct-values check of `--seeds`, the `--out` path check and
 * `--lr` > 0 come from `impliedRules` (./options.ts), so they hold for every declaration of those
 * names, grouped or not.
 */
import { opt, pngOption, type Option } from './options';

export { pngOption } from './options';
export { solverOptions } from './solver-options';
export { resumeOptions, sweepOptions, workersOption } from './sweep';

/** `--out` (default `out/<name>`) and `--png`. */
export function outputOptions(name: string, description = 'output folder'): [Option<'out', string, true>, Option<'png', boolean, true>] {
  return [opt.string('out', description, { default: `out/${name}` }), pngOption];
}

export interface SeedsDefaults {
  /** The default seeds (default [1]). */
  default?: readonly number[];
  /** What a seed draws, for --help (default 'seeds'). */
  description?: string;
  /**
   * The command trains exactly one network: `--seeds` takes a single value, and a list is refused
   * with this reason (e.g. 'sal-assembly trains one network').
   */
  single?: string;
  /** With `single`: what to do for several seeds (default 'run it once per seed for several'). */
  several?: (seeds: readonly number[]) => string;
}

/** `--seeds`: one run per seed, each its own stream; with `single`, exactly one seed. */
export function seedsOption(d: SeedsDefaults = {}): Option<'seeds', number[], true> {
  const single = d.single;
  return opt.integers('seeds', single !== undefined ? `${d.description ?? 'seed'} (one value: ${single})` : (d.description ?? 'seeds'), {
    default: d.default ?? [1],
    ...(single !== undefined ? { validate: (v: number[]) => (v.length === 1 ? undefined : `takes one seed here: ${single} (got ${v.join(',')}); ${d.several?.(v) ?? 'run it once per seed for several'}`) } : {}),
  });
}

/** The one seed of a command declared with `seedsOption({ single })` (its check has already refused a list). */
export function singleSeed(opts: { seeds: readonly number[] }): number {
  return opts.seeds[0];
}

/** `--epochs`: passes over the training set. */
export function epochsOption(d: number, description = 'training epochs'): Option<'epochs', number, true> {
  return opt.integer('epochs', description, { default: d, min: 1 });
}

/** `--batch-size`: samples per minibatch. */
export function batchSizeOption(d: number, description = 'minibatch size'): Option<'batch-size', number, true> {
  return opt.integer('batch-size', description, { default: d, min: 1 });
}

/** `--lr`: the learning rate (> 0, by `impliedRules`). */
export function lrOption(d: number, description = 'learning rate'): Option<'lr', number, true> {
  return opt.number('lr', description, { default: d, min: 0 });
}

/** The training group: `--epochs`, `--batch-size`, `--lr` (descriptions overridable). */
export function trainingOptions(d: { epochs: number; batchSize: number; lr: number }, descriptions: { epochs?: string; batchSize?: string; lr?: string } = {}): [Option<'epochs', number, true>, Option<'batch-size', number, true>, Option<'lr', number, true>] {
  return [epochsOption(d.epochs, descriptions.epochs), batchSizeOption(d.batchSize, descriptions.batchSize), lrOption(d.lr, descriptions.lr)];
}
