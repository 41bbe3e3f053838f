import type {
  ColumnDefinitionBuilder,
  CreateIndexBuilder,
  CreateTableBuilder,
  ColumnDataType,
  Expression,
  Dialect as KyselyDialect,
  DialectAdapter as KyselyDialectAdapter,
  InsertQueryBuilder,
  InsertResult,
  Kysely,
  RawBuilder,
  SelectQueryBuilder,
} from 'kysely'
import type { ConnectionSpec, Dialect } from '../../config/connection-spec.ts'
import type { Database } from '../database.ts'
import type { ColumnSpec } from '../migrations/table-spec.ts'
import type { LockWaiter, ParameterMapper } from './instrumented-driver.ts'

/** A column type: a keyword or a raw SQL type. */
export type DataTypeExpression = ColumnDataType | Expression<unknown>

/** Options that shape the connection, from `DataStore.open()`. */
export interface AdapterOptions {
  poolSize: number
  lockTimeoutMs: number
  /**
   * The longest one statement may take: the server's own limit (PostgreSQL `statement_timeout`,
   * MariaDB `max_statement_time`), and, with a few seconds' grace, the driver's limit on waiting for
   * a reply or a pooled connection — which is what ends a call on a frozen or vanished server.
   */
  statementTimeoutMs: number
  ssl: boolean | Record<string, unknown> | undefined
  /** PostgreSQL schema to work in. */
  schema: string | undefined
}

/** What a driver error means to processtracker; anything unclassified is a plain database error. */
export type DbErrorKind = 'unique' | 'retry' | 'lock-timeout' | 'timeout' | 'unavailable' | 'auth' | 'missing-database' | 'foreign-key'

export type Db = Kysely<Database>
// Kysely's builders are generic in the table and result; the adapter only adds clauses to them.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type AnySelect<O = any> = SelectQueryBuilder<Database, any, O>
export type AnyInsert = InsertQueryBuilder<Database, any, InsertResult>
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * Everything that differs between SQLite, PostgreSQL and MySQL/MariaDB, in one place. Code above the
 * store never asks which database it talks to: it asks the adapter for the clause it needs.
 * `AdapterBase` (adapter-base.ts) holds the defaults; each dialect's adapter lists only what differs.
 */
export interface DialectAdapter {
  /** Which database this adapter speaks to. */
  readonly dialect: Dialect
  /**
   * Kysely's own adapter for the dialect: what Kysely already knows about it (`supportsReturning`,
   * `supportsTransactionalDdl`, …) is read from there, not declared again.
   */
  readonly kysely: KyselyDialectAdapter

  /**
   * The Kysely dialect for a connection, the statement that opens a transaction, and value rewrites.
   * The driver package is imported here, on first use, so a process pays only for its own database.
   */
  createDialect(
    spec: ConnectionSpec,
    options: AdapterOptions,
  ): Promise<{ kyselyDialect: KyselyDialect; beginSql: string; mapParameter?: ParameterMapper; waitForLock?: LockWaiter }>

  /** The column type for a portable column description. */
  columnType(column: ColumnSpec): DataTypeExpression
  /** Adds an auto-generated integer primary key. */
  idColumn(builder: ColumnDefinitionBuilder): ColumnDefinitionBuilder
  /** Table options (MySQL: InnoDB, utf8mb4 with a binary collation so names compare exactly). */
  finishTable<T extends string, C extends string>(builder: CreateTableBuilder<T, C>): CreateTableBuilder<T, C>
  /** The column default for "now". */
  readonly nowDefault: RawBuilder<unknown>
  /** The database clock now, UTC, millisecond precision. */
  readonly now: RawBuilder<Date>
  /** Seconds elapsed since the timestamp in `column` (a qualified column reference), by the database clock. */
  secondsSince(column: string): RawBuilder<number>

  /** Runs an INSERT of one row and returns the generated id. */
  insertReturningId(query: AnyInsert, idColumn: string): Promise<number>
  /** INSERT that silently skips rows whose unique key exists (ON CONFLICT DO NOTHING / INSERT IGNORE). */
  insertIgnoringDuplicates(query: AnyInsert): AnyInsert
  /** Whether an INSERT or UPDATE can return rows (RETURNING): not on MySQL. Kysely's own fact. */
  readonly supportsReturning: boolean
  /** CREATE INDEX that tolerates an existing index where the database can say so (not MySQL). */
  createIndexIfNotExists(builder: CreateIndexBuilder): CreateIndexBuilder
  /** SELECT … FOR UPDATE on servers; SQLite already holds the write lock (`begin immediate`). */
  forUpdate<O>(query: AnySelect<O>): AnySelect<O>
  /** SELECT … FOR UPDATE SKIP LOCKED on servers; on SQLite the write lock serialises claimers. */
  forUpdateSkipLocked<O>(query: AnySelect<O>): AnySelect<O>
  /** SELECT … FOR UPDATE NOWAIT on servers (a held lock is an error at once); SQLite: as forUpdate. */
  forUpdateNoWait<O>(query: AnySelect<O>): AnySelect<O>

  /** Runs `work` while holding the cross-process migration lock. */
  withMigrationLock<T>(db: Db, lockTimeoutMs: number, work: (db: Db) => Promise<T>): Promise<T>
  /**
   * Runs one statement of a frozen migration. Where DDL is not transactional (MySQL) a migration
   * killed half-way is run again over its own work, so "already exists" counts as done there.
   */
  executeMigrationStatement(db: Db, statement: string): Promise<void>
  /** Checks the server version and prepares the namespace (PostgreSQL schema). */
  prepare(db: Db, options: AdapterOptions): Promise<void>
  /** Names the tables in the working namespace. */
  listTables(db: Db): Promise<string[]>
  /** Names the columns of one table in the working namespace. */
  listColumns(db: Db, table: string): Promise<string[]>
  /** What a driver error means, or null. */
  classifyError(error: unknown): DbErrorKind | null
}

/** Reads `code`/`errno` off a driver error without trusting its shape. */
export function errorField(error: unknown, field: 'code' | 'errno'): string | number | undefined {
  if (typeof error !== 'object' || error === null || !(field in error)) return undefined
  const value = (error as Record<string, unknown>)[field]
  return typeof value === 'string' || typeof value === 'number' ? value : undefined
}

/** Errors every driver reports the same way: the socket could not be opened. */
export const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  'EAI_AGAIN',
  'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST',
])

/**
 * Connection failures that drivers report without a code: node-postgres after the socket died or
 * when no pooled client came in time, mysql2 on a connection the server closed. Matched on the
 * message because that is all they carry.
 */
const CONNECTION_LOST_MESSAGES = [
  /connection terminated/i,
  /client has encountered a connection error/i,
  /client was closed and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  /connection is in closed state/i,
  /connection lost/i,
  /postgres connection has been discarded/i,
  /server closed the connection/i,
  /does not support ssl/i,
]

/** Whether a code-less driver error means the connection is gone (see {@link CONNECTION_LOST_MESSAGES}). */
export function isConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  return CONNECTION_LOST_MESSAGES.some((pattern) => pattern.test(error.message))
}

/**
 * How long the driver waits for a reply (or a pooled connection) before it gives up on the
 * connection: the server's own limit plus a grace of up to 5 s, so that the server's coded
 * statement timeout normally comes first and the driver's only ends calls on a silent server.
 */
export function driverLimitMs(statementTimeoutMs: number): number {
  return statementTimeoutMs + Math.min(5_000, statementTimeoutMs)
}

/** Thrown by the drivers' wrappers when a reply or a pooled connection did not come in time. */
export class StatementTimeout extends Error {
  readonly code = 'PT_STATEMENT_TIMEOUT'
  constructor(what: string, ms: number) {
    super(`${what} got no reply within ${ms} ms`)
  }
}

/** Compares dotted versions: is `actual` at least `minimum`? */
export function versionAtLeast(actual: string, minimum: string): boolean {
  const a = actual.split('.').map((part) => Number.parseInt(part, 10) || 0)
  const b = minimum.split('.').map((part) => Number.parseInt(part, 10) || 0)
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0
    const y = b[i] ?? 0
    if (x !== y) return x > y
  }
  return true
}
