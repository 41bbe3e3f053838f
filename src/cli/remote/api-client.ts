/**
 * The CLI's HTTP client for `--server URL --token TOKEN` (http.md "Operations"): JSON requests with
 * the bearer token; an error answer becomes the library's own error class again (same code,
 * message and details), so exit codes and messages are those of a direct database connection.
 */
import {
  ConfigError,
  ConflictError,
  DatabaseUnavailableError,
  DependencyBlockedError,
  ExtractDependencyError,
  InvalidStatusError,
  NotFoundError,
  ProcessOnHoldError,
  ProcessRunningError,
  ProtectedRecordError,
  RunNotActiveError,
  ValidationError,
  type ErrorDetails,
  type StartRefusalDetails,
} from '../../errors.ts'

/** The env variables of remote mode (also what `run` hands its command). */
export const SERVER_URL_ENV = 'PROCESS_TRACKER_SERVER_URL'
export const TOKEN_ENV = 'PROCESS_TRACKER_TOKEN'

/** Where and as whom. */
export interface RemoteTarget {
  url: string
  token: string | undefined
}

/** Date fields of the API's run views, revived as Dates for the CLI's tables. */
const DATE_FIELDS = new Set([
  'startDateTime',
  'endDateTime',
  'lowDateTime',
  'highDateTime',
  'lastHeartbeatDateTime',
  'occurredAt',
  'createdAt',
  'lastUsedAt',
  'revokedAt',
])

function revive(key: string, value: unknown): unknown {
  return DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value
}

function toError(status: number, body: unknown): Error {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error
  const code = typeof error?.code === 'string' ? error.code : `HTTP ${status}`
  const message = typeof error?.message === 'string' ? error.message : `The server answered ${status}.`
  const details = (typeof error?.details === 'object' && error.details !== null ? error.details : {}) as ErrorDetails
  switch (code) {
    case 'PT_INVALID_INPUT':
      return new ValidationError(message, details)
    case 'PT_NOT_FOUND':
      return new NotFoundError(message, { topic: 'unknown', name: null, ...details })
    case 'PT_CONFLICT':
      return new ConflictError(message, details)
    case 'PT_PROCESS_RUNNING':
      return new ProcessRunningError(message, details as StartRefusalDetails)
    case 'PT_PROCESS_ON_HOLD':
      return new ProcessOnHoldError(message, details as StartRefusalDetails)
    case 'PT_DEPENDENCY_BLOCKED':
      return new DependencyBlockedError(message, details as StartRefusalDetails)
    case 'PT_INVALID_STATUS':
      return new InvalidStatusError(message, details)
    case 'PT_RUN_NOT_ACTIVE':
      return new RunNotActiveError(message, details)
    case 'PT_EXTRACT_DEPENDENCY':
      return new ExtractDependencyError(message, details)
    case 'PT_PROTECTED_RECORD':
      return new ProtectedRecordError(message.includes('deleted') ? 'deleted' : 'updated', details)
    case 'PT_DATABASE_UNAVAILABLE':
    case 'PT_LOCK_TIMEOUT':
      return new DatabaseUnavailableError(message, details, { code })
    default:
      // Auth, idempotency and internal errors have no library class: keep their code and message.
      return new ConfigError(`${message} (${code} from the server)`, { ...details, serverCode: code })
  }
}

/** The server's answer to a repeated Idempotency-Key whose first request has not finished yet. */
const IN_PROGRESS = 'PT_IDEMPOTENCY_IN_PROGRESS'

/**
 * Whether a request may be sent again (same Idempotency-Key): the server could not be reached or
 * answered 503, or — after such a retry — the server is still working on (or has not yet given up
 * on) the attempt the client gave up on. That 409 says "retry it shortly" (http.md); treated as
 * final it turned a refusal the retry would have seen (exit 3) into exit 1.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true
  return error instanceof ConfigError && error.details.serverCode === IN_PROGRESS
}

/** A small JSON client for one server. */
export class ApiClient {
  readonly target: RemoteTarget

  constructor(target: RemoteTarget) {
    this.target = { ...target, url: target.url.replace(/\/+$/, '') }
  }

  /**
   * Sends one request and returns the parsed body.
   *
   * @throws the library's error class for an error answer; DatabaseUnavailableError when the
   *   server cannot be reached.
   */
  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: Response
    try {
      response = await fetch(this.target.url + path, {
        method,
        headers: {
          ...(this.target.token ? { authorization: `Bearer ${this.target.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch (error) {
      throw new DatabaseUnavailableError(
        `The processtracker server at ${this.target.url} cannot be reached (${error instanceof Error ? error.message : String(error)}); check --server / ${SERVER_URL_ENV}.`,
        { server: this.target.url },
        { cause: error },
      )
    }
    const text = await response.text()
    const parsed: unknown = text === '' ? null : JSON.parse(text, revive)
    if (!response.ok) throw toError(response.status, parsed)
    return parsed as T
  }
}
