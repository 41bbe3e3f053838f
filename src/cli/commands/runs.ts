/** `processtracker runs [--process NAME] [--status S] [--limit N]`: the latest runs, newest first. */
import { Option, type Command } from 'commander'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { integerIn } from '../parsers.ts'
import { printRuns } from '../run-table.ts'

interface RunsOptions {
  process?: string
  status?: string
  limit?: number
}

/** Adds `runs` to the program. */
export function addRunsCommand(program: Command, act: Act): void {
  program
    .command('runs')
    .summary('list the latest runs, newest first')
    .description('List runs, newest first: process, run, tracking id, status, start, duration, records and last error. With --json, the rows as store.listRuns returns them.')
    .option('--process <name>', 'only the runs of this process')
    .option('--status <status>', 'only runs with this status, e.g. failed, running, "on hold"')
    .addOption(new Option('--limit <n>', 'how many runs (1-1000)').argParser(integerIn(1, 1000)).default(50))
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker runs
  $ processtracker runs --process "Teams Load" --limit 5
  $ processtracker --json runs --status failed | jq '.[].processName'`,
    )
    .action(
      act(async (context, command) => {
        const options = command.opts<RunsOptions>()
        const runs = await withStore(context, (store) =>
          store.listRuns({ processName: options.process, status: options.status, limit: options.limit }),
        )
        printRuns(context.output, runs, 'No runs found.')
        return 0
      }),
    )
}
