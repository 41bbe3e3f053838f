/**
 * What `/metrics` reads from the database at scrape time, so the figures count every writer (other
 * servers, library users, the CLI), not only this server's requests.
 */
import { sql } from 'kysely'
import type { DataStore } from '../api/data-store.ts'
import { single } from '../store/transaction.ts'
import { toDate } from '../store/values.ts'
import { contextOf } from '../store/context.ts'

export interface StoreGauges {
  /** Runs by status name (every run ever). */
  runsByStatus: { status: string; count: number }[]
  activeRuns: number
  onHoldProcesses: number
  staleRuns: number
  /** Each process and the end of its last completed run, when it has one. */
  lastCompleted: { processName: string; at: Date }[]
}

export async function readStoreGauges(store: DataStore): Promise<StoreGauges> {
  const ctx = contextOf(store)
  return single(ctx, async (db) => {
    const byStatus = await db
      .selectFrom('process_tracking as t')
      .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
      .select(['s.process_status_name', sql<number | string>`count(*)`.as('n')])
      .groupBy('s.process_status_name')
      .execute()
    const latest = await db
      .selectFrom('process_tracking as t')
      .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
      .select([
        's.process_status_category',
        sql<number | string>`count(*)`.as('n'),
        sql<
          number | string
        >`sum(case when t.heartbeat_timeout_seconds is not null and ${ctx.adapter.secondsSince('t.last_heartbeat_date_time')} > t.heartbeat_timeout_seconds then 1 else 0 end)`.as(
          'stale',
        ),
      ])
      .where('t.is_latest_run', '=', true)
      .groupBy('s.process_status_category')
      .execute()
    const completed = await db
      .selectFrom('process')
      .select(['process_name', 'last_completed_run_date_time'])
      .where('last_completed_run_date_time', 'is not', null)
      .execute()
    const category = (name: string) => latest.find((row) => row.process_status_category === name)
    return {
      runsByStatus: byStatus.map((row) => ({ status: row.process_status_name, count: Number(row.n) })),
      activeRuns: Number(category('active')?.n ?? 0),
      onHoldProcesses: Number(category('held')?.n ?? 0),
      staleRuns: Number(category('active')?.stale ?? 0),
      lastCompleted: completed.flatMap((row) => {
        const at = toDate(row.last_completed_run_date_time)
        return at ? [{ processName: row.process_name, at }] : []
      }),
    }
  })
}
