import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';

const root = path.resolve(__dirname, '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (/\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * tslab (the notebook kernel) loads compiled modules by file name: an import of a folder
 * ('../../solvers') or of a file whose name has extra dots fails there, although tsx and vitest
 * accept it. Library code must import files explicitly ('../../solvers/index').
 */
test('library imports name files, not folders, so notebooks (tslab) can load every module', () => {
  const bad: string[] = [];
  for (const dir of ['src', 'solvers', 'models']) {
    for (const file of tsFiles(path.join(root, dir))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']*)'/g)) {
        const target = path.resolve(path.dirname(file), m[1]);
        const isDir = fs.existsSync(target) && fs.statSync(target).isDirectory();
        const dotted = /\.[^/]*\./.test(path.basename(m[1])) && !/\.c?js$/.test(m[1]);
        if (isDir || dotted) bad.push(`${path.relative(root, file)}: '${m[1]}'`);
      }
    }
  }
  expect(bad).toEqual([]);
});
