/**
 * The tree of another commit, for a side-by-side benchmark against it (issue 14: every move onto
 * the core is timed against the commit before it, in one run).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A checkout of `ref`: a directory as it is, or a commit unpacked (git archive) into a temporary
 * folder linked to this tree's node_modules and .cache; `remove` deletes what was unpacked.
 */
export function checkoutTree(ref: string): { dir: string; remove: () => void } {
  if (fs.existsSync(ref) && fs.statSync(ref).isDirectory()) return { dir: path.resolve(ref), remove: () => {} };
  const root = path.join(__dirname, '..');
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root, encoding: 'utf8' }).trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `creditflow-${sha}-`));
  execFileSync('sh', ['-c', `git archive ${sha} | tar -x -C "${dir}"`], { cwd: root });
  for (const link of ['node_modules', '.cache']) if (fs.existsSync(path.join(root, link))) fs.symlinkSync(path.join(root, link), path.join(dir, link));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
