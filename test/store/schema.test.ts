import { beforeAll, describe, expect, it } from 'vitest'
import type { DataStore } from '../../src/index.ts'
import { OWN_TABLES } from '../../src/store/migrations/index.ts'
import { SEEDS } from '../../src/store/migrations/seeds.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { contextOf } from '../../src/store/context.ts'

for (const dialect of DIALECTS) {
  describe(`${dialect}: schema and seeds`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    beforeAll(() => {
      store = isolated.store
    })

    it('reports its dialect', () => {
      expect(store.dialect).toBe(dialect)
    })

    it('creates every table of the data model', async () => {
      const tables = await contextOf(store).adapter.listTables(contextOf(store).db)
      for (const table of OWN_TABLES) expect(tables).toContain(table)
      expect(tables).toContain('process_tracker_migration')
    })

    it('seeds every default row, protected', async () => {
      for (const set of SEEDS) {
        const rows = (await contextOf(store)
          .db.selectFrom(set.table as 'actor_lkup')
          .selectAll()
          .execute()) as unknown as Record<string, unknown>[]
        for (const seed of set.rows) {
          const row = rows.find((r) => r[set.key] === seed[set.key])
          expect(row, `${set.table} ${String(seed[set.key])}`).toBeDefined()
          expect(Boolean(row?.is_protected)).toBe(true)
        }
      }
    })
  })
}
