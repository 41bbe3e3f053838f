import type { StoreContext } from '../store/context.ts'
import { transaction } from '../store/transaction.ts'
import { getProcess, type ProcessInfo } from './reading.ts'
import { linkSides, lockProcess } from './start.ts'
import { validateStartOptions, type StartOptions } from './start-options.ts'

/**
 * What `store.defineProcess` does: the part of `start` that creates or updates the process (type,
 * tool, frequency) and adds its sources, targets, objects, attributes and dataset types, without
 * deciding or inserting a run. A process defined this way exists before its first run, so
 * dependencies can be declared on it and a child's very first start is gated by its parents.
 * The options are validated exactly as `start` validates them; run-level options (actor, run
 * name, heartbeat timeout) are checked and otherwise ignored.
 *
 * @throws ValidationError for bad options, or a new process without `processType`.
 */
export async function defineProcess(ctx: StoreContext, options: StartOptions): Promise<ProcessInfo> {
  const valid = validateStartOptions(options)
  await transaction(ctx, async (tx) => {
    const { processId } = await lockProcess(tx, valid, true)
    await linkSides(tx, processId, valid)
  })
  const info = await getProcess(ctx, valid.processName)
  if (!info) throw new Error(`process ${valid.processName} vanished after defineProcess`)
  return info
}
