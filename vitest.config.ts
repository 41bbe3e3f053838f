import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/closing-line-reporter.ts'],
    globalSetup: ['./test/support/global-setup.ts'],
    // Counts each file's failed tests, so an isolated database a failed test used is kept (dialects.ts).
    setupFiles: ['./test/support/track-failures.ts'],
    // Every test file gets its own database, schema or file, so files may run in parallel; the
    // multi-process race tests are heavy, so keep the pool small on a 2-core machine.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
