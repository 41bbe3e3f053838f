import { CompiledQuery, MysqlDialect, sql } from 'kysely'
import { ConfigError, DatabaseUnavailableError } from '../../errors.ts'
import type { ColumnSpec } from '../migrations/table-spec.ts'
import { NETWORK_ERROR_CODES, errorField, versionAtLeast, type DialectAdapter } from './adapter.ts'


/**
 * MySQL ≥ 8.0.1 and MariaDB ≥ 10.6 through mysql2. Sessions run in UTC (`timezone: 'Z'` on the
 * driver, `time_zone` on the server) and with `innodb_lock_wait_timeout` from `lockTimeoutMs`.
 * Tables use utf8mb4 with a binary collation so names compare exactly, as on the other databases.
 */
export const mysqlAdapter: DialectAdapter = {
  dialect: 'mysql',

  async createDialect(spec, options) {
    const { createPool } = await import('mysql2')
    if (spec.dialect !== 'mysql') throw new Error('mysql adapter needs a mysql connection')
    const lockWaitSeconds = Math.max(1, Math.ceil(options.lockTimeoutMs / 1000))
    const pool = createPool({
      host: spec.host,
      port: spec.port,
      user: spec.user ?? undefined,
      password: spec.password ?? undefined,
      database: spec.database,
      connectionLimit: options.poolSize,
      ssl: typeof options.ssl === 'object' ? options.ssl : options.ssl ? {} : undefined,
      timezone: 'Z',
      dateStrings: false,
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: true,
      charset: 'UTF8MB4_BIN',
      connectTimeout: 10_000,
    })
    return {
      beginSql: 'begin',
      kyselyDialect: new MysqlDialect({
        pool,
        onCreateConnection: async (connection) => {
          await connection.executeQuery(
            CompiledQuery.raw(`set session time_zone = '+00:00', innodb_lock_wait_timeout = ${lockWaitSeconds}`),
          )
          // READ COMMITTED, as on PostgreSQL: after waiting for a lock, or for a concurrent insert of
          // the same key, the next statement must see what the other transaction committed.
          // MySQL's default REPEATABLE READ would keep showing the snapshot from before the wait.
          await connection.executeQuery(CompiledQuery.raw('set session transaction isolation level read committed'))
        },
      }),
    }
  },

  columnType(column: ColumnSpec) {
    switch (column.kind) {
      case 'id':
      case 'int':
        return 'integer'
      case 'bigint':
        return 'bigint'
      case 'bool':
        return 'boolean'
      case 'str':
        return sql`varchar(${sql.raw(String(column.length ?? 250))})`
      case 'timestamp':
        return sql`datetime(3)`
      case 'decimal':
        return sql`decimal(24, 6)`
    }
  },
  idColumn: (builder) => builder.primaryKey().autoIncrement(),
  finishTable: (builder) => builder.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`),
  nowDefault: sql`(utc_timestamp(3))`,
  now: sql<Date>`utc_timestamp(3)`,
  secondsSince: (column) => sql<number>`(timestampdiff(microsecond, ${sql.ref(column)}, utc_timestamp(3)) / 1000000.0)`,

  async insertReturningId(query) {
    const result = await query.executeTakeFirstOrThrow()
    return Number(result.insertId)
  },
  insertIgnoringDuplicates: (query) => query.ignore(),
  async insertIgnoringReturningId(query) {
    // No RETURNING through Kysely's MySQL dialect: an INSERT IGNORE that skipped reports 0 rows.
    const result = await query.ignore().executeTakeFirst()
    const created = Number(result.numInsertedOrUpdatedRows ?? 0) > 0 && result.insertId !== undefined
    return created ? Number(result.insertId) : undefined
  },
  returnsInsertedRows: false,
  // MySQL has no CREATE INDEX IF NOT EXISTS (MariaDB has); a re-run migration meets its own index.
  createIndexIfNotExists: (builder) => builder,
  forUpdate: (query) => query.forUpdate(),
  forUpdateSkipLocked: (query) => query.forUpdate().skipLocked(),
  forUpdateNoWait: (query) => query.forUpdate().noWait(),

  async withMigrationLock(db, lockTimeoutMs, work) {
    // MySQL commits DDL implicitly, so a transaction cannot hold the lock: a named session lock on
    // one pinned connection does. The server releases it if this process dies mid-migration.
    return db.connection().execute(async (connection) => {
      const seconds = Math.max(1, Math.ceil(lockTimeoutMs / 1000))
      // Named locks are server-wide: one per database, so databases migrate independently.
      const { rows } = await sql<{ locked: number | null }>`select get_lock(concat('processtracker.migrate.', database()), ${seconds}) as locked`.execute(connection)
      if (rows[0]?.locked !== 1) {
        throw new DatabaseUnavailableError(
          `Another process held the migration lock for more than ${seconds}s. Retry, or raise lockTimeoutMs.`,
          {},
          { code: 'PT_LOCK_TIMEOUT' },
        )
      }
      try {
        return await work(connection)
      } finally {
        await sql`select release_lock(concat('processtracker.migrate.', database()))`.execute(connection)
      }
    })
  },

  async prepare(db) {
    const { rows } = await sql<{ version: string }>`select version() as version`.execute(db)
    const version = rows[0]?.version ?? '0'
    const mariadb = /mariadb/i.test(version)
    const minimum = mariadb ? '10.6' : '8.0.1'
    if (!versionAtLeast(version.split('-')[0] ?? '0', minimum)) {
      throw new ConfigError(
        `${mariadb ? 'MariaDB' : 'MySQL'} ${version} is too old: processtracker needs ${mariadb ? 'MariaDB' : 'MySQL'} ${minimum} or newer.`,
      )
    }
  },

  async listTables(db) {
    const { rows } = await sql<{ name: string }>`
      select table_name as name from information_schema.tables where table_schema = database()`.execute(db)
    return rows.map((row) => row.name)
  },

  classifyError(error) {
    const errno = errorField(error, 'errno')
    const code = errorField(error, 'code')
    if (errno === 1062) return 'unique'
    if (errno === 1451 || errno === 1452) return 'foreign-key'
    if (errno === 1213) return 'retry'
    // 1205: lock wait timeout (MariaDB also for NOWAIT); 3572: MySQL's NOWAIT refusal.
    if (errno === 1205 || errno === 3572) return 'lock-timeout'
    if (errno === 1045 || errno === 1044) return 'auth'
    if (errno === 1049) return 'missing-database'
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return 'unavailable'
    return null
  },
}
