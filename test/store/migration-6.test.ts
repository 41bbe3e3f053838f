import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataStore } from '../../src/index.ts'
import { contextOf } from '../../src/store/context.ts'
import { DROPPED_INDEXES } from '../../src/store/migrations/0006-outbox-index.ts'
import { MIGRATIONS, MIGRATION_TABLE, applyMigration } from '../../src/store/migrations/index.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'

/** The names of the indexes on lineage_outbox, as the database lists them, sorted. */
async function outboxIndexes(store: DataStore): Promise<string[]> {
  const { db } = contextOf(store)
  let rows: { name: string }[]
  if (store.dialect === 'sqlite') {
    ;({ rows } = await sql<{ name: string }>`select name from pragma_index_list('lineage_outbox') where origin = 'c'`.execute(db))
  } else if (store.dialect === 'postgresql') {
    ;({ rows } = await sql<{ name: string }>`
      select indexname as name from pg_indexes
      where schemaname = current_schema() and tablename = 'lineage_outbox' and indexname <> 'lineage_outbox_pkey'`.execute(db))
  } else {
    ;({ rows } = await sql<{ name: string }>`
      select distinct index_name as name from information_schema.statistics
      where table_schema = database() and table_name = 'lineage_outbox' and index_name <> 'PRIMARY'`.execute(db))
  }
  return rows.map((row) => row.name).sort()
}

async function versions(store: DataStore): Promise<number[]> {
  const rows = await contextOf(store)
    .db.selectFrom(MIGRATION_TABLE as never)
    .select('version' as never)
    .execute()
  return rows.map((row) => Number((row as { version: number }).version)).sort((a, b) => a - b)
}

const KEPT = ['lineage_outbox_idx1', 'lineage_outbox_idx2']

for (const dialect of DIALECTS) {
  describe(`${dialect}: migration 6 (outbox without the sent-time index)`, () => {
    let database: IsolatedDatabase
    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
    })
    afterAll(async () => {
      await database.drop()
    })

    it('a new store has the outbox indexes the claims use and not the sent-time one', async () => {
      const store = await database.open()
      try {
        expect(DROPPED_INDEXES).toEqual([['lineage_outbox', 'lineage_outbox_idx3']])
        expect(await outboxIndexes(store)).toEqual(KEPT)
        expect(await versions(store)).toEqual(MIGRATIONS.map((m) => m.version))
      } finally {
        await store.close()
      }
    })

    it('a store at schema 5 migrates to 6, a re-run finds the index gone, and re-opening is a no-op', async () => {
      const store = await database.open()
      try {
        const { db } = contextOf(store)
        // Back to schema 5: the index as migration 5 made it, and no record of 6 or later (the migrator
        // applies only versions above the highest recorded, so later ones are undone on record too).
        await db.schema.createIndex('lineage_outbox_idx3').on('lineage_outbox').column('sent_date_time').execute()
        await db
          .deleteFrom(MIGRATION_TABLE as never)
          .where('version' as never, '>=', 6 as never)
          .execute()
        expect(await outboxIndexes(store)).toEqual([...KEPT, 'lineage_outbox_idx3'])
        expect(await versions(store)).toEqual([1, 2, 3, 4, 5])
      } finally {
        await store.close()
      }

      const migrated = await database.open()
      try {
        expect(await outboxIndexes(migrated)).toEqual(KEPT)
        expect(await versions(migrated)).toEqual(MIGRATIONS.map((m) => m.version))
        // Run again over its own work, as MySQL does after a migration killed past the drop.
        const migration = MIGRATIONS.find((m) => m.version === 6)
        if (!migration) throw new Error('migration 6 missing')
        const { db, adapter } = contextOf(migrated)
        await applyMigration(db, adapter, migration)
        expect(await outboxIndexes(migrated)).toEqual(KEPT)
      } finally {
        await migrated.close()
      }

      const reopened = await database.open()
      try {
        expect(await outboxIndexes(reopened)).toEqual(KEPT)
        expect(await versions(reopened)).toEqual(MIGRATIONS.map((m) => m.version))
      } finally {
        await reopened.close()
      }
    })
  })
}
