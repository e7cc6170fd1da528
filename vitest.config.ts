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
    // Two files at once on two cores: ~640 s where one at a time took ~790 s. Two at once once showed
    // e2e/failover.test.ts's drain test a message's webhook twice: a connector the session moved to could give
    // WhatsApp's redelivery of a message another event id (the id took the sender's number as that connector
    // resolved it); ids are now made from the stanza alone (connector/whatsapp/events.ts).
    maxWorkers: 2,
    reporters: ['default', './testing/summary-reporter.ts'],
  },
});
