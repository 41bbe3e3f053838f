/**
 * The HTTP face of processtracker's errors (http.md "Errors"): one table from code to status, and
 * the body `{ error: { code, message, details } }`. Library errors keep their code, message and
 * details; anything else becomes `PT_INTERNAL` and is logged with its stack on the server only.
 */
import type { FastifyError } from 'fastify'
import { ProcessTrackerError, type ErrorDetails } from '../errors.ts'

/** A code the HTTP layer adds to the library's (auth, media type, size, idempotency, internal). */
export type HttpOnlyCode =
  | 'PT_UNAUTHENTICATED'
  | 'PT_FORBIDDEN'
  | 'PT_PAYLOAD_TOO_LARGE'
  | 'PT_UNSUPPORTED_MEDIA_TYPE'
  | 'PT_IDEMPOTENCY_MISMATCH'
  | 'PT_IDEMPOTENCY_IN_PROGRESS'
  | 'PT_INTERNAL'

/** An error raised by the HTTP layer itself, with its status. */
export class HttpError extends Error {
  readonly code: string
  readonly status: number
  readonly details: ErrorDetails
  readonly headers: Readonly<Record<string, string>>

  constructor(
    status: number,
    code: HttpOnlyCode | 'PT_INVALID_INPUT' | 'PT_NOT_FOUND',
    message: string,
    details: ErrorDetails = {},
    headers: Record<string, string> = {},
  ) {
    super(message)
    this.status = status
    this.code = code
    this.details = details
    this.headers = headers
  }
}

/** Status per library code; an unknown code is a 500. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  PT_INVALID_INPUT: 400,
  PT_INVALID_STATUS: 400,
  PT_UNAUTHENTICATED: 401,
  PT_FORBIDDEN: 403,
  PT_PROTECTED_RECORD: 403,
  PT_NOT_FOUND: 404,
  PT_PROCESS_RUNNING: 409,
  PT_PROCESS_ON_HOLD: 409,
  PT_DEPENDENCY_BLOCKED: 409,
  PT_RUN_NOT_ACTIVE: 409,
  PT_CONFLICT: 409,
  PT_EXTRACT_DEPENDENCY: 409,
  PT_PROCESS_HALTED: 409,
  PT_IDEMPOTENCY_IN_PROGRESS: 409,
  PT_PAYLOAD_TOO_LARGE: 413,
  PT_UNSUPPORTED_MEDIA_TYPE: 415,
  PT_IDEMPOTENCY_MISMATCH: 422,
  PT_DATABASE_UNAVAILABLE: 503,
  PT_LOCK_TIMEOUT: 503,
  PT_INTERNAL: 500,
}

/** What a response carries for one error. */
export interface ErrorReply {
  status: number
  headers: Record<string, string>
  body: { error: { code: string; message: string; details: ErrorDetails } }
  /** True when the error was unexpected: the caller logs it with its stack. */
  unexpected: boolean
}

/** Fastify's own errors (parsing, size, media type, validation) mapped to our codes. */
function fromFastify(error: FastifyError): ErrorReply | null {
  const reply = (status: number, code: string, message: string, details: ErrorDetails = {}): ErrorReply => ({
    status,
    headers: {},
    body: { error: { code, message, details } },
    unexpected: false,
  })
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply(413, 'PT_PAYLOAD_TOO_LARGE', 'The request body is larger than 1 MiB; send fewer items per request.')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? reply(415, 'PT_UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with the header Content-Type: application/json.')
        : reply(400, 'PT_INVALID_INPUT', 'The Content-Length header does not match the body.')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return reply(400, 'PT_INVALID_INPUT', 'The request body is not valid JSON.')
    default:
      break
  }
  if (error.statusCode === 400 && error.code.startsWith('FST_ERR')) return reply(400, 'PT_INVALID_INPUT', error.message)
  return null
}

/** The reply for any thrown value. */
export function toErrorReply(error: unknown): ErrorReply {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      headers: { ...error.headers },
      body: { error: { code: error.code, message: error.message, details: error.details } },
      unexpected: false,
    }
  }
  if (error instanceof ProcessTrackerError) {
    const status = STATUS_BY_CODE[error.code] ?? 500
    const headers: Record<string, string> = status === 503 ? { 'retry-after': '1' } : {}
    return {
      status,
      headers,
      body: { error: { code: error.code, message: error.message, details: error.details } },
      unexpected: status === 500,
    }
  }
  if (error instanceof SyntaxError && 'body' in error) {
    return {
      status: 400,
      headers: {},
      body: { error: { code: 'PT_INVALID_INPUT', message: 'The request body is not valid JSON.', details: {} } },
      unexpected: false,
    }
  }
  if (isFastifyError(error)) {
    const mapped = fromFastify(error)
    if (mapped) return mapped
  }
  return {
    status: 500,
    headers: {},
    body: {
      error: {
        code: 'PT_INTERNAL',
        message: 'An unexpected error happened on the server; it has been logged. Try again, and report it if it persists.',
        details: {},
      },
    },
    unexpected: true,
  }
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string'
}
