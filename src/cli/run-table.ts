/** The runs table `runs`, `reap`, `fail` and `demo` print. */
import type { RunInfo } from '../index.ts'
import type { Colors, Column, Output } from './output.ts'
import { codePoints, truncate } from './text.ts'

/** Longest last error shown in a table cell; `--json` has the whole text. */
const ERROR_WIDTH = 60

/** `2026-03-31 02:15:07Z`: UTC, so the same run reads the same on every server. */
export function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`
}

/** `850ms`, `12.3s`, `4m 05s`, `2h 03m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  const seconds = ms / 1000
  if (seconds < 60) return `${seconds.toFixed(1)}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m ${String(Math.floor(seconds % 60)).padStart(2, '0')}s`
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`
}

function statusColor(status: string, colors: Colors): ((text: string) => string) | undefined {
  if (status === 'completed') return colors.green
  if (status === 'failed') return colors.red
  if (status === 'on hold') return colors.yellow
  if (status === 'running') return colors.cyan
  return undefined
}

function lastError(run: RunInfo): string {
  if (run.lastError === null) return ''
  const text = `${run.lastError.errorType}: ${run.lastError.description ?? ''}`.replace(/\s+/g, ' ').trim()
  return codePoints(text).length > ERROR_WIDTH ? `${truncate(text, ERROR_WIDTH - 1)}…` : text
}

const COLUMNS: readonly Column<RunInfo>[] = [
  { heading: 'PROCESS', value: (run) => run.processName },
  { heading: 'RUN', value: (run) => String(run.processRunId), align: 'right' },
  { heading: 'TRACKING ID', value: (run) => String(run.processTrackingId), align: 'right' },
  { heading: 'STATUS', value: (run) => run.status, color: (run, colors) => statusColor(run.status, colors) },
  { heading: 'STARTED', value: (run) => formatTime(run.startDateTime) },
  {
    heading: 'DURATION',
    // A run still going shows how long it has been going, marked with "…".
    value: (run) =>
      run.endDateTime === null
        ? `${formatDuration(Date.now() - run.startDateTime.getTime())}…`
        : formatDuration(run.endDateTime.getTime() - run.startDateTime.getTime()),
    align: 'right',
  },
  { heading: 'RECORDS', value: (run) => String(run.recordCount), align: 'right' },
  { heading: 'LAST ERROR', value: lastError, color: (run, colors) => (run.lastError === null ? undefined : colors.dim) },
]

/** Prints runs as a table, or as the `listRuns` rows with `--json`. */
export function printRuns(output: Output, runs: readonly RunInfo[], empty: string): void {
  if (output.mode.json) {
    output.json(runs)
    return
  }
  if (runs.length === 0) {
    output.info(empty)
    return
  }
  output.table(COLUMNS, runs)
}
