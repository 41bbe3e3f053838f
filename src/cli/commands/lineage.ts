/** `processtracker lineage flush|status`: send the OpenLineage outbox, or say how it stands. */
import type { Command } from 'commander'
import { flushLineage, lineageStatus } from '../../api/lineage.ts'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'

/** Adds `lineage` (with `flush` and `status`) to the program. */
export function addLineageCommand(program: Command, act: Act): void {
  const lineage = program
    .command('lineage')
    .summary('OpenLineage events: send them now, or see how many wait')
    .description(
      'Runs, their files and their outcomes are written as OpenLineage events to an outbox in the same transaction as each change ' +
        '(when OPENLINEAGE_URL or openlineage_* settings turn lineage on). `serve` and stores opened with lineage.dispatch send them; ' +
        '`lineage flush` sends them from cron.',
    )
  lineage
    .command('flush')
    .summary('send every pending event now, then exit')
    .description(
      'Send every pending event, oldest first and in order per run. Exits 1 when the receiver could not be reached (the events stay pending).',
    )
    .addHelpText('after', '\nExample:\n  * * * * * OPENLINEAGE_URL=http://marquez:5000 processtracker --quiet lineage flush')
    .action(
      act(async (context) => {
        const counts = await withStore(context, (store) => flushLineage(store))
        const { output } = context
        output.confirm({ ...counts }, `Sent ${counts.sent}, rejected ${counts.rejected}, could not deliver ${counts.failed}.`)
        if (counts.failed > 0)
          output.warn('The receiver could not be reached: the remaining events stay pending (see `processtracker lineage status`).')
        return counts.failed > 0 ? 1 : 0
      }),
    )
  lineage
    .command('status')
    .summary('pending, sent and rejected events, and the oldest pending')
    .action(
      act(async (context) => {
        const status = await withStore(context, (store) => lineageStatus(store))
        const { output } = context
        if (output.mode.json) {
          output.json(status)
          return 0
        }
        output.result(`lineage:  ${status.enabled ? `on (${status.transport ?? ''})` : 'off'}`)
        output.result(`pending:  ${status.pending}`)
        output.result(`sent:     ${status.sent} (kept 7 days)`)
        output.result(`rejected: ${status.rejected}`)
        output.result(
          `oldest pending: ${status.oldestPendingEventTime === null ? '-' : `${status.oldestPendingEventTime.toISOString()} (${status.oldestPendingAgeSeconds ?? 0} s ago)`}`,
        )
        return 0
      }),
    )
}
