/**
 * Checkpoints for resumable runs: named Float64Arrays (weights, optimiser state), the generator
 * state, the epoch, and any JSON-able extra, written atomically (temporary file, then rename) so a
 * run killed while writing leaves the previous checkpoint intact. Arrays are stored as raw
 * little-endian float64, so a resumed run continues bit-identically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RngState } from '../core/random';
import { BadFileError, readSealed, writeSealed } from './sealed';

export interface Checkpoint {
  /** Epochs (or other units of work) completed. */
  epoch: number;
  arrays: Record<string, Float64Array>;
  rng: RngState | Record<string, RngState>;
  extra?: unknown;
}

const FILE = 'checkpoint.bin';
/** The sealed-file magic and format of a checkpoint (sealed.ts frames it; format 1 had no frame). */
const MAGIC = 'CFCKPT\0\0';
const VERSION = 2;

export function checkpointPath(dir: string): string {
  return path.join(dir, FILE);
}

/** What to do with a checkpoint that is refused. */
function fixFor(file: string): string {
  return `delete ${path.dirname(file)} to start that run afresh, or choose another --out`;
}

/**
 * Write the checkpoint (sealed: magic, format, length, SHA-256). The body is the JSON header's
 * length and padding (uint32 each), the header { epoch, rng, extra, arrays: [{ name, length }] },
 * zero padding to a multiple of 8 bytes, then each array as raw little-endian float64.
 */
export function saveCheckpoint(dir: string, ck: Checkpoint): string {
  const names = Object.keys(ck.arrays);
  const header = JSON.stringify({
    epoch: ck.epoch,
    rng: ck.rng,
    extra: ck.extra ?? null,
    arrays: names.map((n) => ({ name: n, length: ck.arrays[n].length })),
  });
  const headerBytes = Buffer.from(header, 'utf8');
  const pad = (8 - ((8 + headerBytes.length) % 8)) % 8;
  const total = 8 + headerBytes.length + pad + names.reduce((s, n) => s + ck.arrays[n].length * 8, 0);
  const buf = Buffer.alloc(total);
  buf.writeUInt32LE(headerBytes.length, 0);
  buf.writeUInt32LE(pad, 4);
  headerBytes.copy(buf, 8);
  let off = 8 + headerBytes.length + pad;
  for (const n of names) {
    const a = ck.arrays[n];
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, off);
    off += a.byteLength;
  }
  return writeSealed(checkpointPath(dir), MAGIC, VERSION, buf);
}

/** Whether `s` is a generator state that `Rng.setState` can continue (four 32-bit words, not all zero). */
function isRngState(s: unknown): s is RngState {
  const st = s as RngState;
  return (
    typeof st === 'object' && st !== null && Array.isArray(st.s) && st.s.length === 4 &&
    st.s.every((w) => Number.isInteger(w) && w >= -2147483648 && w <= 4294967295) && st.s.some((w) => w !== 0) &&
    (st.spare === null || (typeof st.spare === 'number' && Number.isFinite(st.spare)))
  );
}

/**
 * The checkpoint in `dir`, or null when there is none. Every part is checked (sealed.ts: size,
 * magic, format, checksum; then the header: a whole epoch >= 0, generator states, array names and
 * lengths that add up to the file) and a bad file is refused with a BadFileError naming it and
 * saying what to do.
 */
export function loadCheckpoint(dir: string): Checkpoint | null {
  const file = checkpointPath(dir);
  if (!fs.existsSync(file)) return null;
  const fix = fixFor(file);
  const body = readSealed(file, MAGIC, VERSION, 'checkpoint', fix);
  const bad = (problem: string): never => {
    throw new BadFileError(file, problem, fix);
  };
  if (body.length < 8) bad('has no header');
  const hlen = body.readUInt32LE(0);
  const pad = body.readUInt32LE(4);
  if (pad > 7 || 8 + hlen + pad > body.length) bad(`has a header length (${hlen}) beyond its size`);
  let header: { epoch: unknown; rng: unknown; extra: unknown; arrays: unknown };
  try {
    header = JSON.parse(body.subarray(8, 8 + hlen).toString('utf8'));
  } catch {
    return bad('has a header that is not JSON');
  }
  if (typeof header !== 'object' || header === null) bad('has a header that is not an object');
  if (!Number.isSafeInteger(header.epoch) || (header.epoch as number) < 0) bad(`has epoch ${JSON.stringify(header.epoch)} (a whole number >= 0 expected)`);
  const rng = header.rng as Record<string, unknown>;
  const rngOk = isRngState(rng) || (typeof rng === 'object' && rng !== null && !Array.isArray(rng) && Object.values(rng).every(isRngState));
  if (!rngOk) bad('has a generator state that is not four 32-bit words (not all zero) and a finite or null spare');
  const list = header.arrays as { name: unknown; length: unknown }[];
  if (!Array.isArray(list) || list.some((e) => typeof e?.name !== 'string' || !Number.isSafeInteger(e.length) || (e.length as number) < 0)) bad('has an array list that is not [{ name, length }]');
  const expected = 8 + hlen + pad + list.reduce((sum, e) => sum + (e.length as number) * 8, 0);
  if (expected !== body.length) bad(`holds ${body.length - 8 - hlen - pad} bytes of arrays where its header lists ${expected - 8 - hlen - pad}`);
  let off = 8 + hlen + pad;
  const arrays: Record<string, Float64Array> = {};
  for (const { name, length } of list as { name: string; length: number }[]) {
    const a = new Float64Array(length);
    Buffer.from(a.buffer).set(body.subarray(off, off + length * 8));
    arrays[name] = a;
    off += length * 8;
  }
  return { epoch: header.epoch as number, arrays, rng: header.rng as Checkpoint['rng'], extra: header.extra ?? undefined };
}

/** The first fields where two settings objects differ, as `name: saved → asked` (at most three). */
export function describeDifference(saved: unknown, asked: unknown): string {
  const a = (saved ?? {}) as Record<string, unknown>;
  const b = (asked ?? {}) as Record<string, unknown>;
  if (typeof a !== 'object' || typeof b !== 'object') return `${JSON.stringify(saved)} → ${JSON.stringify(asked)}`;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return keys.slice(0, 3).map((k) => `${k}: ${JSON.stringify(a[k])} in the checkpoint, ${JSON.stringify(b[k])} now`).join('; ') + (keys.length > 3 ? `; and ${keys.length - 3} more` : '');
}

/** Where and how often a training run checkpoints, and whether it continues from one. */
export interface CheckpointSettings {
  /** Folder of the checkpoint file. */
  dir: string;
  /** Write a checkpoint every n epochs (and after the last). */
  every: number;
  /** Continue from the checkpoint in `dir` when there is one. */
  resume: boolean;
}

/** What an epoch loop checkpoints: its live arrays (restored in place), generators and records. */
export interface EpochState<X> {
  /** Total epochs of the run (the last one is always checkpointed). */
  epochs: number;
  /** The live plastic state and optimiser moments by name; a resume copies the saved values into them. */
  arrays: () => Record<string, Float64Array>;
  /** Generators whose state must continue where it stopped. */
  rngs: Record<string, { getState(): RngState; setState(s: RngState): void }>;
  /** Settings a resumed run must share with the checkpoint (JSON-compared; leave out the epoch count). */
  settings?: unknown;
  /** Anything else to carry over (records so far, timers), JSON-able. */
  extra?: () => X;
}

/**
 * The bookkeeping of a resumable epoch loop. With `ck.resume` and a checkpoint in `ck.dir`, the
 * arrays and generators are restored (the settings must match) and `start` is the first epoch
 * still to train, `extra` what was saved with it; otherwise `start` is 1 and `extra` undefined.
 * Call `done(epoch)` after each epoch: it saves every `ck.every` epochs and after the last, so a
 * run killed part-way and resumed ends bit-identical to an uninterrupted one.
 */
export function epochCheckpoints<X>(ck: CheckpointSettings | undefined, state: EpochState<X>): { start: number; extra: X | undefined; done(epoch: number): void } {
  let start = 1;
  let extra: X | undefined;
  const saved = ck?.resume ? loadCheckpoint(ck.dir) : null;
  if (saved && ck) {
    const info = (saved.extra ?? {}) as { settings?: unknown; extra?: X };
    if (state.settings !== undefined && JSON.stringify(info.settings) !== JSON.stringify(state.settings)) {
      throw new Error(`the checkpoint in ${ck.dir} was made with other settings (${describeDifference(info.settings, state.settings)}); resume with the same options or choose another --out`);
    }
    if (saved.epoch > state.epochs) {
      throw new Error(`the checkpoint in ${ck.dir} is at epoch ${saved.epoch}, past the ${state.epochs} epochs asked for; resume with --epochs ${saved.epoch} or more, or choose another --out`);
    }
    for (const [name, a] of Object.entries(state.arrays())) {
      const v = saved.arrays[name];
      if (!v || v.length !== a.length) throw new Error(`the checkpoint in ${ck.dir} has no matching '${name}' (${a.length} values); it belongs to another run: remove it or choose another --out`);
      a.set(v);
    }
    const rngs = saved.rng as Record<string, RngState>;
    for (const [name, g] of Object.entries(state.rngs)) {
      if (!rngs[name]) throw new Error(`the checkpoint in ${ck.dir} has no generator '${name}'; it belongs to another run: remove it or choose another --out`);
      g.setState(rngs[name]);
    }
    start = saved.epoch + 1;
    extra = info.extra;
  }
  return {
    start,
    extra,
    done(epoch) {
      if (!ck || !(epoch % Math.max(1, ck.every) === 0 || epoch === state.epochs)) return;
      const rng: Record<string, RngState> = {};
      for (const [name, g] of Object.entries(state.rngs)) rng[name] = g.getState();
      saveCheckpoint(ck.dir, { epoch, arrays: state.arrays(), rng, extra: { settings: state.settings, extra: state.extra?.() } });
    },
  };
}
