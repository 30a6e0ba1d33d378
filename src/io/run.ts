/**
 * An experiment run's output folder: every file a `reproduce` or `train` command writes goes
 * through here, and the folder gets a manifest (command, resolved options, seed, creditflow version
 * and git commit, Node version, start/end/wall time, status, files) so any figure can be traced and
 * re-run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunContext } from '../cli/context';
import { ensureDir, writeCsv, writeJson } from './output';
import { writeFigure, type PlotlyFigure } from './plot';

const root = path.resolve(__dirname, '..', '..');

export function creditflowVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
}

export function gitCommit(): string | null {
  // Only a clone has one; the installed package may sit inside another project's repository.
  if (!fs.existsSync(path.join(root, '.git'))) return null;
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return null;
  }
}

export interface Manifest {
  command: string;
  experiment: string;
  options: Record<string, unknown>;
  seed: number | number[] | null;
  creditflowVersion: string;
  gitCommit: string | null;
  node: string;
  platform: string;
  start: string;
  end: string | null;
  wallSeconds: number | null;
  status: 'running' | 'ok' | 'failed' | 'interrupted';
  files: string[];
  notes: string[];
  /** Summary tables shown by `creditflow report` (also written as CSV). */
  tables: { name: string; columns: string[]; rows: unknown[][] }[];
}

const active = new Set<RunOutput>();
let sigintInstalled = false;

/** Ctrl-C: close every open run's manifest as 'interrupted', say where the partial results are, exit 130. */
function installSigint(): void {
  if (sigintInstalled) return;
  sigintInstalled = true;
  process.once('SIGINT', () => {
    for (const run of active) {
      run.finish('interrupted');
      process.stderr.write(`\ninterrupted: partial results are in ${run.dir}\n`);
    }
    process.exit(130);
  });
}

export class RunOutput {
  readonly dir: string;
  private readonly manifest: Manifest;
  private readonly t0 = Date.now();

  constructor(experiment: string, outDir: string, options: Record<string, unknown>, private readonly ctx?: RunContext) {
    this.dir = ensureDir(path.resolve(outDir));
    const seed = (options.seeds ?? options.seed ?? null) as Manifest['seed'];
    const { _: positional, help: _help, ...rest } = options as Record<string, unknown> & { _?: string[]; help?: unknown };
    this.manifest = {
      command: ['creditflow', ...process.argv.slice(2)].join(' '),
      experiment,
      options: { ...rest, ...(positional && (positional as string[]).length ? { _: positional } : {}) },
      seed,
      creditflowVersion: creditflowVersion(),
      gitCommit: gitCommit(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      start: new Date(this.t0).toISOString(),
      end: null,
      wallSeconds: null,
      status: 'running',
      files: [],
      notes: [],
      tables: [],
    };
    this.writeManifest();
    active.add(this);
    installSigint();
  }

  private rel(file: string): string {
    return path.relative(this.dir, file);
  }

  private track(file: string): string {
    const r = this.rel(file);
    if (!this.manifest.files.includes(r)) this.manifest.files.push(r);
    return file;
  }

  json(name: string, data: unknown): string {
    return this.track(writeJson(path.join(this.dir, name.endsWith('.json') ? name : `${name}.json`), data));
  }

  csv(name: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
    return this.track(writeCsv(path.join(this.dir, name.endsWith('.csv') ? name : `${name}.csv`), columns, rows));
  }

  /** A summary table: written as CSV and kept in the manifest for `creditflow report`. */
  table(name: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
    this.manifest.tables = this.manifest.tables.filter((t) => t.name !== name);
    this.manifest.tables.push({ name, columns: [...columns], rows: rows.map((r) => [...r]) });
    this.writeManifest();
    const objs = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    return this.csv(name, columns, objs);
  }

  /** HTML (and PNG when Chromium is present, unless the run's options say --no-png) of a plotly figure. */
  figure(name: string, figure: PlotlyFigure, opts: { title?: string; width?: number; height?: number; png?: boolean } = {}) {
    const png = opts.png ?? this.manifest.options.png !== false;
    const r = writeFigure(this.dir, name, figure, { ...opts, png });
    this.track(r.html);
    if (r.png) this.track(r.png);
    else if (r.note && png && !process.env.CREDITFLOW_NO_PNG) this.note(r.note);
    return r;
  }

  /** A free-form note kept in the manifest (and printed). */
  note(line: string): void {
    if (!this.manifest.notes.includes(line)) {
      this.manifest.notes.push(line);
      this.ctx?.log(line);
    }
  }

  private writeManifest(): void {
    writeJson(path.join(this.dir, 'manifest.json'), this.manifest);
  }

  finish(status: 'ok' | 'failed' | 'interrupted' = 'ok'): Manifest {
    active.delete(this);
    const t = Date.now();
    this.manifest.end = new Date(t).toISOString();
    this.manifest.wallSeconds = (t - this.t0) / 1000;
    this.manifest.status = status;
    this.writeManifest();
    return this.manifest;
  }
}
