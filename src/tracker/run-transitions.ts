import { NotFoundError, RunNotActiveError } from '../errors.ts'
import { releaseClaims } from './release-claims.ts'
import type { ProcessStatus, StatusCategory } from '../store/context.ts'
import type { Stamp } from './run-record.ts'
import type { Tx } from '../store/transaction.ts'
import { recordHoldIfStreakReached } from './hold.ts'
import { recordStatusChange } from '../lineage/record.ts'
import { LOOKUP, requireId } from './lookup-ids.ts'
import { statusById } from '../store/process-statuses.ts'
import { activeStatusIds } from './predicates.ts'

export type { Stamp } from './run-record.ts'

/** A run row locked for a change. */
export interface LockedRun {
  processTrackingId: number
  processId: number
  processName: string
  processRunId: number
  status: ProcessStatus
  recordCount: number
}

/**
 * Locks a run's row (FOR UPDATE on servers; SQLite's write lock) and reads its status. Every change
 * to a run starts here, so a change and a reaper or `failRun` on the same run are serialised, and a
 * run that is no longer active cannot be revived.
 */
export async function lockRun(tx: Tx, processTrackingId: number, requireActive = true): Promise<LockedRun> {
  const row = await tx.ctx.adapter
    .forUpdate(
      tx.db
        .selectFrom('process_tracking as t')
        .innerJoin('process as p', 'p.process_id', 't.process_id')
        .select(['t.process_id', 'p.process_name', 't.process_run_id', 't.process_status_id', 't.process_run_record_count'])
        .where('t.process_tracking_id', '=', processTrackingId),
    )
    .executeTakeFirst()
  if (!row) {
    throw new NotFoundError(`There is no process run with processTrackingId ${processTrackingId}.`, {
      topic: 'process run',
      name: processTrackingId,
    })
  }
  const status = await statusById(tx.ctx, tx.db, Number(row.process_status_id))
  const run: LockedRun = {
    processTrackingId,
    processId: Number(row.process_id),
    processName: String(row.process_name),
    processRunId: Number(row.process_run_id),
    status,
    recordCount: Number(row.process_run_record_count),
  }
  if (requireActive && status.category !== 'active') throw notActive(run)
  return run
}

export function notActive(run: { processTrackingId: number; processName: string; status: { name: string } }): RunNotActiveError {
  return new RunNotActiveError(
    `The run ${run.processTrackingId} of process ${run.processName} is ${run.status.name}, no longer active: it cannot be changed. Start a new run.`,
    { processTrackingId: run.processTrackingId, processName: run.processName, status: run.status.name },
  )
}

/**
 * Moves a run to `status`. Succeeded and failed statuses end the run: its end time and the
 * process's last completed / failed time are set, and a failed run gives back its claimed extracts.
 *
 * With `onlyIfActive`, the UPDATE itself is the guard (it matches the run only while its status is
 * active, and holds the row lock from then on), so a run needs no separate locking read; the result
 * says whether it matched. Otherwise the caller has locked the run with {@link lockRun}.
 */
export async function moveRun(
  tx: Tx,
  run: { processTrackingId: number; processId: number },
  status: ProcessStatus,
  at: Stamp,
  options: { onlyIfActive?: boolean } = {},
): Promise<boolean> {
  const ends = status.category === 'succeeded' || status.category === 'failed'
  let update = tx.db
    .updateTable('process_tracking')
    .set({
      process_status_id: status.id,
      ...(ends ? { process_run_end_date_time: at } : {}),
      update_date_time: at,
      updated_by: tx.ctx.auditUser,
    })
    .where('process_tracking_id', '=', run.processTrackingId)
  if (options.onlyIfActive) update = update.where('process_status_id', 'in', activeStatusIds(tx.db))
  const result = await update.executeTakeFirst()
  if (Number(result.numUpdatedRows) === 0) return false
  await recordStatusChange(tx, run.processTrackingId, status.category) // lineage: COMPLETE / FAIL / RUNNING, when on
  const processColumn = PROCESS_TIME_COLUMN[status.category]
  if (processColumn) {
    // The database clock is read per statement on MySQL and SQLite: copy the run's end time, so the
    // process's last completed / failed time equals it exactly.
    const ended =
      at instanceof Date
        ? at
        : tx.db.selectFrom('process_tracking').select('process_run_end_date_time').where('process_tracking_id', '=', run.processTrackingId)
    await tx.db
      .updateTable('process')
      .set({ [processColumn]: ended, update_date_time: at, updated_by: tx.ctx.auditUser })
      .where('process_id', '=', run.processId)
      .execute()
  }
  if (status.category === 'failed') {
    await releaseClaims(tx, run.processTrackingId, at)
    // Since 0.2 the hold is recorded by the failure that completes the streak, on every path.
    await recordHoldIfStreakReached(tx, run.processId)
  }
  return true
}

const PROCESS_TIME_COLUMN: Record<StatusCategory, 'last_completed_run_date_time' | 'last_failed_run_date_time' | null> = {
  succeeded: 'last_completed_run_date_time',
  failed: 'last_failed_run_date_time',
  active: null,
  held: null,
  released: null,
}

/** Records an error against a run and the process's last errored time. */
export async function recordError(
  tx: Tx,
  run: { processTrackingId: number; processId: number },
  errorType: string,
  description: string,
  at: Stamp,
): Promise<void> {
  const errorTypeId = await requireId(tx, LOOKUP.errorType, errorType)
  await tx.db
    .insertInto('error_tracking')
    .values({
      error_type_id: errorTypeId,
      process_tracking_id: run.processTrackingId,
      error_description: description,
      error_occurrence_date_time: at,
      created_by: tx.ctx.auditUser,
      updated_by: tx.ctx.auditUser,
    })
    .execute()
  await tx.db
    .updateTable('process')
    .set({ last_errored_run_date_time: at, update_date_time: at, updated_by: tx.ctx.auditUser })
    .where('process_id', '=', run.processId)
    .execute()
}
