import { NotFoundError } from '../errors.ts'
import type { StoreContext } from '../store/context.ts'
import { single } from '../store/transaction.ts'
import { toDateOrThrow } from '../store/values.ts'
import { checkId } from '../tracker/validation.ts'

/** One status change of an extract: which run made it, to what, and when. */
export interface ExtractHistoryEntry {
  /** The run that made the change (null only for rows written by hand). */
  processTrackingId: number | null
  status: string
  eventDateTime: Date
  /** Since 0.2: why, when it was not a plain change (e.g. "new delivery: size or modification time changed"). */
  note: string | null
}

/**
 * Every status an extract has had, in time order (ties in the order they were recorded). What
 * `store.listExtractHistory(extractId)` returns.
 *
 * @example
 * ```ts
 * const history = await listExtractHistory(contextOf(store), teams.extractId)
 * // [{ processTrackingId: 12, status: 'initializing', eventDateTime: … }, { …, status: 'ready', … }]
 * ```
 * @throws ValidationError for a malformed id; NotFoundError when there is no such extract.
 */
export async function listExtractHistory(ctx: StoreContext, extractId: number): Promise<ExtractHistoryEntry[]> {
  const id = checkId(extractId, 'extractId')
  return single(ctx, async (db) => {
    const rows = await db
      .selectFrom('extract_status_history as h')
      .innerJoin('extract_status_lkup as s', 's.extract_status_id', 'h.extract_status_id')
      .select(['h.process_tracking_id', 's.extract_status_name', 'h.event_date_time', 'h.event_note'])
      .where('h.extract_id', '=', id)
      .orderBy('h.event_date_time')
      .orderBy('h.extract_status_history_id')
      .execute()
    if (rows.length === 0) {
      // An extract always has its first status recorded: no rows means no extract.
      const exists = await db.selectFrom('extract_tracking').select('extract_id').where('extract_id', '=', id).executeTakeFirst()
      if (!exists) throw new NotFoundError(`There is no extract with extractId ${id}.`, { topic: 'extract', name: id })
    }
    return rows.map((row) => ({
      processTrackingId: row.process_tracking_id === null ? null : Number(row.process_tracking_id),
      status: row.extract_status_name,
      eventDateTime: toDateOrThrow(row.event_date_time),
      note: row.event_note,
    }))
  })
}
