/**
 * What a Python ProcessTracker source connection is, shared by the dispatcher (source.ts) and the
 * server-specific halves (source-postgres.ts, source-mysql.ts), which therefore never import each other.
 */
import type { ConnectionSpec } from '../config/connection-spec.ts'
import { ConfigError, DatabaseUnavailableError, ProcessTrackerError } from '../errors.ts'
import { translateDbError } from '../store/db-errors.ts'
import type { DialectAdapter } from '../store/dialect/adapter.ts'

/** A column of a source table, as the catalog describes it. */
export interface SourceColumn {
  name: string
  /** Fixed-width `character(n)`: its values come padded with spaces. */
  padded: boolean
}

/** A raw row as the driver returned it (timestamps as text). */
export type SourceRow = Record<string, unknown>

/** The server-specific half of a source: SQL text, parameters, the catalog. */
export interface SourceConnection {
  readonly spec: Extract<ConnectionSpec, { dialect: 'postgresql' | 'mysql' }>
  readonly adapter: DialectAdapter
  /** Where the tables were found (PostgreSQL schema or MySQL database), for messages. */
  readonly namespace: string
  /** Every table of the namespace with its columns. */
  tables(): Promise<Map<string, SourceColumn[]>>
  /** A quoted, qualified table name. */
  table(name: string): string
  /** A quoted column name. */
  column(name: string): string
  /** The placeholder of the n-th parameter (1-based). */
  param(n: number): string
  query(text: string, params?: unknown[]): Promise<SourceRow[]>
  /** Ends the snapshot and closes the connection; never throws. */
  close(): Promise<void>
}

/** Options of `openSource`. */
export interface OpenSourceOptions {
  /** PostgreSQL schema to look in first (default `process_tracker`), then the search path. */
  fromSchema?: string
  /** The names a Python schema must contain, to find the schema holding them. */
  probeTable: string
}

/**
 * A source failure as a processtracker error: an unreachable or vanished server is
 * DatabaseUnavailableError; anything else is wrapped too, so no raw driver error (or password)
 * reaches the caller.
 */
export function sourceError(error: unknown, spec: ConnectionSpec, adapter: DialectAdapter): ProcessTrackerError {
  const translated = translateDbError(error, adapter, spec)
  // Say which database: an import talks to two.
  if (translated instanceof DatabaseUnavailableError) {
    return new DatabaseUnavailableError(
      `The Python ProcessTracker database (the import's source): ${translated.message}`,
      translated.details,
      {
        cause: error,
        code: translated.code === 'PT_LOCK_TIMEOUT' ? 'PT_LOCK_TIMEOUT' : 'PT_DATABASE_UNAVAILABLE',
      },
    )
  }
  if (translated instanceof ConfigError) {
    return new ConfigError(`The Python ProcessTracker database (the import's source): ${translated.message}`, translated.details, {
      cause: error,
    })
  }
  if (translated instanceof ProcessTrackerError) return translated
  const password = spec.dialect === 'sqlite' ? null : spec.password
  const raw = error instanceof Error ? error.message : String(error)
  const reason = password ? raw.replaceAll(password, '***') : raw
  return new DatabaseUnavailableError(
    `Reading the Python ProcessTracker database failed (${reason}). Nothing was written to the target; check the source database and run the import again.`,
    {},
    { cause: error },
  )
}
