import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.wrangler/**', 'data/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own servers (workerd, libSQL, simulator); forks keep them apart.
    pool: 'forks',
    // Vitest's default on two cores is one file at a time, yet most files spend their time waiting on
    // sockets and child processes (workerd, Baileys' handshakes, the simulator): two at once keep both
    // cores busy. Tests wait on events, never on time, so a busier machine slows them without failing them.
    maxWorkers: 2,
    reporters: ['default', './testing/summary-reporter.ts'],
  },
});
