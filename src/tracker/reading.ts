import type { StoreContext } from '../store/context.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { toDate, toDateOrThrow } from '../store/values.ts'
import { selectRunErrors } from './run-record.ts'
import { checkId, checkName } from './validation.ts'

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

export type { RunInfo } from './run-record.ts'

export interface RunError {
  errorType: string
  description: string | null
  occurredAt: Date
}

export type { ListRunsOptions } from './run-views.ts'

/** The process columns of `getProcess`, with type, tool and frequency names. */
export function processQuery(db: Db) {
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

export type ProcessRow = Awaited<ReturnType<ReturnType<typeof processQuery>['executeTakeFirstOrThrow']>>

export function toProcessInfo(row: ProcessRow): ProcessInfo {
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

export async function listRunErrors(ctx: StoreContext, processTrackingId: number): Promise<RunError[]> {
  const id = checkId(processTrackingId, 'processTrackingId')
  const rows = await selectRunErrors(ctx.db).where('e.process_tracking_id', '=', id).execute()
  return rows.map((row) => ({
    errorType: row.error_type_name,
    description: row.error_description,
    occurredAt: toDateOrThrow(row.error_occurrence_date_time),
  }))
}

export { getRunInfo, listRuns } from './run-views.ts'
