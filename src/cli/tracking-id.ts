/** The run a command acts for: `--tracking-id N`, else `$PROCESS_TRACKER_TRACKING_ID` (set by `run` for its child). */
import { UsageError } from './exit-codes.ts'
import { integerIn } from './parsers.ts'

/** The variable `run` sets for its child. */
export const TRACKING_ID_ENV = 'PROCESS_TRACKER_TRACKING_ID'

/** The tracking id given, or the one in the environment; neither is a usage error naming both. */
export function trackingIdOf(given: number | undefined, env: NodeJS.ProcessEnv, command: string): number {
  if (given !== undefined) return given
  const value = env[TRACKING_ID_ENV]
  if (value === undefined || value.trim() === '') {
    throw new UsageError(`${command} needs --tracking-id N, or ${TRACKING_ID_ENV} (set by processtracker run).`)
  }
  try {
    return integerIn(1, Number.MAX_SAFE_INTEGER)(value)
  } catch {
    throw new UsageError(`${TRACKING_ID_ENV} must be a run's tracking id (a positive whole number), not "${value}".`)
  }
}
