/**
 * Refusing a run that cannot fit, before it allocates: a command estimates what it will hold (bytes
 * of memory, and the characters of its largest output text) and `checkFits` compares that with what
 * this machine (or its container's memory limit) has, saying how much the run needs and which option
 * to lower. The estimates are per command and documented there; they are meant to err high.
 */
import * as os from 'node:os';

/** V8's longest string (2^29 − 24 characters): JSON.stringify of anything longer throws. */
export const MAX_STRING_CHARS = 2 ** 29 - 24;

/** Memory a run may count on: 3/4 of the machine's memory, or of the container's limit when lower. */
export function usableMemory(): number {
  const total = os.totalmem();
  const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  return 0.75 * (limit && limit > 0 && limit < total ? limit : total);
}

function gb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

/**
 * Throw (one line) when `need.bytes` exceeds usableMemory() or `need.chars` exceeds one string's
 * length. `what` says what was asked ('--steps 1000000000'), `fix` what to lower.
 */
export function checkFits(need: { bytes: number; chars?: number }, what: string, fix: string): void {
  const have = usableMemory();
  if (need.bytes > have) throw new Error(`${what} needs about ${gb(need.bytes)} of memory, more than the ${gb(have)} this machine can give a run; ${fix}`);
  if (need.chars !== undefined && need.chars > MAX_STRING_CHARS) {
    throw new Error(`${what} would write an output text of about ${Math.round(need.chars / 1e6)} million characters, more than the ${Math.floor(MAX_STRING_CHARS / 1e6)} million one string can hold; ${fix}`);
  }
}
