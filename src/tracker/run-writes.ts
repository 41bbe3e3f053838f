/**
 * The writes a run makes after its start: status changes, errors, record counts, low/high dates,
 * heartbeats. Functions of the store's context and the run's ids; the public `ProcessTracker`
 * checks its arguments, calls these, and remembers what they return.
 */
import { sql } from 'kysely'
import { InvalidStatusError, type RunNotActiveError } from '../errors.ts'
import { recordRunning, runningDue } from '../lineage/record.ts'
import type { StoreContext } from '../store/context.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { single, transaction } from '../store/transaction.ts'
import { activeStatusIds, widenHigh, widenLow } from './predicates.ts'
import { readRunRecord } from './run-record.ts'
import { lockRun, moveRun, notActive, recordError } from './run-transitions.ts'
import { COMPLETED, FAILED, statusByName } from './statuses.ts'

/** The ids of a run that its writes need. */
export interface RunIds {
  readonly processTrackingId: number
  readonly processId: number
  readonly processName: string
}

/**
 * Moves a run to a named status from an active one and returns the status name now stored.
 * A run already in that (non-held) status is left as it is.
 *
 * @throws InvalidStatusError for `released` statuses and names that do not exist.
 * @throws RunNotActiveError (`details.status`: the run's status) when the run is no longer active.
 */
export async function changeRunStatus(ctx: StoreContext, run: RunIds, status: string, endDate: Date | undefined): Promise<{ status: string; ended: boolean }> {
  const target = await single(ctx, (db) => statusByName(ctx, db, status))
  if (target.category === 'released') {
    throw new InvalidStatusError(
      `A run cannot be changed to ${target.name}: only a hold is released, by store.releaseHold (processtracker release).`,
      { status: target.name },
    )
  }
  const stored = await transaction(ctx, async (tx) => {
    if (await moveRun(tx, run, target, endDate ?? ctx.adapter.now, { onlyIfActive: true })) return target.name
    const locked = await lockRun(tx, run.processTrackingId, false)
    // complete() / fail() on a run already there are no-ops; everything else is refused.
    if (locked.status.id === target.id && locked.status.category !== 'held') return locked.status.name
    throw notActive(locked)
  })
  return { status: stored, ended: target.category !== 'active' }
}

/**
 * Records an error against the run (and the process's last errored time); with `failRun` the run
 * is failed in the same transaction.
 */
export async function raiseRunError(
  ctx: StoreContext,
  run: RunIds,
  errorType: string,
  description: string,
  options: { failRun: boolean; at: Date | undefined },
): Promise<void> {
  const at = options.at ?? ctx.adapter.now
  await transaction(ctx, async (tx) => {
    const locked = await lockRun(tx, run.processTrackingId)
    await recordError(tx, locked, errorType, description, at)
    if (options.failRun) await moveRun(tx, locked, await statusByName(ctx, tx.db, FAILED), at)
  })
}

/**
 * Sets the run's record count (and the insert or update count) and adds the difference to the
 * process's total. `previous` is the count the caller last wrote or read.
 */
export async function setRecordCount(
  ctx: StoreContext,
  run: RunIds,
  count: number,
  processingType: 'insert' | 'update' | undefined,
  previous: number,
): Promise<void> {
  await transaction(ctx, async (tx) => {
    const now = ctx.adapter.now
    let before = previous
    const update = (expectPrevious: boolean) =>
      tx.db
        .updateTable('process_tracking')
        .set({
          process_run_record_count: count,
          ...(processingType === 'insert' ? { process_run_insert_count: count } : {}),
          ...(processingType === 'update' ? { process_run_update_count: count } : {}),
          update_date_time: now,
          updated_by: ctx.auditUser,
        })
        .where('process_tracking_id', '=', run.processTrackingId)
        .where('process_status_id', 'in', activeStatusIds(tx.db))
        .$if(expectPrevious, (query) => query.where('process_run_record_count', '=', before))
        .executeTakeFirst()
    // Fast path: the count this object last wrote is still the stored one (compare-and-set), so
    // the difference is known without a locking read. Otherwise (another worker resumed this
    // run, or it is no longer active) lock the run, read the real count, and write again.
    if (Number((await update(true)).numUpdatedRows) === 0) {
      before = (await lockRun(tx, run.processTrackingId)).recordCount
      await update(false)
    }
    if (count !== before) {
      await tx.db
        .updateTable('process')
        .set({
          total_record_count: sql`total_record_count + ${count - before}`,
          update_date_time: now,
          updated_by: ctx.auditUser,
        })
        .where('process_id', '=', run.processId)
        .execute()
    }
    await recordRunning(tx, run.processTrackingId) // lineage: at most one RUNNING per 10 s, when on
  })
}

/**
 * Keeps the lowest low and the highest high ever given to an active run. One statement (two in
 * one transaction when lineage wants a RUNNING event). Returns whether the run was still active.
 */
export async function widenRunDates(ctx: StoreContext, run: RunIds, low: Date | undefined, high: Date | undefined): Promise<boolean> {
  const update = (db: Db) =>
    db
      .updateTable('process_tracking')
      .set({
        ...(low ? { process_run_low_date_time: widenLow('process_run_low_date_time', low) } : {}),
        ...(high ? { process_run_high_date_time: widenHigh('process_run_high_date_time', high) } : {}),
        update_date_time: ctx.adapter.now,
        updated_by: ctx.auditUser,
      })
      .where('process_tracking_id', '=', run.processTrackingId)
      .where('process_status_id', 'in', activeStatusIds(db))
      .executeTakeFirst()
  const result = runningDue(ctx, run.processTrackingId)
    ? await transaction(ctx, async (tx) => {
        const updated = await update(tx.db)
        if (Number(updated.numUpdatedRows) > 0) await recordRunning(tx, run.processTrackingId)
        return updated
      })
    : await single(ctx, update)
  return Number(result.numUpdatedRows) > 0
}

/** Records a heartbeat now (database clock). Returns whether the run was still active. */
export async function beat(ctx: StoreContext, run: RunIds): Promise<boolean> {
  const result = await single(ctx, (db) =>
    db
      .updateTable('process_tracking')
      .set({ last_heartbeat_date_time: ctx.adapter.now })
      .where('process_tracking_id', '=', run.processTrackingId)
      .where('process_status_id', 'in', activeStatusIds(db))
      .executeTakeFirst(),
  )
  return Number(result.numUpdatedRows) > 0
}

/** The error for a guarded single-statement change that matched no row (`details.status`: the status now). */
export async function whyNotChanged(ctx: StoreContext, run: RunIds): Promise<RunNotActiveError> {
  const record = await single(ctx, (db) => readRunRecord(ctx, db, run.processTrackingId))
  return notActive({ processTrackingId: run.processTrackingId, processName: run.processName, status: { name: record.status } })
}

/** Completes the run if it is still active; returns whether it did. */
export async function completeIfActive(ctx: StoreContext, run: RunIds): Promise<boolean> {
  return transaction(ctx, async (tx) => {
    const locked = await lockRun(tx, run.processTrackingId, false)
    if (locked.status.category !== 'active') return false
    await moveRun(tx, locked, await statusByName(ctx, tx.db, COMPLETED), ctx.adapter.now)
    return true
  })
}

/** Records an error and fails the run if it is still active; returns whether it did. */
export async function failIfActive(ctx: StoreContext, run: RunIds, errorType: string, description: string): Promise<boolean> {
  return transaction(ctx, async (tx) => {
    const locked = await lockRun(tx, run.processTrackingId, false)
    if (locked.status.category !== 'active') return false
    const now = ctx.adapter.now
    await recordError(tx, locked, errorType, description, now)
    await moveRun(tx, locked, await statusByName(ctx, tx.db, FAILED), now)
    return true
  })
}
