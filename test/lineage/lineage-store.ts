import type { DataStore } from '../../src/index.ts'
import { useIsolatedStore, type IsolatedDatabase, type TestDialectName } from '../support/dialects.ts'

/**
 * A store with lineage on whose receiver is a closed port, in an isolated database of its own for
 * the enclosing `describe`: events stay in the outbox for the test to read. Read `store` inside
 * hooks and tests (it is opened in a beforeAll).
 */
export function useLineageStoreReceiverDown(dialect: TestDialectName): { readonly store: DataStore; readonly database: IsolatedDatabase } {
  return useIsolatedStore(dialect, { lineage: { url: 'http://127.0.0.1:9' }, logLevel: 'SILENT' })
}
