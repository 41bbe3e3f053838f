/**
 * Reading a Python ProcessTracker database: one read-only transaction on a consistent snapshot, so
 * every table is read as of one instant while the Python jobs keep writing, and nothing is locked
 * that would block them. The dialect-specific parts live in source-postgres.ts and source-mysql.ts.
 */
import { parseDatabaseUrl } from '../config/connection-spec.ts'
import { ConfigError } from '../errors.ts'
import type { OpenSourceOptions, SourceConnection } from './source-connection.ts'

export type { OpenSourceOptions, SourceColumn, SourceConnection, SourceRow } from './source-connection.ts'

/**
 * Connects to a Python ProcessTracker database and opens its read-only snapshot.
 *
 * @throws ConfigError for a URL that is not PostgreSQL or MySQL/MariaDB; DatabaseUnavailableError
 *   when the server cannot be reached (the password never appears in the message).
 */
export async function openSource(url: string, options: OpenSourceOptions): Promise<SourceConnection> {
  const spec = parseDatabaseUrl(url)
  if (spec.dialect === 'sqlite') {
    throw new ConfigError(
      'import-python reads a Python ProcessTracker database on PostgreSQL or MySQL/MariaDB: give --from postgres://… or mysql://….',
    )
  }
  if (spec.dialect === 'postgresql') {
    const { openPostgresSource } = await import('./source-postgres.ts')
    return openPostgresSource(spec, options)
  }
  const { openMysqlSource } = await import('./source-mysql.ts')
  return openMysqlSource(spec, options)
}
