/**
 * The two rows every extract event writes besides the extract itself — its (extract, run) link and
 * its history row. On PostgreSQL they are parts of one data-modifying statement: register, a status
 * change and a claim each write the extract in a CTE that RETURNs `extract_id`; these read that CTE,
 * so the statement writes all of them or none. Elsewhere, for one extract, they are statements built
 * once ({@link LINK_ONE}, {@link LINK_STATUS_ONE}, {@link HISTORY_ONE}) run in the event's transaction.
 */
import { sql, type Expression, type ExpressionBuilder, type QueryCreator } from 'kysely'
import type { Database } from '../store/database.ts'
import { prepare, type Slots } from '../store/prepared.ts'

/** One extract's event, as the built-once statements bind it. */
export interface OneEventValues {
  extractId: number
  processTrackingId: number
  statusId: number
  at: Date
  auditUser: string
}

/** Links the extract to the run with the event's status, unless a link exists. */
export const LINK_ONE = prepare((db, p: Slots<OneEventValues>, adapter) =>
  adapter.insertIgnoringDuplicates(
    db.insertInto('extract_process_tracking').values({
      extract_tracking_id: p.extractId,
      process_tracking_id: p.processTrackingId,
      extract_process_status_id: p.statusId,
      extract_process_event_date_time: p.at,
      created_by: p.auditUser,
      updated_by: p.auditUser,
    }),
  ),
)

/** Sets the existing (extract, run) link to the event's status and time (0 rows: there is none). */
export const LINK_STATUS_ONE = prepare((db, p: Slots<OneEventValues>) =>
  db
    .updateTable('extract_process_tracking')
    .set({ extract_process_status_id: p.statusId, extract_process_event_date_time: p.at, update_date_time: p.at, updated_by: p.auditUser })
    .where('process_tracking_id', '=', p.processTrackingId)
    .where('extract_tracking_id', '=', p.extractId),
)

/** The event's history row. */
export const HISTORY_ONE = prepare((db, p: Slots<OneEventValues>) =>
  db.insertInto('extract_status_history').values({
    extract_id: p.extractId,
    process_tracking_id: p.processTrackingId,
    extract_status_id: p.statusId,
    event_date_time: p.at,
    created_by: p.auditUser,
    updated_by: p.auditUser,
  }),
)

/** What the link and history rows of one event carry, as SQL values (bound slots or the CTE's columns). */
export interface EventRowValues {
  processTrackingId: Expression<number>
  statusId: Expression<number>
  at: Expression<Date>
  createdBy: Expression<string>
  updatedBy: Expression<string>
}

/** The event's values bound as typed parameters (PostgreSQL must know the types of an INSERT … SELECT's parameters). */
export function boundEventValues(p: { processTrackingId: unknown; statusId: unknown; at: unknown; auditUser: unknown }): EventRowValues {
  return {
    processTrackingId: sql<number>`cast(${p.processTrackingId} as integer)`,
    statusId: sql<number>`cast(${p.statusId} as integer)`,
    at: sql<Date>`cast(${p.at} as timestamptz)`,
    createdBy: sql<string>`cast(${p.auditUser} as text)`,
    updatedBy: sql<string>`cast(${p.auditUser} as text)`,
  }
}

// From the expression builder, not the query creator: a creator that carries the statement's CTEs
// would repeat them inside the subquery.
function eventRows<TB extends keyof Database>(eb: ExpressionBuilder<Database, TB>, from: string, values: EventRowValues) {
  return eb
    .selectFrom(from as never)
    .select([
      sql.ref<number>(`${from}.extract_id`).as('extract_id'),
      sql<number>`${values.processTrackingId}`.as('process_tracking_id'),
      sql<number>`${values.statusId}`.as('status_id'),
      sql<Date>`${values.at}`.as('at'),
      sql<string>`${values.createdBy}`.as('created_by'),
      sql<string>`${values.updatedBy}`.as('updated_by'),
    ])
}

/**
 * Inserts the (extract, run) links of the extracts in CTE `from`. `'update'`: an existing link takes
 * the event's status and time (a status change, a claim); `'nothing'`: it is left as it is (a new
 * extract has none).
 */
export function insertRunLinksFrom<DB extends Database>(
  qb: QueryCreator<DB>,
  from: string,
  values: EventRowValues,
  onExisting: 'update' | 'nothing',
) {
  const creator = qb as unknown as QueryCreator<Database>
  return creator
    .insertInto('extract_process_tracking')
    .columns([
      'extract_tracking_id',
      'process_tracking_id',
      'extract_process_status_id',
      'extract_process_event_date_time',
      'created_by',
      'updated_by',
    ])
    .expression((eb) => eventRows(eb, from, values))
    .onConflict((oc) =>
      onExisting === 'nothing'
        ? oc.doNothing()
        : oc.columns(['extract_tracking_id', 'process_tracking_id']).doUpdateSet((eb) => ({
            extract_process_status_id: eb.ref('excluded.extract_process_status_id'),
            extract_process_event_date_time: eb.ref('excluded.extract_process_event_date_time'),
            update_date_time: eb.ref('excluded.extract_process_event_date_time'),
            updated_by: eb.ref('excluded.updated_by'),
          })),
    )
}

/** Inserts the history rows of the extracts in CTE `from`. */
export function insertHistoryFrom<DB extends Database>(qb: QueryCreator<DB>, from: string, values: EventRowValues) {
  const creator = qb as unknown as QueryCreator<Database>
  return creator
    .insertInto('extract_status_history')
    .columns(['extract_id', 'process_tracking_id', 'extract_status_id', 'event_date_time', 'created_by', 'updated_by'])
    .expression((eb) => eventRows(eb, from, values))
}
