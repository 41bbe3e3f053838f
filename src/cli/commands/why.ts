/** `processtracker why PROCESS_NAME`: what `start` would decide now, and why. Exit 0 allowed, 3 refused. */
import type { Command } from 'commander'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { EXIT_OK, EXIT_REFUSED } from '../exit-codes.ts'

const RULES: Record<string, string> = {
  dependency: 'a process it depends on is running, failed or on hold',
  running: 'its latest run is still active',
  'on-hold': 'it is on hold',
  'failure-threshold': 'it failed too many times in a row, so the start would put it on hold',
}

/** Adds `why` to the program. */
export function addWhyCommand(program: Command, act: Act): void {
  program
    .command('why')
    .summary('would a start of a process run now? why not?')
    .description(
      'Say what a start of PROCESS_NAME would decide now, the rule that decides it and the run that blocks it. ' +
        'Changes nothing. Exit code 0 when a start would run, 3 when it would be refused.',
    )
    .argument('<process-name>', 'the process')
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker why "Teams Load"
  $ processtracker why "Teams Load" && ./load.sh     # run only when a start would be allowed`,
    )
    .action(
      act(async (context, command) => {
        const [name] = command.processedArgs as [string]
        const explanation = await withStore(context, (store) => store.explain(name))
        const { output } = context
        if (output.mode.json) {
          output.json({ processName: name, ...explanation })
        } else if (explanation.allowed) {
          output.result(`${output.out.green('allowed')}: a start of ${name} would run now.`)
        } else {
          const rule = explanation.rule ?? 'unknown'
          output.result(`${output.out.red('refused')} by rule ${rule}: ${RULES[rule] ?? rule}.`)
          if (explanation.message !== undefined) output.result(`  ${explanation.message}`)
          if (explanation.blockingRunId !== undefined) {
            output.result(`  Blocking run: tracking id ${explanation.blockingRunId} of ${explanation.blockingProcessName ?? name}.`)
          }
          if (explanation.rule === 'on-hold') output.result(`  Release it with: processtracker update -t "process run" -n "${name}"`)
        }
        return explanation.allowed ? EXIT_OK : EXIT_REFUSED
      }),
    )
}
