import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.wrangler/**', 'data/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The Worker is bundled once for the run, not once per stack.
    globalSetup: ['./testing/global-setup.ts'],
    // Each file starts its own servers (workerd, libSQL, simulator); forks keep them apart.
    pool: 'forks',
    // Two files at once (vitest's default on two cores is one): most of a file's time is waiting on its servers.
    maxWorkers: 2,
    reporters: ['default', './testing/summary-reporter.ts'],
  },
});
