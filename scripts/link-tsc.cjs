// postinstall: tslab depends on @tslab/typescript-for-tslab (TypeScript 5.0), whose `tsc` bin
// collides with the project's TypeScript 7 in node_modules/.bin. Point `tsc` back at the project's
// own compiler so `npx tsc --noEmit` type-checks with TypeScript 7 (tslab uses its fork by require,
// not through .bin).
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const target = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const link = path.join(root, 'node_modules', '.bin', 'tsc');
if (fs.existsSync(target) && fs.existsSync(path.dirname(link))) {
  try {
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.relative(path.dirname(link), target), link);
  } catch (e) {
    console.warn(`link-tsc: could not relink ${link}: ${e.message}`);
  }
}
