/** `processtracker runs [--process NAME] [--status S] [--since D] [--until D] [--before ID] [--limit N]`: runs, newest first. */
import { Option, type Command } from 'commander'
import type { Act } from '../action.ts'
import { withReadStore } from '../context.ts'
import { asOptionError } from '../exit-codes.ts'
import { integerIn, parseDate } from '../parsers.ts'
import { printRuns } from '../run-table.ts'

interface RunsOptions {
  process?: string
  status?: string
  since?: Date
  until?: Date
  before?: number
  limit?: number
}

/** Library fields → the options that set them, for usage errors. */
const FLAGS = {
  processName: '--process',
  status: '--status',
  startedAfter: '--since',
  startedBefore: '--until',
  beforeTrackingId: '--before',
}

/** Adds `runs` to the program. */
export function addRunsCommand(program: Command, act: Act): void {
  program
    .command('runs')
    .summary('list the latest runs, newest first')
    .description(
      'List runs, newest first: process, run, tracking id, status, start, end, duration, records and last error. ' +
        'A run whose heartbeat stopped shows "running, heartbeat lost 3m ago". An unknown --process or --status is ' +
        'an error (with the closest names), never an empty list. Page back through history with --before (the ' +
        'last tracking id shown) or a --since/--until window. With --json, the rows as store.listRunViews returns them.',
    )
    .option('--process <name>', 'only the runs of this process')
    .option('--status <status>', 'only runs with this status, e.g. failed, running, "on hold", released')
    .addOption(
      new Option('--since <date>', 'only runs started at or after this date (2026-03-31 or an ISO date-time)').argParser(parseDate),
    )
    .addOption(new Option('--until <date>', 'only runs started before this date').argParser(parseDate))
    .addOption(
      new Option('--before <tracking-id>', 'only runs older than this tracking id (the next page)').argParser(
        integerIn(1, Number.MAX_SAFE_INTEGER),
      ),
    )
    .addOption(new Option('--limit <n>', 'how many runs (1-1000)').argParser(integerIn(1, 1000)).default(50))
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker runs
  $ processtracker runs --process "Teams Load" --limit 5
  $ processtracker runs --status failed --since 2026-03-01 --until 2026-04-01
  $ processtracker runs --before 812                 # the page after the one ending at tracking id 812
  $ processtracker --json runs --status failed | jq '.[].processName'`,
    )
    .action(
      act(async (context, command) => {
        const options = command.opts<RunsOptions>()
        const runs = await withReadStore(context, async (store) => {
          try {
            return await store.listRunViews({
              processName: options.process,
              status: options.status,
              startedAfter: options.since,
              startedBefore: options.until,
              beforeTrackingId: options.before,
              limit: options.limit,
            })
          } catch (error) {
            throw asOptionError(error, FLAGS)
          }
        })
        printRuns(context.output, runs, 'No runs found.')
        return 0
      }),
    )
}
