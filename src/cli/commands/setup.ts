/** `processtracker setup [-o|--overwrite]`: create the tables and default rows, or recreate them. */
import { Option, type Command } from 'commander'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { parseBoolean } from '../parsers.ts'

interface SetupOptions {
  overwrite?: boolean
}

/** Adds `setup` to the program. */
export function addSetupCommand(program: Command, act: Act): void {
  program
    .command('setup')
    .summary('create the data store tables and default rows')
    .description(
      'Create processtracker\'s tables and default rows in the data store (any command does this when they are missing). ' +
        'With --overwrite, drop every processtracker table first: ALL tracking data is lost.',
    )
    .addOption(
      new Option('-o, --overwrite [bool]', 'drop and recreate every processtracker table (-o true / -o false also accepted)')
        .argParser(parseBoolean)
        .preset('true'),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker setup
  $ processtracker --url postgres://pt@db:5432/tracker setup --overwrite`,
    )
    .action(
      act(async (context, command) => {
        const { overwrite = false } = command.opts<SetupOptions>()
        const { output } = context
        output.info('Attempting to initialize data store...')
        // migrate: false, so a schema that open() would refuse (say a newer one) can still be overwritten.
        await withStore(
          context,
          (store) =>
            output.progress(overwrite ? 'Dropping and recreating the processtracker tables' : 'Creating missing tables and default rows', () =>
              store.setup({ overwrite }),
            ),
          { migrate: !overwrite },
        )
        if (output.mode.json) output.json({ setup: true, overwrite })
        else output.info('The data store is ready.')
        return 0
      }),
    )
}
