/**
 * Reads back from an imported store the same facts manifest.json lists for the Python database, with
 * plain SQL on the target (no processtracker code), so the tests compare like with like.
 */
import { sql } from 'kysely'
import type { DataStore } from '../../src/index.ts'
import { contextOf } from '../../src/store/context.ts'

type Row = Record<string, unknown>

/** A stored timestamp as ISO text (SQLite gives text, the servers a Date). */
export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value.toISOString()
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return new Date(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`).toISOString()
}

/** A manifest time (UTC, micro- or no fraction) as the ISO text of its millisecond. */
export function manifestTime(text: string | null): string | null {
  if (text === null) return null
  return new Date(`${text.replace(' ', 'T').slice(0, 23)}Z`).toISOString()
}

export async function rows(store: DataStore, query: string): Promise<Row[]> {
  const result = await sql<Row>`${sql.raw(query)}`.execute(contextOf(store).db)
  return result.rows
}

export async function scalar(store: DataStore, query: string): Promise<number> {
  const [row] = await rows(store, query)
  return Number(Object.values(row ?? {})[0] ?? 0)
}

export async function countBy(store: DataStore, query: string): Promise<Record<string, number>> {
  const result: Record<string, number> = {}
  for (const row of await rows(store, query)) result[String(row.k)] = Number(row.n)
  return result
}

export async function names(store: DataStore, query: string): Promise<string[]> {
  return (await rows(store, query)).map((row) => String(Object.values(row)[0])).sort()
}

export async function nameIds(store: DataStore, table: string, id: string, name: string): Promise<Record<string, number>> {
  const result: Record<string, number> = {}
  for (const row of await rows(store, `select ${id} as i, ${name} as n from ${table}`)) result[String(row.n)] = Number(row.i)
  return result
}

/** The facts of one imported process, shaped like a manifest `processes` entry. */
export async function processFacts(store: DataStore, processId: number): Promise<Row> {
  const [process] = await rows(
    store,
    `select p.process_id, p.process_name, t.process_type_name, tl.tool_name, f.schedule_frequency_name, p.total_record_count,
            p.last_completed_run_date_time, p.last_failed_run_date_time, p.last_errored_run_date_time
     from process p left join process_type_lkup t on t.process_type_id = p.process_type_id
     left join tool_lkup tl on tl.tool_id = p.process_tool_id
     join schedule_frequency_lkup f on f.schedule_frequency_id = p.schedule_frequency_id
     where p.process_id = ${processId}`,
  )
  if (!process) throw new Error(`process ${processId} was not imported`)
  const runs = await rows(
    store,
    `select r.process_tracking_id, r.process_run_id, s.process_status_name as status, r.process_run_start_date_time as start_at,
            r.process_run_end_date_time as end_at, r.process_run_record_count, r.is_latest_run, a.actor_name, r.process_run_name
     from process_tracking r join process_status_lkup s on s.process_status_id = r.process_status_id
     left join actor_lkup a on a.actor_id = r.process_run_actor_id
     where r.process_id = ${processId} order by r.process_run_id desc, r.process_tracking_id desc`,
  )
  const byStatus: Record<string, number> = {}
  for (const run of runs) byStatus[String(run.status)] = (byStatus[String(run.status)] ?? 0) + 1
  const latest = runs.filter((run) => Number(run.is_latest_run) === 1 || run.is_latest_run === true)
  let streak = 0
  for (const run of runs) {
    if (run.status !== 'failed') break
    streak += 1
  }
  const ends = (status: string) => {
    const values = runs.filter((run) => run.status === status && run.end_at !== null).map((run) => iso(run.end_at) ?? '')
    return values.length === 0 ? null : values.sort().at(-1)
  }
  const errors = await countBy(
    store,
    `select et.error_type_name as k, count(*) as n from error_tracking e join error_type_lkup et on et.error_type_id = e.error_type_id
     join process_tracking r on r.process_tracking_id = e.process_tracking_id where r.process_id = ${processId} group by et.error_type_name`,
  )
  const sourceName = `s.source_name`
  const concat =
    store.dialect === 'mysql' ? (...parts: string[]) => `concat(${parts.join(', ')})` : (...parts: string[]) => parts.join(' || ')
  return {
    process_id: Number(process.process_id),
    name: process.process_name,
    type: process.process_type_name,
    tool: process.tool_name,
    schedule_frequency: process.schedule_frequency_name,
    runs: runs.length,
    runs_by_status: byStatus,
    max_process_run_id: Math.max(...runs.map((run) => Number(run.process_run_id))),
    latest_runs: latest.map((run) => ({
      process_tracking_id: Number(run.process_tracking_id),
      process_run_id: Number(run.process_run_id),
      status: run.status,
      start: iso(run.start_at),
      end: iso(run.end_at),
    })),
    trailing_failure_streak: streak,
    total_record_count: Number(process.total_record_count),
    sum_of_run_record_counts: runs.reduce((sum, run) => sum + Number(run.process_run_record_count), 0),
    last_completed_run_date_time: iso(process.last_completed_run_date_time),
    last_failed_run_date_time: iso(process.last_failed_run_date_time),
    last_errored_run_date_time: iso(process.last_errored_run_date_time),
    max_end_of_completed_runs: ends('completed'),
    max_end_of_failed_runs: ends('failed'),
    first_run_start: runs.map((run) => iso(run.start_at) ?? '').sort()[0],
    errors: Object.values(errors).reduce((a, b) => a + b, 0),
    errors_by_type: errors,
    actors: [
      ...new Set(
        runs
          .map((run) => run.actor_name)
          .filter((name) => name !== null)
          .map(String),
      ),
    ].sort(),
    named_runs: runs.filter((run) => run.process_run_name !== null).length,
    sources: await names(
      store,
      `select ${sourceName} from process_source x join source_lkup s on s.source_id = x.source_id where x.process_id = ${processId}`,
    ),
    targets: await names(
      store,
      `select ${sourceName} from process_target x join source_lkup s on s.source_id = x.target_source_id where x.process_id = ${processId}`,
    ),
    source_objects: await names(
      store,
      `select ${concat(sourceName, "'.'", 'o.source_object_name')} from process_source_object x join source_object_lkup o on o.source_object_id = x.source_object_id
       join source_lkup s on s.source_id = o.source_id where x.process_id = ${processId}`,
    ),
    target_objects: await names(
      store,
      `select ${concat(sourceName, "'.'", 'o.source_object_name')} from process_target_object x join source_object_lkup o on o.source_object_id = x.target_object_id
       join source_lkup s on s.source_id = o.source_id where x.process_id = ${processId}`,
    ),
    source_object_attributes: await names(
      store,
      `select ${concat(sourceName, "'.'", 'o.source_object_name', "'.'", 'a.source_object_attribute_name')} from process_source_object_attribute x
       join source_object_attribute_lkup a on a.source_object_attribute_id = x.source_object_attribute_id
       join source_object_lkup o on o.source_object_id = a.source_object_id join source_lkup s on s.source_id = o.source_id where x.process_id = ${processId}`,
    ),
    target_object_attributes: await names(
      store,
      `select ${concat(sourceName, "'.'", 'o.source_object_name', "'.'", 'a.source_object_attribute_name')} from process_target_object_attribute x
       join source_object_attribute_lkup a on a.source_object_attribute_id = x.target_object_attribute_id
       join source_object_lkup o on o.source_object_id = a.source_object_id join source_lkup s on s.source_id = o.source_id where x.process_id = ${processId}`,
    ),
    dataset_types: await names(
      store,
      `select d.dataset_type from process_dataset_type x join dataset_type_lkup d on d.dataset_type_id = x.dataset_type_id where x.process_id = ${processId}`,
    ),
    contacts: await names(
      store,
      `select c.contact_name from process_contact x join contact_lkup c on c.contact_id = x.contact_id where x.process_id = ${processId}`,
    ),
    clusters: await names(
      store,
      `select c.cluster_name from cluster_process x join cluster_tracking_lkup c on c.cluster_id = x.cluster_id where x.process_id = ${processId}`,
    ),
  }
}
