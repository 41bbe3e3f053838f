import type { ProcessStatus } from '../store/context.ts'
import type { Tx } from '../store/transaction.ts'
import { countFailures, newestRuns, type StreakRun } from './latest-runs.ts'
import { ON_HOLD, statusByName } from '../store/process-statuses.ts'
import { recordMarkerRun } from '../lineage/record.ts'
import { uuidv7 } from '../store/uuid7.ts'

/**
 * The hold of api.md rule 4, recorded when it happens (since 0.2): the failure that brings the
 * failure streak to `max_concurrent_failures` also records the `on hold` run, in its transaction.
 * So every reader (`runs`, `explain`, `releaseHold`) sees the hold at once instead of at the next
 * start. Called by every path that ends a run failed, after the run's status is written.
 */
export async function recordHoldIfStreakReached(tx: Tx, processId: number): Promise<void> {
  const max = tx.ctx.maxConcurrentFailures
  if (max <= 0) return
  const runs = await newestRuns(tx.db, processId, max)
  const latest = runs[0]
  if (!latest || latest.category !== 'failed' || countFailures(runs) < max) return
  const held = await statusByName(tx.ctx, tx.db, ON_HOLD)
  // The failed run's actor is the caller here: fail(), the reaper and failRun have no other.
  await insertMarkerRun(tx, processId, latest, held, latest.actorId, new Date())
}

/**
 * Records a run that did no work — an `on hold` or `released` marker — as the new latest run:
 * `processRunId` previous + 1, start = end = `at`, no run name. The caller holds the process row
 * lock or the failing run's lock, so no start can slip in between.
 */
export async function insertMarkerRun(
  tx: Tx,
  processId: number,
  previous: Pick<StreakRun, 'processTrackingId' | 'processRunId'>,
  status: ProcessStatus,
  actorId: number | null,
  at: Date,
): Promise<number> {
  const id = await tx.ctx.adapter.insertReturningId(
    tx.db.insertInto('process_tracking').values({
      process_id: processId,
      process_status_id: status.id,
      process_run_id: previous.processRunId + 1,
      process_run_start_date_time: at,
      process_run_end_date_time: at,
      process_run_actor_id: actorId,
      is_latest_run: true,
      run_uuid: uuidv7(),
      created_by: tx.ctx.auditUser,
      updated_by: tx.ctx.auditUser,
    }),
    'process_tracking_id',
  )
  await tx.db
    .updateTable('process_tracking')
    .set({ is_latest_run: false })
    .where('process_tracking_id', '=', previous.processTrackingId)
    .execute()
  await recordMarkerRun(tx, id) // lineage: START then ABORT, when lineage is on
  return id
}
