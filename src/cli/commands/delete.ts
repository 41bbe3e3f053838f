/** `processtracker delete -t TOPIC -n NAME [-p P -c C --cluster C]`. */
import type { Command } from 'commander'
import { ProtectedRecordError, ValidationError } from '../../index.ts'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { addTopicOptions, checkExtras, isLookupTopic, required, type TopicOptions } from '../topics.ts'

/** Adds `delete` to the program. */
export function addDeleteCommand(program: Command, act: Act): void {
  const command = program
    .command('delete')
    .summary('delete a lookup row, a cluster process or a process dependency')
    .description(
      'Delete a row of a topic. Default rows are protected, and a row still in use cannot be deleted. ' +
        'cluster process takes --cluster CLUSTER -c PROCESS; process dependency takes -p PARENT -c CHILD.',
    )
  addTopicOptions(command, {})
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker delete -t actor -n "etl-bot"
  $ processtracker delete -t "process dependency" -p "Teams Extract" -c "Teams Load"
  $ processtracker delete -t "cluster process" --cluster spark-prod -c "Teams Load"`,
    )
    .action(
      act(async (context, cmd) => {
        const options = cmd.opts<TopicOptions>()
        const { output } = context
        const { topic } = options
        checkExtras(options)
        if (topic === 'process run') {
          // Runs are the audit trail: they are never deleted. Say what to do instead of "protected record".
          throw new ValidationError(
            'A process run cannot be deleted: runs are the audit history. To end a stuck run use processtracker fail ' +
              '--process NAME (or --tracking-id N); to release a hold, processtracker release NAME.',
            { topic },
          )
        }
        if (topic === 'cluster process') {
          const cluster = required(options.cluster, '--cluster CLUSTER', topic, 'delete')
          const processName = required(options.child, '-c PROCESS', topic, 'delete')
          output.info(`Attempting to delete ${topic} with name ${processName} from cluster ${cluster}`)
          await withStore(context, (store) => store.removeClusterProcess(cluster, processName))
          output.confirm(
            { action: 'delete', topic, cluster, process: processName },
            `The process ${processName} is no longer in cluster ${cluster}.`,
          )
          return 0
        }
        if (topic === 'process dependency') {
          const parent = required(options.parent, '-p PARENT', topic, 'delete')
          const child = required(options.child, '-c CHILD', topic, 'delete')
          output.info(`Attempting to delete ${topic} with parent ${parent} and child ${child}`)
          await withStore(context, (store) => store.removeProcessDependency(parent, child))
          output.confirm({ action: 'delete', topic, parent, child }, `${child} no longer depends on ${parent}.`)
          return 0
        }
        if (!isLookupTopic(topic)) throw new ProtectedRecordError('deleted', { topic })
        const name = required(options.name, '-n NAME', topic, 'delete')
        output.info(`Attempting to delete ${topic} with name ${name}`)
        await withStore(context, (store) => store.lookups.delete(topic, name))
        output.confirm({ action: 'delete', topic, name }, `Deleted ${topic} ${name}.`)
        return 0
      }),
    )
}
