import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';

/**
 * The README's library example imports the package ('creditflow', 'creditflow/linalg'); here each
 * package entry is mapped to its source file (scripts/build.cjs ENTRIES), so the example runs
 * against the sources as they are. test/system/package.test.ts runs it unchanged against the packed
 * and installed package.
 */
function fromSources(code: string): string {
  const { ENTRIES } = require('../scripts/build.cjs') as { ENTRIES: Record<string, string> };
  return code.replace(/from '(creditflow(?:\/[\w-]+)?)'/g, (whole, spec: string) => {
    const source = ENTRIES[`.${spec.slice('creditflow'.length)}`];
    if (!source) throw new Error(`README imports '${spec}', which is not an entry point in scripts/build.cjs`);
    return `from './${source.replace(/\.ts$/, '')}'`;
  });
}

test('the README example runs as written and reaches its target', () => {
  const root = path.resolve(__dirname, '..');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeTruthy();
  expect(block).toContain("from 'creditflow'");
  const file = path.join(root, `.readme-example-${process.pid}.ts`);
  fs.writeFileSync(file, fromSources(block!).replace('console.log(sol.status, sol.ts, sol.ys);', 'console.log(JSON.stringify({ status: sol.status, v: Array.from(sol.ys[sol.ys.length - 1]) }));'));
  try {
    const out = execFileSync(path.join(root, 'node_modules', '.bin', 'tsx'), [file], { cwd: root, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.status).toBe('ok');
    expect(Math.abs(r.v[0] - 0.3)).toBeLessThan(1e-3);
    expect(Math.abs(r.v[1] + 0.2)).toBeLessThan(1e-3);
  } finally {
    fs.rmSync(file, { force: true });
  }
});
