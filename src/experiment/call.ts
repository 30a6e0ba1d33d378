/**
 * An experiment called as a typed function (`runSalAblation(options)`, `runDllMnist(options)`, …)
 * rather than through the command line: its options are the command's declarations, given by
 * camelCase name and typed by them (`OptionsOf`), defaults filled in and each value checked once
 * (type, range, choices, the option's own check) before any work, as `runExperiment` does.
 *
 * Such a function returns its data and writes nothing: no run folder, no PNGs, no checkpoints
 * (`checkpointEvery` is 0 and `resume` is refused unless the caller gives `out`, where the
 * checkpoints then go). To write the command's files, run the command or
 * `runExperiment(name, { out })`.
 */
import { makeContext, type RunContext } from './context';
import { applyBackendOption, typedOptionsFrom, UsageError, type OptionSpec, type OptionsInput, type ParsedOf, type ParsedOptions } from './options';

/**
 * The memory-only rules of a run that was not given `out`: checkpoints off, no PNG rendering; a
 * request for state kept in the run folder (`resume`, `checkpointEvery`) is refused. `given` are
 * the caller's options (by name or camelCase), `parsed` the checked ones (changed in place).
 */
export function memoryOnly(parsed: ParsedOptions, given: Record<string, unknown>, where: string): void {
  const asked = (k: string) => given[k] !== undefined || given[k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)] !== undefined;
  if (given.out !== undefined) return;
  if (asked('resume') || asked('checkpointEvery')) {
    throw new UsageError(`${where}: resume and checkpointEvery keep state in the run folder; give out: '<folder>' as well`);
  }
  if ('checkpointEvery' in parsed) parsed.checkpointEvery = 0;
  if ('png' in parsed) parsed.png = false;
}

/** The checked, typed options of an experiment function (see the module comment); applies `backend`. */
export function callOptions<const O extends readonly OptionSpec[]>(given: OptionsInput<O>, specs: O, where: string): ParsedOf<O> {
  const parsed = typedOptionsFrom(given, specs, where);
  memoryOnly(parsed, given as Record<string, unknown>, where);
  applyBackendOption(parsed);
  return parsed;
}

/** How an experiment function reports: `log` gets the lines the command would print (default: none). */
export interface CallReporting {
  log?: (line: string) => void;
}

/** The run context of an experiment function: silent unless `log` is given; progress bars only on a terminal. */
export function callContext(r: CallReporting = {}): RunContext {
  return { ...makeContext(false), log: r.log ?? (() => {}) };
}
