/**
 * The SQL ideas of the domain that more than one query needs, each written once: which statuses
 * are active, when a run is stale, how a low/high range widens, when a parent blocks loading.
 * Tracker and extract code build on these; the store layer below knows none of them.
 */
import { sql, type RawBuilder } from 'kysely'
import type { DialectAdapter } from '../store/dialect/adapter.ts'
import type { Db } from '../store/dialect/adapter.ts'

/** The ids of the statuses a run can still be changed in: a subquery for guarded updates. */
export const activeStatusIds = (db: Db) =>
  db.selectFrom('process_status_lkup').select('process_status_id').where('process_status_category', '=', 'active')

/**
 * A run is stale when it has a heartbeat timeout and has been silent for longer than it. `run` is
 * the alias of `process_tracking` in the query. Whether it is still active is the caller's filter.
 */
export function runIsStale(adapter: DialectAdapter, run = 't'): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(`${run}.heartbeat_timeout_seconds`)} is not null and ${adapter.secondsSince(`${run}.last_heartbeat_date_time`)} > ${sql.ref(`${run}.heartbeat_timeout_seconds`)}`
}

/** {@link runIsStale} as a 1 / 0 column (a boolean that reads the same on every dialect). */
export function runIsStaleFlag(adapter: DialectAdapter, run = 't'): RawBuilder<number> {
  return sql<number>`case when ${runIsStale(adapter, run)} then 1 else 0 end`
}

/** The new value of a range's low end: the earlier of the stored one (if any) and `low`. */
export function widenLow(column: string, low: Date): RawBuilder<Date> {
  const ref = sql.ref(column)
  return sql<Date>`case when ${ref} is null or ${ref} > ${low} then ${low} else ${ref} end`
}

/** The new value of a range's high end: the later of the stored one (if any) and `high`. */
export function widenHigh(column: string, high: Date): RawBuilder<Date> {
  const ref = sql.ref(column)
  return sql<Date>`case when ${ref} is null or ${ref} < ${high} then ${high} else ${ref} end`
}

/**
 * The dependencies whose parent blocks its child's `loading`: the parent is in one of `holding`
 * (the ids of `initializing`, `ready` and `loading`). Select from it, and narrow by child.
 */
export function blockingParents(db: Db, holding: readonly number[]) {
  return db
    .selectFrom('extract_dependency as d')
    .innerJoin('extract_tracking as p', 'p.extract_id', 'd.parent_extract_id')
    .where('p.extract_status_id', 'in', holding)
}
