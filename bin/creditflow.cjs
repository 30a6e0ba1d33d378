#!/usr/bin/env node
// The `creditflow` command, from any working directory. In a clone it runs the TypeScript sources
// through tsx's loader (no build step: `npm ci` alone is enough, and edits take effect at once); in
// the installed package, which has no sources, it runs the compiled dist/cjs with plain node.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'cli', 'main.ts');
const args = fs.existsSync(source)
  ? ['--import', pathToFileURL(require.resolve('tsx', { paths: [root] })).href, source]
  : [path.join(root, 'dist', 'cjs', 'src', 'cli', 'main.js')];
const r = spawnSync(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
