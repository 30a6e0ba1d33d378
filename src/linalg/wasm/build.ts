/**
 * Rebuilds src/linalg/wasm/gemm-bytes.ts from src/linalg/wasm/gemm.as.ts.
 *
 *   npx tsx src/linalg/wasm/build.ts
 *
 * It runs the AssemblyScript compiler, pinned to ASC_VERSION, through npx (nothing is added to
 * package.json), then writes the module's bytes as base64 into a TypeScript file so that the
 * kernels load it synchronously with no build step at test time. The output is deterministic
 * for a given compiler version; `--check` exits non-zero if the committed file is stale.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ASC_VERSION = '0.28.20';
const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'gemm.as.ts');
const target = join(here, 'gemm-bytes.ts');
const ascFlags = ['-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd'];

const tmp = mkdtempSync(join(tmpdir(), 'creditflow-wasm-'));
try {
  const wasmPath = join(tmp, 'gemm.wasm');
  execFileSync('npx', ['--yes', '-p', `assemblyscript@${ASC_VERSION}`, 'asc', source, ...ascFlags, '-o', wasmPath], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const bytes = readFileSync(wasmPath);
  const b64 = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 100) lines.push(`  '${b64.slice(i, i + 100)}'`);
  const text =
    `// GENERATED FILE — do not edit by hand.\n` +
    `// WebAssembly (SIMD) module compiled from src/linalg/wasm/gemm.as.ts by\n` +
    `// AssemblyScript ${ASC_VERSION} with flags: ${ascFlags.join(' ')}\n` +
    `// Regenerate with:  npx tsx src/linalg/wasm/build.ts\n` +
    `// ${bytes.length} bytes.\n` +
    `export const GEMM_WASM_BASE64 =\n${lines.join(' +\n')};\n`;
  if (process.argv.includes('--check')) {
    const current = readFileSync(target, 'utf8');
    if (current !== text) {
      console.error(`${target} is stale: run npx tsx src/linalg/wasm/build.ts`);
      process.exit(1);
    }
    console.log(`${target} is up to date (${bytes.length} bytes of wasm)`);
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target} (${bytes.length} bytes of wasm)`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
