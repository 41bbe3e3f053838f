import { sql } from 'kysely'
import type { Db, DialectAdapter } from '../dialect/adapter.ts'
import { uuidv7 } from '../uuid7.ts'
import type { AddedColumns } from './table-spec.ts'
import { col, type TableSpec } from './table-spec.ts'

/**
 * Migration 5 (0.2, OpenLineage; lineage.md):
 *
 * - `process_tracking.run_uuid`: every run's OpenLineage `runId`, a UUIDv7 made at start. Added
 *   nullable (as every added column is), existing runs get one here, then a UNIQUE index.
 * - `source_lkup.source_uri`: the optional dataset namespace of a source (else `processtracker`).
 * - `lineage_outbox`: the transactional outbox. A change that emits an event inserts its row in the
 *   change's own transaction; dispatchers claim rows (`outbox_status` pending → sent | rejected),
 *   the head of each run first, so a run's events leave in order. `payload` is the event as first
 *   sent (kept for inspection); `response` what a receiver answered to a rejected one.
 */
export const LINEAGE_TABLES: TableSpec[] = [
  {
    name: 'lineage_outbox',
    columns: {
      outbox_id: col.id(),
      process_tracking_id: col.int(),
      event_type: col.str(10),
      event_time: col.timestamp(),
      job_namespace: col.str(250),
      // Snapshots of the run at the event, taken by the INSERT … SELECT that writes the row.
      run_status_id: col.int({ nullable: true }),
      run_record_count: col.bigint({ nullable: true }),
      run_low_date_time: col.timestamp({ nullable: true }),
      run_high_date_time: col.timestamp({ nullable: true }),
      // START only: what the start options said (ISO text, so the INSERT … SELECT binds text alone).
      nominal_start_time: col.str(40, { nullable: true }),
      parent_namespace: col.str(250, { nullable: true }),
      parent_name: col.str(250, { nullable: true }),
      parent_run_id: col.str(36, { nullable: true }),
      outbox_status: col.str(10, { default: 'pending' }),
      attempt_count: col.int({ default: 0 }),
      next_attempt_date_time: col.timestamp({ nullable: true }),
      lease_owner: col.str(64, { nullable: true }),
      lease_until_date_time: col.timestamp({ nullable: true }),
      sent_date_time: col.timestamp({ nullable: true }),
      payload: col.str(4000, { nullable: true }),
      response: col.str(2000, { nullable: true }),
    },
    indexes: [['outbox_status', 'outbox_id'], ['process_tracking_id', 'outbox_id'], ['sent_date_time']],
  },
]

export const LINEAGE_COLUMNS: readonly AddedColumns[] = [
  { table: 'process_tracking', columns: { run_uuid: col.str(36, { nullable: true }) } },
  { table: 'source_lkup', columns: { source_uri: col.str(2048, { nullable: true }) } },
]

const BATCH = 500

/**
 * The schema changes the table spec cannot express: `payload` may hold any event (an event with many
 * files outgrows any varchar, and the portable spec has no text type), and `run_uuid` is unique.
 * Frozen since 0.2 (`sql/0005-lineage.ts` is what runs); kept as the record of how that SQL was made.
 */
export async function lineageDdl(db: Db, adapter: DialectAdapter): Promise<void> {
  if (adapter.dialect === 'postgresql') await sql`alter table lineage_outbox alter column payload type text`.execute(db)
  if (adapter.dialect === 'mysql') await sql`alter table lineage_outbox modify payload mediumtext null`.execute(db)
  await adapter
    .createIndexIfNotExists(db.schema.createIndex('process_tracking_udx_run_uuid').unique().on('process_tracking').columns(['run_uuid']))
    .execute()
}

/**
 * Gives existing runs a UUIDv7 (a store upgraded from schema 4 has runs without one). Plain queries,
 * not schema helpers, so this data step is not frozen and runs after the schema changes.
 */
export async function backfillRunUuids(db: Db): Promise<void> {
  for (;;) {
    const rows = await db
      .selectFrom('process_tracking')
      .select('process_tracking_id')
      .where('run_uuid', 'is', null)
      .orderBy('process_tracking_id')
      .limit(BATCH)
      .execute()
    if (rows.length === 0) break
    // Ordered by id, so the ids' time order follows the runs' (made now, at one millisecond each).
    const base = Date.now() - rows.length
    const cases = rows.map((row, i) => sql`when ${row.process_tracking_id} then ${uuidv7(base + i)}`)
    await db
      .updateTable('process_tracking')
      .set({ run_uuid: sql<string>`case process_tracking_id ${sql.join(cases, sql` `)} end` })
      .where(
        'process_tracking_id',
        'in',
        rows.map((row) => row.process_tracking_id),
      )
      .execute()
  }
}
