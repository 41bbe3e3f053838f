/**
 * Hints in CLI words. Library messages say what happened, never which call to make (the library is
 * reached from code, the CLI and HTTP alike); each face adds its own hint, here the command to type.
 */
import { ProcessOnHoldError } from '../index.ts'

/** The command that releases a hold. */
export function releaseCommand(processName: string): string {
  return `processtracker release ${JSON.stringify(processName)}`
}

/** The message the CLI prints for an error: an on-hold refusal ends with the release command, once. */
export function cliMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  if (!(error instanceof ProcessOnHoldError)) return message
  const name = error.details.processName
  return `${message} Release it with: ${releaseCommand(name)}`
}
