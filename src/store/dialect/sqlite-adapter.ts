import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type SqliteDatabase from 'better-sqlite3'
import { SqliteAdapter, SqliteDialect, sql, type RawBuilder } from 'kysely'
import { ConfigError } from '../../errors.ts'
import type { ConnectionSpec } from '../../config/connection-spec.ts'
import {
  errorField,
  versionAtLeast,
  type AdapterOptions,
  type AnySelect,
  type Db,
  type DbErrorKind,
  type DialectAdapter,
} from './adapter.ts'
import { AdapterBase } from './adapter-base.ts'
import { waitForSqliteLock, wrapSqliteDatabase } from './sqlite-connection.ts'
import { SqliteCheckpointer } from './sqlite-checkpointer.ts'

/** SQLite keeps timestamps as sortable UTC text, the same shape `strftime('%Y-%m-%d %H:%M:%f')` gives. */
export function formatSqliteTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '')
}

const NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"

/**
 * SQLite through better-sqlite3: one connection per store, WAL, and every transaction opened with
 * `begin immediate`, which takes the database's single write lock up front. That lock is what
 * serialises start decisions and claims between the processes of one host; a second process waits
 * for it (up to `lockTimeoutMs`, see sqlite-connection.ts) instead of failing.
 */
class SqliteStoreAdapter extends AdapterBase {
  readonly dialect = 'sqlite'
  readonly kysely = new SqliteAdapter()
  // SQLite has no boolean, 64-bit or time types: integers and sortable text.
  protected override readonly columnTypes = { bigint: 'integer', bool: 'integer', timestamp: 'text' } as const
  readonly nowDefault = sql.raw(`(${NOW})`)
  readonly now = sql<Date>`${sql.raw(NOW)}`

  createDialect(spec: ConnectionSpec, options: AdapterOptions) {
    if (spec.dialect !== 'sqlite') throw new Error('sqlite adapter needs a sqlite connection')
    const filename = spec.filename
    // better-sqlite3 is imported by the database factory below, when the store first connects.
    return Promise.resolve({
      beginSql: 'begin immediate',
      waitForLock: waitForSqliteLock(options.lockTimeoutMs),
      mapParameter: (value: unknown) => {
        if (value instanceof Date) return formatSqliteTimestamp(value)
        if (typeof value === 'boolean') return value ? 1 : 0
        return value
      },
      kyselyDialect: new SqliteDialect({
        database: async () => {
          const { default: Database } = await import('better-sqlite3')
          if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true })
          let db: SqliteDatabase.Database
          try {
            db = new Database(filename, { timeout: options.lockTimeoutMs })
          } catch (error) {
            throw new ConfigError(
              `Cannot open the SQLite database ${filename}: ${error instanceof Error ? error.message : String(error)}. Check the path and its permissions.`,
              { filename },
              { cause: error },
            )
          }
          if (filename !== ':memory:') db.pragma('journal_mode = WAL')
          // WAL + NORMAL: a commit survives a crash of the process (what a tracker must survive);
          // the last commits may be lost on power failure. docs/performance.md has the trade-off.
          db.pragma('synchronous = NORMAL')
          db.pragma('foreign_keys = ON')
          // From here on, waiting for the write lock is done by wrapSqliteDatabase and waitForSqliteLock.
          db.pragma('busy_timeout = 0')
          return wrapSqliteDatabase(db, options.lockTimeoutMs, filename === ':memory:' ? undefined : new SqliteCheckpointer(db, filename))
        },
      }),
    })
  }

  secondsSince(column: string): RawBuilder<number> {
    return sql<number>`((julianday('now') - julianday(${sql.ref(column)})) * 86400.0)`
  }

  // `begin immediate` already holds the database's write lock: no row locks to take.
  override forUpdate<O>(query: AnySelect<O>): AnySelect<O> {
    return query
  }

  override forUpdateSkipLocked<O>(query: AnySelect<O>): AnySelect<O> {
    return query
  }

  override forUpdateNoWait<O>(query: AnySelect<O>): AnySelect<O> {
    return query
  }

  // withMigrationLock: the default. `begin immediate` is the lock: DDL is transactional in SQLite, so
  // the migration and its record commit together and a second process waits for the lock, then sees
  // the schema current.

  async prepare(db: Db): Promise<void> {
    const { rows } = await sql<{ version: string }>`select sqlite_version() as version`.execute(db)
    const version = rows[0]?.version ?? '0'
    if (!versionAtLeast(version, '3.35')) {
      throw new ConfigError(`SQLite ${version} is too old: processtracker needs SQLite 3.35 or newer.`)
    }
  }

  override async listTables(db: Db): Promise<string[]> {
    const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
    return rows.map((row) => row.name)
  }

  override async listColumns(db: Db, table: string): Promise<string[]> {
    const { rows } = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db)
    return rows.map((row) => row.name)
  }

  classifyError(error: unknown): DbErrorKind | null {
    const code = errorField(error, 'code')
    if (typeof code !== 'string') return null
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique'
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign-key'
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'lock-timeout'
    if (code.startsWith('SQLITE_CANTOPEN')) return 'unavailable'
    return null
  }
}

/** The SQLite adapter every SQLite store uses. */
export const sqliteAdapter: DialectAdapter = new SqliteStoreAdapter()
