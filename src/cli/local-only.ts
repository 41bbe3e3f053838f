/**
 * Commands that work on the database itself and have no `--server` (HTTP) path: a clear usage error
 * instead of a half-working call through the remote store.
 */
import type { CliContext } from './context.ts'
import { UsageError } from './exit-codes.ts'
import { remoteTarget } from './remote/remote-store.ts'

/** Refuses `command` when the CLI is pointed at a server (`--server` or PROCESS_TRACKER_SERVER_URL). */
export function requireDatabase(context: CliContext, command: string): void {
  if (remoteTarget(context) !== null) {
    throw new UsageError(`${command} works on the data store directly, not through --server: give --url or --config instead.`)
  }
}
