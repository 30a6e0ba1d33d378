import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, test } from 'vitest';

test('the whole project type-checks under strict tsc (npx tsc --noEmit)', () => {
  const root = path.resolve(__dirname, '..');
  const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
  let output = '';
  try {
    execFileSync(tsc, ['--noEmit', '-p', root], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
  expect(output).toBe('');
});
