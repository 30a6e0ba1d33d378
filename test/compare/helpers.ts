/** Shared pieces of the comparison tests. */
import type { RunResult } from '../../models/compare/run';

/** A run's result without its wall-clock times (the only fields that differ between identical runs). */
export function withoutTimes(r: RunResult): unknown {
  return {
    ...r,
    beginSeconds: 0,
    curve: r.curve.map((p) => ({ ...p, wallSeconds: 0 })),
    final: { ...r.final, wallPerEpoch: 0 },
  };
}
