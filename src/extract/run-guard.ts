import { sql, type RawBuilder } from 'kysely'
import type { Tx } from '../store/transaction.ts'
import { activeStatusIds } from '../tracker/predicates.ts'

/** The run's row, while its status is active (what "active" means is `activeStatusIds`'s). */
const activeRun = (tx: Tx, processTrackingId: number) =>
  tx.db
    .selectFrom('process_tracking as guard_run')
    .where('guard_run.process_tracking_id', '=', processTrackingId)
    .where('guard_run.process_status_id', 'in', activeStatusIds(tx.db))

/**
 * "The run is still active", as a condition a write can carry: the write then changes nothing once
 * the run has ended, and the caller turns "nothing changed" into the precise error with `lockRun`.
 * Folding the check into the write saves a separate run lock on the hot paths (registering an
 * extract, a status change other than `loading`). Claims and `loading` still lock the run row
 * first, so that a run failing at the same time is ordered with them and gives their extracts back.
 */
export function runIsActive(tx: Tx, processTrackingId: number): RawBuilder<boolean> {
  return sql<boolean>`exists ${activeRun(tx, processTrackingId).select('guard_run.process_tracking_id')}`
}
