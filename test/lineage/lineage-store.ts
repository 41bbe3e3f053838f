import { afterAll, beforeAll } from 'vitest'
import type { DataStore } from '../../src/index.ts'
import { createIsolatedDatabase, type IsolatedDatabase, type TestDialectName } from '../support/dialects.ts'

/**
 * A store with lineage on whose receiver is a closed port, in an isolated database of its own for
 * the enclosing `describe`: events stay in the outbox for the test to read. Read `store` inside
 * hooks and tests (it is opened in a beforeAll).
 */
export function useLineageStoreReceiverDown(dialect: TestDialectName): { readonly store: DataStore; readonly database: IsolatedDatabase } {
  let database: IsolatedDatabase | undefined
  let store: DataStore | undefined
  beforeAll(async () => {
    database = await createIsolatedDatabase(dialect)
    store = await database.open({ lineage: { url: 'http://127.0.0.1:9' }, logLevel: 'SILENT' })
  })
  afterAll(async () => {
    await store?.close()
    await database?.drop()
  })
  return {
    get store() {
      if (!store) throw new Error('the store is opened in beforeAll')
      return store
    },
    get database() {
      if (!database) throw new Error('the database is created in beforeAll')
      return database
    },
  }
}
