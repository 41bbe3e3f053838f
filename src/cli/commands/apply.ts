/** `processtracker apply -f FILE [--dry-run] [--prune]`: define processes and dependencies as code. */
import type { Command } from 'commander'
import type { Act } from '../action.ts'
import { requireDatabase } from '../local-only.ts'
import { applyPlan, makePlan, type PlanItem } from '../apply/plan.ts'
import { readPipeline } from '../apply/pipeline-file.ts'
import { withStore } from '../context.ts'
import type { Output } from '../output.ts'

interface ApplyOptions {
  file: string
  dryRun?: boolean
  prune?: boolean
}

function printPlan(output: Output, items: readonly PlanItem[]): void {
  const colors: Record<PlanItem['action'], (text: string) => string> = {
    create: output.out.green,
    update: output.out.yellow,
    unchanged: output.out.dim,
    delete: output.out.red,
  }
  for (const item of items) {
    const detail = item.changes === undefined || item.changes.length === 0 ? '' : ` (${item.changes.join('; ')})`
    output.result(`${colors[item.action](item.action.padEnd(9))} ${item.kind.padEnd(10)} ${item.name}${detail}`)
  }
}

/** Adds `apply` to the program. */
export function addApplyCommand(program: Command, act: Act): void {
  program
    .command('apply')
    .summary('define processes and dependencies from a YAML or JSON file')
    .description(
      'Declare processes (name, type, tool, scheduleFrequency, sources, targets, contacts, cluster) and their ' +
        'dependencies (Hard, the default, or Soft) in a YAML or JSON file, and make the store match: what is missing ' +
        'is created and what differs is updated, all in one transaction (nothing is written if anything fails). ' +
        'Sources, targets and contacts are added, never removed; contacts and clusters must exist (processtracker ' +
        'create -t contact …). Prints the plan, one line per item: create, update or unchanged. A process defined ' +
        "this way exists before its first run, so a child's very first run is gated by its parents.",
    )
    .requiredOption('-f, --file <file>', 'the pipeline file (.yaml, .yml or .json)')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--prune', 'also delete dependencies of the declared processes that the file no longer names')
    .addHelpText(
      'after',
      `
The file:
  processes:
    - name: Teams Extract        # required; type is required when the process is new
      type: Extract
      tool: Spark
      scheduleFrequency: daily
      sources: [Lahman]
      targets: [Warehouse]
      contacts: [Data Ops]       # contact names (must exist)
      cluster: Nightly           # a cluster name (must exist)
  dependencies:
    - { parent: Teams Extract, child: Teams Load, type: Hard }   # type defaults to Hard

Examples:
  $ processtracker apply -f pipeline.yaml --dry-run
  $ processtracker apply -f pipeline.yaml
  $ processtracker --json apply -f pipeline.json --prune | jq '.plan[] | select(.action != "unchanged")'`,
    )
    .action(
      act(async (context, command) => {
        requireDatabase(context, 'apply')
        const options = command.opts<ApplyOptions>()
        const { output } = context
        // A file that cannot be read or does not describe a pipeline fails before the store is opened.
        const pipeline = await readPipeline(options.file)
        const items = await withStore(context, async (store) => {
          const plan = await makePlan(store, pipeline, options.prune === true)
          const changes = plan.items.some((item) => item.action !== 'unchanged')
          if (options.dryRun !== true && changes) await applyPlan(store, plan)
          return plan.items
        })
        if (output.mode.json)
          output.json({ plan: items.map(({ action, kind, name }) => ({ action, kind, name })), applied: options.dryRun !== true })
        else printPlan(output, items)
        if (!output.mode.json) {
          const changed = items.filter((item) => item.action !== 'unchanged').length
          if (changed === 0) output.info('The store already matches the file; nothing to do.')
          else
            output.info(
              options.dryRun === true
                ? `Dry run: ${changed} change(s) planned, nothing written.`
                : `Applied ${changed} change(s) in one transaction.`,
            )
        }
        return 0
      }),
    )
}
