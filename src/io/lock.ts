/**
 * Output folders: created with messages that name `--out`, and locked while a run writes them.
 *
 * The lock is a file `.creditflow.lock` in the folder holding the writer's pid, host, command and
 * start time, created exclusively (O_EXCL), so of two runs started into one folder the second is
 * refused, naming the holder. A lock whose process is gone (a run killed with SIGKILL, a machine
 * reboot) is stale and taken over; a lock from another host cannot be checked and is refused with
 * the file to delete. Choice where the issue is silent: a lock left by this very process that it no
 * longer holds (a command that threw in a test runner) counts as stale.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = '.creditflow.lock';

export interface LockHolder {
  pid: number;
  /** The holder's start time in clock ticks since boot (Linux), to tell it from a reused pid. */
  startTicks?: number;
  host: string;
  command: string;
  start: string;
}

/** Folders this process holds the lock of. */
const held = new Set<string>();

/**
 * Linux's /proc/<pid>/stat: the process state letter and its start time in clock ticks since boot
 * (field 22), or null where there is no such file (another OS, or no such process).
 */
function procStat(pid: number): { state: string; start: number } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: Number(fields[19]) };
  } catch {
    return null;
  }
}

/** This process's start time in clock ticks (Linux), kept in its locks so a reused pid is not taken for it. */
const myStart = procStat(process.pid)?.start;

/**
 * Whether the process with this pid is running on this machine: it exists (EPERM: owned by another
 * user), is not a zombie (a killed run whose parent did not reap it), and, where the lock recorded
 * its start time, started then (not a later process given the same pid).
 */
export function pidAlive(pid: number, startTicks?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const st = procStat(pid);
  if (st && (st.state === 'Z' || st.state === 'X')) return false;
  if (st && startTicks !== undefined && st.start !== startTicks) return false;
  return true;
}

function osMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = { EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENOSPC: 'no space left on the device', ENOTDIR: 'a part of the path is a file', ENOENT: 'the file system does not allow it', EEXIST: 'a file of that name exists' };
  return err?.code ? `${why[err.code] ?? err.code.toLowerCase()} (${err.code})` : String(e);
}

/**
 * Create the output folder `dir` (one level at a time from its nearest existing ancestor: a
 * recursive mkdir loops forever under /proc) and return its absolute path; every failure is one line
 * naming `what` (the option) and what to change.
 */
export function prepareOutDir(dir: string, what = '--out'): string {
  if (typeof dir !== 'string' || dir.trim() === '') throw new Error(`${what} must name a folder (got '${dir ?? ''}'); pass e.g. ${what} out/run`);
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(cur);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: an ancestor is a file; walking up finds it and names it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new Error(`${what} ${dir} cannot be used: ${osMessage(e)}; choose another ${what}`);
    }
    if (st) {
      if (!st.isDirectory()) throw new Error(cur === abs ? `${what} ${dir} is a file, not a folder; choose another ${what}` : `${what} ${dir}: ${cur} is a file, not a folder; choose another ${what}`);
      break;
    }
    missing.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw new Error(`${what} ${dir} cannot be created: ${osMessage(e)} at ${d}; choose a folder you can write`);
    }
  }
  return abs;
}

function readHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
    return typeof h?.pid === 'number' && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/** Whether the lock in `dir` is held by a live run (this machine), by another host, or by no one. */
export function lockState(dir: string): { holder: LockHolder | null; live: boolean } {
  const holder = readHolder(path.join(dir, LOCK_FILE));
  if (!holder) return { holder: null, live: false };
  if (holder.host !== os.hostname()) return { holder, live: true };
  if (holder.pid === process.pid) return { holder, live: held.has(path.resolve(dir)) };
  return { holder, live: pidAlive(holder.pid, holder.startTicks) };
}

/**
 * Lock the (existing) folder `dir` for this process. Refuses a live holder, naming it; takes over a
 * stale lock and returns its holder as `tookOver`. `release()` removes the lock if it is still ours.
 */
export function acquireLock(dir: string, command: string, what = '--out'): { release(): void; tookOver: LockHolder | null } {
  const abs = path.resolve(dir);
  const file = path.join(abs, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, ...(myStart !== undefined ? { startTicks: myStart } : {}), host: os.hostname(), command, start: new Date().toISOString() };
  const text = JSON.stringify(me) + '\n';
  let tookOver: LockHolder | null = null;
  try {
    fs.writeFileSync(file, text, { flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') throw new Error(`${what} ${dir} is not writable: ${osMessage(e)}; choose a folder you can write`);
    const { holder, live } = lockState(abs);
    if (live && holder) {
      const where = holder.host === me.host ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.host}; if that run is gone, delete ${file}`;
      throw new Error(`${what} ${dir} is in use by another creditflow run (${where}, started ${holder.start}: ${holder.command}); wait for it to finish or choose another ${what}`);
    }
    // Stale (or unreadable): replace it atomically, then check that our claim is the one that stuck.
    tookOver = holder ?? { pid: 0, host: me.host, command: '(unreadable lock)', start: '' };
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    const now = readHolder(file);
    if (!now || now.pid !== me.pid || now.start !== me.start) throw new Error(`${what} ${dir} was taken by another creditflow run at the same moment (pid ${now?.pid}); choose another ${what}`);
  }
  held.add(abs);
  return {
    tookOver,
    release() {
      if (!held.delete(abs)) return;
      const now = readHolder(file);
      if (now && now.pid === me.pid && now.start === me.start) fs.rmSync(file, { force: true });
    },
  };
}

/**
 * Remove half-written temporary files (`*.tmp-<pid>`, left by a run killed while writing a
 * checkpoint or a stored result) under `dir`, to depth 3. Call only while holding the folder's lock.
 * Returns the removed paths.
 */
export function removeTempFiles(dir: string, depth = 3): string[] {
  const removed: string[] = [];
  const walk = (d: string, left: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && left > 0) walk(p, left - 1);
      else if (e.isFile() && /\.tmp-\d+$/.test(e.name)) {
        fs.rmSync(p, { force: true });
        removed.push(p);
      }
    }
  };
  walk(dir, depth);
  return removed;
}
