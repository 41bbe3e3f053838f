/**
 * How `run` records its command's outcome: complete, or a Process Error that fails the run. A database
 * that is briefly unreachable as a job ends (a failover, a restart) must not turn a finished job into
 * exit 70 and a reaped run, so the outcome is retried with backoff for up to max(60 s, the heartbeat
 * timeout) — the heartbeat keeps going meanwhile — before giving up.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { DatabaseUnavailableError, ProcessHaltedError, RunNotActiveError, type ProcessTracker } from '../index.ts'
import type { CliContext } from './context.ts'
import { EXIT_UNRECORDED } from './exit-codes.ts'

/** Overrides the retry window, in seconds (for tests and impatient operators); documented in the README. */
export const RETRY_WINDOW_ENV = 'PROCESS_TRACKER_OUTCOME_RETRY_SECONDS'
/** The shortest retry window cli.md allows by default. */
const MIN_WINDOW_SECONDS = 60
/** Backoff between attempts: doubling from 250 ms, at most 5 s. */
const FIRST_DELAY_MS = 250
const MAX_DELAY_MS = 5000

/** The window: `$PROCESS_TRACKER_OUTCOME_RETRY_SECONDS` when set, else max(60, heartbeat timeout). */
export function retryWindowSeconds(heartbeatSeconds: number, env: NodeJS.ProcessEnv): number {
  const override = Number(env[RETRY_WINDOW_ENV])
  if (env[RETRY_WINDOW_ENV] !== undefined && env[RETRY_WINDOW_ENV] !== '' && Number.isFinite(override) && override >= 0) return override
  return Math.max(MIN_WINDOW_SECONDS, heartbeatSeconds)
}

/** Writes the outcome once: complete, or record the error and fail. */
async function writeOutcome(run: ProcessTracker, description: string | null): Promise<void> {
  if (description === null) {
    await run.complete()
    return
  }
  try {
    await run.raiseRunError('Process Error', { description, failRun: true })
  } catch (error) {
    if (!(error instanceof ProcessHaltedError)) throw error
  }
}

/**
 * Records the outcome (`description` null = success), retrying while the database is unavailable, and
 * returns the wrapper's exit code: the command's, or 70 when the outcome could not be recorded.
 */
export async function recordOutcome(
  context: CliContext,
  run: ProcessTracker,
  description: string | null,
  exitCode: number,
  windowSeconds: number,
): Promise<number> {
  const { output } = context
  const which = `run ${run.processRunId} of ${run.processName} (tracking id ${run.processTrackingId})`
  const deadline = Date.now() + windowSeconds * 1000
  let delay = FIRST_DELAY_MS
  let unavailableBefore = false
  for (;;) {
    try {
      await writeOutcome(run, description)
      output.info(
        output.err.dim(
          `processtracker: ${which} ${description === null ? 'completed' : `failed: ${(description.split('\n')[0] ?? '').replace(/\.$/, '')}`}.`,
        ),
      )
      return exitCode
    } catch (error) {
      if (error instanceof RunNotActiveError) {
        // After an attempt whose answer was lost, the outcome may have been written after all.
        const wanted = description === null ? 'completed' : 'failed'
        if (unavailableBefore && (await run.refresh().catch(() => null)) === wanted) return exitCode
        // Reaped or failed by hand while the command ran: its outcome cannot change the run any more.
        output.warn(`the outcome was not recorded: ${error.message}`)
        return exitCode === 0 ? EXIT_UNRECORDED : exitCode
      }
      const retryable = error instanceof DatabaseUnavailableError
      if (!retryable || Date.now() + delay > deadline) {
        const message = error instanceof Error ? error.message : String(error)
        output.error(`Could not record the outcome of ${which} (the reaper will fail it): ${message}`)
        return EXIT_UNRECORDED
      }
      if (!unavailableBefore) {
        output.warn(`the data store is unreachable (${error.message}); retrying the outcome of ${which} for up to ${windowSeconds}s.`)
      }
      unavailableBefore = true
      await sleep(delay)
      delay = Math.min(delay * 2, MAX_DELAY_MS)
    }
  }
}
