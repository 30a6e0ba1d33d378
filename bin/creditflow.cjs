#!/usr/bin/env node
// The `creditflow` command, from any working directory. In a clone it runs the TypeScript sources
// through tsx's loader (no build step: `npm ci` alone is enough, and edits take effect at once); in
// the installed package, which has no sources, the compiled dist/cjs with plain node. Either way it
// runs in this process as the supervisor (src/cli/supervise.ts): signals sent to it reach it, and it
// stops the command it runs in a child process.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'cli', 'supervise.ts');
let supervise;
if (fs.existsSync(source)) {
  require('tsx/cjs/api').register();
  ({ supervise } = require(source));
} else {
  ({ supervise } = require(path.join(root, 'dist', 'cjs', 'src', 'cli', 'supervise.js')));
}

supervise(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
