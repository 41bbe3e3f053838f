import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataStore } from '../../src/index.ts'
import { READ_INDEXES } from '../../src/store/migrations/0004-read-indexes.ts'
import { MIGRATION_TABLE, SCHEMA_VERSION } from '../../src/store/migrations/index.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { contextOf } from '../../src/store/context.ts'

/** The names of the indexes on process_tracking, as the database lists them. */
async function indexNames(store: DataStore): Promise<string[]> {
  const { db } = contextOf(store)
  if (store.dialect === 'sqlite') {
    const { rows } = await sql<{ name: string }>`select name from pragma_index_list('process_tracking')`.execute(db)
    return rows.map((row) => row.name)
  }
  if (store.dialect === 'postgresql') {
    const { rows } = await sql<{
      name: string
    }>`select indexname as name from pg_indexes where schemaname = current_schema() and tablename = 'process_tracking'`.execute(db)
    return rows.map((row) => row.name)
  }
  const { rows } = await sql<{
    name: string
  }>`select distinct index_name as name from information_schema.statistics where table_schema = database() and table_name = 'process_tracking'`.execute(
    db,
  )
  return rows.map((row) => row.name)
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: migration 4 (read indexes)`, () => {
    let database: IsolatedDatabase
    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
    })
    afterAll(async () => {
      await database.drop()
    })

    it('creates the read indexes and records migration 4', async () => {
      const store = await database.open()
      try {
        expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(4)
        expect(await indexNames(store)).toEqual(expect.arrayContaining(READ_INDEXES.map(([, name]) => name)))
        const versions = await contextOf(store)
          .db.selectFrom(MIGRATION_TABLE as never)
          .select('version' as never)
          .execute()
        expect(versions.map((row) => Number((row as { version: number }).version))).toContain(4)
      } finally {
        await store.close()
      }
    })
  })
}
