import { PostgresAdapter, PostgresDialect, sql, type ColumnDefinitionBuilder, type RawBuilder } from 'kysely'
import type pg from 'pg'
import { ConfigError } from '../../errors.ts'
import type { ConnectionSpec } from '../../config/connection-spec.ts'
import { loadDriver } from '../load-driver.ts'
import { resolveSsl } from '../../config/connection-spec.ts'
import {
  NETWORK_ERROR_CODES,
  StatementTimeout,
  driverLimitMs,
  errorField,
  isConnectionLost,
  type AdapterOptions,
  type AnyInsert,
  type Db,
  type DbErrorKind,
  type DialectAdapter,
} from './adapter.ts'
import { AdapterBase } from './adapter-base.ts'
import { nameStatements } from './postgres-statements.ts'

// Counts are bigint (int8) and sizes numeric: parse them to numbers at the driver, once, instead of
// in every query. Counts beyond 2^53 are not a tracker's reality.
const INT8_OID = 20
const NUMERIC_OID = 1700
const pgTypes = (types: typeof pg.types) => ({
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value)
    return (types.getTypeParser as (oid: number, format?: string) => (value: string) => unknown)(oid, format)
  },
})

/**
 * PostgreSQL through node-postgres. Sessions run in UTC with `lock_timeout` set at connect time, so a
 * blocked `SELECT … FOR UPDATE` fails with 55P03 after `lockTimeoutMs` instead of hanging.
 */
class PostgresStoreAdapter extends AdapterBase {
  readonly dialect = 'postgresql'
  readonly kysely = new PostgresAdapter()
  protected override readonly columnTypes = { timestamp: sql`timestamptz(3)` }
  readonly nowDefault = sql`now()`
  readonly now = sql<Date>`now()`

  async createDialect(spec: ConnectionSpec, options: AdapterOptions) {
    if (spec.dialect !== 'postgresql') throw new Error('postgres adapter needs a postgresql connection')
    const limit = options.statementTimeoutMs
    const settings = [
      `-c lock_timeout=${options.lockTimeoutMs}`,
      // The server's own limits: a statement, and a transaction left idle by a client that froze or
      // vanished (its locks are freed instead of blocking every later start of that process).
      `-c statement_timeout=${limit}`,
      `-c idle_in_transaction_session_timeout=${limit}`,
      '-c TimeZone=UTC',
    ]
    if (options.schema) settings.push(`-c search_path=${quoteIdentifier(options.schema)}`)
    const { default: pgModule } = await loadDriver('pg', () => import('pg'))
    const pool = new pgModule.Pool({
      host: spec.host,
      port: spec.port,
      user: spec.user ?? undefined,
      password: spec.password ?? undefined,
      database: spec.database,
      max: options.poolSize,
      ssl: resolveSsl(spec, options.ssl),
      options: settings.join(' '),
      types: pgTypes(pgModule.types),
      // Also bounds the wait for a free pooled client (pool exhaustion).
      connectionTimeoutMillis: driverLimitMs(limit),
      keepAlive: true,
    })
    // An idle client whose server went away emits 'error'; without a listener Node would crash.
    pool.on('error', () => undefined)
    pool.on('connect', (client) => {
      // pg-pool stops listening to a client while it is checked out, and a client emits 'error'
      // when its connection drops (server restart, pg_terminate_backend): unheard, that crashes the
      // process. The query in flight is rejected on its own, which is what the caller gets.
      client.on('error', () => undefined)
      limitReplyTime(client, driverLimitMs(limit))
      nameStatements(client)
    })
    return { beginSql: 'begin', kyselyDialect: new PostgresDialect({ pool }) }
  }

  override idColumn(builder: ColumnDefinitionBuilder): ColumnDefinitionBuilder {
    return builder.primaryKey().generatedByDefaultAsIdentity()
  }

  secondsSince(column: string): RawBuilder<number> {
    return sql<number>`extract(epoch from (now() - ${sql.ref(column)}))::float8`
  }

  override async insertReturningId(query: AnyInsert, idColumn: string): Promise<number> {
    const row = await query.returning(sql<number>`${sql.ref(idColumn)}`.as('id')).executeTakeFirstOrThrow()
    return Number(row.id)
  }

  override async withMigrationLock<T>(db: Db, _lockTimeoutMs: number, work: (db: Db) => Promise<T>): Promise<T> {
    // DDL is transactional in PostgreSQL: the advisory lock is held until the migration, its
    // seeds and its record commit together; a second opener waits, then finds the schema current.
    return db.transaction().execute(async (trx) => {
      // One lock per schema, so stores in different schemas of one database migrate independently.
      await sql`select pg_advisory_xact_lock(hashtext('processtracker.migrate.' || current_schema()))`.execute(trx)
      return work(trx)
    })
  }

  async prepare(db: Db, options: AdapterOptions): Promise<void> {
    const { rows } = await sql<{ server_version_num: string }>`show server_version_num`.execute(db)
    const versionNum = Number(rows[0]?.server_version_num ?? 0)
    if (versionNum < 130000) {
      throw new ConfigError(`PostgreSQL ${versionNum} is too old: processtracker needs PostgreSQL 13 or newer.`)
    }
    if (options.schema) {
      try {
        await sql`create schema if not exists ${sql.id(options.schema)}`.execute(db)
      } catch (error) {
        // Two processes creating the schema at once: one of them meets the other's catalog row.
        if (errorField(error, 'code') !== '23505') throw error
      }
    }
  }

  classifyError(error: unknown): DbErrorKind | null {
    const code = errorField(error, 'code')
    if (typeof code !== 'string') return isConnectionLost(error) ? 'unavailable' : null
    if (code === '23505') return 'unique'
    if (code === '23503') return 'foreign-key'
    if (code === '40P01' || code === '40001') return 'retry'
    if (code === '55P03') return 'lock-timeout'
    if (code === '28P01' || code === '28000') return 'auth'
    if (code === '3D000') return 'missing-database'
    // 57014: statement_timeout (or a cancel); 25P03: idle_in_transaction_session_timeout.
    if (code === '57014' || code === '25P03' || code === 'PT_STATEMENT_TIMEOUT') return 'timeout'
    // Class 08 (connection exception), 57P01–57P05 (admin shutdown, crash shutdown, cannot connect
    // now, database dropped, idle session timeout), 53300 (too many connections).
    if (code.startsWith('08') || /^57P0[1-5]$/.test(code) || code === '53300' || NETWORK_ERROR_CODES.has(code)) return 'unavailable'
    return null
  }
}

/** The PostgreSQL adapter every PostgreSQL store uses. */
export const postgresAdapter: DialectAdapter = new PostgresStoreAdapter()

/**
 * Bounds the wait for every reply on one client. The server's statement_timeout cannot fire when the
 * server is frozen or the network is gone; this can. On expiry the connection is destroyed — its
 * state is unknown, and pg-pool drops a client that is no longer queryable — and the call gets a
 * coded timeout.
 */
function limitReplyTime(client: pg.PoolClient, ms: number): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const reply = query(...args)
    if (!(reply instanceof Promise)) return reply
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new StatementTimeout('PostgreSQL', ms))
        ;(client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy()
      }, ms)
    })
    return Promise.race([reply, expired]).finally(() => {
      clearTimeout(timer)
    })
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
