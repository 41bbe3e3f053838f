import type { RawBuilder } from 'kysely'
import { NotFoundError } from '../errors.ts'
import type { StoreContext } from '../store/context.ts'
import type { Db } from '../store/dialect/adapter.ts'

/** A run as stored: what `resume` and `refresh` read. */
export interface RunRecord {
  processTrackingId: number
  processRunId: number
  processId: number
  processName: string
  processRunName: string | null
  /** The OpenLineage runId (since 0.2); '' only for a run inserted by hand without one. */
  runUuid: string
  status: string
  heartbeatTimeoutSeconds: number | null
  recordCount: number
}

export async function readRunRecord(ctx: StoreContext, db: Db, processTrackingId: number): Promise<RunRecord> {
  const row = await db
    .selectFrom('process_tracking as t')
    .innerJoin('process as p', 'p.process_id', 't.process_id')
    .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
    .select([
      't.process_run_id',
      't.process_id',
      'p.process_name',
      't.process_run_name',
      't.run_uuid',
      's.process_status_name',
      't.heartbeat_timeout_seconds',
      't.process_run_record_count',
    ])
    .where('t.process_tracking_id', '=', processTrackingId)
    .executeTakeFirst()
  if (!row) {
    throw new NotFoundError(`There is no process run with processTrackingId ${processTrackingId}.`, {
      topic: 'process run',
      name: processTrackingId,
    })
  }
  return {
    processTrackingId,
    processRunId: Number(row.process_run_id),
    processId: Number(row.process_id),
    processName: row.process_name,
    processRunName: row.process_run_name,
    runUuid: row.run_uuid ?? '',
    status: row.process_status_name,
    heartbeatTimeoutSeconds: row.heartbeat_timeout_seconds === null ? null : Number(row.heartbeat_timeout_seconds),
    recordCount: Number(row.process_run_record_count),
  }
}

/** Names of the sources or targets linked to a process. */
export async function readSideNames(db: Db, processId: number, side: 'source' | 'target'): Promise<string[]> {
  const rows =
    side === 'source'
      ? await db
          .selectFrom('process_source as l')
          .innerJoin('source_lkup as s', 's.source_id', 'l.source_id')
          .select('s.source_name as name')
          .where('l.process_id', '=', processId)
          .orderBy('s.source_name')
          .execute()
      : await db
          .selectFrom('process_target as l')
          .innerJoin('source_lkup as s', 's.source_id', 'l.target_source_id')
          .select('s.source_name as name')
          .where('l.process_id', '=', processId)
          .orderBy('s.source_name')
          .execute()
  return rows.map((row) => row.name)
}

/**
 * A time the tracker stamps on a run: a caller's explicit date, or `ctx.adapter.now` — the
 * database's clock, evaluated inside the statement (no extra round trip), so clients whose clocks
 * disagree still write times in one order.
 */
export type Stamp = Date | RawBuilder<Date>

/** A run as `store.listRuns` returns it. */
export interface RunInfo {
  processTrackingId: number
  processRunId: number
  processName: string
  processRunName: string | null
  /** The run's OpenLineage runId, a UUIDv7 made at start (since 0.2); '' only for a run inserted by hand without one. */
  runUuid: string
  status: string
  actorName: string | null
  startDateTime: Date
  endDateTime: Date | null
  recordCount: number
  insertCount: number
  updateCount: number
  lowDateTime: Date | null
  highDateTime: Date | null
  isLatestRun: boolean
  lastError: { errorType: string; description: string | null } | null
}

/** Run errors with their type names, in time order (ties by id): filter on `e.process_tracking_id`. */
export function selectRunErrors(db: Db) {
  return db
    .selectFrom('error_tracking as e')
    .innerJoin('error_type_lkup as et', 'et.error_type_id', 'e.error_type_id')
    .select(['e.process_tracking_id', 'et.error_type_name', 'e.error_description', 'e.error_occurrence_date_time'])
    .orderBy('e.error_occurrence_date_time')
    .orderBy('e.error_tracking_id')
}
