import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, test } from 'vitest';

test('the whole project type-checks under strict tsc (TypeScript 7, tsc --noEmit)', () => {
  const root = path.resolve(__dirname, '..');
  // The typescript package itself: node_modules/.bin/tsc may be tslab's bundled TypeScript 5.
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  expect(execFileSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' })).toMatch(/^Version 7\./);
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '-p', root], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
  expect(output).toBe('');
});
