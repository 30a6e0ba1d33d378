import { defineConfig } from 'vitest/config';

/**
 * System tests: they need what `.ci/run` installs and starts (Debian packages, services on
 * 127.0.0.1). Run with `npm run test:system` after `.ci/run`'s set-up, or on a machine that has them;
 * a missing dependency fails the test with a message naming the package to install.
 */
export default defineConfig({
  test: {
    include: ['test/system/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
