import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'models/**/*.test.ts'],
    // test/system/ needs services or system packages (SLURM, Redis, OpenBLAS, a packed install):
    // `.ci/run` installs them and runs `npm run test:system` (vitest.system.config.mts).
    exclude: ['test/system/**', '**/node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
