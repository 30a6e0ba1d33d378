/** `creditflow verify`: run the theorem checks and print claim / measured / bound / pass. */
import { checks, type CheckResult, type TheoremCheck } from '../registry';
import type { RunContext } from '../experiment/context';
import { seedsOption } from '../experiment/groups';
import { opt, type ParsedOf } from '../experiment/options';

/** The options of `creditflow verify`. */
export const verifyOptions = [
  opt.strings('only', 'run only checks whose id starts with one of these prefixes (comma-separated)'),
  seedsOption({ default: [1], description: 'seed for the checks that draw random numbers', single: 'verify runs each check once' }),
  opt.boolean('quick', 'reduced sizes (as in the tests)', { default: false }),
] as const;

export interface VerifyRow {
  id: string;
  paper: string;
  claim: string;
  measured: string;
  bound: string;
  pass: boolean;
  seconds: number;
  error?: string;
  details?: object;
}

export async function runCheck(c: TheoremCheck, ctx: { quick: boolean; seed: number }): Promise<VerifyRow> {
  const start = performance.now();
  let r: CheckResult;
  let error: string | undefined;
  try {
    r = await c.run(ctx);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    r = { measured: `error: ${error}`, bound: '-', pass: false };
  }
  return { id: c.id, paper: c.paper, claim: c.claim, ...r, seconds: (performance.now() - start) / 1000, error };
}

export async function runVerify(opts: ParsedOf<typeof verifyOptions>, ctx: RunContext): Promise<number> {
  const prefixes = opts.only;
  const selected = checks.entries().filter(([id]) => !prefixes || prefixes.some((p) => id.startsWith(p)));
  if (selected.length === 0) {
    throw new Error(`no theorem check matches --only ${prefixes?.join(',')}; ids: ${checks.names().join(', ')}`);
  }
  const unmatched = (prefixes ?? []).filter((p) => !checks.names().some((id) => id.startsWith(p)));
  if (unmatched.length > 0) throw new Error(`--only ${unmatched.join(',')} matches no theorem check (a typo would silently run fewer checks); ids start with: ${[...new Set(checks.names().map((id) => id.split('.')[0]))].join(', ')}`);
  const rows: VerifyRow[] = [];
  const progress = ctx.progress('verify', selected.length);
  for (const [, c] of selected) {
    const row = await runCheck(c, { quick: opts.quick, seed: opts.seeds[0] });
    rows.push(row);
    progress.tick(1, c.id);
  }
  progress.finish();
  const failed = rows.filter((r) => !r.pass).length;
  if (opts.json) {
    process.stdout.write(JSON.stringify({ passed: rows.length - failed, failed, checks: rows }, null, 2) + '\n');
  } else {
    ctx.log(formatTable(rows));
    ctx.log(`\n${rows.length - failed} passed, ${failed} failed`);
  }
  return failed > 0 ? 1 : 0;
}

function formatTable(rows: VerifyRow[]): string {
  const header = ['check', 'paper: claim', 'measured', 'bound', 'result'];
  const cells = rows.map((r) => [r.id, `${r.paper}: ${r.claim}`, r.measured, r.bound, r.pass ? 'PASS' : 'FAIL']);
  const max = [28, 64, 44, 26, 6];
  const wrap = (s: string, w: number) => {
    const out: string[] = [];
    let line = '';
    for (const word of s.split(' ')) {
      if ((line + ' ' + word).trim().length > w && line) {
        out.push(line);
        line = word;
      } else line = (line + ' ' + word).trim();
    }
    out.push(line);
    return out;
  };
  const widths = header.map((h, i) => Math.min(max[i], Math.max(h.length, ...cells.map((c) => c[i].length))));
  const lines: string[] = [];
  const emit = (row: string[]) => {
    const wrapped = row.map((c, i) => wrap(c, widths[i]));
    const h = Math.max(...wrapped.map((w) => w.length));
    for (let k = 0; k < h; k++) lines.push(wrapped.map((w, i) => (w[k] ?? '').padEnd(widths[i])).join(' │ '));
  };
  emit(header);
  lines.push(widths.map((w) => '─'.repeat(w)).join('─┼─'));
  for (const c of cells) emit(c);
  return lines.join('\n');
}
