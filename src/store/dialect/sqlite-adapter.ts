import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type SqliteDatabase from 'better-sqlite3'
import { SqliteDialect, sql } from 'kysely'
import { ConfigError } from '../../errors.ts'
import type { ColumnSpec } from '../migrations/table-spec.ts'
import { ON_CONFLICT_INSERTS, errorField, versionAtLeast, type DialectAdapter } from './adapter.ts'
import { waitForSqliteLock, wrapSqliteDatabase } from './sqlite-connection.ts'

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
export const sqliteAdapter: DialectAdapter = {
  dialect: 'sqlite',

  createDialect(spec, options) {
    if (spec.dialect !== 'sqlite') throw new Error('sqlite adapter needs a sqlite connection')
    const filename = spec.filename
    // better-sqlite3 is imported by the database factory below, when the store first connects.
    return Promise.resolve({
      beginSql: 'begin immediate',
      waitForLock: waitForSqliteLock(options.lockTimeoutMs),
      mapParameter: (value) => {
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
          return wrapSqliteDatabase(db, options.lockTimeoutMs)
        },
      }),
    })
  },

  columnType(column: ColumnSpec) {
    switch (column.kind) {
      case 'id':
      case 'int':
      case 'bigint':
      case 'bool':
        return 'integer'
      case 'str':
        return sql`varchar(${sql.raw(String(column.length ?? 250))})`
      case 'timestamp':
        return 'text'
      case 'decimal':
        return 'numeric'
    }
  },
  idColumn: (builder) => builder.primaryKey().autoIncrement(),
  finishTable: (builder) => builder,
  nowDefault: sql.raw(`(${NOW})`),
  now: sql<Date>`${sql.raw(NOW)}`,
  secondsSince: (column) => sql<number>`((julianday('now') - julianday(${sql.ref(column)})) * 86400.0)`,

  async insertReturningId(query) {
    const result = await query.executeTakeFirstOrThrow()
    return Number(result.insertId)
  },
  ...ON_CONFLICT_INSERTS,
  forUpdate: (query) => query,
  forUpdateSkipLocked: (query) => query,
  forUpdateNoWait: (query) => query,

  async withMigrationLock(db, _lockTimeoutMs, work) {
    // `begin immediate` is the lock: DDL is transactional in SQLite, so the migration and its record
    // commit together and a second process waits for the lock, then sees the schema current.
    return db.transaction().execute((trx) => work(trx))
  },

  async prepare(db) {
    const { rows } = await sql<{ version: string }>`select sqlite_version() as version`.execute(db)
    const version = rows[0]?.version ?? '0'
    if (!versionAtLeast(version, '3.35')) {
      throw new ConfigError(`SQLite ${version} is too old: processtracker needs SQLite 3.35 or newer.`)
    }
  },

  async listTables(db) {
    const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
    return rows.map((row) => row.name)
  },

  classifyError(error) {
    const code = errorField(error, 'code')
    if (typeof code !== 'string') return null
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique'
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign-key'
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'lock-timeout'
    if (code.startsWith('SQLITE_CANTOPEN')) return 'unavailable'
    return null
  },
}
