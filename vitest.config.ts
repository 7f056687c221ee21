import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests share one PostgreSQL server (each file gets its own database) and SQLite files in tmp.
    pool: 'forks',
    setupFiles: ['test/support/setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
