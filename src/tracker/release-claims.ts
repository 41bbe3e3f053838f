import type { Stamp } from './run-record.ts'
import type { Tx } from '../store/transaction.ts'
import { requireId, LOOKUP } from './lookup-ids.ts'

/**
 * When a run that claimed extracts ends failed (reaped included), the extracts it still holds in
 * `loading` go back to `ready` for another run, and the change is recorded in their history.
 */
export async function releaseClaims(tx: Tx, processTrackingId: number, at: Stamp): Promise<number> {
  const loading = await requireId(tx, LOOKUP.extractStatus, 'loading')
  const claimed = await tx.db
    .selectFrom('extract_tracking')
    .select('extract_id')
    .where('extract_claim_process_tracking_id', '=', processTrackingId)
    .where('extract_status_id', '=', loading)
    .execute()
  if (claimed.length === 0) return 0
  const ready = await requireId(tx, LOOKUP.extractStatus, 'ready')
  const ids = claimed.map((row) => Number(row.extract_id))
  await tx.db
    .updateTable('extract_tracking')
    .set({ extract_status_id: ready, extract_claim_process_tracking_id: null, updated_by: tx.ctx.auditUser, update_date_time: at })
    .where('extract_id', 'in', ids)
    .execute()
  await tx.db
    .insertInto('extract_status_history')
    .values(ids.map((id) => ({ extract_id: id, process_tracking_id: processTrackingId, extract_status_id: ready, event_date_time: at })))
    .execute()
  return ids.length
}
