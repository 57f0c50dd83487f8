import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{gateway,rules,simulators,test}/**/*.test.ts', 'dashboard/test/**/*.test.ts'],
    // Tests start real brokers, databases and HTTP servers: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Cheaper password hashing in-process (test/support/password-hashing.ts says why).
    setupFiles: ['test/support/password-hashing.ts'],
    maxWorkers: 2,
  },
})
