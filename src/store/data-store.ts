import os from 'node:os'
import { Kysely } from 'kysely'
import pino, { type Logger } from 'pino'
import type { Dialect } from '../config/connection-spec.ts'
import { resolveSettings } from '../config/settings.ts'
import { ConfigError } from '../errors.ts'
import type { StoreContext } from './context.ts'
import { translateDbError } from './db-errors.ts'
import type { Database } from './database.ts'
import type { DialectAdapter } from './dialect/adapter.ts'
import { InstrumentedDriver, type StatementCounts } from './dialect/instrumented-driver.ts'
import { mysqlAdapter } from './dialect/mysql-adapter.ts'
import { postgresAdapter } from './dialect/postgres-adapter.ts'
import { sqliteAdapter } from './dialect/sqlite-adapter.ts'
import { dropAll, migrate } from './migrator.ts'

/** Options of {@link DataStore.open}. Every one is optional; see the README for the resolution order. */
export interface OpenOptions {
  /** `sqlite:PATH`, `sqlite::memory:`, `postgres://…`, `postgresql://…` or `mysql://…`. */
  url?: string
  /** An ini file, or the folder holding `process_tracker_config.ini`; local or `s3://`. */
  configLocation?: string
  /** Failed runs in a row that put a process on hold (default 5; 0 disables the rule). */
  maxConcurrentFailures?: number
  /** Log level (DEBUG, INFO, WARNING, ERROR, CRITICAL) for the default logger. */
  logLevel?: string
  /** Create or upgrade the schema on open (default true). */
  migrate?: boolean
  /** PostgreSQL schema to work in (created when missing); default the connection's search_path. */
  schema?: string
  /** Connections in the pool, for PostgreSQL and MySQL (default 10). */
  poolSize?: number
  /** TLS for PostgreSQL and MySQL: `true`, or the driver's TLS options. */
  ssl?: boolean | Record<string, unknown>
  /** How long to wait for a lock before `PT_LOCK_TIMEOUT` (default 10 000 ms). */
  lockTimeoutMs?: number
  /** A pino logger to use instead of the default (stderr, at the configured level). */
  logger?: Logger
  /** Environment to read settings from (default `process.env`); tests pass their own. */
  env?: NodeJS.ProcessEnv
  /** Home folder holding `.process_tracker` (default the OS user's). */
  homeDir?: string
  /** Reads an `s3://` object as text, for a config file on S3. */
  readS3Object?: (s3Url: string) => Promise<string>
}

const ADAPTERS: Record<Dialect, DialectAdapter> = {
  sqlite: sqliteAdapter,
  postgresql: postgresAdapter,
  mysql: mysqlAdapter,
}

const PINO_LEVELS: Record<string, string> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
  FATAL: 'fatal',
  NOTSET: 'trace',
  SILENT: 'silent',
}

/**
 * A connection to the ProcessTracker data store: SQLite (the embedded default), PostgreSQL, or
 * MySQL/MariaDB. Open one per process and share it; it pools connections and caches lookup ids.
 *
 * @example
 * ```ts
 * const store = await DataStore.open({ url: 'postgres://pt:secret@db.internal:5432/process_tracker' })
 * try {
 *   console.log(store.dialect) // 'postgresql'
 * } finally {
 *   await store.close()
 * }
 * ```
 */
export class DataStore {
  /** Which database family this store talks to. */
  readonly dialect: Dialect
  /** @internal What the trackers use. */
  readonly context: StoreContext
  #closed = false

  private constructor(context: StoreContext) {
    this.context = context
    this.dialect = context.adapter.dialect
  }

  /**
   * Opens a store, creating or upgrading its schema (under a cross-process lock) unless
   * `migrate: false`. Where the connection comes from, first match wins: `url` > `configLocation`
   * > env `PROCESS_TRACKER_DATABASE_URL` > env `PROCESS_TRACKER_CONFIG` >
   * `~/.process_tracker/process_tracker_config.ini` > SQLite at `~/.process_tracker/process_tracker.db`.
   *
   * @throws ConfigError for a bad URL, a missing setting or an incompatible schema;
   *   DatabaseUnavailableError when the server cannot be reached or refuses the credentials.
   */
  static async open(options: OpenOptions = {}): Promise<DataStore> {
    const settings = await resolveSettings(
      {
        url: options.url,
        configLocation: options.configLocation,
        maxConcurrentFailures: options.maxConcurrentFailures,
        logLevel: options.logLevel,
        readS3Object: options.readS3Object,
      },
      options.env ?? process.env,
      options.homeDir ?? os.homedir(),
    )
    const lockTimeoutMs = options.lockTimeoutMs ?? 10_000
    if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 1) {
      throw new ConfigError(`lockTimeoutMs must be a positive whole number of milliseconds, not ${String(lockTimeoutMs)}.`)
    }
    const poolSize = options.poolSize ?? 10
    if (!Number.isInteger(poolSize) || poolSize < 1) {
      throw new ConfigError(`poolSize must be a positive whole number, not ${String(poolSize)}.`)
    }
    const spec = settings.connection
    const adapter = ADAPTERS[spec.dialect]
    const adapterOptions = { poolSize, lockTimeoutMs, ssl: options.ssl, schema: options.schema }
    const counts: StatementCounts = { statements: 0, commits: 0 }
    const { kyselyDialect, beginSql, mapParameter } = adapter.createDialect(spec, adapterOptions)
    const db = new Kysely<Database>({
      dialect: {
        createAdapter: () => kyselyDialect.createAdapter(),
        createDriver: () => new InstrumentedDriver(kyselyDialect.createDriver(), counts, beginSql, mapParameter),
        createIntrospector: (k) => kyselyDialect.createIntrospector(k),
        createQueryCompiler: () => kyselyDialect.createQueryCompiler(),
      },
    })
    const logger =
      options.logger ??
      pino({ level: PINO_LEVELS[settings.logLevel] ?? 'error', redact: ['password', '*.password'] }, pino.destination({ dest: 2, sync: true }))
    const context: StoreContext = {
      db,
      adapter,
      spec,
      maxConcurrentFailures: settings.maxConcurrentFailures,
      lockTimeoutMs,
      logger,
      counts,
      ids: new Map(),
      auditUser: osUser(),
      translate: (error) => translateDbError(error, adapter, spec),
    }
    try {
      await adapter.prepare(db, adapterOptions)
      if (options.migrate !== false) await migrate(db, adapter, lockTimeoutMs)
    } catch (error) {
      await db.destroy().catch(() => undefined)
      throw context.translate(error)
    }
    return new DataStore(context)
  }

  /** Statements and commits sent so far (BEGIN and COMMIT included); what the benchmark reports. */
  get statementCounts(): Readonly<StatementCounts> {
    return { ...this.context.counts }
  }

  /**
   * Creates processtracker's tables and default rows when missing. With `overwrite: true` it first
   * drops every table processtracker owns — all tracking data is lost — and recreates them.
   */
  async setup(options: { overwrite?: boolean } = {}): Promise<void> {
    const { db, adapter, lockTimeoutMs } = this.context
    try {
      if (options.overwrite) {
        await adapter.withMigrationLock(db, lockTimeoutMs, (locked) => dropAll(locked, adapter))
        this.context.ids.clear()
      }
      await migrate(db, adapter, lockTimeoutMs)
    } catch (error) {
      throw this.context.translate(error)
    }
  }

  /** Closes the pool. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.context.db.destroy()
  }
}

function osUser(): string {
  try {
    return os.userInfo().username
  } catch {
    return 'processtracker'
  }
}
