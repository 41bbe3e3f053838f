/** `processtracker processes [--state S] [--filter TEXT]`: every process with its state, latest run and links. */
import { Option, type Command } from 'commander'
import type { DataStore, ProcessState, ProcessView } from '../../index.ts'
import type { Act } from '../action.ts'
import { requireDatabase } from '../local-only.ts'
import { withReadStore } from '../context.ts'
import type { Colors, Column } from '../output.ts'
import { fitFirstColumn, formatTime, statusText } from '../run-table.ts'

interface ProcessesOptions {
  state?: ProcessState
  filter?: string
}

/** The states `--state` takes (api.md's ProcessState). */
export const PROCESS_STATES: readonly ProcessState[] = ['running', 'on-hold', 'failed', 'released', 'completed', 'never-run']
/** Processes read per page while listing them all. */
const PAGE = 1000

/** Every process matching the filters, by name, read page by page. */
export async function allProcesses(store: DataStore, options: { state?: ProcessState; q?: string }): Promise<ProcessView[]> {
  const all: ProcessView[] = []
  for (;;) {
    const page = await store.listProcesses({ ...options, limit: PAGE, afterName: all.at(-1)?.processName })
    all.push(...page)
    if (page.length < PAGE) return all
  }
}

/** A state's colour in tables and graphs. */
export function stateColor(state: string, colors: Colors): ((text: string) => string) | undefined {
  if (state === 'completed') return colors.green
  if (state === 'failed') return colors.red
  if (state === 'on-hold' || state === 'released') return colors.yellow
  if (state === 'running') return colors.cyan
  return colors.dim
}

const COLUMNS: readonly Column<ProcessView>[] = [
  { heading: 'PROCESS', value: (p) => p.processName.replace(/[\u0000-\u001f\u007f]+/g, ' ') },
  { heading: 'STATE', value: (p) => p.state, color: (p, colors) => stateColor(p.state, colors) },
  { heading: 'TYPE', value: (p) => p.processType ?? '' },
  {
    heading: 'LATEST RUN',
    value: (p) =>
      p.latestRun === null
        ? ''
        : `run ${p.latestRun.processRunId} (tracking id ${p.latestRun.processTrackingId}) ${statusText(p.latestRun)}`,
  },
  { heading: 'STARTED', value: (p) => (p.latestRun === null ? '' : formatTime(p.latestRun.startDateTime)) },
  { heading: 'FAILURES', value: (p) => (p.failureStreak === 0 ? '' : String(p.failureStreak)), align: 'right' },
  {
    heading: 'PARENTS',
    value: (p) =>
      p.parents.map((parent) => (parent.type === 'Hard' ? parent.processName : `${parent.processName} (${parent.type})`)).join(', '),
  },
]

/** Adds `processes` to the program. */
export function addProcessesCommand(program: Command, act: Act): void {
  program
    .command('processes')
    .summary('list the processes with their state and latest run')
    .description(
      'List every process by name: its state (running, on-hold, failed, released, completed or never-run, from its ' +
        'latest run), its latest run, its failure streak and its parents. This is where to find the valid process ' +
        'names for run, why, release and runs --process.',
    )
    .addOption(new Option('--state <state>', 'only processes in this state').choices(PROCESS_STATES))
    .option('--filter <text>', 'only processes whose name contains this text (literally, case-sensitive)')
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker processes
  $ processtracker processes --state on-hold          # what needs: processtracker release NAME
  $ processtracker processes --filter Teams --json`,
    )
    .action(
      act(async (context, command) => {
        requireDatabase(context, 'processes')
        const options = command.opts<ProcessesOptions>()
        const processes = await withReadStore(context, (store) => allProcesses(store, { state: options.state, q: options.filter }))
        const { output } = context
        if (output.mode.json) output.json(processes)
        else if (processes.length === 0) output.info('No processes found.')
        else output.table(fitFirstColumn(COLUMNS, processes, output.width), processes)
        return 0
      }),
    )
}
