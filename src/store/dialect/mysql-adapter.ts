import {
  CompiledQuery,
  MysqlAdapter,
  MysqlDialect,
  sql,
  type CreateIndexBuilder,
  type CreateTableBuilder,
  type DatabaseConnection,
  type RawBuilder,
} from 'kysely'
import { ConfigError, DatabaseUnavailableError } from '../../errors.ts'
import type { Pool, PoolConnection } from 'mysql2'
import { resolveSsl, type ConnectionSpec } from '../../config/connection-spec.ts'
import { loadDriver } from '../load-driver.ts'
import {
  NETWORK_ERROR_CODES,
  StatementTimeout,
  driverLimitMs,
  errorField,
  isConnectionLost,
  versionAtLeast,
  type AdapterOptions,
  type AnyInsert,
  type Db,
  type DbErrorKind,
  type DialectAdapter,
} from './adapter.ts'
import { AdapterBase } from './adapter-base.ts'

/**
 * MySQL ≥ 8.0.1 and MariaDB ≥ 10.6 through mysql2. Sessions run in UTC (`timezone: 'Z'` on the
 * driver, `time_zone` on the server) and with `innodb_lock_wait_timeout` from `lockTimeoutMs`.
 * Tables use utf8mb4 with a binary collation so names compare exactly, as on the other databases.
 */
class MysqlStoreAdapter extends AdapterBase {
  readonly dialect = 'mysql'
  readonly kysely = new MysqlAdapter()
  protected override readonly columnTypes = { timestamp: sql`datetime(3)`, decimal: sql`decimal(24, 6)` }
  protected override readonly namespace = sql<string>`database()`
  readonly nowDefault = sql`(utc_timestamp(3))`
  readonly now = sql<Date>`utc_timestamp(3)`

  async createDialect(spec: ConnectionSpec, options: AdapterOptions) {
    const { createPool } = await loadDriver('mysql2', () => import('mysql2'))
    if (spec.dialect !== 'mysql') throw new Error('mysql adapter needs a mysql connection')
    const lockWaitSeconds = Math.max(1, Math.ceil(options.lockTimeoutMs / 1000))
    const limit = options.statementTimeoutMs
    const ssl = resolveSsl(spec, options.ssl)
    const pool = createPool({
      host: spec.host,
      port: spec.port,
      user: spec.user ?? undefined,
      password: spec.password ?? undefined,
      database: spec.database,
      connectionLimit: options.poolSize,
      ssl: typeof ssl === 'object' ? ssl : ssl ? {} : undefined,
      timezone: 'Z',
      dateStrings: false,
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: true,
      charset: 'UTF8MB4_BIN',
      connectTimeout: Math.min(10_000, driverLimitMs(limit)),
      enableKeepAlive: true,
    })
    // mysql2's pool connection stops listening after its first 'error'; a second one (a connection
    // killed while a command was queued) must not reach Node as an unhandled 'error' event.
    pool.on('connection', (connection) => {
      connection.on('error', () => undefined)
    })
    return {
      beginSql: 'begin',
      kyselyDialect: new MysqlDialect({
        pool: limitedPool(pool, driverLimitMs(limit)),
        onCreateConnection: async (connection) => {
          // lock_wait_timeout bounds table and metadata locks (DDL, LOCK TABLES), which
          // innodb_lock_wait_timeout (row locks) does not.
          await connection.executeQuery(
            CompiledQuery.raw(
              `set session time_zone = '+00:00', innodb_lock_wait_timeout = ${lockWaitSeconds}, lock_wait_timeout = ${lockWaitSeconds}`,
            ),
          )
          await limitStatementTime(connection, limit)
          // READ COMMITTED, as on PostgreSQL: after waiting for a lock, or for a concurrent insert of
          // the same key, the next statement must see what the other transaction committed.
          // MySQL's default REPEATABLE READ would keep showing the snapshot from before the wait.
          await connection.executeQuery(CompiledQuery.raw('set session transaction isolation level read committed'))
        },
      }),
    }
  }

  override finishTable<T extends string, C extends string>(builder: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> {
    return builder.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`)
  }

  secondsSince(column: string): RawBuilder<number> {
    return sql<number>`(timestampdiff(microsecond, ${sql.ref(column)}, utc_timestamp(3)) / 1000000.0)`
  }

  override insertIgnoringDuplicates(query: AnyInsert): AnyInsert {
    return query.ignore()
  }

  /**
   * MySQL has no CREATE INDEX IF NOT EXISTS (MariaDB has), and its DDL is not transactional: a
   * migration killed half-way is resumed over its own work, so an index that exists (1061,
   * ER_DUP_KEYNAME) counts as created.
   */
  override createIndexIfNotExists(builder: CreateIndexBuilder): CreateIndexBuilder {
    return new Proxy(builder, {
      get(target, property, receiver) {
        if (property !== 'execute') return Reflect.get(target, property, receiver) as unknown
        return async () => {
          try {
            await target.execute()
          } catch (error) {
            if (errorField(error, 'errno') !== 1061) throw error
          }
        }
      },
    })
  }

  /**
   * DDL is not transactional here: a frozen migration killed half-way is run again from its first
   * statement, so a column (1060, ER_DUP_FIELDNAME) or index (1061, ER_DUP_KEYNAME) that exists
   * counts as made. Tables are created with IF NOT EXISTS.
   */
  override async executeMigrationStatement(db: Db, statement: string): Promise<void> {
    try {
      await sql.raw(statement).execute(db)
    } catch (error) {
      const errno = errorField(error, 'errno')
      if (errno !== 1060 && errno !== 1061) throw error
    }
  }

  override async withMigrationLock<T>(db: Db, lockTimeoutMs: number, work: (db: Db) => Promise<T>): Promise<T> {
    // MySQL commits DDL implicitly, so a transaction cannot hold the lock: a named session lock on
    // one pinned connection does. The server releases it if this process dies mid-migration.
    return db.connection().execute(async (connection) => {
      const seconds = Math.max(1, Math.ceil(lockTimeoutMs / 1000))
      // Named locks are server-wide: one per database, so databases migrate independently.
      const { rows } = await sql<{
        locked: number | null
      }>`select get_lock(concat('processtracker.migrate.', database()), ${seconds}) as locked`.execute(connection)
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
  }

  async prepare(db: Db): Promise<void> {
    const { rows } = await sql<{ version: string }>`select version() as version`.execute(db)
    const version = rows[0]?.version ?? '0'
    const mariadb = /mariadb/i.test(version)
    const minimum = mariadb ? '10.6' : '8.0.1'
    if (!versionAtLeast(version.split('-')[0] ?? '0', minimum)) {
      throw new ConfigError(
        `${mariadb ? 'MariaDB' : 'MySQL'} ${version} is too old: processtracker needs ${mariadb ? 'MariaDB' : 'MySQL'} ${minimum} or newer.`,
      )
    }
  }

  classifyError(error: unknown): DbErrorKind | null {
    const errno = errorField(error, 'errno')
    const code = errorField(error, 'code')
    if (errno === 1062) return 'unique'
    if (errno === 1451 || errno === 1452) return 'foreign-key'
    if (errno === 1213) return 'retry'
    // 1205: lock wait timeout (MariaDB also for NOWAIT); 3572: MySQL's NOWAIT refusal.
    if (errno === 1205 || errno === 3572) return 'lock-timeout'
    if (errno === 1045 || errno === 1044) return 'auth'
    if (errno === 1049) return 'missing-database'
    // 1969: MariaDB max_statement_time; 3024: MySQL max_execution_time.
    if (errno === 1969 || errno === 3024 || code === 'PT_STATEMENT_TIMEOUT' || code === 'PROTOCOL_SEQUENCE_TIMEOUT') return 'timeout'
    // 1053 server shutdown, 1927 connection killed (MariaDB), 2006/2013 server gone / lost,
    // 4031 idle client disconnected (MySQL), 1040 too many connections, 1152/1158–1161 network.
    if (typeof errno === 'number' && [1040, 1053, 1152, 1158, 1159, 1160, 1161, 1927, 2006, 2013, 4031].includes(errno))
      return 'unavailable'
    if (typeof code === 'string' && (NETWORK_ERROR_CODES.has(code) || code.startsWith('PROTOCOL_') || code === 'ER_SERVER_SHUTDOWN')) {
      return 'unavailable'
    }
    if (isConnectionLost(error)) return 'unavailable'
    return null
  }
}

/** The MySQL/MariaDB adapter every MySQL or MariaDB store uses. */
export const mysqlAdapter: DialectAdapter = new MysqlStoreAdapter()

/**
 * The server's own statement limit: MariaDB's `max_statement_time` (every statement); MySQL has only
 * `max_execution_time` (SELECTs), and the driver-side limit of {@link limitedPool} covers the rest.
 */
async function limitStatementTime(connection: DatabaseConnection, ms: number): Promise<void> {
  try {
    await connection.executeQuery(CompiledQuery.raw(`set session max_statement_time = ${(ms / 1000).toFixed(3)}`))
  } catch (error) {
    if (errorField(error, 'errno') !== 1193) throw error // 1193: unknown variable, i.e. MySQL
    await connection.executeQuery(CompiledQuery.raw(`set session max_execution_time = ${Math.ceil(ms)}`))
  }
}

type QueryCallback = (error: Error | null, result?: unknown) => void

/**
 * The pool as Kysely's MySQL dialect sees it, with time limits the driver lacks: waiting for a free
 * connection (pool exhaustion) and waiting for each reply (a frozen server, a dead network). A
 * connection that missed its reply is destroyed — its state is unknown — and the call gets a coded
 * timeout instead of hanging until the server wakes up.
 */
function limitedPool(pool: Pool, ms: number) {
  /**
   * mysql2 keeps a connection whose handshake failed (a frozen or restarting server) in its list,
   * where it holds a slot of the pool forever — the pool never recovers — and makes `pool.end()`
   * emit an unhandled 'error'. Such connections carry `_fatalError`; they are destroyed here
   * (which takes them out of the pool) whenever getting a connection failed, and before closing.
   */
  const sweepDeadConnections = () => {
    const all = (pool as unknown as { _allConnections?: { toArray(): unknown[] } })._allConnections
    for (const connection of all?.toArray() ?? []) {
      const dead = connection as PoolConnection & { _fatalError?: unknown }
      if (dead._fatalError) {
        dead.on('error', () => undefined)
        dead.destroy()
      }
    }
  }
  // One wrapper per connection: Kysely keys its per-connection state (and onCreateConnection) on it.
  const wrapped = new WeakMap<PoolConnection, PoolConnection>()
  const limitConnection = (connection: PoolConnection) => {
    const known = wrapped.get(connection)
    if (known) return known
    const query = connection.query.bind(connection) as (sql: string, values: unknown, callback: QueryCallback) => unknown
    const proxy = new Proxy(connection, {
      get(target, property) {
        if (property !== 'query') {
          // Bound to the connection itself: release() hands `this` to the pool, which must get
          // the connection it knows, not this wrapper (or it could never remove it again).
          const value = Reflect.get(target, property, target) as unknown
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
        }
        return (sql: string, values: unknown, callback?: QueryCallback) => {
          // Without a callback Kysely wants the streaming form; it is not time-limited.
          if (!callback) return (query as unknown as (sql: string, values: unknown) => unknown)(sql, values)
          let done = false
          const timer = setTimeout(() => {
            if (done) return
            done = true
            target.destroy()
            callback(new StatementTimeout('MySQL', ms))
          }, ms)
          return query(sql, values, (error, result) => {
            clearTimeout(timer)
            if (done) return
            done = true
            // A fatal error handed to the query (the server closed the connection mid-statement)
            // leaves mysql2's connection in the pool, closed; every later user would fail on it.
            if (error && (error as Error & { fatal?: boolean }).fatal) target.destroy()
            callback(error, result)
          })
        }
      },
    })
    wrapped.set(connection, proxy)
    return proxy
  }
  return {
    getConnection(callback: (error: NodeJS.ErrnoException | null, connection: PoolConnection) => void): void {
      let done = false
      const timer = setTimeout(() => {
        done = true
        sweepDeadConnections()
        callback(new StatementTimeout('MySQL connection pool', ms), undefined as never)
      }, ms)
      pool.getConnection((error, connection) => {
        clearTimeout(timer)
        if (error) sweepDeadConnections()
        if (done) {
          // Came too late: the caller has already been told; give the connection back.
          if (!error) connection.release()
          return
        }
        if (!error && (connection as PoolConnection & { _fatalError?: unknown })._fatalError) {
          // A connection that died while idle in the pool: drop it and take another.
          connection.destroy()
          this.getConnection(callback)
          return
        }
        done = true
        if (error) callback(error, connection)
        else callback(null, limitConnection(connection))
      })
    },
    end(callback: (error: NodeJS.ErrnoException | null) => void): void {
      // Connections the server or a time limit already closed cannot be ended again: not an error.
      sweepDeadConnections()
      pool.end((error) => {
        callback(error && !isConnectionLost(error) ? error : null)
      })
    },
  }
}
