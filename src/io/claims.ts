/**
 * Claims tables: what a paper claims, what a run measured, and a verdict computed from the run's
 * numbers by a rule written next to the claim.
 *
 * A claim is the paper's statement (its number where it gives one, else an ordering or a trend),
 * our measurement with its spread over seeds, the differences of setting (data, size, epochs,
 * variant) and a verdict. Verdicts are never typed in: each claim calls one of the rules below on
 * the run's numbers, and the rule returns the verdict together with the sentence that states the
 * rule (so the table says how each verdict was reached).
 *
 * Verdicts:
 * - `reproduced`: the rule holds (an ordering in every seed, a number within the stated tolerance);
 * - `partly`: it holds on the mean over seeds but not in every seed, or within a wider tolerance;
 * - `not reproduced`: it does not hold, without being reversed;
 * - `contradicted`: the opposite holds in every seed (two seeds at least: one seed cannot show it);
 * - `not measured`: the run has no finite numbers for it (not run, or every seed diverged).
 *
 * `writeClaims` writes claims.json and claims.csv into a run folder (shown first by `creditflow
 * report`) and prints the table.
 */
import type { RunContext } from '../experiment/context';
import { formatTable } from './output';
import type { RunOutput } from './run';

export type Verdict = 'reproduced' | 'partly' | 'not reproduced' | 'contradicted' | 'not measured';

export const VERDICTS: readonly Verdict[] = ['reproduced', 'partly', 'not reproduced', 'contradicted', 'not measured'];

/** A verdict with the measurement it was computed from and the rule that computed it. */
export interface Judgement {
  verdict: Verdict;
  /** Our numbers, with their spread over seeds. */
  measured: string;
  /** The rule, as a sentence with its thresholds. */
  rule: string;
}

export interface Claim extends Judgement {
  /** The paper's figure or table, e.g. 'Table 1, MNIST'. */
  figure: string;
  /** The paper's statement, with its number where it gives one. */
  paper: string;
  /** How our setting differs from the paper's (data, size, epochs, variant). */
  setting: string;
  /** The variant of the method the measurement is for (e.g. DLL's Θ rule), when there are several. */
  variant?: string;
}

export const CLAIM_COLUMNS = ['figure', 'variant', 'paper', 'measured', 'setting', 'rule', 'verdict'] as const;

/** A claim: the statement and the setting, joined to a rule's judgement. */
export function claim(figure: string, paper: string, setting: string, judgement: Judgement, variant?: string): Claim {
  return { figure, paper, setting, ...judgement, ...(variant !== undefined ? { variant } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Numbers over seeds

/** One quantity measured once per seed (NaN for a seed that diverged or did not run). */
export interface Samples {
  name: string;
  values: readonly number[];
  /** Scale for printing: 100 prints fractions as percentages. */
  scale?: number;
  unit?: string;
  /** What a NaN means, for printing (default 'diverged'). */
  missing?: string;
}

export function samples(name: string, values: readonly number[], opts: { scale?: number; unit?: string; missing?: string } = {}): Samples {
  return { name, values, ...opts };
}

/** Mean and sample standard deviation (n − 1) of the finite values; n is how many were finite. */
export function spread(values: readonly number[]): { mean: number; sd: number; n: number; missing: number } {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  const mean = n ? v.reduce((a, b) => a + b, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n, missing: values.length - n };
}

function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-2 || a >= 1e5)) return v.toExponential(2);
  return a >= 100 ? v.toFixed(1) : v.toPrecision(3);
}

/** 'name 91.2 ± 0.31 % (3 seeds)', with the diverged seeds counted. */
export function describe(s: Samples, what = 'seed'): string {
  const k = s.scale ?? 1;
  const { mean, sd, n, missing } = spread(s.values);
  const unit = s.unit ?? '';
  if (n === 0) return `${s.name}: no finite value`;
  const body = n > 1 ? `${num(k * mean)} ± ${num(k * sd)}${unit}` : `${num(k * mean)}${unit}`;
  return `${s.name} ${body} (${n} ${what}${n === 1 ? '' : 's'}${missing ? `, ${missing} ${s.missing ?? 'diverged'}` : ''})`;
}

// ---------------------------------------------------------------------------------------------
// Rules. Each returns the verdict, the measurement and the rule's sentence.

type Sense = 'higher' | 'lower';

function better(a: number, b: number, sense: Sense): boolean {
  return sense === 'higher' ? a > b : a < b;
}

/**
 * `a` is better than `b` (higher or lower is better). Paired by seed (index; or by another
 * repetition, `pairedBy`, such as network depth; with `margin`, in the units of a's scale, a must win
 * by more than it): reproduced when `a`
 * beats `b` in every seed; partly when it does on the mean but not in every seed; contradicted when
 * `b` beats `a` in every seed; not reproduced otherwise. A diverged seed (NaN) loses its pair.
 */
export function ordering(a: Samples, b: Samples, sense: Sense, pairedBy = 'seed', margin = 0): Judgement {
  const by = margin > 0 ? ` by more than ${num(margin)}` : '';
  const rule = `${a.name} ${sense === 'higher' ? '>' : '<'} ${b.name}${by} in every ${pairedBy} (paired by ${pairedBy}); partly: on the mean only; contradicted: reversed in every ${pairedBy} (at least 2)`;
  const n = Math.min(a.values.length, b.values.length);
  const sa = spread(a.values);
  const sb = spread(b.values);
  if (n === 0 || (sa.n === 0 && sb.n === 0)) return { verdict: 'not measured', measured: `${describe(a)}; ${describe(b)}`, rule };
  let wins = 0;
  let losses = 0;
  for (let i = 0; i < n; i++) {
    const x = a.values[i];
    const y = b.values[i];
    const xOk = Number.isFinite(x);
    const yOk = Number.isFinite(y);
    const k = a.scale ?? 1;
    const m = margin / k;
    if (xOk && (!yOk || better(x, sense === 'higher' ? y + m : y - m, sense))) wins++;
    else if (yOk && (!xOk || better(y, x, sense))) losses++;
  }
  const meanBetter = sb.n === 0 || (sa.n > 0 && better(sa.mean, sense === 'higher' ? sb.mean + margin / (a.scale ?? 1) : sb.mean - margin / (a.scale ?? 1), sense));
  const verdict: Verdict = wins === n ? 'reproduced' : losses === n && n >= 2 ? 'contradicted' : meanBetter ? 'partly' : 'not reproduced';
  return { verdict, measured: `${describe(a, pairedBy)} vs ${describe(b, pairedBy)}; ${a.name} ahead in ${wins}/${n} ${pairedBy}s`, rule };
}

/**
 * A number the paper gives, `paperValue` (in the units of `s` times its scale): reproduced when our
 * mean is within `tolerance` + 2 sd of it; partly within twice that; not reproduced otherwise.
 */
export function nearValue(s: Samples, paperValue: number, tolerance: number): Judgement {
  const k = s.scale ?? 1;
  const { mean, sd, n } = spread(s.values);
  const bound = tolerance + 2 * k * sd;
  const rule = `|mean − ${num(paperValue)}| ≤ ${num(tolerance)} + 2 sd over seeds; partly: ≤ twice that`;
  if (n === 0) return { verdict: 'not measured', measured: describe(s), rule };
  const diff = Math.abs(k * mean - paperValue);
  const verdict: Verdict = diff <= bound ? 'reproduced' : diff <= 2 * bound ? 'partly' : 'not reproduced';
  return { verdict, measured: `${describe(s)}; |difference| ${num(diff)} vs bound ${num(bound)}`, rule };
}

/**
 * `a` is within `tolerance` of `b` (in the units of a's scale): reproduced when |mean a − mean b|
 * ≤ tolerance + 2 sd (sd: the larger of the two); partly within twice that; not reproduced otherwise.
 */
export function closeTo(a: Samples, b: Samples, tolerance: number): Judgement {
  const k = a.scale ?? 1;
  const sa = spread(a.values);
  const sb = spread(b.values);
  const bound = tolerance + 2 * k * Math.max(sa.sd, sb.sd);
  const rule = `|${a.name} − ${b.name}| ≤ ${num(tolerance)} + 2 sd (means over seeds); partly: ≤ twice that`;
  if (sa.n === 0 || sb.n === 0) return { verdict: 'not measured', measured: `${describe(a)}; ${describe(b)}`, rule };
  const diff = Math.abs(k * (sa.mean - sb.mean));
  const verdict: Verdict = diff <= bound ? 'reproduced' : diff <= 2 * bound ? 'partly' : 'not reproduced';
  return { verdict, measured: `${describe(a)} vs ${describe(b)}; |difference| ${num(diff)} vs bound ${num(bound)}`, rule };
}

/**
 * Every value is below (or above) `bound`: reproduced when every seed (or `per`) is; partly when the mean is
 * but not every seed; not reproduced when the mean is not.
 */
export function threshold(s: Samples, bound: number, sense: 'below' | 'above', per = 'seed'): Judgement {
  const k = s.scale ?? 1;
  const ok = (v: number) => Number.isFinite(v) && (sense === 'below' ? k * v < bound : k * v > bound);
  const rule = `${s.name} ${sense === 'below' ? '<' : '>'} ${num(bound)} in every ${per}; partly: on the mean only`;
  const { mean, n } = spread(s.values);
  if (n === 0) return { verdict: 'not measured', measured: describe(s, per), rule };
  const all = s.values.length > 0 && s.values.every(ok);
  const verdict: Verdict = all ? 'reproduced' : ok(mean) ? 'partly' : 'not reproduced';
  return { verdict, measured: `${describe(s, per)}; ${s.values.filter(ok).length}/${s.values.length} ${per}s ${sense} ${num(bound)}`, rule };
}

/**
 * A trend along `xs` (one Samples per point, seeds in the same order at every point): reproduced
 * when the mean changes monotonically in `direction` (each step by more than −`tolerance`) and the
 * last point beats the first in every seed; partly when the mean's last point beats its first;
 * contradicted when the last point is worse than the first in every seed; not reproduced otherwise.
 */
export function trend(name: string, xs: readonly (number | string)[], points: readonly Samples[], direction: 'increasing' | 'decreasing', tolerance = 0): Judgement {
  const sign = direction === 'increasing' ? 1 : -1;
  const k = points[0]?.scale ?? 1;
  const rule = `${name} ${direction} along ${xs[0]}…${xs[xs.length - 1]}: mean monotone (steps > −${num(tolerance)}) and last > first in every seed${direction === 'decreasing' ? ' (for a decrease: <)' : ''}; partly: mean last vs first only; contradicted: reversed in every seed`;
  const means = points.map((p) => spread(p.values).mean);
  const measured = `${name}: ${xs.map((x, i) => `${x}: ${num(k * means[i])}${spread(points[i].values).n > 1 ? ` ± ${num(k * spread(points[i].values).sd)}` : ''}`).join(', ')}`;
  if (points.length < 2 || means.some((m) => !Number.isFinite(m))) return { verdict: 'not measured', measured, rule };
  const monotone = means.every((m, i) => i === 0 || sign * k * (m - means[i - 1]) > -tolerance);
  const first = points[0].values;
  const last = points[points.length - 1].values;
  const n = Math.min(first.length, last.length);
  let up = 0;
  let down = 0;
  for (let i = 0; i < n; i++) {
    if (sign * (last[i] - first[i]) > 0) up++;
    else if (sign * (last[i] - first[i]) < 0) down++;
  }
  const meanUp = sign * (means[means.length - 1] - means[0]) > 0;
  const verdict: Verdict = monotone && up === n ? 'reproduced' : meanUp ? 'partly' : down === n && n >= 2 ? 'contradicted' : 'not reproduced';
  return { verdict, measured: `${measured}; last beats first in ${up}/${n} seeds`, rule };
}

/**
 * `winner` is the best of `all` (higher or lower is better): reproduced when it is best in every
 * seed; partly when it is best on the mean only; contradicted when it is worst in every seed; not
 * reproduced otherwise.
 */
export function best(winner: string, all: readonly Samples[], sense: Sense): Judgement {
  const rule = `${winner} strictly best of ${all.length} in every seed; partly: on the mean only; contradicted: worst in every seed`;
  const w = all.find((s) => s.name === winner);
  const others = all.filter((s) => s !== w);
  const mean = (s: Samples) => spread(s.values).mean;
  const runnerUp = others.filter((s) => spread(s.values).n > 0).reduce<Samples | null>((a, s) => (a === null || better(mean(s), mean(a), sense) ? s : a), null);
  const measured = `${w ? describe(w) : `${winner}: not run`}; best of the other ${others.length}: ${runnerUp ? describe(runnerUp) : 'none finite'}`;
  if (!w || spread(w.values).n === 0) return { verdict: 'not measured', measured, rule };
  const n = Math.min(...all.map((s) => s.values.length));
  let bestIn = 0;
  let worstIn = 0;
  for (let i = 0; i < n; i++) {
    const own = w.values[i];
    const vs = others.map((s) => s.values[i]);
    if (!Number.isFinite(own)) {
      worstIn++;
      continue;
    }
    if (vs.every((v) => !Number.isFinite(v) || better(own, v, sense))) bestIn++;
    if (vs.length > 0 && vs.every((v) => Number.isFinite(v) && better(v, own, sense))) worstIn++;
  }
  const bestMean = runnerUp === null || better(mean(w), mean(runnerUp), sense);
  const verdict: Verdict = bestIn === n ? 'reproduced' : worstIn === n && n >= 2 && others.length > 0 ? 'contradicted' : bestMean ? 'partly' : 'not reproduced';
  return { verdict, measured: `${measured}; ${winner} best in ${bestIn}/${n} seeds`, rule };
}

/** A judgement from a boolean measured once (no seeds): reproduced when it holds, else not reproduced. */
export function holds(ok: boolean | null, measured: string, rule: string, whenFalse: Verdict = 'not reproduced'): Judgement {
  return { verdict: ok === null ? 'not measured' : ok ? 'reproduced' : whenFalse, measured, rule };
}

// ---------------------------------------------------------------------------------------------
// Output

/** Counts of each verdict, e.g. '3 reproduced, 1 partly'. */
export function verdictCounts(claims: readonly Claim[]): string {
  return VERDICTS.map((v) => [v, claims.filter((c) => c.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`)
    .join(', ');
}

/** The claims as a printable table. */
export function formatClaims(claims: readonly Claim[]): string {
  const hasVariant = claims.some((c) => c.variant !== undefined);
  const cols = ['figure', ...(hasVariant ? ['variant'] : []), 'paper', 'measured (ours)', 'verdict'];
  const rows = claims.map((c) => [c.figure, ...(hasVariant ? [c.variant ?? ''] : []), c.paper, c.measured, c.verdict]);
  return formatTable(cols, rows);
}

/** Write claims.json and claims.csv into the run folder (call before `out.finish`). */
export function writeClaims(out: RunOutput, experiment: string, claims: readonly Claim[]): void {
  out.json('claims', { experiment, verdicts: verdictCounts(claims), claims });
  out.csv('claims', CLAIM_COLUMNS, claims.map((c) => ({ ...c, variant: c.variant ?? '' })));
}

/** Print the claims table, then each distinct setting (at the end of a run). */
export function printClaims(ctx: RunContext, claims: readonly Claim[]): void {
  if (claims.length === 0) return;
  ctx.log(`\nclaims of the paper vs this run (${verdictCounts(claims)}):`);
  ctx.log(formatClaims(claims));
  for (const s of new Set(claims.map((c) => c.setting))) ctx.log(`setting: ${s}`);
  ctx.log('(each verdict is computed by the rule in its row of claims.csv)');
}
