import { ValidationError } from '../errors.ts'
import type { StoreContext } from '../store/context.ts'
import type { ProcessTracker } from '../tracker/process-tracker.ts'

/** What the extract code needs from a run: its store and its id. */
export interface RunRef {
  run: ProcessTracker
  ctx: StoreContext
  processTrackingId: number
}

/**
 * Checks that `run` is a ProcessTracker (by shape: importing the class here would make a module
 * cycle, since the run's own methods delegate to this folder).
 *
 * @throws ValidationError for anything else.
 */
export function runRef(run: unknown): RunRef {
  const candidate = run as Partial<ProcessTracker> | null | undefined
  const ctx = (candidate?.store as { context?: StoreContext } | undefined)?.context
  const processTrackingId = candidate?.processTrackingId
  if (typeof run !== 'object' || run === null || ctx === undefined || typeof processTrackingId !== 'number') {
    throw new ValidationError('run must be a ProcessTracker (from ProcessTracker.start or ProcessTracker.resume).', { field: 'run' })
  }
  return { run: run as ProcessTracker, ctx, processTrackingId }
}
