import { randomBytes } from 'node:crypto'
import type { DataStore } from '../../src/index.ts'
import { ProcessTracker } from '../../src/api/process-tracker.ts'
import { contextOf } from '../../src/store/context.ts'

/** A process name no other test in the file uses. */
export function uniqueName(prefix: string): string {
  return `${prefix} ${randomBytes(4).toString('hex')}`
}

/** Starts a run of a new process. */
export function startRun(store: DataStore, prefix = 'extract test', processType = 'Extract'): Promise<ProcessTracker> {
  return ProcessTracker.start(store, { processName: uniqueName(prefix), processType })
}

/** The status name of every given extract id, read from the database. */
export async function storedStatuses(store: DataStore, extractIds: number[]): Promise<Record<number, string>> {
  if (extractIds.length === 0) return {}
  const rows = await contextOf(store)
    .db.selectFrom('extract_tracking as e')
    .innerJoin('extract_status_lkup as s', 's.extract_status_id', 'e.extract_status_id')
    .select(['e.extract_id', 's.extract_status_name'])
    .where('e.extract_id', 'in', extractIds)
    .execute()
  return Object.fromEntries(rows.map((row) => [Number(row.extract_id), row.extract_status_name]))
}

/** The (extract, run) link row's status, or undefined. */
export async function runLinkStatus(store: DataStore, extractId: number, processTrackingId: number): Promise<string | undefined> {
  const row = await contextOf(store)
    .db.selectFrom('extract_process_tracking as ept')
    .innerJoin('extract_status_lkup as s', 's.extract_status_id', 'ept.extract_process_status_id')
    .select('s.extract_status_name')
    .where('ept.extract_tracking_id', '=', extractId)
    .where('ept.process_tracking_id', '=', processTrackingId)
    .executeTakeFirst()
  return row?.extract_status_name
}
