/**
 * Counts the failed tests of the running test file, so an isolated database can tell whether a test
 * that used it failed (dialects.ts keeps such a database and prints where it is instead of dropping
 * it). Registered for every file by the `setupFiles` entry in vitest.config.ts.
 */
import { beforeEach } from 'vitest'

let failed = 0
const names: string[] = []

/** How many tests of this file have failed so far. */
export function failureCount(): number {
  return failed
}

/** The names of the tests that failed after the count was `since`. */
export function failedSince(since: number): string[] {
  return names.slice(since)
}

/** Hooks every test of the file; vitest calls `onTestFailed` once the test's result is known. */
export function trackFailures(): void {
  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(() => {
      failed += 1
      names.push(task.name)
    })
  })
}
