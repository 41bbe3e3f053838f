import type { ConnectionSpec } from '../config/connection-spec.ts'
import { describeConnection, redactUrl } from '../config/connection-spec.ts'
import { ConfigError, DatabaseUnavailableError, ProcessTrackerError } from '../errors.ts'
import type { DialectAdapter } from './dialect/adapter.ts'

/**
 * Turns a driver error into the processtracker error a caller can act on. Errors that are already
 * ours pass through; errors that mean nothing to us (bugs) are returned unchanged.
 */
export function translateDbError(error: unknown, adapter: DialectAdapter, spec: ConnectionSpec): unknown {
  if (error instanceof ProcessTrackerError) return error
  const kind = adapter.classifyError(error)
  const where = describeConnection(spec)
  const reason = redactUrl(error instanceof Error ? error.message : String(error))
  const password = spec.dialect === 'sqlite' ? null : spec.password
  const clean = (text: string) => (password ? text.replaceAll(password, '***') : text)
  switch (kind) {
    case 'unavailable':
      return new DatabaseUnavailableError(
        clean(`Cannot reach the database at ${where} (${reason}). Check that the server is running and the host and port are right.`),
        { connection: where },
        { cause: error },
      )
    case 'auth':
      return new DatabaseUnavailableError(
        clean(`The database at ${where} refused the credentials (${reason}). Check the user name and password.`),
        { connection: where },
        { cause: error },
      )
    case 'missing-database':
      return new ConfigError(clean(`The database at ${where} does not exist (${reason}). Create it first, or fix the name.`), {
        connection: where,
      }, { cause: error })
    case 'lock-timeout':
      return new DatabaseUnavailableError(
        clean(`Waited too long for a lock at ${where} (${reason}). Another process holds it; retry, or raise lockTimeoutMs.`),
        { connection: where },
        { cause: error, code: 'PT_LOCK_TIMEOUT' },
      )
    default:
      return error
  }
}
