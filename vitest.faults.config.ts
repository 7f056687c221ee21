// `npm run test:faults`: the fault-injection suite (issue 7). Real child processes killed with SIGKILL, vendor
// outages in the simulators, a PostgreSQL server stopped and started, forged requests and fuzzing. Kept out of
// `npm test` (vitest.config.ts excludes test/faults) because it takes minutes, not seconds.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time on a 2-core machine: the kill scenarios time their kills against running children.
    maxWorkers: 2,
    setupFiles: ['test/support/setup.ts'],
    // Creates the results folder every scenario writes to, and prints the summary table when all have run.
    globalSetup: ['test/faults/support/summary-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
