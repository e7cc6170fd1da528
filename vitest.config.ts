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
    // One file at a time (vitest's default on two cores). Two at once took ~640 s instead of ~870 s, but made
    // e2e/failover.test.ts's drain test see a message's webhook delivered twice in 2 of 4 full runs. A re-sent
    // event no longer queues a second webhook; a message WhatsApp delivers again to the connector a session
    // moved to still becomes a new event (connector event ids are random: issue 19's note). Until that is
    // fixed, the suite runs the way it stays green.
    reporters: ['default', './testing/summary-reporter.ts'],
  },
});
