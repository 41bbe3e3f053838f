/**
 * Every error processtracker throws. One class per situation a caller may want to handle, each with
 * a stable machine-readable `code` (scripts and the HTTP API switch on it) and a message that says
 * what to do. Driver errors never escape: they are wrapped, with the original kept as `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await ProcessTracker.start(store, { processName: 'nightly load' })
 * } catch (error) {
 *   if (error instanceof ProcessRunningError) process.exit(0) // another worker has it
 *   throw error
 * }
 * ```
 */

/** Extra facts about an error, for logs and programs. Never contains a password. */
export type ErrorDetails = Readonly<Record<string, unknown>>

/** The stable codes, one per error class (two for {@link DatabaseUnavailableError}). */
export type ErrorCode =
  | 'PT_INVALID_INPUT'
  | 'PT_NOT_FOUND'
  | 'PT_CONFLICT'
  | 'PT_CONFIG'
  | 'PT_DATABASE_UNAVAILABLE'
  | 'PT_LOCK_TIMEOUT'
  | 'PT_PROCESS_RUNNING'
  | 'PT_PROCESS_ON_HOLD'
  | 'PT_DEPENDENCY_BLOCKED'
  | 'PT_PROCESS_HALTED'
  | 'PT_INVALID_STATUS'
  | 'PT_RUN_NOT_ACTIVE'
  | 'PT_EXTRACT_DEPENDENCY'
  | 'PT_PROTECTED_RECORD'

/** The base class of every error processtracker throws. */
export class ProcessTrackerError extends Error {
  readonly code: ErrorCode
  readonly details: ErrorDetails

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.details = details
  }
}

/** Malformed input, a wrong type, a bad length, a cycle or a self-dependency. Raised before any write. */
export class ValidationError extends ProcessTrackerError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('PT_INVALID_INPUT', message, details)
  }
}

/** A named thing or an id that does not exist. `details` carries `{ topic, name }`. */
export class NotFoundError extends ProcessTrackerError {
  constructor(message: string, details: { topic: string; name: unknown } & ErrorDetails) {
    super('PT_NOT_FOUND', message, details)
  }
}

/** A duplicate run name, a rename to a taken name, a name owned by another path, or deleting a row in use. */
export class ConflictError extends ProcessTrackerError {
  constructor(message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super('PT_CONFLICT', message, details, options)
  }
}

/** A bad URL, a missing or invalid setting, or a schema this version cannot use. */
export class ConfigError extends ProcessTrackerError {
  constructor(message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super('PT_CONFIG', message, details, options)
  }
}

/** The server cannot be reached, refused the credentials, or a lock was awaited longer than `lockTimeoutMs`. */
export class DatabaseUnavailableError extends ProcessTrackerError {
  constructor(
    message: string,
    details: ErrorDetails = {},
    options?: { cause?: unknown; code?: 'PT_DATABASE_UNAVAILABLE' | 'PT_LOCK_TIMEOUT' },
  ) {
    super(options?.code ?? 'PT_DATABASE_UNAVAILABLE', message, details, options)
  }
}

/** Why a start was refused: which rule, which run and process blocked it, and that run's status. */
export interface StartRefusalDetails extends Record<string, unknown> {
  processName: string
  rule: 'dependency' | 'running' | 'on-hold' | 'failure-threshold'
  blockingRunId: number | null
  blockingProcessName: string | null
  status: string | null
}

/** A start refused because the process's latest run is still active (rule `running`). */
export class ProcessRunningError extends ProcessTrackerError {
  declare readonly details: StartRefusalDetails
  constructor(message: string, details: StartRefusalDetails) {
    super('PT_PROCESS_RUNNING', message, details)
  }
}

/** A start refused because the process is on hold (rules `on-hold` and `failure-threshold`). */
export class ProcessOnHoldError extends ProcessTrackerError {
  declare readonly details: StartRefusalDetails
  constructor(message: string, details: StartRefusalDetails) {
    super('PT_PROCESS_ON_HOLD', message, details)
  }
}

/** A start refused because a direct parent's latest run is active, failed or held (rule `dependency`). */
export class DependencyBlockedError extends ProcessTrackerError {
  declare readonly details: StartRefusalDetails
  constructor(message: string, details: StartRefusalDetails) {
    super('PT_DEPENDENCY_BLOCKED', message, details)
  }
}

/** Thrown by `raiseRunError(…, { failRun: true })` after the error and the failure were recorded. */
export class ProcessHaltedError extends ProcessTrackerError {
  constructor(details: ErrorDetails = {}) {
    super('PT_PROCESS_HALTED', 'Process halting.  An error triggered the process to fail.', details)
  }
}

/** An unknown run or extract status, or a status change the rules forbid. */
export class InvalidStatusError extends ProcessTrackerError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('PT_INVALID_STATUS', message, details)
  }
}

/** A change to a run that is no longer active (finished, held, or reaped). Reading still works. */
export class RunNotActiveError extends ProcessTrackerError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('PT_RUN_NOT_ACTIVE', message, details)
  }
}

/** `loading` refused because a parent extract is not loaded yet. */
export class ExtractDependencyError extends ProcessTrackerError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('PT_EXTRACT_DEPENDENCY', message, details)
  }
}

/** An update or delete of a seeded lookup row. */
export class ProtectedRecordError extends ProcessTrackerError {
  constructor(action: 'updated' | 'deleted', details: ErrorDetails = {}) {
    super('PT_PROTECTED_RECORD', `The item could not be ${action} because it is a protected record.`, details)
  }
}
