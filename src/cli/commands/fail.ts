/** `processtracker fail (--process NAME | --tracking-id N) [--reason TEXT]`: end a stuck run by hand. */
import { Option, type Command } from 'commander'
import { NotFoundError, ProcessRunningError, type DataStore } from '../../index.ts'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { UsageError } from '../exit-codes.ts'
import { integerIn } from '../parsers.ts'
import { formatAge, printRuns } from '../run-table.ts'

interface FailOptions {
  process?: string
  trackingId?: number
  reason?: string
  force?: boolean
}

/**
 * Refuses to fail a run whose worker still beats (within its heartbeat timeout): failing it would let
 * a second copy start while the first still works. Exit 3, like a refused start; `--force` overrides.
 */
async function refuseIfAlive(store: DataStore, trackingId: number): Promise<void> {
  const run = await store.getRun(trackingId)
  if (run.endDateTime !== null || run.heartbeatTimeoutSeconds === null || run.lastHeartbeatDateTime === null || run.stale) return
  throw new ProcessRunningError(
    `Run ${run.processRunId} of ${run.processName} (tracking id ${run.processTrackingId}) has a worker still alive: it beat ` +
      `${formatAge(Date.now() - run.lastHeartbeatDateTime.getTime())} ago (heartbeat timeout ${run.heartbeatTimeoutSeconds}s). ` +
      'Stop the worker first, or fail the run anyway with --force.',
    {
      processName: run.processName,
      rule: 'running',
      blockingRunId: run.processTrackingId,
      blockingProcessName: run.processName,
      status: run.status,
    },
  )
}

/** Adds `fail` to the program. */
export function addFailCommand(program: Command, act: Act): void {
  program
    .command('fail')
    .summary('fail a stuck run by hand')
    .description(
      'Fail an active run: records a Process Error with the reason, then sets the run failed, so the next ' +
        "start may run. Give the process (its latest run is failed) or the run's tracking id. A run whose worker " +
        'still beats within its heartbeat timeout is refused (exit 3) unless --force.',
    )
    .option('--process <name>', 'fail the latest run of this process')
    .addOption(new Option('--tracking-id <n>', 'fail this run').argParser(integerIn(1, Number.MAX_SAFE_INTEGER)))
    .option('--reason <text>', 'why (recorded as the error description; default "Failed by hand.")')
    .option('--force', 'fail the run even though its worker still sends heartbeats')
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker fail --process "Teams Load" --reason "server rebooted during the load"
  $ processtracker fail --tracking-id 4711`,
    )
    .action(
      act(async (context, command) => {
        const options = command.opts<FailOptions>()
        if ((options.process === undefined) === (options.trackingId === undefined)) {
          throw new UsageError('fail needs either --process NAME or --tracking-id N (one of them).')
        }
        const run = await withStore(context, async (store) => {
          let trackingId = options.trackingId
          if (options.process !== undefined) {
            const name = options.process
            // One active run per process at most, and it is the latest: listRuns is newest first.
            const [latest] = await store.listRuns({ processName: name, limit: 1 })
            if (latest === undefined) {
              const exists = (await store.getProcess(name)) !== null
              throw new NotFoundError(exists ? `The process ${name} has no runs.` : `The process ${name} does not exist.`, {
                topic: 'process',
                name,
              })
            }
            trackingId = latest.processTrackingId
          }
          if (trackingId === undefined) throw new UsageError('fail needs --process NAME or --tracking-id N.')
          if (options.force !== true) await refuseIfAlive(store, trackingId)
          return store.failRun(trackingId, options.reason === undefined ? {} : { reason: options.reason })
        })
        const { output } = context
        if (!output.mode.json) output.info(`Failed run ${run.processRunId} of ${run.processName} (tracking id ${run.processTrackingId}).`)
        if (output.mode.json) output.json(run)
        else printRuns(output, [run], '')
        return 0
      }),
    )
}
