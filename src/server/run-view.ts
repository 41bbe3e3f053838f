/**
 * One run's view (http.md "RUN", the library's `RunView`) in one statement: what every write of the
 * API answers with. `store.getRun` reads the same view in two (the run, then its last error, which
 * a list needs for a whole page); for one run the last error is two scalar subqueries of the same
 * SELECT, read by the `(process_tracking_id, error_tracking_id)` index.
 *
 * Belongs in src/tracker/run-views.ts as `getRun`'s implementation; kept here until the tracker
 * layer takes it. test/server/run-view.test.ts checks it against `store.getRun` field by field.
 */
import { sql } from 'kysely'
import { NotFoundError } from '../errors.ts'
import type { StoreContext } from '../store/context.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { single } from '../store/transaction.ts'
import { toBool, toDate, toDateOrThrow, toNumberOrNull } from '../store/values.ts'
import { runIsStale } from '../tracker/predicates.ts'
import type { RunView } from '../tracker/run-views.ts'

function selectRunView(ctx: StoreContext, db: Db, processTrackingId: number) {
  return db
    .selectFrom('process_tracking as t')
    .innerJoin('process as p', 'p.process_id', 't.process_id')
    .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
    .leftJoin('actor_lkup as a', 'a.actor_id', 't.process_run_actor_id')
    .select((eb) => {
      // The newest error first, ties by id: the last one `listRunErrors` lists.
      const lastError = () =>
        eb
          .selectFrom('error_tracking as e')
          .innerJoin('error_type_lkup as et', 'et.error_type_id', 'e.error_type_id')
          .whereRef('e.process_tracking_id', '=', 't.process_tracking_id')
          .orderBy('e.error_occurrence_date_time', 'desc')
          .orderBy('e.error_tracking_id', 'desc')
          .limit(1)
      return [
        't.process_tracking_id',
        't.process_run_id',
        't.process_run_name',
        't.run_uuid',
        't.process_run_start_date_time',
        't.process_run_end_date_time',
        't.process_run_record_count',
        't.process_run_insert_count',
        't.process_run_update_count',
        't.process_run_low_date_time',
        't.process_run_high_date_time',
        't.is_latest_run',
        't.process_id',
        't.heartbeat_timeout_seconds',
        't.last_heartbeat_date_time',
        'p.process_name',
        's.process_status_name',
        'a.actor_name',
        sql<number>`case when s.process_status_category = 'active' and ${runIsStale(ctx.adapter, 't')} then 1 else 0 end`.as('stale'),
        eb
          .selectFrom('error_tracking as e')
          .select(eb.fn.countAll().as('n'))
          .whereRef('e.process_tracking_id', '=', 't.process_tracking_id')
          .as('error_count'),
        eb
          .selectFrom('extract_process_tracking as x')
          .select(eb.fn.countAll().as('n'))
          .whereRef('x.process_tracking_id', '=', 't.process_tracking_id')
          .as('extract_count'),
        lastError().select('et.error_type_name').as('last_error_type'),
        lastError().select('e.error_description').as('last_error_description'),
      ]
    })
    .where('t.process_tracking_id', '=', processTrackingId)
}

/** The run's view now; an unknown tracking id is a NotFoundError, as from `store.getRun`. */
export async function readRunView(ctx: StoreContext, processTrackingId: number): Promise<RunView> {
  const row = await single(ctx, (db) => selectRunView(ctx, db, processTrackingId).executeTakeFirst())
  if (!row)
    throw new NotFoundError(`There is no run with tracking id ${processTrackingId}.`, { topic: 'process run', name: processTrackingId })
  return {
    processTrackingId: Number(row.process_tracking_id),
    processRunId: Number(row.process_run_id),
    processName: row.process_name,
    processRunName: row.process_run_name,
    runUuid: row.run_uuid ?? '',
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
    lastError: row.last_error_type === null ? null : { errorType: row.last_error_type, description: row.last_error_description ?? null },
    processId: Number(row.process_id),
    heartbeatTimeoutSeconds: toNumberOrNull(row.heartbeat_timeout_seconds),
    lastHeartbeatDateTime: toDate(row.last_heartbeat_date_time),
    stale: Number(row.stale) === 1,
    errorCount: Number(row.error_count ?? 0),
    extractCount: Number(row.extract_count ?? 0),
  }
}
