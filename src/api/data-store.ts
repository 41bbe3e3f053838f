import os from 'node:os'
import { Kysely } from 'kysely'
import pino, { type Logger } from 'pino'
import type { Dialect } from '../config/connection-spec.ts'
import { resolveSettings, type ConnectionSource } from '../config/settings.ts'
import { formatDatabaseUrl } from '../config/connection-spec.ts'
import { ConfigError } from '../errors.ts'
import { bindContext, type StoreContext } from '../store/context.ts'
import './internal.ts'
import { translateDbError } from '../store/db-errors.ts'
import type { Database } from '../store/database.ts'
import type { DialectAdapter } from '../store/dialect/adapter.ts'
import { InstrumentedDriver, type StatementCounts } from '../store/dialect/instrumented-driver.ts'
import { mysqlAdapter } from '../store/dialect/mysql-adapter.ts'
import { postgresAdapter } from '../store/dialect/postgres-adapter.ts'
import { sqliteAdapter } from '../store/dialect/sqlite-adapter.ts'
import { dropAll, migrate } from '../store/migrator.ts'
import { assertSchemaExists, assertStoreFileExists } from '../store/must-exist.ts'
import { listExtractHistory, type ExtractHistoryEntry } from '../extract/history.ts'
import { readS3Object } from '../extract/s3-client.ts'
import * as admin from '../tracker/admin.ts'
import type { DependencyChange, Explanation } from '../tracker/admin.ts'
import { defineProcess } from '../tracker/define-process.ts'
import type { StartOptions } from '../tracker/start-options.ts'
import { Lookups } from '../tracker/lookups.ts'
import * as reading from '../tracker/reading.ts'
import type { ListRunsOptions, ProcessInfo, RunError, RunInfo } from '../tracker/reading.ts'
import type { LineageOptions } from '../lineage/config.ts'
import type { Dispatcher } from '../lineage/dispatcher.ts'
import { openLineage, startInProcessDispatcher } from '../lineage/store-lineage.ts'
import * as runViews from '../tracker/run-views.ts'
import type { RunCount, RunFilters, RunView } from '../tracker/run-views.ts'
import * as processViews from '../tracker/process-views.ts'
import type { DependencyGraph, ListProcessesOptions, ProcessView } from '../tracker/process-views.ts'
import { readCounts, type StoreCounts } from '../tracker/store-counts.ts'
import * as extractViews from '../extract/extract-views.ts'
import type { ExtractView, ListExtractsOptions } from '../extract/extract-views.ts'
import { listLocations, type LocationView } from '../extract/location-views.ts'

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
  /**
   * Refuse to create anything (default false): no SQLite file or folder, no PostgreSQL schema, no
   * tables. A store that does not exist or has no processtracker schema is a `ConfigError` naming
   * it. What reading commands open with (together with `migrate: false`).
   */
  mustExist?: boolean
  /**
   * PostgreSQL schema to work in (created when missing); default env `PROCESS_TRACKER_SCHEMA`, else
   * the connection's search_path.
   */
  schema?: string
  /** Connections in the pool, for PostgreSQL and MySQL (default 10). */
  poolSize?: number
  /** TLS for PostgreSQL and MySQL: `true`, or the driver's TLS options. */
  ssl?: boolean | Record<string, unknown>
  /** How long to wait for a lock before `PT_LOCK_TIMEOUT` (default 10 000 ms). */
  lockTimeoutMs?: number
  /**
   * The longest one statement may run on PostgreSQL or MySQL/MariaDB (default the larger of 30 000 ms
   * and `lockTimeoutMs` + 5 000 ms; at least `lockTimeoutMs`). A server that stays silent for 5 s
   * longer — frozen, or the network gone — ends the call with `PT_DATABASE_UNAVAILABLE`, as does
   * waiting that long for a free pooled connection. See the README, "When the database goes away".
   */
  statementTimeoutMs?: number
  /** A pino logger to use instead of the default (stderr, at the configured level). */
  logger?: Logger
  /** Environment to read settings from (default `process.env`); tests pass their own. */
  env?: NodeJS.ProcessEnv
  /** Home folder holding `.process_tracker` (default the OS user's). */
  homeDir?: string
  /** Reads an `s3://` object as text, for a config file on S3. */
  readS3Object?: (s3Url: string) => Promise<string>
  /** OpenLineage events (off unless configured; see the README, "Lineage"): overrides env `OPENLINEAGE_*` and the ini file. */
  lineage?: LineageOptions
}

/** See {@link DataStore.connection}. */
export interface ConnectionInfo {
  /** The connection as a URL, password included (percent-encoded). */
  url: string
  /** The PostgreSQL schema, when one was chosen. */
  schema: string | undefined
  source: ConnectionSource
  /** The ini file that was read, if any. */
  configFile: string | null
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
  /** What the trackers use: kept private (see `contextOf` for the package's own modules). */
  readonly #ctx: StoreContext
  #closed = false
  #dispatcher: Dispatcher | undefined
  #lookups: Lookups | undefined

  /**
   * Where this store's connection came from, and its URL — with the password, so that a wrapper can
   * hand the same store to a child process (`processtracker run` does). Never print or log `url`.
   */
  readonly connection: ConnectionInfo

  private constructor(context: StoreContext, connection: ConnectionInfo) {
    this.#ctx = context
    bindContext(this, context)
    this.dialect = context.adapter.dialect
    this.connection = Object.freeze(connection)
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
        readS3Object: options.readS3Object ?? readS3Object,
        // Reading never creates: not even the home folder of the default SQLite store.
        createDefaultFolder: options.mustExist !== true,
      },
      options.env ?? process.env,
      options.homeDir ?? os.homedir(),
    )
    const connection: ConnectionInfo = {
      url: formatDatabaseUrl(settings.connection),
      schema: options.schema ?? ((options.env ?? process.env).PROCESS_TRACKER_SCHEMA || undefined),
      source: settings.connectionSource,
      configFile: settings.configFile,
    }
    const lockTimeoutMs = options.lockTimeoutMs ?? 10_000
    if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 1) {
      throw new ConfigError(`lockTimeoutMs must be a positive whole number of milliseconds, not ${String(lockTimeoutMs)}.`)
    }
    const poolSize = options.poolSize ?? 10
    if (!Number.isInteger(poolSize) || poolSize < 1) {
      throw new ConfigError(`poolSize must be a positive whole number, not ${String(poolSize)}.`)
    }
    const statementTimeoutMs = options.statementTimeoutMs ?? Math.max(30_000, lockTimeoutMs + 5_000)
    if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < lockTimeoutMs) {
      throw new ConfigError(
        `statementTimeoutMs must be a whole number of milliseconds of at least lockTimeoutMs (${lockTimeoutMs}), not ${String(statementTimeoutMs)}.`,
      )
    }
    const spec = settings.connection
    if (options.mustExist) assertStoreFileExists(spec, connection.schema)
    const adapter = ADAPTERS[spec.dialect]
    const adapterOptions = { poolSize, lockTimeoutMs, statementTimeoutMs, ssl: options.ssl, schema: connection.schema }
    const counts: StatementCounts = { statements: 0, commits: 0 }
    const { kyselyDialect, beginSql, mapParameter, waitForLock } = await adapter.createDialect(spec, adapterOptions)
    const db = new Kysely<Database>({
      dialect: {
        createAdapter: () => kyselyDialect.createAdapter(),
        createDriver: () => new InstrumentedDriver(kyselyDialect.createDriver(), counts, beginSql, mapParameter, waitForLock),
        createIntrospector: (k) => kyselyDialect.createIntrospector(k),
        createQueryCompiler: () => kyselyDialect.createQueryCompiler(),
      },
    })
    const logger =
      options.logger ??
      pino(
        { level: PINO_LEVELS[settings.logLevel] ?? 'error', redact: ['password', '*.password'] },
        pino.destination({ dest: 2, sync: true }),
      )
    const context: StoreContext = {
      db,
      adapter,
      spec,
      maxConcurrentFailures: settings.maxConcurrentFailures,
      lockTimeoutMs,
      logger,
      counts,
      ids: new Map(),
      processStatuses: { byName: new Map(), byId: new Map() },
      auditUser: osUser(),
      translate: (error) => translateDbError(error, adapter, spec),
      lineage: openLineage(options.lineage, options.env ?? process.env, settings.ini),
    }
    try {
      if (options.mustExist) {
        // Without a schema name, prepare only checks the server: it must not create the schema.
        await adapter.prepare(db, { ...adapterOptions, schema: undefined })
        await assertSchemaExists(db, adapter, spec, connection.schema)
      } else {
        await adapter.prepare(db, adapterOptions)
      }
      if (options.migrate !== false) await migrate(db, adapter, lockTimeoutMs)
    } catch (error) {
      await db.destroy().catch(() => undefined)
      throw context.translate(error)
    }
    const store = new DataStore(context, connection)
    store.#dispatcher = startInProcessDispatcher(context)
    return store
  }

  /** Statements and commits sent so far (BEGIN and COMMIT included); what the benchmark reports. */
  get statementCounts(): Readonly<StatementCounts> {
    return { ...this.#ctx.counts }
  }

  /**
   * Creates processtracker's tables and default rows when missing. With `overwrite: true` it first
   * drops every table processtracker owns — all tracking data is lost — and recreates them.
   */
  async setup(options: { overwrite?: boolean } = {}): Promise<void> {
    const { db, adapter, lockTimeoutMs } = this.#ctx
    try {
      if (options.overwrite) {
        await adapter.withMigrationLock(db, lockTimeoutMs, (locked) => dropAll(locked, adapter))
        // Cached ids point at rows that are gone: a custom status id would now be a foreign-key error.
        this.#ctx.ids.clear()
        this.#ctx.processStatuses.byName.clear()
        this.#ctx.processStatuses.byId.clear()
      }
      await migrate(db, adapter, lockTimeoutMs)
    } catch (error) {
      throw this.#ctx.translate(error)
    }
  }

  /** Create, rename, delete and list lookup rows (actor, cluster, contact, error type, …). */
  get lookups(): Lookups {
    return (this.#lookups ??= new Lookups(this.#ctx))
  }

  /**
   * Makes `child` depend on `parent` (type Hard by default). Refuses self-dependencies and cycles. An
   * existing dependency of another type gets the new type; the result says which happened.
   */
  addProcessDependency(parent: string, child: string, options: { type?: string } = {}): Promise<DependencyChange> {
    return this.#call(() => admin.addProcessDependency(this.#ctx, parent, child, options))
  }

  removeProcessDependency(parent: string, child: string): Promise<void> {
    return this.#call(() => admin.removeProcessDependency(this.#ctx, parent, child))
  }

  addClusterProcess(cluster: string, process: string): Promise<void> {
    return this.#call(() => admin.addClusterProcess(this.#ctx, cluster, process))
  }

  removeClusterProcess(cluster: string, process: string): Promise<void> {
    return this.#call(() => admin.removeClusterProcess(this.#ctx, cluster, process))
  }

  /**
   * Releases an on-hold process: its held latest run becomes `released` (with an end time), so the
   * next start may run; a failure streak that reached the threshold without a recorded hold gets a
   * `released` run. Children stay blocked: a release is not a success.
   *
   * @throws NotFoundError "The process NAME is not on hold."
   */
  releaseHold(processName: string): Promise<RunInfo> {
    return this.#call(() => admin.releaseHold(this.#ctx, processName))
  }

  /** Ends a stuck active run by hand: a `Process Error` with the reason, then `failed`. */
  failRun(processTrackingId: number, options: { reason?: string } = {}): Promise<RunInfo> {
    return this.#call(() => admin.failRun(this.#ctx, processTrackingId, options))
  }

  /** Fails every run that outlived its heartbeat timeout; returns them. */
  reapStaleRuns(): Promise<RunInfo[]> {
    return this.#call(() => admin.reapStaleRuns(this.#ctx))
  }

  /**
   * What `start` would decide now, and why: read-only, no lock, stale runs counted as failed.
   *
   * @example
   * ```ts
   * const why = await store.explain('Lahman Teams Load')
   * if (!why.allowed) console.log(why.rule, why.message)
   * ```
   */
  explain(processName: string): Promise<Explanation> {
    return this.#call(() => admin.explain(this.#ctx, processName))
  }

  /**
   * Creates or updates a process from the `start` options without starting a run (type, tool,
   * frequency; sources, targets, objects, attributes and dataset types are added). Dependencies can
   * then be declared, and a child's first run is gated by its parents.
   *
   * @example
   * ```ts
   * await store.defineProcess({ processName: 'Teams Load', processType: 'Load', sources: 'Lahman' })
   * await store.addProcessDependency('Teams Extract', 'Teams Load')
   * ```
   * @throws ValidationError as `start` would, or for a new process without `processType`.
   */
  defineProcess(options: StartOptions): Promise<ProcessInfo> {
    return this.#call(() => defineProcess(this.#ctx, options))
  }

  /** A process and its totals, or null. */
  getProcess(processName: string): Promise<ProcessInfo | null> {
    return this.#call(() => reading.getProcess(this.#ctx, processName))
  }

  /**
   * Runs, newest first (limit 1–1000, default 50), each with its last error; filtered by process,
   * status, actor, start time (`startedAfter` inclusive, `startedBefore` exclusive) and staleness, paged
   * with `beforeTrackingId`. An unknown process or actor is a NotFoundError, an unknown status an
   * InvalidStatusError, so a typo never reads as "no runs".
   */
  listRuns(options: ListRunsOptions = {}): Promise<RunInfo[]> {
    return this.#call(() => reading.listRuns(this.#ctx, options))
  }

  /** The errors of a run in time order. */
  listRunErrors(processTrackingId: number): Promise<RunError[]> {
    return this.#call(() => reading.listRunErrors(this.#ctx, processTrackingId))
  }

  /** Every status change of an extract, with its run and time, in time order. */
  listExtractHistory(extractId: number): Promise<ExtractHistoryEntry[]> {
    return this.#call(() => listExtractHistory(this.#ctx, extractId))
  }

  findProcessesByScheduleFrequency(scheduleFrequency: string): Promise<ProcessInfo[]> {
    return this.#call(() => reading.findProcessesByScheduleFrequency(this.#ctx, scheduleFrequency))
  }

  // The read model: what the CLI's reading commands and the HTTP API show. Read-only, no locks.

  /**
   * As {@link DataStore.listRuns}, each run with its heartbeat, staleness (by the database's clock),
   * and error and extract counts.
   *
   * @example
   * ```ts
   * const page = await store.listRunViews({ status: 'running', stale: true, limit: 100 })
   * const next = await store.listRunViews({ status: 'running', stale: true, limit: 100, beforeTrackingId: page.at(-1)?.processTrackingId })
   * ```
   */
  listRunViews(options: ListRunsOptions = {}): Promise<RunView[]> {
    return this.#call(() => runViews.listRunViews(this.#ctx, options))
  }

  /** One run by tracking id. @throws NotFoundError for an unknown id. */
  getRun(processTrackingId: number): Promise<RunView> {
    return this.#call(() => runViews.getRun(this.#ctx, processTrackingId))
  }

  /** How many runs match the filters, counted up to `cap` (default 10,000): `{ total, capped }`. */
  countRuns(filters: RunFilters = {}, options: { cap?: number } = {}): Promise<RunCount> {
    return this.#call(() => runViews.countRuns(this.#ctx, filters, options))
  }

  /**
   * Processes sorted by name, each with its state, latest run, failure streak, dependencies, sources
   * and targets; `q` (literal substring of the name), `state`, `limit` (1–1000, default 50) and the
   * cursor `afterName` (the last name of the previous page).
   */
  listProcesses(options: ListProcessesOptions = {}): Promise<ProcessView[]> {
    return this.#call(() => processViews.listProcesses(this.#ctx, options))
  }

  /** One process as {@link DataStore.listProcesses} shows it. @throws NotFoundError for an unknown process. */
  getProcessView(processName: string): Promise<ProcessView> {
    return this.#call(() => processViews.getProcessView(this.#ctx, processName))
  }

  /** Every process with its state and latest run, and every dependency (parent → child, with its type). */
  getDependencyGraph(): Promise<DependencyGraph> {
    return this.#call(() => processViews.getDependencyGraph(this.#ctx))
  }

  /** Extracts newest first, filtered by location, filename substring, process and status. */
  listExtracts(options: ListExtractsOptions = {}): Promise<ExtractView[]> {
    return this.#call(() => extractViews.listExtracts(this.#ctx, options))
  }

  /** One extract by id. @throws NotFoundError for an unknown id. */
  getExtract(extractId: number): Promise<ExtractView> {
    return this.#call(() => extractViews.getExtract(this.#ctx, extractId))
  }

  /** Locations newest first (limit 1–1000, default 50; cursor `beforeLocationId`). */
  listLocations(options: { limit?: number; beforeLocationId?: number } = {}): Promise<LocationView[]> {
    return this.#call(() => listLocations(this.#ctx, options))
  }

  /** Processes, runs, active runs, processes on hold and extracts, in one statement. */
  counts(): Promise<StoreCounts> {
    return this.#call(() => readCounts(this.#ctx))
  }

  async #call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw this.#ctx.translate(error)
    }
  }

  /** Closes the pool. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#dispatcher?.stop()
    await this.#ctx.db.destroy()
  }
}

function osUser(): string {
  try {
    return os.userInfo().username
  } catch {
    return 'processtracker'
  }
}
