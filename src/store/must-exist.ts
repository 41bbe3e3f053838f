import { existsSync } from 'node:fs'
import { describeConnection, type ConnectionSpec } from '../config/connection-spec.ts'
import { ConfigError } from '../errors.ts'
import type { Db, DialectAdapter } from './dialect/adapter.ts'
import { MIGRATION_TABLE } from './migrations/index.ts'

/**
 * `DataStore.open({ mustExist: true })`: what reading commands open with, so that looking at a store
 * never creates one (no SQLite file or folder, no PostgreSQL schema, no tables).
 */
function missingStore(spec: ConnectionSpec, schema: string | undefined, what: string): ConfigError {
  const store = `${describeConnection(spec)}${schema === undefined ? '' : ` (schema ${schema})`}`
  return new ConfigError(`The store ${store} ${what}: run \`processtracker setup\` to create it.`, { store })
}

/** Before connecting: a SQLite store must be an existing file (an in-memory one never exists). */
export function assertStoreFileExists(spec: ConnectionSpec, schema: string | undefined): void {
  if (spec.dialect !== 'sqlite') return
  if (spec.filename === ':memory:' || !existsSync(spec.filename)) throw missingStore(spec, schema, 'does not exist')
}

/** After connecting: the working namespace must hold processtracker's schema. */
export async function assertSchemaExists(db: Db, adapter: DialectAdapter, spec: ConnectionSpec, schema: string | undefined): Promise<void> {
  const tables = await adapter.listTables(db)
  if (!tables.includes(MIGRATION_TABLE)) throw missingStore(spec, schema, 'has no processtracker schema')
}
