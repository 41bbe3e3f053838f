/**
 * The command's exit codes (cli.md) and the mapping from a thrown error to one of them. Cron, CI and
 * shell scripts branch on these, so a refusal by the tracker (3) is told apart from a failure (1).
 */
import { CommanderError } from 'commander'
import { redactUrl } from '../config/connection-spec.ts'
import { DependencyBlockedError, ProcessOnHoldError, ProcessRunningError, ProcessTrackerError, ValidationError } from '../index.ts'
import type { Output } from './output.ts'
import { cliMessage } from './hints.ts'
import { suggestionsOf } from './suggestions.ts'

/** Success. */
export const EXIT_OK = 0
/** An error: one line on stderr. */
export const EXIT_ERROR = 1
/** A usage error: a bad option, a missing option, an unknown command or topic. */
export const EXIT_USAGE = 2
/** Refused by the tracker: the process is running, on hold, or blocked by a dependency. */
export const EXIT_REFUSED = 3
/** `run` could not record the outcome of its command (sysexits' EX_SOFTWARE); the reaper will. */
export const EXIT_UNRECORDED = 70

/** A usage mistake found after commander parsed the line (a topic without its options, say). */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'UsageError'
  }
}

/** The `code` of a `--json` error that is not a library error. */
const USAGE_CODE = 'PT_USAGE'
const OTHER_CODE = 'PT_ERROR'

/**
 * A library ValidationError about an option's value, told as a usage error (exit 2) that names the
 * option as the user typed it (`-p/--process`), not the library's field name (`processName`).
 * `flags` maps field names (`sources` also covers `sources[2]`) to the option; other errors pass.
 */
export function asOptionError(error: unknown, flags: Readonly<Record<string, string>>): unknown {
  if (!(error instanceof ValidationError)) return error
  const field = error.details.field
  if (typeof field !== 'string') return error
  const flag = flags[field.replace(/\[\d+\]$/, '')]
  if (flag === undefined) return error
  const message = error.message.startsWith(field) ? `${flag}${error.message.slice(field.length)}` : `${flag}: ${error.message}`
  return new UsageError(message, { cause: error })
}
/** Whether a start refusal caused this error: the three errors `start` refuses with. */
export function isRefusal(error: unknown): error is ProcessRunningError | ProcessOnHoldError | DependencyBlockedError {
  return error instanceof ProcessRunningError || error instanceof ProcessOnHoldError || error instanceof DependencyBlockedError
}

/** The exit code an error ends the command with. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE
  if (error instanceof UsageError) return EXIT_USAGE
  if (isRefusal(error)) return EXIT_REFUSED
  return EXIT_ERROR
}

/**
 * Reports an error the way cli.md asks: one `Error: <message>` line on stderr; the stack (and the
 * causes) only with `--debug`. Commander has already printed its own usage errors, so those are not
 * printed twice. Every text passes through `redactUrl`, so a password in a URL never reaches a terminal.
 */
export function reportError(error: unknown, output: Output): number {
  const code = exitCodeFor(error)
  if (output.mode.json) output.json(jsonError(error))
  if (error instanceof CommanderError) return code
  const message = cliMessage(error)
  let details: string | undefined
  if (output.mode.debug) {
    const lines: string[] = []
    let current: unknown = error
    while (current instanceof Error) {
      if (current.stack !== undefined) lines.push(current.stack)
      if (current instanceof ProcessTrackerError && Object.keys(current.details).length > 0) {
        lines.push(`details: ${JSON.stringify(current.details)}`)
      }
      current = current.cause
      if (current !== undefined) lines.push('caused by:')
    }
    details = redactUrl(lines.join('\n'))
  }
  output.error(redactUrl(message), details)
  if (error instanceof UsageError) output.info(output.err.dim('Run the command with --help to see its options and examples.'))
  return code
}

/**
 * The `--json` form of an error (cli.md): `{ error: { code, message, details } }`, passwords masked.
 * A usage error has code PT_USAGE; suggestions found for an unknown name are in `details.suggestions`.
 */
export function jsonError(error: unknown): { error: { code: string; message: string; details: Record<string, unknown> } } {
  let code = OTHER_CODE
  let details: Record<string, unknown> = {}
  if (error instanceof ProcessTrackerError) {
    code = error.code
    details = { ...error.details }
  } else if (error instanceof UsageError || error instanceof CommanderError) {
    code = USAGE_CODE
  }
  const suggestions = suggestionsOf(error)
  if (suggestions !== undefined) details.suggestions = suggestions
  const raw = error instanceof CommanderError ? error.message.replace(/^error: /, '') : cliMessage(error)
  const masked = JSON.parse(redactUrl(JSON.stringify({ message: raw.trim(), details }))) as {
    message: string
    details: Record<string, unknown>
  }
  return { error: { code, message: masked.message, details: masked.details } }
}
