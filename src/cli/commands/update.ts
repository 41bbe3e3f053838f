/** `processtracker update -t TOPIC -i OLD -n NEW [extras]`, and `update -t "process run" -n PROCESS` (release a hold). */
import type { Command } from 'commander'
import { ProtectedRecordError } from '../../index.ts'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { releaseProcess } from './release.ts'
import { UsageError } from '../exit-codes.ts'
import { addTopicOptions, checkExtras, isLookupTopic, lookupExtra, required, type TopicOptions } from '../topics.ts'

/** Adds `update` to the program. */
export function addUpdateCommand(program: Command, act: Act): void {
  const command = program
    .command('update')
    .summary('rename a lookup row or change its extras; release an on-hold process')
    .description(
      'Rename a row of a topic (-i the current name, -n the new one) and set its extra columns when given. ' +
        'update -t "process run" -n PROCESS releases a process that is on hold (the same as processtracker release PROCESS): ' +
        'its held run becomes released, so the next start runs; processes that depend on it stay blocked until it completes a run.',
    )
  addTopicOptions(command, { initialName: true, lookupExtras: true })
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker update -t tool -i "Spark 2" -n "Spark 3"
  $ processtracker update -t contact -i "Data Team" --email data-team@example.com
  $ processtracker update -t "process run" -n "Teams Load"      # release the hold`,
    )
    .action(
      act(async (context, cmd) => {
        const options = cmd.opts<TopicOptions>()
        const { output } = context
        const { topic } = options
        if (topic === 'process run') {
          checkExtras(options, [])
          const name = required(options.name, '-n PROCESS_NAME', topic, 'update')
          output.info(`Attempting to update ${topic} with name ${name}`)
          return releaseProcess(context, name)
        }
        // Links have nothing to rename; the Python tool answered with its protected-record message.
        if (!isLookupTopic(topic)) throw new ProtectedRecordError('updated', { topic })
        checkExtras(options)
        const initialName = required(options.initialName, '-i INITIAL_NAME', topic, 'update')
        const extra = lookupExtra(options)
        if (options.name === undefined && Object.keys(extra).length === 0) {
          throw new UsageError(`update -t "${topic}" needs -n NEW_NAME, or an extra option to change.`)
        }
        const name = options.name ?? initialName
        output.info(`Attempting to update ${topic} with name ${initialName} to ${name}`)
        await withStore(context, (store) => store.lookups.update(topic, initialName, name, extra))
        output.confirm(
          { action: 'update', topic, initialName, name },
          name === initialName ? `Updated ${topic} ${name}.` : `Renamed ${topic} ${initialName} to ${name}.`,
        )
        return 0
      }),
    )
}
