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
    // Two files at once on two cores. Two at once once showed e2e/failover.test.ts's drain test a message's
    // webhook twice: under that load a delivery outlived its batch, and a copy of its job that the hub the
    // session moved to had queued was posted meanwhile. Copies now claim the job first (queue-consumer.ts).
    maxWorkers: 2,
    reporters: ['default', './testing/summary-reporter.ts'],
  },
});
