import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/services.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real servers on port 0; two cores run two files at a time.
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
  },
});
