/** `processtracker reap`: fail every run that outlived its heartbeat timeout, now. */
import type { Command } from 'commander'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { printRuns } from '../run-table.ts'

/** Adds `reap` to the program. */
export function addReapCommand(program: Command, act: Act): void {
  program
    .command('reap')
    .summary('fail the runs whose heartbeat stopped')
    .description(
      'Fail every active run whose last heartbeat is older than its heartbeat timeout, recording a Process Error. ' +
        'Starts do this for the processes they check; reap does it for all, e.g. from cron.',
    )
    .addHelpText(
      'after',
      `
Example:
  */5 * * * * processtracker --quiet reap`,
    )
    .action(
      act(async (context) => {
        const reaped = await withStore(context, (store) => store.reapStaleRuns())
        const { output } = context
        if (!output.mode.json && reaped.length > 0) output.info(`Failed ${reaped.length} stale run${reaped.length === 1 ? '' : 's'}:`)
        printRuns(output, reaped, 'No stale runs.')
        return 0
      }),
    )
}
