/**
 * An experiment run's output folder: every file a `reproduce` or `train` command writes goes
 * through here, and the folder gets a manifest (command, resolved options, seed, creditflow version
 * and git commit, Node version, start/end/wall time, status, files) so any figure can be traced and
 * re-run.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { RunContext } from '../experiment/context';
import { acquireLock, LOCK_FILE, lockState, pidAlive, prepareOutDir, removeTempFiles } from './lock';
import { linalgInfo, type LinalgInfo } from '../linalg/backend';
import { writeCsv, writeJson } from './output';
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
  /** The process that wrote it (a 'running' manifest whose process is gone was killed). */
  pid?: number;
  /** The dense linear-algebra backend (--backend) and the BLAS library it loaded, if any. */
  linalg: LinalgInfo;
  start: string;
  end: string | null;
  wallSeconds: number | null;
  status: 'running' | 'ok' | 'failed' | 'interrupted';
  files: string[];
  notes: string[];
  /** Summary tables shown by `creditflow report` (also written as CSV). */
  tables: { name: string; columns: string[]; rows: unknown[][] }[];
}

/**
 * What a run wrote, kept in memory for `runExperiment` (src/experiment/index.ts): the JSON documents and
 * CSV tables by name, the figures (plotly specs) by name, and the manifest.
 */
export interface CapturedRun {
  experiment: string;
  data: Record<string, unknown>;
  tables: Record<string, Record<string, unknown>[]>;
  figures: Record<string, PlotlyFigure>;
  manifest: Manifest;
  /** The run folder, or null when nothing was written (`memoryOnly`). */
  dir: string | null;
}

/** Where the RunOutputs opened inside `captureRuns` record what they write. */
interface Capture {
  memoryOnly: boolean;
  runs: CapturedRun[];
}

const captures = new AsyncLocalStorage<Capture>();

/**
 * Run `fn` keeping in memory what every RunOutput it opens writes (in this async context only, so
 * concurrent calls do not mix). With `memoryOnly` nothing is written at all: no folder, lock,
 * manifest, CSV, JSON or figure file (the outputs are only returned).
 */
export async function captureRuns<T>(memoryOnly: boolean, fn: () => Promise<T>): Promise<{ value: T; runs: CapturedRun[] }> {
  const capture: Capture = { memoryOnly, runs: [] };
  const value = await captures.run(capture, fn);
  return { value, runs: capture.runs };
}

const active = new Set<RunOutput>();
let signalsInstalled = false;
let manifestsOff = false;
let recordedCommand: string[] | null = null;

/**
 * Run `fn` with no manifest written by any RunOutput it opens: a sweep plan (src/cli/plan.ts) runs an
 * experiment only up to its task list, which is not a run of the experiment.
 */
export async function withoutManifests<T>(fn: () => Promise<T>): Promise<T> {
  const previous = manifestsOff;
  manifestsOff = true;
  try {
    return await fn();
  } finally {
    manifestsOff = previous;
  }
}

/**
 * Run `fn` with manifests recording `argv` (without 'creditflow') as their command instead of this
 * process's: `creditflow gather` records the `reproduce` command whose outputs it assembled.
 */
export async function withRecordedCommand<T>(argv: readonly string[], fn: () => Promise<T>): Promise<T> {
  const previous = recordedCommand;
  recordedCommand = [...argv];
  try {
    return await fn();
  } finally {
    recordedCommand = previous;
  }
}

/**
 * The hook through which a supervised command (src/cli/supervise.ts runs each command in a child
 * process) tells the supervisor which run folders are open, so that a signal, which kills the child
 * at once, still closes their manifests as 'interrupted'.
 */
export const RUN_ANNOUNCE = Symbol.for('creditflow.runAnnounce');
export interface RunAnnouncement {
  type: 'open' | 'close';
  dir: string;
  /** The command takes --resume (its options have a `resume` field). */
  resumable: boolean;
}
type WithAnnounce = { [RUN_ANNOUNCE]?: (a: RunAnnouncement) => void };

/** The command line as a shell would take it back (arguments quoted where needed). */
export function shellLine(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The command that continues an interrupted run: the same command line with --resume. */
export function resumeCommand(argv: readonly string[]): string {
  const args = argv.includes('--resume') || argv.includes('--resume=true') ? [...argv] : [...argv, '--resume'];
  return `creditflow ${shellLine(args)}`;
}

/**
 * Close the manifest in `dir` (left 'running' by a run stopped from outside, or just closed as
 * 'interrupted') as 'interrupted', with a note saying how it stopped and how to continue; remove half-written temporary files and the
 * folder's lock if this process holds it. `argv`: the creditflow command line (null for a script
 * using the library). Returns the line to print.
 */
export function markInterrupted(dir: string, how: string, argv: readonly string[] | null, resumable: boolean): string {
  const file = path.join(dir, 'manifest.json');
  const cont = argv === null ? 'run the same code again (with resume where it takes it) to continue' : resumable ? `continue with: ${resumeCommand(argv)}` : `rerun with: creditflow ${shellLine(argv)}`;
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
    if (m.status === 'running' || m.status === 'interrupted') {
      if (m.status === 'running') {
        const t = Date.now();
        m.status = 'interrupted';
        m.end = new Date(t).toISOString();
        m.wallSeconds = (t - Date.parse(m.start)) / 1000;
      }
      const note = `interrupted by ${how}; ${cont}`;
      if (!m.notes.includes(note)) m.notes.push(note);
      writeJson(file, m);
    }
  } catch {
    // no readable manifest: nothing to close
  }
  removeTempFiles(path.join(dir, 'checkpoints'));
  const lock = lockState(dir);
  if (lock.holder && lock.holder.host === os.hostname() && (lock.holder.pid === process.pid || !pidAlive(lock.holder.pid, lock.holder.startTicks))) fs.rmSync(path.join(dir, LOCK_FILE), { force: true });
  return `interrupted (${how}): partial results are in ${dir}; ${cont}`;
}

/**
 * In an unsupervised main thread (a script using the library, a test runner): SIGINT and SIGTERM
 * close every open run's manifest as 'interrupted', say where the partial results are and how to
 * continue, and exit 130 / 143. (A busy synchronous loop delays this; the CLI runs commands in a
 * supervised child process, see supervise.ts.)
 */
function installSignals(): void {
  if (signalsInstalled || !isMainThread || (globalThis as WithAnnounce)[RUN_ANNOUNCE]) return;
  signalsInstalled = true;
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(sig, () => {
      for (const run of [...active]) {
        run.finish('interrupted');
        process.stderr.write(`\n${markInterrupted(run.dir, sig, null, 'resume' in run.options)}\n`);
      }
      process.exit(code);
    });
  }
}

/** Close every run still open in this thread with `status` (a command that threw part-way). */
export function closeOpenRuns(status: 'failed' | 'interrupted'): void {
  for (const run of [...active]) run.finish(status);
}

export class RunOutput {
  readonly dir: string;
  private readonly manifest: Manifest;
  private readonly t0 = Date.now();
  private readonly lock: { release(): void };
  /** The manifest of the run that last finished in this folder (restored when this one fails before writing anything). */
  private readonly previous: string | null;
  private finished = false;
  /** NaN or infinite numbers written to the run's files, by the keys on their path ('summary.testAccuracy.mean'; a CSV column), refused at finish('ok') unless a key is allowed. */
  private readonly nonFinite = new Map<string, { count: number; first: string }>();
  private nonFiniteAllowed = false;
  private readonly nonFiniteFields = new Set<string>();
  /** Where the run's outputs are also kept (inside `captureRuns`), and whether files are written at all. */
  private readonly captured: CapturedRun | null;
  private readonly memoryOnly: boolean;

  /**
   * Opens the run folder `outDir` for the experiment: creates it (one-line errors naming --out),
   * locks it against a second run, removes half-written temporary files of a killed run, and writes
   * a 'running' manifest. Construct it before the work starts.
   */
  constructor(experiment: string, outDir: string, options: Record<string, unknown>, private readonly ctx?: RunContext) {
    const capture = captures.getStore();
    this.memoryOnly = capture?.memoryOnly ?? false;
    this.dir = this.memoryOnly ? '(kept in memory, no files written)' : prepareOutDir(outDir);
    const command = ['creditflow', ...(recordedCommand ?? process.argv.slice(2))].join(' ');
    // a sweep plan's dry pass (withoutManifests) is not a run: it neither locks nor writes
    const lock = manifestsOff || this.memoryOnly ? { release() {}, tookOver: null } : acquireLock(this.dir, command);
    this.lock = lock;
    const manifestFile = path.join(this.dir, 'manifest.json');
    this.previous = !this.memoryOnly && fs.existsSync(manifestFile) ? fs.readFileSync(manifestFile, 'utf8') : null;
    if (!this.memoryOnly) removeTempFiles(path.join(this.dir, 'checkpoints'));
    const seed = (options.seeds ?? options.seed ?? null) as Manifest['seed'];
    const { _: positional, help: _help, ...rest } = options as Record<string, unknown> & { _?: string[]; help?: unknown };
    this.manifest = {
      command,
      experiment,
      options: { ...rest, ...(positional && (positional as string[]).length ? { _: positional } : {}) },
      seed,
      creditflowVersion: creditflowVersion(),
      gitCommit: gitCommit(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      pid: process.pid,
      linalg: linalgInfo(),
      start: new Date(this.t0).toISOString(),
      end: null,
      wallSeconds: null,
      status: 'running',
      files: [],
      notes: [],
      tables: [],
    };
    this.captured = capture ? { experiment, data: {}, tables: {}, figures: {}, manifest: this.manifest, dir: this.memoryOnly ? null : this.dir } : null;
    capture?.runs.push(this.captured!);
    if (this.memoryOnly) return;
    if (lock.tookOver) this.note(`took over the lock of a run that is gone (pid ${lock.tookOver.pid}, started ${lock.tookOver.start || 'unknown'})`);
    this.writeManifest();
    active.add(this);
    (globalThis as WithAnnounce)[RUN_ANNOUNCE]?.({ type: 'open', dir: this.dir, resumable: 'resume' in options });
    installSignals();
  }

  /** The options recorded in the manifest. */
  get options(): Record<string, unknown> {
    return this.manifest.options;
  }

  private rel(file: string): string {
    return path.relative(this.dir, file);
  }

  private track(file: string): string {
    const r = this.rel(file);
    if (!this.manifest.files.includes(r)) this.manifest.files.push(r);
    return file;
  }

  /**
   * Declare that non-finite numbers in this run's files are results, not faults (an angle that is
   * undefined before the first update, a diverged run recorded as NaN on purpose): in the named
   * fields (CSV columns, JSON keys at any depth) only, or everywhere when `fields` is left out.
   * `reason` goes into the manifest's notes.
   */
  allowNonFinite(reason: string, fields?: readonly string[]): void {
    if (fields) for (const f of fields) this.nonFiniteFields.add(f);
    else this.nonFiniteAllowed = true;
    this.note(reason);
  }

  /** Count the NaN and infinite numbers in `data` (any depth), remembering where the first one is. */
  private scan(data: unknown, where: string, field = ''): void {
    const visit = (v: unknown, at: string, key: string): void => {
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) {
          const seen = this.nonFinite.get(key) ?? { count: 0, first: `${where}${at} = ${v}` };
          seen.count++;
          this.nonFinite.set(key, seen);
        }
      } else if (v instanceof Float64Array || v instanceof Float32Array) {
        for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) visit(v[i], `${at}[${i}]`, key);
      } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${at}[${i}]`, key));
      else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) for (const [k, x] of Object.entries(v)) visit(x, at ? `${at}.${k}` : k, key ? `${key}.${k}` : k);
    };
    visit(data, '', field);
  }

  json(name: string, data: unknown): string {
    const file = name.endsWith('.json') ? name : `${name}.json`;
    this.scan(data, `${file}: `);
    if (this.captured) this.captured.data[file.slice(0, -'.json'.length)] = data;
    if (this.memoryOnly) return file;
    return this.track(writeJson(path.join(this.dir, file), data));
  }

  csv(name: string, columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
    const file = name.endsWith('.csv') ? name : `${name}.csv`;
    rows.forEach((r, i) => columns.forEach((c) => this.scan(r[c], `${file} row ${i + 1} column ${c}`, c)));
    if (this.captured) this.captured.tables[file.slice(0, -'.csv'.length)] = rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]])));
    if (this.memoryOnly) return file;
    return this.track(writeCsv(path.join(this.dir, file), columns, rows));
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
    if (this.captured) this.captured.figures[name] = figure;
    if (this.memoryOnly) return { html: null, png: null, svg: null, note: '' };
    const png = opts.png ?? this.manifest.options.png !== false;
    const r = writeFigure(this.dir, name, figure, { ...opts, png });
    this.track(r.html);
    if (r.png) this.track(r.png);
    if (r.svg) this.track(r.svg);
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

  /** The manifest, written atomically (a run killed while writing it leaves the previous one whole). */
  private writeManifest(): void {
    if (manifestsOff || this.memoryOnly) return;
    const file = path.join(this.dir, 'manifest.json');
    const tmp = `${file}.tmp-${process.pid}`;
    writeJson(tmp, this.manifest);
    fs.renameSync(tmp, file);
  }

  /**
   * Close the run: the manifest gets its status, end and wall time, and the folder's lock is
   * released. A run asked to finish 'ok' that wrote NaN or infinite numbers (and did not declare
   * them with allowNonFinite) is closed as 'failed' and this throws, saying where the first one is:
   * nothing writes NaN and exits 0. A run that failed before writing any file (a refused --resume, bad settings found by
   * a task) leaves the folder as it found it: the previous run's manifest is put back.
   */
  finish(status: 'ok' | 'failed' | 'interrupted' = 'ok'): Manifest {
    if (this.finished) return this.manifest;
    let refusal: string | null = null;
    const faults = [...this.nonFinite].filter(([keys]) => !keys.split('.').some((k) => this.nonFiniteFields.has(k))).map(([, v]) => v);
    const count = faults.reduce((n, v) => n + v.count, 0);
    if (status === 'ok' && count > 0 && !this.nonFiniteAllowed) {
      refusal = `the run wrote ${count} non-finite number${count > 1 ? 's' : ''} (first: ${faults[0].first}): it diverged or an option is outside the range its model works in; ${this.memoryOnly ? 'nothing was written' : `the files are kept in ${this.dir} for inspection`}`;
      this.manifest.notes.push(refusal);
      status = 'failed';
    }
    this.finished = true;
    active.delete(this);
    const t = Date.now();
    this.manifest.end = new Date(t).toISOString();
    this.manifest.wallSeconds = (t - this.t0) / 1000;
    this.manifest.status = status;
    if (!this.memoryOnly) {
      try {
        if (status === 'failed' && this.manifest.files.length === 0 && this.previous !== null) fs.writeFileSync(path.join(this.dir, 'manifest.json'), this.previous);
        else this.writeManifest();
      } finally {
        this.lock.release();
        (globalThis as WithAnnounce)[RUN_ANNOUNCE]?.({ type: 'close', dir: this.dir, resumable: false });
      }
    }
    if (refusal) throw new Error(refusal);
    return this.manifest;
  }
}
