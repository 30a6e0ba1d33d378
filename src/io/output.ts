/** Writing results a person reads or a program parses: JSON, CSV, tables. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeJson(file: string, data: unknown): string {
  ensureDir(path.dirname(file));
  fs.writeFileSync(file, JSON.stringify(data, (_k, v) => (v instanceof Float64Array ? Array.from(v) : v), 2) + '\n');
  return file;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with a header from `columns` (in that order) and one line per row object. */
export function writeCsv(file: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  ensureDir(path.dirname(file));
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** A fixed-width text table. */
export function formatTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const str = rows.map((r) => r.map((v) => (typeof v === 'number' ? formatNumber(v) : String(v ?? ''))));
  const widths = columns.map((c, i) => Math.max(displayWidth(c), ...str.map((r) => displayWidth(r[i] ?? ''))));
  const pad = (c: string, w: number) => c + ' '.repeat(Math.max(0, w - displayWidth(c)));
  const line = (cells: readonly string[]) => cells.map((c, i) => pad(c, widths[i])).join('  ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...str.map(line)].join('\n');
}

/** Terminal width of a string: combining marks (the bar of W̄) take no column. */
export function displayWidth(s: string): number {
  return s.normalize('NFD').replace(/[\u0300-\u036f\u20d0-\u20ff]/g, '').length;
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return v.toPrecision(4);
}
