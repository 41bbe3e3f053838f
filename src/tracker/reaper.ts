import type { StoreContext } from '../store/context.ts'
import { transaction } from '../store/transaction.ts'
import { runIsStale, runIsStaleFlag } from './predicates.ts'
import { lockRun, moveRun, recordError } from './run-transitions.ts'
import { FAILED, statusByName } from '../store/process-statuses.ts'
import { toDate } from '../store/values.ts'

/**
 * Fails one run if it is still stale, in its own committed transaction, recording a `Process Error`
 * that says when it last beat. Staleness is re-checked under the run's row lock, so a run that beat
 * in the meantime is left alone. Returns whether the run was reaped.
 */
export async function reapRun(ctx: StoreContext, processTrackingId: number): Promise<boolean> {
  return transaction(ctx, async (tx) => {
    const run = await lockRun(tx, processTrackingId, false)
    if (run.status.category !== 'active') return false
    const row = await tx.db
      .selectFrom('process_tracking as t')
      .select(['t.heartbeat_timeout_seconds', 't.last_heartbeat_date_time', runIsStaleFlag(ctx.adapter).as('stale')])
      .where('t.process_tracking_id', '=', processTrackingId)
      .executeTakeFirstOrThrow()
    if (Number(row.stale) !== 1) return false
    const lastBeat = toDate(row.last_heartbeat_date_time)
    const now = ctx.adapter.now
    await recordError(
      tx,
      run,
      'Process Error',
      `The run went stale: no heartbeat since ${lastBeat?.toISOString() ?? 'its start'} (timeout ${String(row.heartbeat_timeout_seconds)}s). Failed by the reaper.`,
      now,
    )
    await moveRun(tx, run, await statusByName(ctx, tx.db, FAILED), now)
    ctx.logger.warn({ processTrackingId, processName: run.processName }, 'reaped a stale run')
    return true
  })
}

/** Every active run with a heartbeat timeout that it has outlived. */
export async function findStaleRunIds(ctx: StoreContext): Promise<number[]> {
  const rows = await ctx.db
    .selectFrom('process_tracking as t')
    .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
    .select('t.process_tracking_id')
    .where('s.process_status_category', '=', 'active')
    .where(runIsStale(ctx.adapter))
    .orderBy('t.process_tracking_id')
    .execute()
  return rows.map((row) => Number(row.process_tracking_id))
}
