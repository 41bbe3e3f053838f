import type { ConnectionSpec } from '../config/connection-spec.ts'
import { describeConnection, redactUrl } from '../config/connection-spec.ts'
import { ConfigError, ConflictError, DatabaseUnavailableError, ProcessTrackerError } from '../errors.ts'
import { errorField, type DialectAdapter } from './dialect/adapter.ts'
import { outcomeUnknown } from './dialect/instrumented-driver.ts'

/** JavaScript's own faults: a bug in processtracker, not something the database said. */
const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError]

/**
 * Whether an error the dialect did not classify still came from a driver or the database: drivers
 * put a `code`, `errno`, `sqlState` or `severity` on their errors. Errors without them are signals
 * between our own modules (or a caller's hook) and pass through; `PT_…` codes are ours.
 */
function fromDatabase(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = errorField(error, 'code')
  if (typeof code === 'string' && code.startsWith('PT_')) return false
  return code !== undefined || errorField(error, 'errno') !== undefined || 'sqlState' in error || 'severity' in error
}

/**
 * Turns a driver error into the processtracker error a caller can act on; no driver error escapes.
 * Errors that are already ours pass through, and so do JavaScript's TypeError / RangeError /
 * ReferenceError (bugs, which a database code would hide) and errors that did not come from a
 * driver (see {@link fromDatabase}). The driver error is kept as `cause`.
 *
 * When a COMMIT (or a write that commits by itself) lost its connection before the reply, the write
 * may be stored or not: the error says so with `details.outcome: 'unknown'`.
 */
export function translateDbError(error: unknown, adapter: DialectAdapter, spec: ConnectionSpec): unknown {
  if (error instanceof ProcessTrackerError) return error
  if (PROGRAMMING_ERRORS.some((type) => error instanceof type)) return error
  const kind = adapter.classifyError(error)
  if (kind === null && !fromDatabase(error)) return error
  const where = describeConnection(spec)
  const reason = redactUrl(error instanceof Error ? error.message : String(error))
  const password = spec.dialect === 'sqlite' ? null : spec.password
  const clean = (text: string) => (password ? text.replaceAll(password, '***') : text)
  const driverCode = errorField(error, 'code') ?? errorField(error, 'errno')
  const details = { connection: where, ...(driverCode === undefined ? {} : { driverCode }) }
  const unknown = outcomeUnknown(error) && (kind === 'unavailable' || kind === 'timeout' || kind === null)
  const afterLoss = unknown
    ? ' The write may or may not have been stored (details.outcome is "unknown"): read it back before repeating it.'
    : ' Nothing was written; retry when the database is back.'
  const lost = { ...details, ...(unknown ? { outcome: 'unknown' } : {}) }
  switch (kind) {
    case 'unavailable':
      return new DatabaseUnavailableError(
        clean(
          `Lost or could not open the connection to the database at ${where} (${reason}). Check that the server is running and the host and port are right.${afterLoss}`,
        ),
        lost,
        { cause: error },
      )
    case 'timeout':
      return new DatabaseUnavailableError(
        clean(
          `The database at ${where} did not answer in time (${reason}); it may be overloaded or frozen. Raise statementTimeoutMs if the work is legitimately slow.${afterLoss}`,
        ),
        lost,
        { cause: error },
      )
    case 'auth':
      return new DatabaseUnavailableError(
        clean(`The database at ${where} refused the credentials (${reason}). Check the user name and password.`),
        details,
        { cause: error },
      )
    case 'missing-database':
      return new ConfigError(clean(`The database at ${where} does not exist (${reason}). Create it first, or fix the name.`), details, {
        cause: error,
      })
    case 'lock-timeout':
      return new DatabaseUnavailableError(
        clean(`Waited too long for a lock at ${where} (${reason}). Another process holds it; retry, or raise lockTimeoutMs.`),
        details,
        { cause: error, code: 'PT_LOCK_TIMEOUT' },
      )
    case 'retry':
      return new DatabaseUnavailableError(
        clean(`The database at ${where} kept aborting the change because of concurrent changes (${reason}). Retry it.`),
        details,
        { cause: error, code: 'PT_LOCK_TIMEOUT' },
      )
    case 'unique':
      return new ConflictError(clean(`The change conflicts with a row that already exists (${reason}).`), details, { cause: error })
    case 'foreign-key':
      return new ConflictError(
        clean(
          `The change refers to a row that does not exist, or removes one still in use (${reason}). Re-read what you refer to and retry.`,
        ),
        details,
        { cause: error },
      )
    case null:
      return new DatabaseUnavailableError(
        clean(`The database at ${where} failed the request (${reason}).${unknown ? afterLoss : ''}`),
        unknown ? lost : details,
        { cause: error },
      )
  }
}
