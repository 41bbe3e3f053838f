import type { Db, DialectAdapter } from '../dialect/adapter.ts'
import { errorField } from '../dialect/adapter.ts'

/** An index a migration drops: `[table, index name]`. */
export type DroppedIndex = readonly [table: string, name: string]

/**
 * Migration 6 (0.2, unreleased): drops `lineage_outbox_idx3`, the outbox's index on
 * `sent_date_time`. Retention's purge walks sent rows by id through the status index
 * (`lineage_outbox_idx1`), so nothing reads this one, and every event written and sent paid for it
 * (about three SQLite pages per lifecycle with lineage on).
 */
export const DROPPED_INDEXES: readonly DroppedIndex[] = [['lineage_outbox', 'lineage_outbox_idx3']]

/** Drops {@link DROPPED_INDEXES}; an index already gone counts as dropped (see {@link dropIndexIfExists}). */
export async function dropUnusedIndexes(db: Db, adapter: DialectAdapter): Promise<void> {
  for (const [table, name] of DROPPED_INDEXES) await dropIndexIfExists(db, adapter, table, name)
}

/**
 * DROP INDEX that tolerates a missing index. SQLite and PostgreSQL say IF EXISTS (and roll an
 * interrupted migration back whole anyway). MySQL has no DROP INDEX IF EXISTS (MariaDB has) and its
 * DDL is not transactional, so a migration killed after the drop runs again over its own work: the
 * index being gone (1091, ER_CANT_DROP_FIELD_OR_KEY) counts as done.
 */
export async function dropIndexIfExists(db: Db, adapter: DialectAdapter, table: string, name: string): Promise<void> {
  if (adapter.dialect !== 'mysql') {
    await db.schema.dropIndex(name).ifExists().execute()
    return
  }
  try {
    await db.schema.dropIndex(name).on(table).execute()
  } catch (error) {
    if (errorField(error, 'errno') !== 1091) throw error
  }
}
