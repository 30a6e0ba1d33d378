import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';

/**
 * `npm run docs` (typedoc over the package's entry points, scripts/api-docs.mjs) builds the API
 * reference without a warning: a broken {@link}, an unknown tag or a doc comment typedoc cannot
 * place fails it. Built into a temporary folder; docs/api/ is not committed.
 */
test('the API reference builds from the doc comments without warnings', () => {
  const root = path.resolve(__dirname, '..', '..');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'creditflow-api-'));
  try {
    let log = '';
    try {
      log = execFileSync(process.execPath, [path.join(root, 'scripts', 'api-docs.mjs'), '--out', out], { cwd: root, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      throw new Error(`npm run docs failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    }
    expect(log).not.toMatch(/\[warning\]|\[error\]/);
    const { ENTRIES } = require('../../scripts/build.cjs') as { ENTRIES: Record<string, string> };
    for (const subpath of Object.keys(ENTRIES)) {
      const page = path.join(out, 'modules', `creditflow${subpath.slice(1).replace(/\//g, '_')}.html`);
      expect(fs.existsSync(page), page).toBe(true);
    }
    const solvePage = fs.readFileSync(path.join(out, 'functions', 'creditflow.solve.html'), 'utf8');
    expect(solvePage).toContain('SolveOptions');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
