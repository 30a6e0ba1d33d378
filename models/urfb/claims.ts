/**
 * URFB's claims (Amit, Deep learning with asymmetric connections and Hebbian updates) against a run:
 * Fig. 12 (linear network: convergence faster for larger ε, correlation of W with Rᵀ), the step
 * choice behind it (fig12-step, our own claim, not the paper's) and Figs. 5-6 (protocols, here on
 * MNIST). Each verdict is computed by the rule the claim calls (src/io/claims.ts).
 */
import { claim, closeTo, holds, ordering, samples, threshold, trend, type Claim } from '../../src/io/claims';
import type { Fig12Result } from './fig12';

export function fig12Claims(result: Fig12Result): Claim[] {
  const s = result.settings;
  const seeds = [...new Set(result.runs.map((r) => r.seed))];
  const eps = [...new Set(result.runs.filter((r) => r.epsilon !== null).map((r) => r.epsilon as number))].sort((a, b) => a - b);
  const setting = `linear ${(s.input?.dims ?? s.dims).join('-')}, ${s.steps} Euler steps, ${seeds.length} seeds (as in the paper)`;
  const at = (e: number, f: (r: Fig12Result['runs'][number]) => number, name: string, missing?: string) =>
    samples(name, seeds.map((seed) => {
      const r = result.runs.find((q) => q.seed === seed && q.epsilon === e);
      return r ? f(r) : NaN;
    }), missing ? { missing } : {});
  const out: Claim[] = [];
  if (eps.length >= 2) {
    out.push(claim('Fig. 12, top', 'the convergence rate increases with ε (fewer iterations to a small error)', setting, trend('iterations to rel. error 1e-6', eps.map((e) => `ε=${e}`), eps.map((e) => at(e, (r) => (r.itersTo1e6 >= 0 ? r.itersTo1e6 : NaN), `ε=${e}`, 'never reached')), 'decreasing')));
    const hidden = (r: Fig12Result['runs'][number]) => {
      const c = r.finalCorrelation.slice(0, -1).filter((v) => Number.isFinite(v));
      return c.length ? c.reduce((a, b) => a + b, 0) / c.length : NaN;
    };
    out.push(claim('Fig. 12, rows 2-4', 'as ε increases, the correlations of W_l with R_lᵀ reach higher values (mean over the layers below the top)', setting, trend('final corr(W_l, R_lᵀ), l < k', eps.map((e) => `ε=${e}`), eps.map((e) => at(e, hidden, `ε=${e}`)), 'increasing')));
  }
  const top = (r: Fig12Result['runs'][number]) => r.finalCorrelation[r.finalCorrelation.length - 1];
  for (const e of eps) out.push(claim('Fig. 12, row 2', 'the top layer always converges to a correlation very close to 1 (here: > 0.95)', setting, threshold(at(e, top, `final corr(W_k, R_kᵀ), ε=${e}`), 0.95, 'above'), `ε=${e}`));
  const worst = seeds.map((seed) => Math.max(...result.runs.filter((r) => r.seed === seed).map((r) => (Number.isFinite(r.finalRelError) ? r.finalRelError : Infinity))));
  out.push(claim('Fig. 12, top', 'after 1000 iterations all algorithms have negligible error (here: relative error < 1e-4)', setting, threshold(samples('largest final rel. error over the algorithms', worst), 1e-4, 'below')));
  return out;
}

/** fig12-step: our claim that the largest stable step is c/‖T‖₂ with one c for every teacher scale, and the default sits below it. */
export function stepClaims(rows: readonly { teacherSd: number; seed: number; algorithm: string; maxStepScale: number }[], defaultScale: number): Claim[] {
  const setting = 'our experiment (not in the paper): bisection on c = η‖T‖₂ for the largest stable Euler step';
  const out: Claim[] = [];
  const sds = [...new Set(rows.map((r) => r.teacherSd))];
  for (const alg of [...new Set(rows.map((r) => r.algorithm))]) {
    const cs = sds.map((sd) => rows.filter((r) => r.algorithm === alg && r.teacherSd === sd && r.maxStepScale > 0).map((r) => r.maxStepScale));
    const means = cs.map((c) => (c.length ? c.reduce((a, b) => a + b, 0) / c.length : NaN));
    const ratio = Math.max(...means) / Math.min(...means);
    out.push(claim('Fig. 12 step', 'η_max ∝ 1/‖T‖₂: the same largest stable c for every teacher scale', setting, holds(Number.isFinite(ratio) ? ratio <= 1.5 : null, `mean c per teacher sd: ${sds.map((sd, i) => `${sd}: ${means[i].toPrecision(3)}`).join(', ')} (max/min ${ratio.toFixed(2)})`, 'max/min of the mean largest c over teacher scales ≤ 1.5'), alg));
  }
  const smallest = Math.min(...rows.map((r) => (r.maxStepScale > 0 ? r.maxStepScale : Infinity)));
  out.push(claim('Fig. 12 step', `the default c = ${defaultScale} is stable for every algorithm, seed and scale`, setting, holds(rows.every((r) => r.maxStepScale > defaultScale), `smallest largest-stable c measured: ${smallest.toPrecision(3)}`, `every measured largest stable c > ${defaultScale}`, 'contradicted')));
  return out;
}

/** urfb-mnist, Figs. 5-6 (CIFAR in the paper): hinge close to softmax; URFB ahead of FRFB, more so at 50% connectivity. */
export function mnistClaims(summary: readonly { protocol: string; testErrors: readonly number[] }[], setting: string): Claim[] {
  const err = (p: string) => samples(p, summary.find((s) => s.protocol === p)?.testErrors ?? [], { scale: 100, unit: '%' });
  const has = (p: string) => summary.some((s) => s.protocol === p);
  const out: Claim[] = [];
  if (has('BP') && has('BP-H')) out.push(claim('Fig. 5', 'the hinge loss costs only a little accuracy relative to softmax (here: ≤ 1 point)', setting, closeTo(err('BP-H'), err('BP'), 1)));
  if (has('URFB') && has('FRFB')) out.push(claim('Fig. 5', 'URFB ahead of FRFB (small difference at full connectivity)', setting, ordering(err('URFB'), err('FRFB'), 'lower')));
  if (has('URFB 50%') && has('FRFB 50%')) out.push(claim('Fig. 5', 'URFB ahead of FRFB at 50% connectivity (more significant)', setting, ordering(err('URFB 50%'), err('FRFB 50%'), 'lower')));
  return out;
}
