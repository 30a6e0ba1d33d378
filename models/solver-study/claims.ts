/**
 * The solver study's claims (src/io/claims.ts), per case, each verdict computed by its rule from the
 * study's numbers:
 * - one-step theory: a fixed-step solver of order p has a global error O(h^p), so the state error's
 *   slope against the step is p (within ORDER_TOLERANCE; the learning problems have kinks, ReLU
 *   gates and minibatch jumps that the theory's smoothness assumption ignores);
 * - jpc (the JAX predictive-coding library) reports that Heun reaches Euler's inference result
 *   with fewer evaluations: here, Heun reaches the metric error of the most accurate Euler run
 *   (runs.ts reachTarget) with fewer evaluations than that Euler run.
 */
import { claim, holds, type Claim } from '../../src/io/claims';
import { fmt, reachTarget, RESOLVED, runLabel, type StudyResult } from './runs';

/** Largest |measured − declared| order for 'reproduced'. */
export const ORDER_TOLERANCE = 0.5;

export function studyClaims(result: StudyResult): Claim[] {
  const out: Claim[] = [];
  for (const c of result.cases) {
    const setting = `${c.setting} (reduced size; reference ${result.settings.reference.solver} rtol ${fmt(result.settings.reference.rtol)})`;
    for (const o of result.orders.filter((q) => q.case === c.case && typeof q.declared === 'number')) {
      const p = o.declared as number;
      const measured = Number.isFinite(o.stateOrder) ? `slope ${o.stateOrder.toFixed(2)} between the two smallest of ${o.statePoints} resolved steps` : `fewer than 2 steps with a resolved error (above ${RESOLVED}× the reference's floor)`;
      out.push(
        claim(
          'one-step theory',
          `${o.solver}'s global error is O(h^${p}): the learned state's error falls at order ${p} as the step h shrinks`,
          setting,
          holds(Number.isFinite(o.stateOrder) ? Math.abs(o.stateOrder - p) <= ORDER_TOLERANCE : null, measured, `|slope of log state error vs log h − ${p}| ≤ ${ORDER_TOLERANCE}`),
          `${c.case}: ${o.solver}`,
        ),
      );
    }
    const rows = result.rows.filter((r) => r.case === c.case && r.role === 'study' && r.status === 'ok');
    const euler = rows.filter((r) => r.solver === 'euler').sort((a, b) => a.metricError - b.metricError)[0];
    const heun = rows.filter((r) => r.solver === 'heun');
    if (!euler || heun.length === 0) continue;
    const target = euler.metricError;
    const resolved = target >= RESOLVED * c.metricFloor;
    const reach = reachTarget(rows, 'heun', target, euler.nfe);
    const measured = resolved ? `${runLabel(euler)}: error ${fmt(target)} at ${euler.nfe} evaluations; ${reach.phrase}` : `Euler's best error ${fmt(target)} is within the reference's resolution`;
    out.push(
      claim(
        'jpc (predictive-coding inference)',
        "Heun reaches Euler's result with fewer vector-field evaluations",
        setting,
        holds(resolved ? reach.nfe !== null && reach.nfe < euler.nfe : null, measured, "Heun's evaluations to reach the metric error of the most accurate Euler run (interpolated on its work-precision curve, or bounded by its cheapest run) are fewer than that Euler run's"),
        c.case,
      ),
    );
  }
  return out;
}
