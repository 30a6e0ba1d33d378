/**
 * Sealed files: what a run stores to read back later (checkpoints, finished results), framed so
 * that a bad file is refused on load instead of read as numbers.
 *
 *   bytes 0-7    magic (8 ASCII bytes naming the kind of file)
 *   bytes 8-11   format version, uint32 little-endian
 *   bytes 12-15  body length, uint32 little-endian
 *   bytes 16-47  SHA-256 of the body
 *   bytes 48-    the body
 *
 * Written atomically (temporary file `<file>.tmp-<pid>`, then rename), so a run killed while
 * writing leaves the previous file intact; the temporary files such a kill leaves are removed when
 * the next run locks the folder (lock.ts).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const FRAME = 48;

/** A bad sealed file: the message names the file, what is wrong and what to do. */
export class BadFileError extends Error {
  constructor(readonly file: string, problem: string, fix: string) {
    super(`${file} ${problem}; ${fix}`);
    this.name = 'BadFileError';
  }
}

/** Write `body` framed with `magic` (8 characters) and `version`, atomically. */
export function writeSealed(file: string, magic: string, version: number, body: Buffer): string {
  if (Buffer.byteLength(magic) !== 8) throw new Error(`magic must be 8 ASCII bytes (got '${magic}')`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const frame = Buffer.alloc(FRAME);
  frame.write(magic, 0, 'ascii');
  frame.writeUInt32LE(version, 8);
  frame.writeUInt32LE(body.length, 12);
  crypto.createHash('sha256').update(body).digest().copy(frame, 16);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, frame);
    fs.writeSync(fd, body);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return file;
}

/**
 * The body of the sealed file `file`, checked: its size, magic, version and checksum. `what` names
 * the kind of file in messages ('checkpoint'), `fix` says what to do with a bad one.
 */
export function readSealed(file: string, magic: string, version: number, what: string, fix: string): Buffer {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new BadFileError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`, fix);
  }
  if (buf.length === 0) throw new BadFileError(file, `is empty (a ${what} is at least ${FRAME} bytes)`, fix);
  if (buf.length < FRAME) throw new BadFileError(file, `is truncated (${buf.length} bytes, a ${what} is at least ${FRAME})`, fix);
  const m = buf.subarray(0, 8).toString('latin1');
  if (m !== magic) throw new BadFileError(file, `is not a creditflow ${what} (it starts with ${JSON.stringify(m)}, not ${JSON.stringify(magic)})`, fix);
  const v = buf.readUInt32LE(8);
  if (v !== version) throw new BadFileError(file, `is a ${what} of format ${v}, and this creditflow reads format ${version}`, fix);
  const len = buf.readUInt32LE(12);
  if (buf.length !== FRAME + len) throw new BadFileError(file, `is ${buf.length < FRAME + len ? 'truncated' : 'longer than written'} (${buf.length} bytes, the header says ${FRAME + len})`, fix);
  const body = buf.subarray(FRAME);
  const sum = crypto.createHash('sha256').update(body).digest();
  if (!sum.equals(buf.subarray(16, FRAME))) throw new BadFileError(file, `is corrupt (its checksum does not match its contents)`, fix);
  return body;
}
