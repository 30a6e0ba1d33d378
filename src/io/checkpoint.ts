/**
 * Checkpoints for resumable runs: named Float64Arrays (weights, optimiser state), the generator
 * state, the epoch, and any JSON-able extra, written atomically (temporary file, then rename) so a
 * run killed while writing leaves the previous checkpoint intact. Arrays are stored as raw
 * little-endian float64, so a resumed run continues bit-identically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RngState } from '../core/random';

export interface Checkpoint {
  /** Epochs (or other units of work) completed. */
  epoch: number;
  arrays: Record<string, Float64Array>;
  rng: RngState | Record<string, RngState>;
  extra?: unknown;
}

const FILE = 'checkpoint.bin';

export function checkpointPath(dir: string): string {
  return path.join(dir, FILE);
}

export function saveCheckpoint(dir: string, ck: Checkpoint): string {
  fs.mkdirSync(dir, { recursive: true });
  const names = Object.keys(ck.arrays);
  const header = JSON.stringify({
    version: 1,
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
  const file = checkpointPath(dir);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, buf);
  fs.renameSync(tmp, file);
  return file;
}

/** The checkpoint in `dir`, or null when there is none. A corrupt file is an error. */
export function loadCheckpoint(dir: string): Checkpoint | null {
  const file = checkpointPath(dir);
  if (!fs.existsSync(file)) return null;
  const buf = fs.readFileSync(file);
  const hlen = buf.readUInt32LE(0);
  const pad = buf.readUInt32LE(4);
  let header: { version: number; epoch: number; rng: Checkpoint['rng']; extra: unknown; arrays: { name: string; length: number }[] };
  try {
    header = JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8'));
  } catch {
    throw new Error(`checkpoint ${file} is corrupt; delete it to start the run afresh`);
  }
  let off = 8 + hlen + pad;
  const arrays: Record<string, Float64Array> = {};
  for (const { name, length } of header.arrays) {
    if (off + length * 8 > buf.length) throw new Error(`checkpoint ${file} is truncated; delete it to start the run afresh`);
    const a = new Float64Array(length);
    Buffer.from(a.buffer).set(buf.subarray(off, off + length * 8));
    arrays[name] = a;
    off += length * 8;
  }
  return { epoch: header.epoch, arrays, rng: header.rng, extra: header.extra ?? undefined };
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
      throw new Error(`the checkpoint in ${ck.dir} was made with other settings (${JSON.stringify(info.settings)}); resume with the same options or choose another --out`);
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
