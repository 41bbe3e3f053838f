/**
 * `processtracker report [--tracking-id N] [--records N] [--low DATE] [--high DATE] [--error "TYPE: TEXT"]`:
 * what a shell child of `run` uses to record counts, dates or an error against its run.
 */
import { Option, type Command } from 'commander'
import { NotFoundError, ProcessTracker } from '../../index.ts'
import type { Act } from '../action.ts'
import { withStore } from '../context.ts'
import { UsageError } from '../exit-codes.ts'
import { integerIn, parseDate } from '../parsers.ts'
import { reportRemote } from '../remote/remote-run.ts'
import { remoteTarget } from '../remote/remote-store.ts'
import { TRACKING_ID_ENV, trackingIdOf } from '../tracking-id.ts'

interface ReportOptions {
  trackingId?: number
  records?: number
  low?: Date
  high?: Date
  error?: string
}

/** Adds `report` to the program. */
export function addReportCommand(program: Command, act: Act): void {
  program
    .command('report')
    .summary('record counts, dates or an error against a run (for commands wrapped by run)')
    .description(
      `Record a record count, low/high dates or an error against an active run: by default the run in ` +
        `${TRACKING_ID_ENV}, which \`processtracker run\` sets for the command it wraps.`,
    )
    .addOption(
      new Option('--tracking-id <n>', `the run's tracking id (default: $${TRACKING_ID_ENV})`).argParser(
        integerIn(1, Number.MAX_SAFE_INTEGER),
      ),
    )
    .addOption(new Option('--records <n>', 'the number of records the run processed').argParser(integerIn(0, Number.MAX_SAFE_INTEGER)))
    .addOption(new Option('--low <date>', 'the lowest date in the data (kept when lower than before)').argParser(parseDate))
    .addOption(new Option('--high <date>', 'the highest date in the data (kept when higher than before)').argParser(parseDate))
    .option('--error <"TYPE: TEXT">', 'record an error, e.g. "Data Error: row 42 out of range" (the run goes on); TYPE is an error type')
    .addHelpText(
      'after',
      `
Valid values: error types are File Error, Data Error, Process Error and any created with
processtracker create -t "error type" -n NAME (see processtracker create --help); the run is the
tracking id shown by processtracker runs (TRACKING ID column).

Examples (inside a command run by processtracker run):
  $ processtracker report --records 10342
  $ processtracker report --low 2026-01-01 --high 2026-01-31T23:59:59Z
  $ processtracker report --error "Data Error: 12 rows without a team id"`,
    )
    .action(
      act(async (context, command) => {
        const options = command.opts<ReportOptions>()
        const trackingId = trackingIdOf(options.trackingId, context.env, 'report')
        const error = options.error === undefined ? undefined : parseError(options.error)
        if (options.records === undefined && options.low === undefined && options.high === undefined && error === undefined) {
          throw new UsageError('report needs at least one of --records, --low, --high or --error.')
        }
        if (options.low !== undefined && options.high !== undefined && options.low > options.high) {
          throw new UsageError(`--low (${options.low.toISOString()}) is later than --high (${options.high.toISOString()}).`)
        }
        const recorded: string[] = []
        const remote = remoteTarget(context)
        const run = remote
          ? await reportRemote(remote, trackingId, { records: options.records, low: options.low, high: options.high, error }).then(
              (row) => {
                if (options.records !== undefined) recorded.push(`${options.records} records`)
                if (options.low !== undefined || options.high !== undefined) recorded.push('dates')
                if (error !== undefined) recorded.push(`a ${error.type}`)
                return row
              },
            )
          : await withStore(context, async (store) => {
              const tracked = await ProcessTracker.resume(store, trackingId)
              // Checked before anything is written, so an unknown type never leaves the counts half-recorded.
              if (error !== undefined && !(await store.lookups.list('error type')).includes(error.type)) {
                throw new NotFoundError(`The error type "${error.type}" does not exist.`, { topic: 'error type', name: error.type })
              }
              if (options.records !== undefined) {
                await tracked.setRecordCount(options.records)
                recorded.push(`${options.records} records`)
              }
              if (options.low !== undefined || options.high !== undefined) {
                await tracked.setLowHighDates({ low: options.low, high: options.high })
                recorded.push('dates')
              }
              if (error !== undefined) {
                await tracked.raiseRunError(error.type, { description: error.text })
                recorded.push(`a ${error.type}`)
              }
              const [row] = await store.listRuns({ beforeTrackingId: trackingId + 1, limit: 1 })
              return row
            })
        const { output } = context
        if (output.mode.json) output.json(run ?? null)
        else {
          const which =
            run === undefined ? `tracking id ${trackingId}` : `run ${run.processRunId} of ${run.processName} (tracking id ${trackingId})`
          output.info(`Recorded ${recorded.join(', ')} for ${which}.`)
        }
        return 0
      }),
    )
}

/** "Data Error: row 42 out of range" → the error type and its description. */
function parseError(value: string): { type: string; text: string } {
  const colon = value.indexOf(':')
  const type = colon < 0 ? '' : value.slice(0, colon).trim()
  const text = colon < 0 ? '' : value.slice(colon + 1).trim()
  if (type === '' || text === '') {
    throw new UsageError(`--error must look like "TYPE: TEXT", e.g. "Data Error: row 42 out of range", not "${value}".`)
  }
  return { type, text }
}
