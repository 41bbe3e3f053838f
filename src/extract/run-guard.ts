import { sql, type RawBuilder } from 'kysely'
import type { Tx } from '../store/transaction.ts'

/**
 * "The run is still active", as a condition a write can carry: the write then changes nothing once
 * the run has ended, and the caller turns "nothing changed" into the precise error with `lockRun`.
 * Folding the check into the write saves a separate run lock on the hot paths (registering an
 * extract, a status change other than `loading`). Claims and `loading` still lock the run row
 * first, so that a run failing at the same time is ordered with them and gives their extracts back.
 */
export function runIsActive(processTrackingId: number): RawBuilder<boolean> {
  return sql<boolean>`exists (
    select 1 from process_tracking guard_run
    join process_status_lkup guard_status on guard_status.process_status_id = guard_run.process_status_id
    where guard_run.process_tracking_id = ${processTrackingId} and guard_status.process_status_category = 'active')`
}

/**
 * A one-row SELECT of `values` that yields the row only while the run is active: the source of a
 * guarded INSERT … SELECT. (PostgreSQL types the parameters from the INSERT's target columns.)
 */
export function selectWhileRunActive(tx: Tx, processTrackingId: number, values: Record<string, unknown>) {
  return tx.db
    .selectFrom('process_tracking as guard_run')
    .innerJoin('process_status_lkup as guard_status', 'guard_status.process_status_id', 'guard_run.process_status_id')
    .select(Object.entries(values).map(([column, value]) => sql`${value}`.as(column)))
    .where('guard_run.process_tracking_id', '=', processTrackingId)
    .where('guard_status.process_status_category', '=', 'active')
}
