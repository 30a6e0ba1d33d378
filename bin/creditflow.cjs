#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader (no build step), from any working directory.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const root = path.join(__dirname, '..');
const loader = pathToFileURL(require.resolve('tsx', { paths: [root] })).href;
const main = path.join(root, 'src', 'cli', 'main.ts');
const r = spawnSync(process.execPath, ['--import', loader, main, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
