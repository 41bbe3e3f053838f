import type { StatusCategory, StoreContext } from '../store/context.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { prepare, type Slots } from '../store/prepared.ts'
import { runIsStaleFlag } from './predicates.ts'

/** The latest run of a process, as the start rules see it. */
export interface LatestRun {
  processTrackingId: number
  processId: number
  processName: string
  processRunId: number
  status: string
  category: StatusCategory
  /** Active, with a heartbeat timeout, and silent for longer than it. */
  stale: boolean
  isParent: boolean
}

/**
 * The latest runs of a process and of its direct parents (dependencies of any type but Soft), in one
 * statement built once per store (the start's hot path reads it on every start). Staleness is
 * computed by the database clock, so machines with skewed clocks agree.
 */
const LATEST_RUNS = prepare((db, p: Slots<{ processId: number }>, adapter) =>
  db
    .selectFrom('process_tracking as t')
    .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
    .innerJoin('process as p', 'p.process_id', 't.process_id')
    .select([
      't.process_tracking_id',
      't.process_id',
      'p.process_name',
      't.process_run_id',
      's.process_status_name',
      's.process_status_category',
      runIsStaleFlag(adapter).as('stale'),
    ])
    .where('t.is_latest_run', '=', true)
    .where((eb) =>
      eb.or([
        eb('t.process_id', '=', p.processId),
        eb(
          't.process_id',
          'in',
          eb
            .selectFrom('process_dependency as d')
            .innerJoin('dependency_type_lkup as dt', 'dt.dependency_type_id', 'd.dependency_type_id')
            .select('d.parent_process_id')
            .where('d.child_process_id', '=', p.processId)
            .where('dt.dependency_type_name', '<>', 'Soft'),
        ),
      ]),
    )
    .orderBy('p.process_name'),
)

/**
 * The latest runs of a process and of its direct parents, read on `db` (a transaction's or the
 * store's own).
 */
export async function readLatestRuns(ctx: StoreContext, db: Db, processId: number): Promise<LatestRun[]> {
  const { rows } = await db.executeQuery(LATEST_RUNS.bind(ctx, { processId }))
  return rows.map((row) => {
    const category = row.process_status_category as StatusCategory
    return {
      processTrackingId: Number(row.process_tracking_id),
      processId: Number(row.process_id),
      processName: row.process_name,
      processRunId: Number(row.process_run_id),
      status: row.process_status_name,
      category,
      stale: category === 'active' && Number(row.stale) === 1,
      isParent: Number(row.process_id) !== processId,
    }
  })
}

/**
 * The failure streak: how many of the newest runs (by run number) failed, stopping at the first run
 * with any other status. Only the newest `limit` runs are read.
 */
export async function failureStreak(db: Db, processId: number, limit: number, staleCountsAsFailed: Set<number>): Promise<number> {
  return countFailures(await newestRuns(db, processId, limit), staleCountsAsFailed)
}

/** One of the newest runs of a process, as the failure streak reads it. */
export interface StreakRun {
  processTrackingId: number
  processRunId: number
  actorId: number | null
  category: StatusCategory
}

/** The newest `limit` runs of a process by run number, newest first. */
export async function newestRuns(db: Db, processId: number, limit: number): Promise<StreakRun[]> {
  const rows = await db
    .selectFrom('process_tracking as t')
    .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
    .select(['t.process_tracking_id', 't.process_run_id', 't.process_run_actor_id', 's.process_status_category'])
    .where('t.process_id', '=', processId)
    .orderBy('t.process_run_id', 'desc')
    .limit(limit)
    .execute()
  return rows.map((row) => ({
    processTrackingId: Number(row.process_tracking_id),
    processRunId: Number(row.process_run_id),
    actorId: row.process_run_actor_id === null ? null : Number(row.process_run_actor_id),
    category: row.process_status_category as StatusCategory,
  }))
}

/** Failed runs from the newest on, stopping at the first run with any other status (a release included). */
export function countFailures(runs: readonly StreakRun[], staleCountsAsFailed: ReadonlySet<number> = new Set()): number {
  let streak = 0
  for (const run of runs) {
    if (run.category !== 'failed' && !staleCountsAsFailed.has(run.processTrackingId)) break
    streak++
  }
  return streak
}
