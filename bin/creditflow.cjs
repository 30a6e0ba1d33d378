#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader (no build step), from any working directory, in this
// process: signals sent to it reach the supervisor (src/cli/supervise.ts), which stops the command.
require('tsx/cjs/api').register();
const { supervise } = require('../src/cli/supervise.ts');

supervise(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
