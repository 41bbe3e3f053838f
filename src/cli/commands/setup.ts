/** `processtracker setup [-o|--overwrite]`: create the tables and default rows, or recreate them. */
import { Option, type Command } from 'commander'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { UsageError } from '../exit-codes.ts'
import { parseBoolean } from '../parsers.ts'

interface SetupOptions {
  overwrite?: boolean
  yes?: boolean
}

/** Adds `setup` to the program. */
export function addSetupCommand(program: Command, act: Act): void {
  program
    .command('setup')
    .summary('create the data store tables and default rows')
    .description(
      "Create processtracker's tables and default rows in the data store (run, apply and the writing commands do " +
        'this when they are missing; reading commands never do). With --overwrite, drop every processtracker table ' +
        'first: ALL tracking data is lost, so it asks for confirmation on a terminal and needs --yes elsewhere.',
    )
    .addOption(
      new Option('-o, --overwrite [bool]', 'drop and recreate every processtracker table (-o true / -o false also accepted)')
        .argParser(parseBoolean)
        .preset('true'),
    )
    .option('-y, --yes', 'do not ask before --overwrite erases the history (needed when not on a terminal)')
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker setup
  $ processtracker --url postgres://pt@db:5432/tracker setup --overwrite          # asks first
  $ processtracker --url postgres://pt@db:5432/tracker setup --overwrite --yes    # scripts`,
    )
    .action(
      act(async (context, command) => {
        const { overwrite = false, yes = false } = command.opts<SetupOptions>()
        const { output } = context
        if (overwrite && !yes) {
          if (!output.interactive) {
            throw new UsageError('setup --overwrite erases every run, process and extract: add --yes to confirm (no terminal to ask on).')
          }
          if (!(await output.confirmQuestion('This erases ALL tracking history in the data store. Continue?'))) {
            output.info('Nothing was changed.')
            return 1
          }
        }
        output.info('Attempting to initialize data store...')
        // migrate: false, so a schema that open() would refuse (say a newer one) can still be overwritten.
        await withStore(
          context,
          (store) =>
            output.progress(
              overwrite ? 'Dropping and recreating the processtracker tables' : 'Creating missing tables and default rows',
              () => store.setup({ overwrite }),
            ),
          { migrate: !overwrite },
        )
        if (output.mode.json) output.json({ setup: true, overwrite })
        else output.info('The data store is ready.')
        return 0
      }),
    )
}
