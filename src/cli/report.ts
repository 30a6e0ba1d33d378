/**
 * `creditflow report`: one static HTML page linking every run in an output folder (each folder with
 * a manifest.json). The page opens with a table of contents (each run with its verdict counts);
 * each run's section shows its claims table first (claims.json: paper vs measured, with the
 * verdict and the rule that computed it), then its notes, summary tables, figures (PNG inline,
 * HTML and SVG linked) and how it was made.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Claim } from '../io/claims';
import { pidAlive } from '../io/lock';
import type { Manifest } from '../io/run';
import type { CommandSpec } from '../registry';

function esc(s: unknown): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(3) : v.toPrecision(4);
  return esc(v ?? '');
}

/**
 * A manifest's status as the report shows it: a 'running' manifest whose process is gone (both the
 * supervisor and the command killed at once, so nobody closed it) is shown as killed.
 */
export function shownStatus(m: Manifest): string {
  if (m.status === 'running' && m.pid !== undefined && !pidAlive(m.pid)) return 'killed (its process is gone; continue it with --resume)';
  return m.status;
}

/** Folders under `root` (recursively, depth ≤ 3) holding a manifest.json. */
export function findRuns(root: string, depth = 3): string[] {
  const out: string[] = [];
  const walk = (dir: string, d: number) => {
    if (fs.existsSync(path.join(dir, 'manifest.json'))) out.push(dir);
    if (d === 0) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(dir, e.name), d - 1);
  };
  if (fs.existsSync(root)) walk(root, depth);
  return out.sort();
}

const VERDICT_COLOURS: Record<string, string> = { reproduced: '#d8f0d8', partly: '#fff2c2', 'not reproduced': '#f6d5d5', contradicted: '#e8b4b4', 'not measured': '#eeeeee' };

/** The claims of a run folder (claims.json), or null when it has none. */
function readClaims(dir: string, m: Manifest): { verdicts: string; claims: Claim[] } | null {
  if (!m.files.includes('claims.json')) return null;
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'claims.json'), 'utf8'));
  } catch {
    return null;
  }
}

function claimsTable(c: { verdicts: string; claims: Claim[] }): string {
  const hasVariant = c.claims.some((x) => x.variant);
  const head = ['figure', ...(hasVariant ? ['variant'] : []), 'paper', 'measured (ours)', 'setting', 'verdict', 'rule'];
  const rows = c.claims.map(
    (x) =>
      `<tr><td>${esc(x.figure)}</td>${hasVariant ? `<td>${esc(x.variant ?? '')}</td>` : ''}<td class="l">${esc(x.paper)}</td><td class="l">${esc(x.measured)}</td><td class="l small">${esc(x.setting)}</td>` +
      `<td style="background:${VERDICT_COLOURS[x.verdict] ?? '#fff'}"><b>${esc(x.verdict)}</b></td><td class="l small">${esc(x.rule)}</td></tr>`,
  );
  return `<h3>Claims: the paper vs this run (${esc(c.verdicts)})</h3><table class="claims"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table>`;
}

function anchor(rel: string): string {
  return 'run-' + (rel || 'root').replace(/[^A-Za-z0-9_-]/g, '-');
}

export function buildReport(root: string): { file: string; runs: number } {
  const runs = findRuns(root);
  const toc: string[] = [];
  const sections = runs.map((dir) => {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const relDir = path.relative(root, dir);
    const rel = (f: string) => path.relative(root, path.join(dir, f)).split(path.sep).join('/');
    const claims = readClaims(dir, m);
    toc.push(`<li><a href="#${anchor(relDir)}">${esc(m.experiment)}</a> <small>(${esc(relDir || '.')})</small>${claims ? ` — ${esc(claims.verdicts)}` : ''}</li>`);
    const figures = m.files
      .filter((f) => f.endsWith('.html'))
      .map((f) => {
        const png = f.replace(/\.html$/, '.png');
        const svg = f.replace(/\.html$/, '.svg');
        const img = m.files.includes(png) ? `<a href="${esc(rel(f))}"><img src="${esc(rel(png))}" style="max-width:100%"></a>` : '';
        const svgLink = m.files.includes(svg) ? `, <a href="${esc(rel(svg))}">SVG</a>` : '';
        return `<figure>${img}<figcaption><a href="${esc(rel(f))}">${esc(f)}</a> (interactive)${svgLink}</figcaption></figure>`;
      })
      .join('\n');
    const tables = (m.tables ?? [])
      .map(
        (t) =>
          `<h4>${esc(t.name)}</h4><table><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>` +
          t.rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('') +
          '</table>',
      )
      .join('\n');
    const data = m.files.filter((f) => /\.(json|csv)$/.test(f)).map((f) => `<a href="${esc(rel(f))}">${esc(f)}</a>`).join(', ');
    return `<section id="${anchor(relDir)}"><h2>${esc(m.experiment)} <small>(${esc(relDir || '.')})</small></h2>
${claims ? claimsTable(claims) : ''}
<p class="meta"><code>${esc(m.command)}</code><br>status <b>${esc(shownStatus(m))}</b>, ${m.wallSeconds !== null ? `${m.wallSeconds.toFixed(1)} s` : 'running'},
started ${esc(m.start)}, creditflow ${esc(m.creditflowVersion)} (${esc(m.gitCommit ?? 'no git')}), Node ${esc(m.node)}</p>
${m.notes.length ? `<ul>${m.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
${tables}
${figures}
<p>data: ${data || '(none)'}</p></section>`;
  });
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>creditflow report</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1200px} table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right} th{background:#f3f3f3} .meta{color:#555;font-size:90%}
td.l{text-align:left} td.small{font-size:85%;color:#444} table.claims td,table.claims th{vertical-align:top;text-align:left}
section{border-top:2px solid #ddd;margin-top:24px} figure{margin:12px 0}</style></head>
<body><h1>creditflow report</h1><p>${runs.length} run(s) under <code>${esc(path.resolve(root))}</code>, generated ${new Date().toISOString()}.</p>
${runs.length ? `<h2>Contents</h2><ol>${toc.join('')}</ol>` : ''}
${sections.join('\n') || '<p>No runs found (folders with a manifest.json).</p>'}
</body></html>\n`;
  const file = path.join(root, 'index.html');
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(file, html);
  return { file, runs: runs.length };
}

export const reportCommand: CommandSpec = {
  name: 'report',
  description: 'Build one static HTML page (index.html) linking every run in an output folder with its figures and summary tables.',
  options: [{ name: 'out', type: 'string', description: 'the output folder to index', default: 'out' }],
  run(opts, ctx) {
    const { file, runs } = buildReport(opts.out);
    if (opts.json) process.stdout.write(JSON.stringify({ file, runs }) + '\n');
    else ctx.log(`report: ${runs} run(s) -> ${file}`);
    return 0;
  },
};
