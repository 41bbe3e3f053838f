/** `processtracker why PROCESS_NAME`: what `start` would decide now, and why. Exit 0 allowed, 3 refused. */
import type { Command } from 'commander'
import type { Act } from '../action.ts'
import { withReadStore } from '../context.ts'
import { EXIT_OK, EXIT_REFUSED } from '../exit-codes.ts'
import { releaseCommand } from '../hints.ts'

const RULES: Record<string, string> = {
  dependency: 'a process it depends on has not completed its latest run (running, failed, on hold or released)',
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
        const { explanation, blockingRun } = await withReadStore(context, async (store) => {
          const found = await store.explain(name)
          // The run number of the blocking run, so the message reads "run 3 of X (tracking id 812)".
          const run = found.blockingRunId === undefined ? null : await store.getRun(found.blockingRunId).catch(() => null)
          return { explanation: found, blockingRun: run }
        })
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
            const process = explanation.blockingProcessName ?? name
            const which =
              blockingRun === null
                ? `tracking id ${explanation.blockingRunId}`
                : `run ${blockingRun.processRunId} of ${process} (tracking id ${explanation.blockingRunId})`
            output.result(`  Blocking run: ${which}${blockingRun === null ? ` of ${process}` : ''}.`)
          }
          const held = explanation.rule === 'on-hold' || explanation.rule === 'failure-threshold'
          if (held) output.result(`  Release it with: ${releaseCommand(name)}`)
          else if (explanation.rule === 'dependency' && explanation.blockingProcessName !== undefined) {
            output.result(`  See the parent with: processtracker processes --filter "${explanation.blockingProcessName}"`)
          }
        }
        return explanation.allowed ? EXIT_OK : EXIT_REFUSED
      }),
    )
}
