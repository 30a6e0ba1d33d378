/**
 * Helpers of the bad-input suite: the options of a registered command, the message a refusal
 * gives, a scratch folder, and the CLI spawned (only for signals, locks and exit codes).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseOptions, type OptionSpec, type ParsedOptions } from '../../src/experiment/options';
import { commands, experiments, loadModels } from '../../src/registry';

export const root = path.resolve(__dirname, '..', '..');
export const bin = path.join(root, 'bin', 'creditflow.cjs');

/** Parse `argv` against the options of `command` ('train urfb', or an experiment such as 'fig12'). */
export async function parse(command: string, argv: string[]): Promise<ParsedOptions> {
  await loadModels();
  const spec = commands.has(command) ? commands.get(command) : experiments.get(command);
  return parseOptions(argv, spec.options as OptionSpec[]);
}

/** The message `fn` throws (sync or async), or a marker saying it did not throw. */
export async function refusal(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return '(did not throw)';
}

export function scratch(prefix = 'cf-bad-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Run the CLI to the end. */
export function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CREDITFLOW_NO_PNG: '1', ...env } });
}

/** Start the CLI in the background, collecting its output. */
export function start(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, CREDITFLOW_NO_PNG: '1' } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, err: () => err, exit };
}

/** Wait until `ok()` holds (polling every 50 ms), at most `ms`. */
export async function until(ok: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function manifest(dir: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
}
