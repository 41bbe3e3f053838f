/**
 * Reads what one outbox row's event says (see event-builder.ts). The row itself holds the run's
 * changing values as they were at the event; the rest is read here, from data that is fixed once
 * the event is written (the run's number, actor, errors of a finished run, a parent's completed
 * runs up to the event) or only grows (the process's sources and targets).
 */
import type { StoreContext } from '../store/context.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { toDate, toDateOrThrow } from '../store/values.ts'
import { statusById } from '../store/process-statuses.ts'
import type { DependencyFact, EventFacts, ExtractFact, SideFact } from './event-builder.ts'
import type { EventType, ParentRun } from './record.ts'
import { uuidv7 } from '../store/uuid7.ts'

/** An outbox row as the dispatcher claims it. */
export interface OutboxRow {
  outboxId: number
  processTrackingId: number
  eventType: EventType
  eventTime: Date
  namespace: string
  runStatusId: number | null
  runRecordCount: number | null
  runLowDateTime: Date | null
  runHighDateTime: Date | null
  nominalStartTime: string | null
  parent: ParentRun | null
  attemptCount: number
  payload: string | null
}

const UNIT_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }
const TERMINAL: ReadonlySet<EventType> = new Set(['COMPLETE', 'FAIL', 'ABORT'])

export async function readEventFacts(ctx: StoreContext, db: Db, row: OutboxRow): Promise<EventFacts> {
  const run = await db
    .selectFrom('process_tracking as t')
    .innerJoin('process as p', 'p.process_id', 't.process_id')
    .leftJoin('process_type_lkup as pt', 'pt.process_type_id', 'p.process_type_id')
    .leftJoin('tool_lkup as tl', 'tl.tool_id', 'p.process_tool_id')
    .leftJoin('actor_lkup as a', 'a.actor_id', 't.process_run_actor_id')
    .select([
      't.run_uuid',
      't.process_id',
      't.process_run_id',
      't.process_run_name',
      't.process_status_id',
      'p.process_name',
      'pt.process_type_name',
      'tl.tool_name',
      'a.actor_name',
    ])
    .where('t.process_tracking_id', '=', row.processTrackingId)
    .executeTakeFirstOrThrow()
  const processId = Number(run.process_id)
  const status = await statusById(ctx, db, row.runStatusId ?? Number(run.process_status_id))
  return {
    eventType: row.eventType,
    eventTime: row.eventTime,
    namespace: row.namespace,
    runUuid: run.run_uuid ?? (await assignRunUuid(db, row.processTrackingId)),
    processTrackingId: row.processTrackingId,
    processRunId: Number(run.process_run_id),
    processRunName: run.process_run_name,
    processName: run.process_name,
    processType: run.process_type_name ?? null,
    toolName: run.tool_name ?? null,
    actorName: run.actor_name ?? null,
    status: status.name,
    recordCount: row.runRecordCount ?? 0,
    lowDateTime: row.runLowDateTime,
    highDateTime: row.runHighDateTime,
    failureStreak: await failureStreak(db, processId, Number(run.process_run_id), status.category === 'failed'),
    nominalStartTime: row.nominalStartTime,
    parent: row.parent ?? (row.eventType === 'START' ? null : await startParent(db, row.processTrackingId)),
    lastError: row.eventType === 'FAIL' ? await lastError(db, row.processTrackingId) : null,
    sources: await sides(db, processId, 'source'),
    targets: await sides(db, processId, 'target'),
    // A START has no files yet; a finished run can get no more, so its last event takes them all.
    extracts:
      row.eventType === 'START' ? [] : await extracts(db, row.processTrackingId, TERMINAL.has(row.eventType) ? null : row.eventTime),
    dependencies: await dependencies(db, processId, row.eventTime),
  }
}

/** A run written without a runUuid (by hand, or by an older writer) gets one when first sent. */
async function assignRunUuid(db: Db, processTrackingId: number): Promise<string> {
  await db
    .updateTable('process_tracking')
    .set({ run_uuid: uuidv7() })
    .where('process_tracking_id', '=', processTrackingId)
    .where('run_uuid', 'is', null)
    .execute()
  const row = await db
    .selectFrom('process_tracking')
    .select('run_uuid')
    .where('process_tracking_id', '=', processTrackingId)
    .executeTakeFirstOrThrow()
  return row.run_uuid ?? ''
}

/** Failed runs in a row of the process before this run, plus this one when it failed. */
async function failureStreak(db: Db, processId: number, processRunId: number, failed: boolean): Promise<number> {
  const rows = await db
    .selectFrom('process_tracking as t')
    .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
    .select('s.process_status_category')
    .where('t.process_id', '=', processId)
    .where('t.process_run_id', '<', processRunId)
    .orderBy('t.process_run_id', 'desc')
    .limit(100)
    .execute()
  const before = rows.findIndex((r) => r.process_status_category !== 'failed')
  return (before === -1 ? rows.length : before) + (failed ? 1 : 0)
}

async function startParent(db: Db, processTrackingId: number): Promise<ParentRun | null> {
  const row = await db
    .selectFrom('lineage_outbox')
    .select(['parent_namespace', 'parent_name', 'parent_run_id'])
    .where('process_tracking_id', '=', processTrackingId)
    .where('event_type', '=', 'START')
    .orderBy('outbox_id')
    .limit(1)
    .executeTakeFirst()
  if (!row?.parent_namespace || !row.parent_name || !row.parent_run_id) return null
  return { namespace: row.parent_namespace, name: row.parent_name, runId: row.parent_run_id }
}

async function lastError(db: Db, processTrackingId: number): Promise<EventFacts['lastError']> {
  const row = await db
    .selectFrom('error_tracking as e')
    .innerJoin('error_type_lkup as et', 'et.error_type_id', 'e.error_type_id')
    .select(['et.error_type_name', 'e.error_description'])
    .where('e.process_tracking_id', '=', processTrackingId)
    .orderBy('e.error_tracking_id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row ? { errorType: row.error_type_name, description: row.error_description } : null
}

async function sides(db: Db, processId: number, side: 'source' | 'target'): Promise<SideFact[]> {
  const sources =
    side === 'source'
      ? await db
          .selectFrom('process_source as l')
          .innerJoin('source_lkup as s', 's.source_id', 'l.source_id')
          .select(['s.source_id', 's.source_name', 's.source_uri'])
          .where('l.process_id', '=', processId)
          .orderBy('s.source_name')
          .execute()
      : await db
          .selectFrom('process_target as l')
          .innerJoin('source_lkup as s', 's.source_id', 'l.target_source_id')
          .select(['s.source_id', 's.source_name', 's.source_uri'])
          .where('l.process_id', '=', processId)
          .orderBy('s.source_name')
          .execute()
  if (sources.length === 0) return []
  const objects =
    side === 'source'
      ? await db
          .selectFrom('process_source_object as l')
          .innerJoin('source_object_lkup as o', 'o.source_object_id', 'l.source_object_id')
          .select(['o.source_id', 'o.source_object_name'])
          .where('l.process_id', '=', processId)
          .orderBy('o.source_object_name')
          .execute()
      : await db
          .selectFrom('process_target_object as l')
          .innerJoin('source_object_lkup as o', 'o.source_object_id', 'l.target_object_id')
          .select(['o.source_id', 'o.source_object_name'])
          .where('l.process_id', '=', processId)
          .orderBy('o.source_object_name')
          .execute()
  return sources.map((source) => ({
    sourceName: source.source_name,
    uri: source.source_uri ?? null,
    objects: objects.filter((o) => Number(o.source_id) === Number(source.source_id)).map((o) => o.source_object_name),
  }))
}

/** The run's files: those linked by `until` (DB clock), or all when `until` is null. */
async function extracts(db: Db, processTrackingId: number, until: Date | null): Promise<ExtractFact[]> {
  let query = db
    .selectFrom('extract_process_tracking as x')
    .innerJoin('extract_tracking as e', 'e.extract_id', 'x.extract_tracking_id')
    .innerJoin('location_lkup as l', 'l.location_id', 'e.extract_location_id')
    .innerJoin('location_type_lkup as lt', 'lt.location_type_id', 'l.location_type_id')
    .innerJoin('extract_status_lkup as es', 'es.extract_status_id', 'x.extract_process_status_id')
    .leftJoin('filesize_type_lkup as fs', 'fs.filesize_type_id', 'e.extract_filesize_type_id')
    .select([
      'e.extract_id',
      'e.extract_filename',
      'e.extract_file_size_bytes',
      'e.extract_filesize',
      'e.extract_write_record_count',
      'fs.filesize_type_code',
      'l.location_path',
      'l.location_bucket_name',
      'lt.location_type_name',
      'es.extract_status_name',
    ])
    .where('x.process_tracking_id', '=', processTrackingId)
  if (until !== null) query = query.where('x.created_date_time', '<=', until)
  const rows = await query.orderBy('e.extract_id').execute()
  return rows.map((row) => {
    const amount = row.extract_filesize === null ? null : Number(row.extract_filesize)
    const unit = UNIT_BYTES[row.filesize_type_code ?? 'B'] ?? 1
    return {
      locationType: row.location_type_name,
      locationPath: row.location_path,
      bucketName: row.location_bucket_name,
      filename: row.extract_filename,
      status: row.extract_status_name,
      sizeBytes:
        row.extract_file_size_bytes !== null ? Number(row.extract_file_size_bytes) : amount === null ? null : Math.round(amount * unit),
      writeRecordCount: row.extract_write_record_count === null ? null : Number(row.extract_write_record_count),
    }
  })
}

async function dependencies(db: Db, processId: number, eventTime: Date): Promise<DependencyFact[]> {
  const parents = await db
    .selectFrom('process_dependency as d')
    .innerJoin('process as p', 'p.process_id', 'd.parent_process_id')
    .innerJoin('dependency_type_lkup as dt', 'dt.dependency_type_id', 'd.dependency_type_id')
    .select(['p.process_id', 'p.process_name', 'dt.dependency_type_name'])
    .where('d.child_process_id', '=', processId)
    .orderBy('p.process_name')
    .execute()
  const result: DependencyFact[] = []
  for (const parent of parents) {
    const latest = await db
      .selectFrom('process_tracking as r')
      .innerJoin('process_status_lkup as s', 's.process_status_id', 'r.process_status_id')
      .select('r.run_uuid')
      .where('r.process_id', '=', Number(parent.process_id))
      .where('s.process_status_category', '=', 'succeeded')
      .where('r.process_run_end_date_time', '<=', eventTime)
      .orderBy('r.process_run_id', 'desc')
      .limit(1)
      .executeTakeFirst()
    result.push({ parentName: parent.process_name, type: parent.dependency_type_name, parentRunUuid: latest?.run_uuid ?? null })
  }
  return result
}

/** A claimed row, as the drivers return it, normalised. */
export function toOutboxRow(row: {
  outbox_id: number
  process_tracking_id: number
  event_type: string
  event_time: Date | string
  job_namespace: string
  run_status_id: number | null
  run_record_count: number | string | null
  run_low_date_time: Date | string | null
  run_high_date_time: Date | string | null
  nominal_start_time: string | null
  parent_namespace: string | null
  parent_name: string | null
  parent_run_id: string | null
  attempt_count: number
  payload: string | null
}): OutboxRow {
  return {
    outboxId: Number(row.outbox_id),
    processTrackingId: Number(row.process_tracking_id),
    eventType: row.event_type as EventType,
    eventTime: toDateOrThrow(row.event_time),
    namespace: row.job_namespace,
    runStatusId: row.run_status_id === null ? null : Number(row.run_status_id),
    runRecordCount: row.run_record_count === null ? null : Number(row.run_record_count),
    runLowDateTime: toDate(row.run_low_date_time),
    runHighDateTime: toDate(row.run_high_date_time),
    nominalStartTime: row.nominal_start_time,
    parent:
      row.parent_namespace && row.parent_name && row.parent_run_id
        ? { namespace: row.parent_namespace, name: row.parent_name, runId: row.parent_run_id }
        : null,
    attemptCount: Number(row.attempt_count),
    payload: row.payload,
  }
}
