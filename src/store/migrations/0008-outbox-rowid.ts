import type { Db, DialectAdapter } from '../dialect/adapter.ts'
import { SQL_0005 } from './sql/0005-lineage.ts'

const OUTBOX = '"lineage_outbox"'
const REBUILT = '"lineage_outbox_rebuilt"'

/** Migration 5's SQLite statement that starts with `prefix` (the outbox as it was created). */
function frozen5(prefix: string): string {
  const statement = SQL_0005.sqlite.find((text) => text.startsWith(prefix))
  if (statement === undefined) throw new Error(`migration 8: migration 5 has no statement starting ${prefix}`)
  return statement
}

/**
 * The rebuild, statement by statement: the outbox's table as migration 5 created it, under another
 * name and without AUTOINCREMENT; its rows copied with their ids; the old table dropped (with its
 * `sqlite_sequence` row) and the new one renamed; the two indexes migration 6 kept.
 */
export const OUTBOX_REBUILD: readonly string[] = [
  frozen5(`create table if not exists ${OUTBOX} (`)
    .replace(`create table if not exists ${OUTBOX} (`, `create table ${REBUILT} (`)
    .replace('"outbox_id" integer primary key autoincrement,', '"outbox_id" integer primary key,'),
  `insert into ${REBUILT} select * from ${OUTBOX}`,
  `drop table ${OUTBOX}`,
  `alter table ${REBUILT} rename to ${OUTBOX}`,
  frozen5('create index if not exists "lineage_outbox_idx1"'),
  frozen5('create index if not exists "lineage_outbox_idx2"'),
]

/**
 * Migration 8 (0.2, unreleased), SQLite only: the lineage outbox without AUTOINCREMENT (issue 13).
 * An AUTOINCREMENT table updates its row of `sqlite_sequence` on every insert; on the lifecycle's
 * completion, the only commit where nothing else had written that page, the COMPLETE event cost one
 * more WAL page. Without it an outbox id is the table's rowid, one above the highest id present.
 * Ids keep their order, which is all the dispatcher needs (events of a run go in id order; retention
 * walks sent rows by id); an id can only come back after every row above it was purged, and nothing
 * refers to a purged event's id. Rows keep their ids. PostgreSQL and MySQL are left as they are.
 * The migration's transaction (`begin immediate`) holds the rebuild together.
 */
export async function rebuildOutboxWithoutAutoincrement(db: Db, adapter: DialectAdapter): Promise<void> {
  if (adapter.dialect !== 'sqlite') return
  for (const statement of OUTBOX_REBUILD) await adapter.executeMigrationStatement(db, statement)
}
