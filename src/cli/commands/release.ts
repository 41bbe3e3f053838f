/** `processtracker release PROCESS`: release a hold (the same as `update -t "process run" -n PROCESS`). */
import type { Command } from 'commander'
import type { CliContext } from '../context.ts'
import { withStore } from '../context.ts'
import type { Act } from '../action.ts'

/** Releases the hold on `name` and says what happened; `update -t "process run"` shares it. */
export async function releaseProcess(context: CliContext, name: string): Promise<number> {
  const { output } = context
  const run = await withStore(context, (store) => store.releaseHold(name))
  if (output.mode.json) output.json(run)
  else {
    output.info(
      `Released ${name}: run ${run.processRunId} of ${name} (tracking id ${run.processTrackingId}) is now ${run.status}. ` +
        'The next start runs; processes that depend on it stay blocked until it completes a run.',
    )
  }
  return 0
}

/** Adds `release` to the program. */
export function addReleaseCommand(program: Command, act: Act): void {
  program
    .command('release')
    .summary('release a process that is on hold')
    .description(
      'Release a process put on hold by repeated failures: its held run becomes released, the failure streak is ' +
        'broken and the next start runs. Processes that depend on it stay blocked until it completes a run. ' +
        'The same as processtracker update -t "process run" -n PROCESS.',
    )
    .argument('<process>', 'the process on hold')
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker processes --state on-hold
  $ processtracker release "Teams Load"`,
    )
    .action(
      act(async (context, command) => {
        const [name] = command.processedArgs as [string]
        return releaseProcess(context, name)
      }),
    )
}
