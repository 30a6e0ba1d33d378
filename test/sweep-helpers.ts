/** Running the CLI and comparing a gathered sweep with a local `reproduce` (test/plan.test.ts, test/system/). */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';

export const root = path.resolve(__dirname, '..');
const loader = require.resolve('tsx', { paths: [root] });
const main = path.join(root, 'src', 'cli', 'main.ts');

/** dll-mnist at a small size: 4 runs of 10 epochs (about half a second each), checkpointed every epoch, so a run can be killed part-way. */
export const KILLABLE_SWEEP = ['--sizes', '784,64,10', '--epochs', '10', '--seeds', '1,2', '--methods', 'dll,bp', '--theta-rule', 'paper', '--train-size', '3000', '--batch-size', '32', '--lr', '3e-3', '--no-png'];

/** `creditflow args...` in `cwd` (node with tsx's loader, as bin/creditflow.cjs runs it, but one process). */
export function cli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', pathToFileURL(loader).href, main, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
}

/** The same, started in the background (stdout and stderr to `log`). */
export function cliBackground(args: readonly string[], cwd: string, log: string, env: NodeJS.ProcessEnv = {}) {
  const fd = fs.openSync(log, 'a');
  const child = spawn(process.execPath, ['--import', pathToFileURL(loader).href, main, ...args], { cwd, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  fs.closeSync(fd);
  return child;
}

/** Fail with the command's output when it did not exit with `code`. */
export function expectExit(r: SpawnSyncReturns<string>, code = 0): SpawnSyncReturns<string> {
  if (r.status !== code) throw new Error(`exit ${r.status} (expected ${code})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

/** Fields of a manifest that say when a command ran, not what it computed. */
// what differs between two processes by nature: the times and the pid that wrote the manifest
const TIMING = /"(start|end|wallSeconds|pid)": ("[^"]*"|[-\d.e+]+|null)/g;

/**
 * Every file a local `reproduce` wrote in `local` (its manifest's files and the manifest itself)
 * is in `gathered` with the same bytes, apart from the manifest's start, end and wall time.
 */
export function expectSameOutputs(local: string, gathered: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(local, 'manifest.json'), 'utf8')) as { files: string[] };
  const files = [...manifest.files, 'manifest.json'];
  expect(manifest.files.length).toBeGreaterThan(0);
  for (const f of files) {
    const a = fs.readFileSync(path.join(local, f), 'utf8');
    const b = fs.readFileSync(path.join(gathered, f), 'utf8');
    if (f === 'manifest.json') expect(b.replace(TIMING, '"$1": <timing>'), f).toBe(a.replace(TIMING, '"$1": <timing>'));
    else expect(b === a, `${f} differs between ${local} and ${gathered}`).toBe(true);
  }
  return files;
}

/** Wait until `check` returns a value (polled every `ms`), or fail after `seconds`. */
export async function waitFor<T>(what: string, check: () => T | null | undefined | false, seconds = 120, ms = 100): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() - t0 > seconds * 1000) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, ms));
  }
}
