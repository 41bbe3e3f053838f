/** The extracts a run registered or changed, in registration order (`GET /api/v1/runs/{id}/extracts`). */
import { ExtractTracker } from '../api/extract-tracker.ts'
import { selectExtracts, toExtractRecord } from '../extract/extract-record.ts'
import { single } from '../store/transaction.ts'
import type { ProcessTracker } from '../api/process-tracker.ts'
import { contextOf } from '../store/context.ts'

export async function listRunExtracts(run: ProcessTracker): Promise<ExtractTracker[]> {
  const ctx = contextOf(run.store)
  const rows = await single(ctx, (db) =>
    selectExtracts(db)
      .where('e.extract_id', 'in', (eb) =>
        eb
          .selectFrom('extract_process_tracking as ept')
          .select('ept.extract_tracking_id')
          .where('ept.process_tracking_id', '=', run.processTrackingId),
      )
      .orderBy('e.extract_registration_date_time')
      .orderBy('e.extract_id')
      .execute(),
  )
  return rows.map((row) => ExtractTracker.fromRecord(run, toExtractRecord(row)))
}
