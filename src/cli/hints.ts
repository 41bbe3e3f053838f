/**
 * Hints in CLI words. A library message may end with advice for library users ("Release it with
 * store.releaseHold(…)"); the command replaces it with the command to type, printed once.
 */
import { ProcessOnHoldError } from '../index.ts'

/** The command that releases a hold. */
export function releaseCommand(processName: string): string {
  return `processtracker release ${JSON.stringify(processName)}`
}

/** A library message without its trailing release advice (which names library calls). */
export function withoutLibraryHint(message: string): string {
  return message.replace(/\s*Release it with\b[\s\S]*$/, '').trim()
}

/** The message the CLI prints for an error: an on-hold refusal ends with the release command, once. */
export function cliMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  if (!(error instanceof ProcessOnHoldError)) return message
  const name = error.details.processName
  return `${withoutLibraryHint(message)} Release it with: ${releaseCommand(name)}`
}
