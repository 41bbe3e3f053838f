/** `processtracker show TRACKING_ID`: one run with every field, all its errors, its extracts and their history. */
import type { Command } from 'commander'
import type { DataStore, ExtractHistoryEntry, ExtractView, RunError, RunView } from '../../index.ts'
import type { Act } from '../action.ts'
import { requireDatabase } from '../local-only.ts'
import { withReadStore } from '../context.ts'
import { integerIn } from '../parsers.ts'
import { formatDuration, formatTime, statusText } from '../run-table.ts'
import { contextOf } from '../../store/context.ts'

/** Most extracts `show` lists; a run that touched more is summed up with a count. */
const MAX_EXTRACTS = 500

/** An extract of the run and its status history. */
type ShownExtract = ExtractView & { history: ExtractHistoryEntry[] }

/** Everything `show` prints. */
interface RunDetails {
  run: RunView
  errors: RunError[]
  extracts: ShownExtract[]
  extractCount: number
}

async function readDetails(store: DataStore, trackingId: number): Promise<RunDetails> {
  const run = await store.getRun(trackingId)
  const errors = await store.listRunErrors(trackingId)
  // The run's extracts are the ones linked to it: no public finder lists them by run (yet).
  const links = await contextOf(store)
    .db.selectFrom('extract_process_tracking')
    .select('extract_tracking_id')
    .distinct()
    .where('process_tracking_id', '=', trackingId)
    .orderBy('extract_tracking_id')
    .limit(MAX_EXTRACTS)
    .execute()
    .catch((error: unknown) => {
      throw contextOf(store).translate(error)
    })
  const extracts: ShownExtract[] = []
  for (const { extract_tracking_id: id } of links) {
    extracts.push({ ...(await store.getExtract(Number(id))), history: await store.listExtractHistory(Number(id)) })
  }
  return { run, errors, extracts, extractCount: run.extractCount }
}

/** Adds `show` to the program. */
export function addShowCommand(program: Command, act: Act): void {
  program
    .command('show')
    .summary('one run: every field, all errors, its extracts and their history')
    .description(
      'Show one run by its tracking id (the TRACKING ID column of processtracker runs): every field, all its errors, and the extracts it touched with their status history.',
    )
    .argument('<tracking-id>', "the run's tracking id", integerIn(1, Number.MAX_SAFE_INTEGER))
    .addHelpText(
      'after',
      `
Examples:
  $ processtracker runs --process "Teams Load" --limit 1
  $ processtracker show 812
  $ processtracker --json show 812 | jq '.errors'`,
    )
    .action(
      act(async (context, command) => {
        requireDatabase(context, 'show')
        const [trackingId] = command.processedArgs as [number]
        const details = await withReadStore(context, (store) => readDetails(store, trackingId))
        const { output } = context
        if (output.mode.json) {
          output.json(details)
          return 0
        }
        const { run, errors, extracts } = details
        const time = (date: Date | null) => (date === null ? '' : formatTime(date))
        const end = run.endDateTime?.getTime() ?? Date.now()
        const heartbeat =
          run.heartbeatTimeoutSeconds === null
            ? 'none'
            : `timeout ${run.heartbeatTimeoutSeconds}s, last beat ${time(run.lastHeartbeatDateTime) || 'never'}${run.stale ? ' (stale: the reaper will fail it)' : ''}`
        output.result(output.out.bold(`Run ${run.processRunId} of ${run.processName} (tracking id ${run.processTrackingId})`))
        const fields: [string, string][] = [
          ['Status', statusText(run)],
          ['Run name', run.processRunName ?? ''],
          ['Actor', run.actorName ?? ''],
          ['Started', time(run.startDateTime)],
          ['Ended', time(run.endDateTime)],
          ['Duration', `${formatDuration(end - run.startDateTime.getTime())}${run.endDateTime === null ? '…' : ''}`],
          ['Records', `${run.recordCount} (inserted ${run.insertCount}, updated ${run.updateCount})`],
          ['Low date', time(run.lowDateTime)],
          ['High date', time(run.highDateTime)],
          ['Heartbeat', heartbeat],
          ['Latest run', run.isLatestRun ? 'yes' : 'no'],
        ]
        for (const [label, value] of fields) output.result(`  ${`${label}:`.padEnd(12)} ${value}`)
        output.result(output.out.bold(`Errors (${errors.length})`))
        for (const error of errors) output.result(`  ${formatTime(error.occurredAt)}  ${error.errorType}: ${error.description ?? ''}`)
        output.result(output.out.bold(`Extracts (${details.extractCount})`))
        for (const extract of extracts) {
          output.result(`  ${extract.extractId}  ${extract.fullFilename}  ${extract.status}`)
          for (const entry of extract.history) {
            const by = entry.processTrackingId === null ? '' : ` (tracking id ${entry.processTrackingId})`
            output.result(`      ${formatTime(entry.eventDateTime)}  ${entry.status}${by}`)
          }
        }
        if (details.extractCount > extracts.length) output.result(`  … and ${details.extractCount - extracts.length} more`)
        return 0
      }),
    )
}
