/**
 * DFC's claims (Meulemans et al., NeurIPS 2021) against a run: Fig. 3 (student-teacher: Conditions
 * 1-2, alignment, stability), Fig. 4 (robustness of the MN alignment in λ and α) and Table 1 (MNIST
 * test error). Each verdict is computed by the rule the claim calls (src/io/claims.ts). The
 * experiments run one seed of data and weights, so orderings are paired by variant (trained vs fixed
 * feedback of the same method) or by setting, and the rule's sentence says so.
 */
import { claim, closeTo, holds, nearValue, ordering, samples, threshold, type Claim } from '../../src/io/claims';
import type { RunResult } from './experiments/run';

/** Mean of a series' key over its last quarter (the summary table's number). */
type Tail = (r: RunResult, key: string) => number;

const METHODS = ['DFC', 'DFC-SS', 'DFC-SSA'] as const;

/** dfc-fig3: panels A, B, E, F. */
export function fig3Claims(results: readonly RunResult[], tail: Tail, setting: string): Claim[] {
  const pick = (label: string) => results.find((r) => r.label === label && r.status === 'ok');
  const pairs = METHODS.filter((m) => results.some((r) => r.label === m) && results.some((r) => r.label === `${m} (fixed)`));
  const per = (key: string, fixed: boolean, name: string) => samples(name, pairs.map((m) => {
    const r = pick(fixed ? `${m} (fixed)` : m);
    return r ? tail(r, key) : NaN;
  }));
  const out: Claim[] = [];
  if (pairs.length) {
    out.push(claim('Fig. 3A', 'Condition 2 holds better with trained feedback than with fixed (it degrades as the network changes)', setting, ordering(per('condition2', false, 'trained ‖P_row(J)Q‖/‖Q‖'), per('condition2', true, 'fixed'), 'higher', 'method')));
    out.push(claim('Fig. 3B', 'trained feedback aligns better with the weighted MN update than fixed feedback', setting, ordering(per('mn', false, 'trained ∠MN°'), per('mn', true, 'fixed ∠MN°'), 'lower', 'method')));
  }
  const all = results.map((r) => (r.status === 'ok' ? tail(r, 'maxEig') : NaN));
  if (all.length) out.push(claim('Fig. 3E', 'every DFC variant stays stable (max Re λ < 0), fixed feedback included', setting, threshold(samples('max Re λ at equilibrium', all), 0, 'below', 'variant')));
  const ssa = ['DFC', 'DFC-SS'].filter((m) => results.some((r) => r.label === m)).map((m) => (pick(m) ? tail(pick(m)!, 'ssa') : NaN));
  if (ssa.length) out.push(claim('Fig. 3F', 'DFC and DFC-SS updates align well with DFC-SSA (Lemma 1), here: angle < 10°', setting, threshold(samples('∠SSA° of DFC, DFC-SS (trained)', ssa), 10, 'below', 'variant')));
  return out;
}

/** dfc-fig4: robust MN alignment for λ ≤ 0.1 and every α; clamping (λ = 0.5) decreases it. */
export function fig4Claims(points: readonly { sweep: string; lambda: number; alpha: number; method: string; mean: number; status: string }[], setting: string): Claim[] {
  const out: Claim[] = [];
  for (const method of [...new Set(points.map((p) => p.method))]) {
    const ok = points.filter((p) => p.method === method && p.status === 'ok');
    const robust = ok.filter((p) => (p.sweep === 'lambda' && p.lambda <= 0.1) || p.sweep === 'alpha');
    const angles = robust.map((p) => p.mean);
    const lo = Math.min(...angles);
    const hi = Math.max(...angles);
    out.push(
      claim('Fig. 4A-B', 'alignment with the MN update robust for λ ∈ [1e-3, 1e-1] and α ∈ [1e-4, 1e-1]', setting, holds(angles.length ? hi < 45 && hi - lo <= 15 : null, `∠MN mean over the run: ${robust.map((p) => `${p.sweep === 'lambda' ? `λ=${p.lambda}` : `α=${p.alpha}`}: ${p.mean.toFixed(1)}°`).join(', ')}`, 'every angle < 45° and all within 15° of each other', hi < 45 || hi - lo <= 15 ? 'partly' : 'not reproduced'), method),
    );
    const clamped = ok.find((p) => p.sweep === 'lambda' && p.lambda >= 0.5);
    const small = ok.filter((p) => p.sweep === 'lambda' && p.lambda <= 0.1);
    if (clamped && small.length)
      out.push(
        claim('Fig. 4A', 'clamping the output (λ = 0.5) decreases the MN alignment', setting, holds(small.every((p) => clamped.mean > p.mean), `∠MN at λ = ${clamped.lambda}: ${clamped.mean.toFixed(1)}°; at λ ≤ 0.1: ${small.map((p) => `${p.mean.toFixed(1)}°`).join(', ')}`, 'the angle at λ = 0.5 exceeds every angle at λ ≤ 0.1', 'not reproduced'), method),
      );
  }
  return out;
}

const TABLE1: Record<string, number> = { BP: 2.08, DFC: 2.25, 'DFC-SSA': 2.18, 'DFC-SS': 2.29, 'DFC (fixed)': 2.47, 'DFC-SSA (fixed)': 2.46, 'DFC-SS (fixed)': 2.39, DFA: 2.69 };

/** dfc-mnist, Table 1 (MNIST column): test errors close to BP; trained feedback ahead of fixed; DFC ahead of DFA. */
export function mnistClaims(results: readonly RunResult[], setting: string): Claim[] {
  const err = (label: string) => {
    const r = results.find((q) => q.label === label);
    const last = r && r.status === 'ok' ? r.epochs[r.epochs.length - 1] : undefined;
    return samples(label, [last ? 100 * (1 - last.testAccuracy) : NaN], { unit: '%' });
  };
  const has = (l: string) => results.some((r) => r.label === l);
  const out: Claim[] = [];
  if (has('DFC')) out.push(claim('Table 1, MNIST', `DFC test error ${TABLE1.DFC} ± 0.094%`, setting, nearValue(err('DFC'), TABLE1.DFC, 1)));
  for (const m of ['DFC', 'DFC-SS', 'DFC-SSA'])
    if (has(m) && has('BP')) out.push(claim('Table 1, MNIST', `${m} close to BP (${TABLE1[m]}% vs ${TABLE1.BP}%)`, setting, closeTo(err(m), err('BP'), 0.5)));
  const trained = METHODS.filter((m) => has(m) && has(`${m} (fixed)`));
  if (trained.length)
    out.push(
      claim('Table 1, MNIST', 'trained feedback ahead of fixed (2.18-2.29% vs 2.39-2.47%)', setting, ordering(samples('trained error %', trained.map((m) => err(m).values[0])), samples('fixed error %', trained.map((m) => err(`${m} (fixed)`).values[0])), 'lower', 'method')),
    );
  if (has('DFC') && has('DFA')) out.push(claim('Table 1, MNIST', `DFC ahead of DFA (${TABLE1.DFC}% vs ${TABLE1.DFA}%)`, setting, ordering(err('DFC'), err('DFA'), 'lower')));
  return out;
}
