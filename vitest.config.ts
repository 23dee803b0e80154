import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module). Node, and so every dependency Vitest
    // leaves to Node, loads the CommonJS build; Vite would hand our sources the ESM one, and a
    // schema built by one copy fails `instanceof` checks in the other. One copy, as in production.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
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
