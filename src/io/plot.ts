/**
 * Figures: a plotly figure written as a self-contained HTML page (plotly.js-dist-min inlined, so it
 * opens offline) and, when Debian's Chromium is installed, a PNG rendered headless from that page.
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

/** The HTML of a page holding one or more figures, with optional paragraphs of text. */
export function figurePage(title: string, figures: { figure: PlotlyFigure; caption?: string; width?: number; height?: number }[]): string {
  const divs = figures
    .map((f, i) => {
      const w = f.width ?? 1000;
      const h = f.height ?? 600;
      const fig = JSON.stringify({ data: f.figure.data, layout: { width: w, height: h, ...f.figure.layout } });
      const cap = f.caption ? `<p>${escapeHtml(f.caption)}</p>` : '';
      return `<div id="fig${i}" style="width:${w}px;height:${h}px"></div>${cap}\n<script>Plotly.newPlot('fig${i}', ${fig}.data, ${fig}.layout, {displayModeBar: location.hash === '#static' ? false : 'hover'});</script>`;
    })
    .join('\n');
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:16px}</style>
<script>${plotlyJs()}</script></head>
<body>${title ? `<h2>${escapeHtml(title)}</h2>` : ""}
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
 * Write `<dir>/<name>.html` (and `<name>.png` when Chromium is present, unless `png: false` or the
 * environment variable CREDITFLOW_NO_PNG is set) for one figure.
 * Returns the paths written and a note when the PNG was skipped.
 */
export function writeFigure(
  dir: string,
  name: string,
  figure: PlotlyFigure,
  opts: { title?: string; width?: number; height?: number; png?: boolean } = {},
): { html: string; png: string | null; note: string } {
  ensureDir(dir);
  const width = opts.width ?? 1000;
  const height = opts.height ?? 600;
  const html = path.join(dir, `${name}.html`);
  fs.writeFileSync(html, figurePage(opts.title ?? name, [{ figure, width, height }]));
  if (opts.png === false || process.env.CREDITFLOW_NO_PNG) return { html, png: null, note: 'PNG not requested' };
  const { png, note } = renderPng(html, path.join(dir, `${name}.png`), width + 32, height + (opts.title === '' ? 32 : 90));
  return { html, png, note };
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
