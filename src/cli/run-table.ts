/** The runs table `runs`, `reap`, `fail` and `demo` print. */
import type { RunInfo, RunView } from '../index.ts'
import type { Colors, Column, Output } from './output.ts'
import { codePoints, truncate } from './text.ts'

/** Longest last error shown in a table cell; `--json` has the whole text. */
const ERROR_WIDTH = 60
/** A name is never cut shorter than this, however narrow the terminal. */
const MIN_NAME_WIDTH = 12

/** A run as the table shows it: a `listRuns` row, or a `RunView` that also knows whether it is stale. */
export type TableRun = RunInfo & Partial<Pick<RunView, 'stale' | 'lastHeartbeatDateTime'>>

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

/** `45s`, `3m`, `2h`, `4d`: how long ago, for "heartbeat lost 3m ago". */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`
  return `${Math.floor(seconds / 86_400)}d`
}

/** The status cell: a stale run says so ("running, heartbeat lost 3m ago"), since the reaper will fail it. */
export function statusText(run: TableRun, now = Date.now()): string {
  if (run.stale !== true) return run.status
  const last = run.lastHeartbeatDateTime ?? run.startDateTime
  return `${run.status}, heartbeat lost ${formatAge(now - last.getTime())} ago`
}

/** A text cut to `max` code points, "…" marking the cut. */
export function fit(text: string, max: number): string {
  return codePoints(text).length > max ? `${truncate(text, Math.max(1, max - 1))}…` : text
}

function statusColor(status: string, colors: Colors): ((text: string) => string) | undefined {
  if (status === 'completed') return colors.green
  if (status === 'failed') return colors.red
  if (status === 'on hold' || status === 'released') return colors.yellow
  if (status === 'running') return colors.cyan
  return undefined
}

function lastError(run: RunInfo): string {
  if (run.lastError === null) return ''
  return fit(`${run.lastError.errorType}: ${run.lastError.description ?? ''}`.replace(/\s+/g, ' ').trim(), ERROR_WIDTH)
}

/** A name without line breaks or tabs, so one row stays one line whatever was stored. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ')
}

const COLUMNS: readonly Column<TableRun>[] = [
  { heading: 'PROCESS', value: (run) => oneLine(run.processName) },
  { heading: 'RUN', value: (run) => String(run.processRunId), align: 'right' },
  { heading: 'TRACKING ID', value: (run) => String(run.processTrackingId), align: 'right' },
  {
    heading: 'STATUS',
    value: (run) => statusText(run),
    color: (run, colors) => (run.stale === true ? colors.yellow : statusColor(run.status, colors)),
  },
  { heading: 'STARTED', value: (run) => formatTime(run.startDateTime) },
  { heading: 'ENDED', value: (run) => (run.endDateTime === null ? '' : formatTime(run.endDateTime)) },
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

/**
 * The columns with the first one (the names) cut so a row fits `width` characters (the terminal's),
 * when known: every other column keeps its width, the names get the rest (at least
 * {@link MIN_NAME_WIDTH}). The last column is counted at its widest so the names give way first.
 */
export function fitFirstColumn<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  width: number | undefined,
): readonly Column<Row>[] {
  const [name, ...others] = columns
  if (width === undefined || name === undefined) return columns
  const used = others.reduce(
    (sum, column) => sum + 2 + Math.max(codePoints(column.heading).length, ...rows.map((row) => codePoints(column.value(row)).length)),
    0,
  )
  const room = Math.max(MIN_NAME_WIDTH, width - used)
  return [{ ...name, value: (row) => fit(name.value(row), room) }, ...others]
}

/** Prints runs as a table, or as the rows themselves with `--json`; long names are cut to the terminal's width. */
export function printRuns(output: Output, runs: readonly TableRun[], empty: string): void {
  if (output.mode.json) {
    output.json(runs)
    return
  }
  if (runs.length === 0) {
    output.info(empty)
    return
  }
  output.table(fitFirstColumn(COLUMNS, runs, output.width), runs)
}
