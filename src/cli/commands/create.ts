/** `processtracker create -t TOPIC -n NAME [extras]`: add a lookup row, a cluster member or a dependency. */
import type { Command } from 'commander'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { addTopicOptions, checkExtras, isLookupTopic, lookupExtra, required, type TopicOptions } from '../topics.ts'

/** Adds `create` to the program. */
export function addCreateCommand(program: Command, act: Act): void {
  const command = program
    .command('create')
    .summary('create a lookup row, a cluster process or a process dependency')
    .description(
      'Create a row of a topic. Creating one that exists changes nothing, except a process dependency given ' +
        'with another --type: its type is updated (Soft to Hard or back). ' +
        'cluster process takes --cluster CLUSTER -c PROCESS; process dependency takes -p PARENT -c CHILD [--type Hard|Soft].',
    )
  addTopicOptions(command, { lookupExtras: true })
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker create -t actor -n "etl-bot"
  $ processtracker create -t contact -n "Data Team" --email data@example.com
  $ processtracker create -t cluster -n spark-prod --max-memory 64 --memory-unit GB --max-processing 16 --processing-unit CPU
  $ processtracker create -t "process status" -n validating --category active
  $ processtracker create -t "cluster process" --cluster spark-prod -c "Teams Load"
  $ processtracker create -t "process dependency" -p "Teams Extract" -c "Teams Load"`,
    )
    .action(
      act(async (context, cmd) => {
        const options = cmd.opts<TopicOptions>()
        const { output } = context
        const { topic } = options
        checkExtras(options)
        if (topic === 'process run') {
          throw new Error(
            'Invalid topic type. A process run is created by starting it: processtracker run -p PROCESS -- COMMAND, or define it beforehand with processtracker apply -f FILE.',
          )
        }
        if (topic === 'cluster process') {
          const cluster = required(options.cluster, '--cluster CLUSTER', topic, 'create')
          const processName = required(options.child, '-c PROCESS', topic, 'create')
          output.info(`Attempting to create ${topic} with name ${processName} in cluster ${cluster}`)
          await withStore(context, (store) => store.addClusterProcess(cluster, processName))
          output.confirm({ action: 'create', topic, cluster, process: processName }, `The process ${processName} is in cluster ${cluster}.`)
          return 0
        }
        if (topic === 'process dependency') {
          const parent = required(options.parent, '-p PARENT', topic, 'create')
          const child = required(options.child, '-c CHILD', topic, 'create')
          const type = options.type ?? 'Hard'
          output.info(`Attempting to create ${topic} with parent ${parent} and child ${child}`)
          const result = await withStore(context, (store) => store.addProcessDependency(parent, child, { type }))
          // 0.2 returns { created, updated }; an older library returned nothing.
          const { created = true, updated = false } = (result as { created?: boolean; updated?: boolean } | undefined) ?? {}
          const said = updated
            ? `The dependency of ${child} on ${parent} is now ${type}.`
            : created
              ? `${child} now depends on ${parent} (${type}).`
              : `${child} already depends on ${parent} (${type}); nothing changed.`
          output.confirm({ action: updated ? 'update' : created ? 'create' : 'unchanged', topic, parent, child, type }, said)
          return 0
        }
        if (!isLookupTopic(topic)) throw new Error(`Invalid topic type.`)
        const name = required(options.name, '-n NAME', topic, 'create')
        output.info(`Attempting to create ${topic} with name ${name}`)
        await withStore(context, (store) => store.lookups.create(topic, name, lookupExtra(options)))
        output.confirm({ action: 'create', topic, name }, `Created ${topic} ${name}.`)
        return 0
      }),
    )
}
