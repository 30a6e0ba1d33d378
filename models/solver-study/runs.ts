/**
 * The solver study (issue 14, item 5): does a model's learning result depend on the integrator of
 * its learning dynamics, and which integrator reaches a given accuracy with the fewest vector-field
 * evaluations?
 *
 * For every registered case (cases.ts: one learning problem per `models/<model>/study.ts`) the
 * study runs
 * - each fixed-step solver (default euler, heun, rk4) at steps h = maxStep·f for f in
 *   --step-fractions (1, 1/2, 1/4, 1/8);
 * - each adaptive solver (default dopri5) at each of --rtols, with atol = rtol·1e-3;
 * - the reference: --solver (dopri5) at the tight --rtol/--atol (1e-10, 1e-13), and the same solver
 *   at ten times those tolerances, whose distance from the reference is the floor below which an
 *   error is not resolved (the reference's own error is about that size or smaller);
 * and reports per run the final metric, its relative difference from the reference's
 * |m − m_ref|/|m_ref| (the metric error), the distance of the learned state from the reference's
 * relative to how far the reference moved it, ‖y − y_ref‖/‖y_ref − y(0)‖ (the state error), the
 * vector-field evaluations counted by `solve` and the wall time.
 *
 * From these numbers, per case: the measured order of each fixed-step solver (least-squares slope
 * of log error against log h over the resolved points), for the metric and the state error; and
 * findings, sentences built from the measured values: how far the model's default integrator is
 * from the reference, and with how many evaluations each other solver reaches the error of the
 * most accurate Euler run (the question jpc answered for predictive-coding inference: does Heun
 * reach Euler's result with fewer evaluations?).
 */
import { solvers } from '../../src/core/solvers';
import type { SolverChoice } from '../../src/experiment/solver-options';
import type { PlotlyFigure } from '../../src/io/plot';
import type { SolverStudyCase, StudyRun, StudySize } from './case';
import type { Registry } from '../../src/core/registry';
import { loadStudyCases } from './cases';

export interface StudySettings {
  /** Case ids, in order. */
  cases: string[];
  size: StudySize;
  /** Solvers under study: fixed-step ones run on the step grid, adaptive ones at each rtol. */
  solvers: string[];
  stepFractions: number[];
  rtols: number[];
  /** The reference: an adaptive solver at tight tolerances. */
  reference: { solver: string; rtol: number; atol: number };
}

export type RunRole = 'study' | 'reference' | 'check';

/** One run of the plan: a case and the integrator it is run with. */
export interface StudyPoint {
  caseId: string;
  role: RunRole;
  /** The integrator; a fixed step is the case's maxStep times a --step-fractions value. */
  choice: SolverChoice;
}

/** Ratio atol/rtol of the study's adaptive runs. */
export const ATOL_PER_RTOL = 1e-3;

/** An error this many times the reference's floor or more is resolved (used in fits and findings). */
export const RESOLVED = 10;

/** The runs of the study, references first for each case. */
export function studyPlan(s: StudySettings, cases: Registry<SolverStudyCase>): StudyPoint[] {
  const out: StudyPoint[] = [];
  for (const id of s.cases) {
    const c = cases.get(id);
    const ref = s.reference;
    out.push({ caseId: id, role: 'reference', choice: { solver: ref.solver, rtol: ref.rtol, atol: ref.atol } });
    out.push({ caseId: id, role: 'check', choice: { solver: ref.solver, rtol: 10 * ref.rtol, atol: 10 * ref.atol } });
    for (const name of s.solvers) {
      if (solvers.get(name).adaptive) for (const rtol of s.rtols) out.push({ caseId: id, role: 'study', choice: { solver: name, rtol, atol: rtol * ATOL_PER_RTOL } });
      else for (const f of s.stepFractions) out.push({ caseId: id, role: 'study', choice: { solver: name, dt0: c.maxStep * f } });
    }
  }
  return out;
}

/** A sweep task: one run of one case (a pure function of its arguments, for the worker pool). */
export async function studyTask(args: { caseId: string; choice: SolverChoice; size: StudySize }): Promise<StudyRun> {
  return (await loadStudyCases()).get(args.caseId).run(args.choice, args.size);
}

/** The task's key in the sweep (and in --out/checkpoints). */
export function pointKey(p: StudyPoint): string {
  const c = p.choice;
  return `${p.caseId}-${p.role}-${c.solver}-${c.dt0 !== undefined ? `h${c.dt0}` : `rtol${c.rtol}`}`;
}

export interface StudyRow {
  case: string;
  model: string;
  role: RunRole;
  solver: string;
  /** Fixed step in the case's unit (null for adaptive runs). */
  step: number | null;
  rtol: number | null;
  /** The model's default integrator on this problem. */
  isDefault: boolean;
  metric: number;
  metricError: number;
  stateError: number;
  nfe: number;
  steps: number;
  seconds: number;
  status: StudyRun['status'];
  message: string;
}

export interface OrderRow {
  case: string;
  solver: string;
  /** The solver's declared order ('variable' for extrapolation methods). */
  declared: number | 'variable';
  /** Slopes of log error against log h between the two smallest resolved steps (NaN with fewer than two); how many steps were resolved. */
  metricOrder: number;
  stateOrder: number;
  metricPoints: number;
  statePoints: number;
}

export interface CaseSummary {
  case: string;
  model: string;
  title: string;
  setting: string;
  metric: string;
  stepUnit: string;
  referenceMetric: number;
  /** Errors of the check run (10× looser reference): what is resolved lies above RESOLVED × these. */
  metricFloor: number;
  stateFloor: number;
  findings: string[];
}

export interface StudyResult {
  settings: StudySettings;
  rows: StudyRow[];
  orders: OrderRow[];
  cases: CaseSummary[];
}

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

function sameChoice(a: SolverChoice, b: SolverChoice): boolean {
  return a.solver === b.solver && a.dt0 === b.dt0 && a.rtol === b.rtol && a.atol === b.atol;
}

/**
 * The measured order from (step, error) points: the slope of log error against log step between the
 * two smallest steps (the asymptotic regime h → 0 that the declared order is about; the grid starts
 * at the model's own step, where higher-order terms can still bend the curve). NaN with fewer than
 * two points.
 */
export function finestSlope(steps: readonly number[], errors: readonly number[]): number {
  const order = steps.map((_, i) => i).sort((a, b) => steps[a] - steps[b]);
  if (order.length < 2) return NaN;
  const [i, j] = order;
  return Math.log(errors[j] / errors[i]) / Math.log(steps[j] / steps[i]);
}

/**
 * The evaluations at which a solver's work-precision curve reaches `target`: its points sorted by
 * evaluations, the first one at or below the target; when the point before it is above, log nfe is
 * interpolated linearly in log error between the two ('interpolated'); when the solver's cheapest
 * run is already at or below it, that run's evaluations bound it from above ('at most'); null when
 * no run reaches it.
 */
export function evaluationsToReach(points: readonly { nfe: number; error: number }[], target: number): { nfe: number; how: 'interpolated' | 'at most' } | null {
  const pts = [...points].sort((a, b) => a.nfe - b.nfe);
  const k = pts.findIndex((p) => p.error <= target);
  if (k < 0) return null;
  if (k === 0) return { nfe: pts[0].nfe, how: 'at most' };
  const a = pts[k - 1];
  const b = pts[k];
  if (!(a.error > 0 && b.error > 0) || b.error === target) return { nfe: b.nfe, how: 'interpolated' };
  const w = Math.log(target / a.error) / Math.log(b.error / a.error);
  return { nfe: Math.exp(Math.log(a.nfe) + w * Math.log(b.nfe / a.nfe)), how: 'interpolated' };
}

/** Numbers in sentences: three significant digits, exponent form when small or large. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}

/** 'euler h=0.5', 'dopri5 rtol=1e-5'. */
export function runLabel(r: Pick<StudyRow, 'solver' | 'step' | 'rtol'>): string {
  return r.step !== null ? `${r.solver} h=${fmt(r.step)}` : `${r.solver} rtol=${fmt(r.rtol ?? NaN)}`;
}

/** Table rows, orders and findings from the plan and its runs (in plan order). */
export function analyseStudy(settings: StudySettings, registry: Registry<SolverStudyCase>, plan: readonly StudyPoint[], runs: readonly StudyRun[]): StudyResult {
  const rows: StudyRow[] = [];
  const orders: OrderRow[] = [];
  const cases: CaseSummary[] = [];
  for (const id of settings.cases) {
    const c = registry.get(id);
    const idx = plan.map((p, i) => (p.caseId === id ? i : -1)).filter((i) => i >= 0);
    const ref = runs[idx.find((i) => plan[i].role === 'reference')!];
    const check = runs[idx.find((i) => plan[i].role === 'check')!];
    if (ref.status !== 'ok') throw new Error(`the reference run of case '${id}' (${settings.reference.solver}, rtol ${settings.reference.rtol}) did not finish: ${ref.message}; loosen --rtol or check the case`);
    const moved = distance(ref.state, ref.start);
    const metricError = (r: StudyRun) => Math.abs(r.metric - ref.metric) / Math.abs(ref.metric);
    const stateError = (r: StudyRun) => (r.status === 'ok' ? distance(r.state, ref.state) / moved : NaN);
    const caseRows = idx.map((i): StudyRow => {
      const p = plan[i];
      const r = runs[i];
      return {
        case: id,
        model: c.model,
        role: p.role,
        solver: p.choice.solver,
        step: p.choice.dt0 ?? null,
        rtol: p.choice.dt0 === undefined ? (p.choice.rtol ?? null) : null,
        isDefault: sameChoice(p.choice, c.defaultSolver),
        metric: r.metric,
        metricError: metricError(r),
        stateError: stateError(r),
        nfe: r.nfe,
        steps: r.steps,
        seconds: r.seconds,
        status: r.status,
        message: r.message,
      };
    });
    rows.push(...caseRows);
    const metricFloor = Math.max(metricError(check), 1e-15);
    const stateFloor = Math.max(stateError(check), 1e-15);
    const study = caseRows.filter((r) => r.role === 'study' && r.status === 'ok');
    const caseOrders: OrderRow[] = [];
    for (const name of settings.solvers.filter((n) => !solvers.get(n).adaptive)) {
      const own = study.filter((r) => r.solver === name);
      const fit = (err: (r: StudyRow) => number, floor: number) => {
        const pts = own.filter((r) => err(r) >= RESOLVED * floor);
        return { slope: finestSlope(pts.map((r) => r.step!), pts.map(err)), n: pts.length };
      };
      const m = fit((r) => r.metricError, metricFloor);
      const s = fit((r) => r.stateError, stateFloor);
      caseOrders.push({ case: id, solver: name, declared: solvers.get(name).order, metricOrder: m.slope, stateOrder: s.slope, metricPoints: m.n, statePoints: s.n });
    }
    orders.push(...caseOrders);
    cases.push({
      case: id,
      model: c.model,
      title: c.title,
      setting: c.describe(settings.size),
      metric: c.metric,
      stepUnit: c.stepUnit,
      referenceMetric: ref.metric,
      metricFloor,
      stateFloor,
      findings: findings(c, caseRows, caseOrders, metricFloor),
    });
  }
  return { settings, rows, orders, cases };
}

/** Two values of a metric printed with enough digits to show that they differ. */
export function fmtPair(a: number, b: number): [string, string] {
  const rel = Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
  const digits = Math.min(15, Math.max(3, Math.ceil(-Math.log10(rel || 1e-15)) + 2));
  return [Number(a.toPrecision(digits)).toString(), Number(b.toPrecision(digits)).toString()];
}

/** How many times fewer evaluations `nfe` is than `base`, in words. */
function fewer(base: number, nfe: number): string {
  const r = base / nfe;
  if (Math.abs(r - 1) < 0.005) return 'the same number';
  return r > 1 ? `${fmt(r)}× fewer` : `${fmt(1 / r)}× more`;
}

/**
 * The cheapest way each solver reaches `target` in the metric error (evaluationsToReach over its
 * runs): a phrase per solver, and the evaluations (null where none reaches it).
 */
export function reachTarget(rows: readonly StudyRow[], solver: string, target: number, baseNfe: number): { phrase: string; nfe: number | null } {
  const own = rows.filter((r) => r.solver === solver);
  const reach = evaluationsToReach(own.map((r) => ({ nfe: r.nfe, error: r.metricError })), target);
  if (!reach) {
    const best = [...own].sort((a, b) => a.metricError - b.metricError)[0];
    return { phrase: `no ${solver} run reaches it (its best: ${fmt(best.metricError)} at ${best.nfe} evaluations)`, nfe: null };
  }
  if (reach.how === 'at most') {
    const cheapest = [...own].sort((a, b) => a.nfe - b.nfe)[0];
    return { phrase: `${solver} is below it already at its cheapest run (${runLabel(cheapest)}, ${cheapest.nfe} evaluations: ${reach.nfe < baseNfe ? `at least ${fewer(baseNfe, reach.nfe)}` : fewer(baseNfe, reach.nfe)})`, nfe: reach.nfe };
  }
  return { phrase: `${solver} reaches it at about ${Math.round(reach.nfe)} evaluations (interpolated on its curve: ${fewer(baseNfe, reach.nfe)})`, nfe: reach.nfe };
}

/**
 * The written findings of one case, every number taken from its rows: the default integrator's
 * distance from the reference, the measured orders, and the evaluations each solver needs to reach
 * the metric error of the most accurate Euler run (or of the most accurate run of the first
 * fixed-step solver, when Euler is not studied).
 */
export function findings(c: SolverStudyCase, rows: readonly StudyRow[], orders: readonly OrderRow[], metricFloor: number): string[] {
  const out: string[] = [];
  const ref = rows.find((r) => r.role === 'reference')!;
  const study = rows.filter((r) => r.role === 'study');
  const ok = study.filter((r) => r.status === 'ok');
  const resolved = (e: number) => e >= RESOLVED * metricFloor;
  const def = study.find((r) => r.isDefault);
  if (def) {
    const e = def.metricError;
    const [m, mRef] = fmtPair(def.metric, ref.metric);
    out.push(
      def.status !== 'ok'
        ? `The model's default integrator (${runLabel(def)}) did not finish: ${def.message}.`
        : `With the model's default integrator (${runLabel(def)}, h in units of ${c.stepUnit}) the ${c.metric} is ${m} against the reference's ${mRef}: ${resolved(e) ? `a relative difference of ${fmt(e)}` : `no difference resolved (below ${fmt(RESOLVED * metricFloor)})`}, at ${def.nfe} evaluations against the reference's ${ref.nfe}.`,
    );
  }
  const orderText = orders
    .map((o) => `${o.solver} ${Number.isFinite(o.stateOrder) ? o.stateOrder.toFixed(2) : 'unresolved'} (metric: ${Number.isFinite(o.metricOrder) ? o.metricOrder.toFixed(2) : 'unresolved'}; declared ${o.declared})`)
    .join(', ');
  if (orders.length) out.push(`Measured order, slope of the state error (and of the metric error) between the two smallest resolved steps: ${orderText}.`);
  const fixed = [...new Set(ok.filter((r) => r.step !== null).map((r) => r.solver))];
  const baseName = fixed.includes('euler') ? 'euler' : fixed[0];
  const base = ok.filter((r) => r.solver === baseName).sort((a, b) => a.metricError - b.metricError)[0];
  if (base) {
    const target = base.metricError;
    if (!resolved(target)) {
      out.push(`${runLabel(base)} is already within the reference's resolution (relative error of the ${c.metric} ${fmt(target)} < ${fmt(RESOLVED * metricFloor)}): no solver can be compared against it here.`);
    } else {
      const parts = [...new Set(ok.map((r) => r.solver))].filter((n) => n !== baseName).map((n) => reachTarget(ok, n, target, base.nfe).phrase);
      out.push(`The most accurate ${baseName} run (${runLabel(base)}) has a relative error of ${fmt(target)} in the ${c.metric} at ${base.nfe} evaluations; ${parts.join('; ') || 'no other solver was run'}.`);
    }
  }
  if (c.notSmooth) out.push(`Not smooth: ${c.notSmooth}.`);
  if (c.findings) out.push(...c.findings(rows));
  const failed = study.filter((r) => r.status !== 'ok');
  if (failed.length) out.push(`Did not finish: ${failed.map((r) => `${runLabel(r)} (${r.status}: ${r.message})`).join('; ')}.`);
  return out;
}

/** Colours per solver (the same in every panel). */
const COLOURS: Record<string, string> = { euler: '#d62728', heun: '#ff7f0e', rk4: '#2ca02c', dopri5: '#1f77b4' };
const colour = (name: string, i: number) => COLOURS[name] ?? ['#9467bd', '#8c564b', '#e377c2', '#7f7f7f'][i % 4];

/**
 * Work-precision: the metric error against vector-field evaluations (log-log), one panel per case,
 * a line per solver (fixed steps: along the step grid; adaptive: along the tolerances), the model's
 * default integrator ringed, and the reference's floor (RESOLVED × the check's error) dashed.
 * Errors of exactly 0 cannot be drawn on a log axis and are left out (the table keeps them).
 */
export function workPrecisionFigure(result: StudyResult): { figure: PlotlyFigure; width: number; height: number } {
  const ids = result.cases.map((c) => c.case);
  const cols = Math.min(2, ids.length);
  const rowsN = Math.ceil(ids.length / cols);
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    grid: { rows: rowsN, columns: cols, pattern: 'independent', roworder: 'top to bottom' },
    margin: { l: 80, r: 20, t: 70, b: 60 },
    legend: { orientation: 'h', x: 0, y: 1.08 },
    annotations: [] as unknown[],
  };
  const shown = new Set<string>();
  ids.forEach((id, k) => {
    const a = k + 1;
    const suffix = a === 1 ? '' : String(a);
    const summary = result.cases[k];
    const rows = result.rows.filter((r) => r.case === id && r.role === 'study' && r.status === 'ok');
    const names = [...new Set(rows.map((r) => r.solver))];
    names.forEach((name, i) => {
      const pts = rows.filter((r) => r.solver === name && r.metricError > 0).sort((x, y) => x.nfe - y.nfe);
      data.push({
        type: 'scatter',
        mode: 'lines+markers',
        name,
        legendgroup: name,
        showlegend: !shown.has(name),
        x: pts.map((r) => r.nfe),
        y: pts.map((r) => r.metricError),
        text: pts.map(runLabel),
        line: { color: colour(name, i) },
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
      });
      shown.add(name);
    });
    const def = rows.find((r) => r.isDefault && r.metricError > 0);
    if (def) {
      data.push({ type: 'scatter', mode: 'markers', name: "model's default integrator", legendgroup: 'default', showlegend: !shown.has('default'), x: [def.nfe], y: [def.metricError], text: [runLabel(def)], marker: { symbol: 'circle-open', size: 16, color: '#000', line: { width: 2 } }, xaxis: `x${suffix}`, yaxis: `y${suffix}` });
      shown.add('default');
    }
    const xs = rows.map((r) => r.nfe);
    if (xs.length) {
      data.push({ type: 'scatter', mode: 'lines', name: 'reference floor', legendgroup: 'floor', showlegend: !shown.has('floor'), x: [Math.min(...xs), Math.max(...xs)], y: [RESOLVED * summary.metricFloor, RESOLVED * summary.metricFloor], line: { dash: 'dash', color: '#888' }, xaxis: `x${suffix}`, yaxis: `y${suffix}` });
      shown.add('floor');
    }
    layout[`xaxis${suffix}`] = { type: 'log', exponentformat: 'power', title: { text: 'vector-field evaluations' } };
    layout[`yaxis${suffix}`] = { type: 'log', exponentformat: 'power', title: { text: `rel. error of ${summary.metric}` } };
    (layout.annotations as unknown[]).push({ text: `${id} (${summary.model})`, showarrow: false, xref: `x${suffix} domain`, yref: `y${suffix} domain`, x: 0.5, y: 1.1, font: { size: 13 } });
  });
  return { figure: { data, layout }, width: Math.max(700, 520 * cols), height: 160 + 380 * rowsN };
}
