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
    // A worker keeps its imported modules from one file to the next instead of importing src, fastify,
    // Kysely and the drivers again per file (that import was over half of the suite's CPU). Files stay
    // independent: each opens its own database (dialects.ts); src's module-level state is caches any
    // store may share (built statements, S3 clients); no file mocks a module; a test that changes
    // globals (env, fake timers) restores them; failures.ts counts per file from its own start.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
