/**
 * Figures: a plotly figure written as a self-contained HTML page (plotly.js-dist-min inlined, so it
 * opens offline) and, when Debian's Chromium is installed, a PNG and an SVG rendered headless from
 * that page.
 *
 * Every figure goes through `paperStyle` first, so that it could be printed in a paper: the title
 * lives in the plot (no file-name heading above it), log axes are ticked in powers of ten (10⁻³, not
 * 1m or 100μ), axes that count (epoch, iteration, layers, digit) get whole-number ticks, and a
 * marker takes its line's colour.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureDir } from './output';

export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}

let plotlySource: string | null = null;
function plotlyJs(): string {
  plotlySource ??= fs.readFileSync(require.resolve('plotly.js-dist-min'), 'utf8');
  return plotlySource;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const COUNT_AXIS = /\b(epoch|epochs|iteration|iterations|layers|digit|step|steps)\b/i;

function axisTitle(axis: Record<string, unknown>): string {
  const t = axis.title as { text?: string } | string | undefined;
  return typeof t === 'string' ? t : (t?.text ?? '');
}

/** The whole-number tick spacing (1, 2, 5, 10, 20, …) that gives at most `maxTicks` ticks up to `max`. */
export function integerDtick(max: number, maxTicks = 10): number {
  const raw = Math.max(1, max / maxTicks);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** The finite numbers plotted on an axis ('xaxis2' → the traces with xaxis 'x2'). */
function axisValues(data: readonly Record<string, unknown>[], key: string): number[] {
  const letter = key[0];
  const ref = key.length === 5 ? letter : `${letter}${key.slice(5)}`;
  return data
    .filter((t) => String(t[`${letter}axis`] ?? letter) === ref && t.type !== 'heatmap')
    .flatMap((t) => (Array.isArray(t[letter]) ? (t[letter] as unknown[]) : []))
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/**
 * The figure as a paper would print it (see the header): `title` (when given and the layout has
 * none) becomes the plot's title; every log axis gets exponentformat 'power'; every x axis whose
 * title counts something (epoch, iteration, layers, digit, step) and holds numbers gets
 * whole-number ticks; a trace with an explicit line colour and no marker colour gets markers of the
 * line's colour. Settings the figure gives itself win.
 */
export function paperStyle(figure: PlotlyFigure, title?: string): PlotlyFigure {
  const layout: Record<string, unknown> = { ...(figure.layout ?? {}) };
  if (title && !layout.title) {
    // At the top of the figure, with room below it for a legend placed above the plot area.
    layout.title = { text: title, x: 0.5, xanchor: 'center', y: 0.99, yanchor: 'top' };
    const margin = (layout.margin as Record<string, number> | undefined) ?? {};
    layout.margin = { ...margin, t: Math.max(margin.t ?? 100, 100) };
  }
  const data = figure.data.map((t) => {
    const line = t.line as { color?: string } | undefined;
    const marker = t.marker as { color?: unknown } | undefined;
    if (line?.color && !(marker && marker.color !== undefined) && t.type !== 'bar') return { ...t, marker: { ...(marker ?? {}), color: line.color } };
    return t;
  });
  const axisKeys = new Set(Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k)));
  for (const t of data) {
    axisKeys.add(`xaxis${String(t.xaxis ?? 'x').slice(1)}`);
    axisKeys.add(`yaxis${String(t.yaxis ?? 'y').slice(1)}`);
  }
  for (const key of axisKeys) {
    const axis = { ...((layout[key] as Record<string, unknown>) ?? {}) };
    if (axis.type === 'log') {
      axis.exponentformat ??= 'power';
      axis.showexponent ??= 'all';
      // Ticks at every n-th decade (at most about 8 labels), when the data span two decades or more
      // (over a narrower range, decades alone would leave one tick: plotly's 1-2-5 steps remain).
      const vals = axisValues(data, key).filter((v) => v > 0);
      const decades = vals.length ? Math.log10(Math.max(...vals) / Math.min(...vals)) : 0;
      if (axis.dtick === undefined && decades >= 2) axis.dtick = Math.max(1, Math.ceil(decades / 8));
      // A narrow sweep (a few values, e.g. width ratios 0.5-8): tick the values swept, leaving out a
      // value within a factor 1.3 of the last one ticked (their labels would overlap).
      const distinct: number[] = [];
      for (const v of [...new Set(vals)].sort((a, b) => a - b)) if (distinct.length === 0 || v / distinct[distinct.length - 1] >= 1.3) distinct.push(v);
      if (axis.dtick === undefined && axis.tickvals === undefined && decades < 2 && distinct.length >= 2 && distinct.length <= 12) {
        axis.tickmode = 'array';
        axis.tickvals = distinct;
        axis.ticktext = distinct.map((v) => String(Number(v.toPrecision(4))));
      }
    } else if (key.startsWith('x') && COUNT_AXIS.test(axisTitle(axis)) && axis.type !== 'category' && axis.dtick === undefined) {
      const ref = key === 'xaxis' ? 'x' : `x${key.slice(5)}`;
      const xs = data.filter((t) => String(t.xaxis ?? 'x') === ref && t.type !== 'heatmap').flatMap((t) => (Array.isArray(t.x) ? (t.x as unknown[]) : []));
      const nums = xs.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (nums.length && nums.length === xs.length && nums.every(Number.isInteger)) {
        axis.tickmode = 'linear';
        axis.tick0 = 0;
        axis.dtick = integerDtick(Math.max(...nums) - Math.min(0, ...nums));
        axis.tickformat ??= 'd';
      }
    }
    layout[key] = axis;
  }
  return { data, layout };
}

/**
 * The HTML of a page holding one or more figures, with optional paragraphs of text. `title` is the
 * page's <title> only; each figure carries its own title in the plot.
 */
export function figurePage(title: string, figures: { figure: PlotlyFigure; caption?: string; width?: number; height?: number }[]): string {
  const divs = figures
    .map((f, i) => {
      const w = f.width ?? 1000;
      const h = f.height ?? 600;
      const styled = paperStyle(f.figure);
      const fig = JSON.stringify({ data: styled.data, layout: { width: w, height: h, ...styled.layout } });
      const cap = f.caption ? `<p>${escapeHtml(f.caption)}</p>` : '';
      return `<div id="fig${i}" style="width:${w}px;height:${h}px"></div>${cap}\n<script>Plotly.newPlot('fig${i}', ${fig}.data, ${fig}.layout, {displayModeBar: location.hash === '#static' || location.hash === '#svg' ? false : 'hover'}).then((gd) => { if (location.hash === '#svg') Plotly.toImage(gd, {format: 'svg', width: ${w}, height: ${h}}).then((url) => { const p = document.createElement('pre'); p.id = 'svg${i}'; p.textContent = url; document.body.appendChild(p); }); });</script>`;
    })
    .join('\n');
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:16px}</style>
<script>${plotlyJs()}</script></head>
<body>
${divs}
</body></html>\n`;
}

export function chromiumPath(): string | null {
  for (const p of [process.env.CREDITFLOW_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (p && fs.existsSync(p)) return p;
  }
  return null;
}

/** Render an HTML file to PNG with headless Chromium. Returns the PNG path, or null with a reason. */
export function renderPng(htmlFile: string, pngFile: string, width: number, height: number): { png: string | null; note: string } {
  const chromium = chromiumPath();
  if (!chromium) return { png: null, note: 'PNG skipped: Debian chromium is not installed (apt-get install chromium)' };
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-chromium-'));
  try {
    execFileSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${userDir}`,
        `--window-size=${width},${height}`,
        '--virtual-time-budget=10000',
        `--screenshot=${path.resolve(pngFile)}`,
        'file://' + path.resolve(htmlFile) + '#static',
      ],
      { stdio: 'ignore', timeout: 120_000 },
    );
    return { png: fs.existsSync(pngFile) ? pngFile : null, note: fs.existsSync(pngFile) ? '' : 'PNG not written by chromium' };
  } catch (e) {
    return { png: null, note: `PNG failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  } finally {
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

/**
 * The SVG of the first figure of an HTML page written by `figurePage`, through headless Chromium
 * (plotly's own SVG export, `Plotly.toImage`), or null with a reason.
 */
export function renderSvg(htmlFile: string, svgFile: string): { svg: string | null; note: string } {
  const chromium = chromiumPath();
  if (!chromium) return { svg: null, note: 'SVG skipped: Debian chromium is not installed (apt-get install chromium)' };
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-chromium-'));
  try {
    const dom = execFileSync(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${userDir}`, '--virtual-time-budget=10000', '--dump-dom', 'file://' + path.resolve(htmlFile) + '#svg'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000, maxBuffer: 256 * 1024 * 1024 },
    );
    const m = /<pre id="svg0">([^<]*)<\/pre>/.exec(dom);
    if (!m) return { svg: null, note: 'SVG not produced by chromium' };
    const url = m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"');
    const comma = url.indexOf(',');
    const text = url.slice(0, comma).includes('base64') ? Buffer.from(url.slice(comma + 1), 'base64').toString('utf8') : decodeURIComponent(url.slice(comma + 1));
    fs.writeFileSync(svgFile, text);
    return { svg: svgFile, note: '' };
  } catch (e) {
    return { svg: null, note: `SVG failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  } finally {
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

/**
 * Write `<dir>/<name>.html` (and `<name>.png` and `<name>.svg` when Chromium is present, unless
 * `png: false` or the environment variable CREDITFLOW_NO_PNG is set) for one figure. `title` becomes
 * the plot's title when its layout has none (the page shows no separate heading).
 * Returns the paths written and a note when the PNG was skipped.
 */
export function writeFigure(
  dir: string,
  name: string,
  figure: PlotlyFigure,
  opts: { title?: string; width?: number; height?: number; png?: boolean } = {},
): { html: string; png: string | null; svg: string | null; note: string } {
  ensureDir(dir);
  const width = opts.width ?? 1000;
  const height = opts.height ?? 600;
  const html = path.join(dir, `${name}.html`);
  const titled = paperStyle(figure, opts.title);
  fs.writeFileSync(html, figurePage(opts.title || name, [{ figure: titled, width, height }]));
  if (opts.png === false || process.env.CREDITFLOW_NO_PNG) return { html, png: null, svg: null, note: 'PNG not requested' };
  const { png, note } = renderPng(html, path.join(dir, `${name}.png`), width + 32, height + 32);
  const svg = png ? renderSvg(html, path.join(dir, `${name}.svg`)).svg : null;
  return { html, png, svg, note };
}

/**
 * A PNG of a figure as bytes (for notebooks: `tslab.display.png(figurePng(fig))`), or null when
 * Chromium is not installed.
 */
export function figurePng(figure: PlotlyFigure, width = 800, height = 450): Uint8Array | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-fig-'));
  try {
    const r = writeFigure(dir, 'figure', figure, { width, height, title: '' });
    return r.png ? new Uint8Array(fs.readFileSync(r.png)) : null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
