/** What a command receives besides its options: where to write, how to report. */
import { Progress } from '../io/progress';

export interface RunContext {
  /** Print a line for the user (to stdout, suppressed with --json). */
  log(line: string): void;
  /** A progress bar on stderr (quiet when stderr is not a terminal). */
  progress(label: string, total: number): Progress;
  json: boolean;
}

export function makeContext(json: boolean): RunContext {
  return {
    json,
    log: (line) => {
      if (!json) process.stdout.write(line + '\n');
    },
    progress: (label, total) => new Progress(label, total),
  };
}
