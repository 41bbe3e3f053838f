import type { StoreContext } from '../store/context.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { toBool, toDate, toDateOrThrow } from '../store/values.ts'
import { checkId, checkIntegerInRange, checkName, checkPlainObject } from './validation.ts'

/** A process as `store.getProcess` returns it. */
export interface ProcessInfo {
  processId: number
  processName: string
  processType: string | null
  toolName: string | null
  scheduleFrequency: string
  totalRecordCount: number
  lastCompletedRunDateTime: Date | null
  lastFailedRunDateTime: Date | null
  lastErroredRunDateTime: Date | null
}

/** A run as `store.listRuns` returns it. */
export interface RunInfo {
  processTrackingId: number
  processRunId: number
  processName: string
  processRunName: string | null
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

export interface RunError {
  errorType: string
  description: string | null
  occurredAt: Date
}

export interface ListRunsOptions {
  processName?: string
  status?: string
  /** 1–1000, default 50. */
  limit?: number
  /** Page backwards: only runs with a smaller processTrackingId. */
  beforeTrackingId?: number
}

function processQuery(db: Db) {
  return db
    .selectFrom('process as p')
    .leftJoin('process_type_lkup as pt', 'pt.process_type_id', 'p.process_type_id')
    .leftJoin('tool_lkup as tl', 'tl.tool_id', 'p.process_tool_id')
    .innerJoin('schedule_frequency_lkup as sf', 'sf.schedule_frequency_id', 'p.schedule_frequency_id')
    .select([
      'p.process_id',
      'p.process_name',
      'pt.process_type_name',
      'tl.tool_name',
      'sf.schedule_frequency_name',
      'p.total_record_count',
      'p.last_completed_run_date_time',
      'p.last_failed_run_date_time',
      'p.last_errored_run_date_time',
    ])
}

type ProcessRow = Awaited<ReturnType<ReturnType<typeof processQuery>['executeTakeFirstOrThrow']>>

function toProcessInfo(row: ProcessRow): ProcessInfo {
  return {
    processId: Number(row.process_id),
    processName: row.process_name,
    processType: row.process_type_name,
    toolName: row.tool_name,
    scheduleFrequency: row.schedule_frequency_name,
    totalRecordCount: Number(row.total_record_count),
    lastCompletedRunDateTime: toDate(row.last_completed_run_date_time),
    lastFailedRunDateTime: toDate(row.last_failed_run_date_time),
    lastErroredRunDateTime: toDate(row.last_errored_run_date_time),
  }
}

export async function getProcess(ctx: StoreContext, name: string): Promise<ProcessInfo | null> {
  const processName = checkName(name, 'processName')
  const row = await processQuery(ctx.db).where('p.process_name', '=', processName).executeTakeFirst()
  return row ? toProcessInfo(row) : null
}

export async function findProcessesByScheduleFrequency(ctx: StoreContext, frequency: string): Promise<ProcessInfo[]> {
  const name = checkName(frequency, 'scheduleFrequency')
  const rows = await processQuery(ctx.db).where('sf.schedule_frequency_name', '=', name).orderBy('p.process_name').execute()
  return rows.map(toProcessInfo)
}

export async function listRuns(ctx: StoreContext, options: ListRunsOptions = {}): Promise<RunInfo[]> {
  const opts = checkPlainObject(options, 'options')
  const limit = opts.limit === undefined ? 50 : checkIntegerInRange(opts.limit, 'limit', 1, 1000)
  let query = ctx.db
    .selectFrom('process_tracking as t')
    .innerJoin('process as p', 'p.process_id', 't.process_id')
    .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
    .leftJoin('actor_lkup as a', 'a.actor_id', 't.process_run_actor_id')
    .select([
      't.process_tracking_id',
      't.process_run_id',
      'p.process_name',
      't.process_run_name',
      's.process_status_name',
      'a.actor_name',
      't.process_run_start_date_time',
      't.process_run_end_date_time',
      't.process_run_record_count',
      't.process_run_insert_count',
      't.process_run_update_count',
      't.process_run_low_date_time',
      't.process_run_high_date_time',
      't.is_latest_run',
    ])
    .orderBy('t.process_tracking_id', 'desc')
    .limit(limit)
  if (opts.processName !== undefined) query = query.where('p.process_name', '=', checkName(opts.processName, 'processName'))
  if (opts.status !== undefined) query = query.where('s.process_status_name', '=', checkName(opts.status, 'status'))
  if (opts.beforeTrackingId !== undefined) {
    query = query.where('t.process_tracking_id', '<', checkId(opts.beforeTrackingId, 'beforeTrackingId'))
  }
  const rows = await query.execute()
  const lastErrors = await readLastErrors(ctx.db, rows.map((row) => Number(row.process_tracking_id)))
  return rows.map((row) => ({
    processTrackingId: Number(row.process_tracking_id),
    processRunId: Number(row.process_run_id),
    processName: row.process_name,
    processRunName: row.process_run_name,
    status: row.process_status_name,
    actorName: row.actor_name,
    startDateTime: toDateOrThrow(row.process_run_start_date_time),
    endDateTime: toDate(row.process_run_end_date_time),
    recordCount: Number(row.process_run_record_count),
    insertCount: Number(row.process_run_insert_count),
    updateCount: Number(row.process_run_update_count),
    lowDateTime: toDate(row.process_run_low_date_time),
    highDateTime: toDate(row.process_run_high_date_time),
    isLatestRun: toBool(row.is_latest_run),
    lastError: lastErrors.get(Number(row.process_tracking_id)) ?? null,
  }))
}

/** The newest error of each run, in one query. */
async function readLastErrors(db: Db, runIds: number[]): Promise<Map<number, { errorType: string; description: string | null }>> {
  const result = new Map<number, { errorType: string; description: string | null }>()
  if (runIds.length === 0) return result
  const rows = await db
    .selectFrom('error_tracking as e')
    .innerJoin('error_type_lkup as et', 'et.error_type_id', 'e.error_type_id')
    .select(['e.process_tracking_id', 'et.error_type_name', 'e.error_description'])
    .where('e.process_tracking_id', 'in', runIds)
    .orderBy('e.error_occurrence_date_time')
    .orderBy('e.error_tracking_id')
    .execute()
  for (const row of rows) {
    result.set(Number(row.process_tracking_id), { errorType: row.error_type_name, description: row.error_description })
  }
  return result
}

export async function listRunErrors(ctx: StoreContext, processTrackingId: number): Promise<RunError[]> {
  const id = checkId(processTrackingId, 'processTrackingId')
  const rows = await ctx.db
    .selectFrom('error_tracking as e')
    .innerJoin('error_type_lkup as et', 'et.error_type_id', 'e.error_type_id')
    .select(['et.error_type_name', 'e.error_description', 'e.error_occurrence_date_time'])
    .where('e.process_tracking_id', '=', id)
    .orderBy('e.error_occurrence_date_time')
    .orderBy('e.error_tracking_id')
    .execute()
  return rows.map((row) => ({
    errorType: row.error_type_name,
    description: row.error_description,
    occurredAt: toDateOrThrow(row.error_occurrence_date_time),
  }))
}

/** One run in listRuns shape. */
export async function getRunInfo(ctx: StoreContext, processTrackingId: number): Promise<RunInfo> {
  const [row] = await listRuns(ctx, { beforeTrackingId: processTrackingId + 1, limit: 1 })
  if (row?.processTrackingId !== processTrackingId) throw new Error(`run ${processTrackingId} missing`)
  return row
}


