/** Running a LOCO experiment in-process at tiny size, and reading what it wrote. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunContext } from '../../src/experiment/context';
import { parseOptions } from '../../src/experiment/options';
import { Progress } from '../../src/io/progress';
import type { CommandSpec } from '../../src/registry';

process.env.CREDITFLOW_NO_PNG = '1';

/** loco-mnist at tiny size: 4 runs (ANN/SNN x NP/LOCO), 784-8-10, 100 images in 10 class-pure batches per epoch. */
export const TINY_MNIST = ['--nets', 'ann,snn', '--rules', 'np,loco', '--depths', '3', '--hidden', '8', '--train-size', '100', '--batch-size', '25', '--steps', '4', '--k', '4'];

export interface Tick {
  n: number;
  note: string;
}

/** A progress bar that records every tick (units and note) in `sink`. */
class Recorder extends Progress {
  constructor(label: string, total: number, private readonly sink: Tick[]) {
    super(label, total);
  }
  tick(n = 1, note = ''): void {
    this.sink.push({ n, note });
  }
}

const made: string[] = [];

export function tmpDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `loco-${name}-`));
  made.push(dir);
  return dir;
}

/** Remove the folders tmpDir made (call in afterAll). */
export function removeTmpDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Run `cmd` with `args` (in `out`, a new folder by default); returns the folder and the progress ticks. */
export async function runCommand(cmd: CommandSpec, args: string[], out = tmpDir(cmd.name)): Promise<{ out: string; ticks: Tick[] }> {
  const ticks: Tick[] = [];
  const ctx: RunContext = { json: false, log: () => {}, progress: (label, total) => new Recorder(label, total, ticks) };
  await cmd.run(parseOptions([...args, '--out', out], cmd.options), ctx);
  return { out, ticks };
}

export function readText(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8');
}

/** A JSON file of results with every `seconds` field (wall time) removed. */
export function readResults(dir: string, file: string): unknown {
  return JSON.parse(readText(dir, file), (k, v) => (k === 'seconds' ? undefined : v));
}
