/** What an import read, wrote and mended: returned by importPythonDatabase, printed by the CLI. */
import type { StatusCategory } from '../store/context.ts'

/** The kinds of mend, one per thing the Python implementation got wrong. */
export type ImportMendKind =
  'sentinel-date' | 'latest-run' | 'duplicate-run-id' | 'second-active-run' | 'extract-status-history' | 'custom-status-category'

/** One mend: what was changed and the ids (of `table`) it touched. */
export interface ImportMend {
  kind: ImportMendKind
  table: string
  /** The column, for a sentinel date. */
  column?: string
  description: string
  /** Ids of the rows touched (composite keys as `a/b`). */
  ids: (number | string)[]
  /** Per-row facts where the ids alone do not say enough (old and new run numbers, added errors…). */
  details?: Record<string, unknown>[]
}

/** Rows of one table. */
export interface ImportTableCount {
  table: string
  /** Rows read from the Python database (0 for tables it does not have). */
  rowsRead: number
  /** Rows written to the target (or that would be, on a dry run), added rows included. */
  rowsWritten: number
}

/** See {@link importPythonDatabase}. */
export interface ImportReport {
  /** The source, without its password. */
  source: string
  /** The PostgreSQL schema or MySQL database the tables were read from. */
  sourceNamespace: string
  /** The target store, without its password. */
  target: string
  dryRun: boolean
  tables: ImportTableCount[]
  mends: ImportMend[]
  /** Every imported process status with the category it got; `custom` for the non-standard ones. */
  statusCategories: { status: string; category: StatusCategory; custom: boolean }[]
  /** Source columns processtracker has no place for, with how many rows had a value in them. */
  droppedColumns: { table: string; column: string; nonNullRows: number }[]
}

const SHOWN_IDS = 20

function idList(ids: (number | string)[]): string {
  if (ids.length <= SHOWN_IDS) return ids.join(', ')
  return `${ids.slice(0, SHOWN_IDS).join(', ')}, … (${ids.length - SHOWN_IDS} more; --json lists all)`
}

/** The report as text for a terminal. */
export function formatImportReport(report: ImportReport): string {
  const lines: string[] = []
  lines.push(
    report.dryRun
      ? `Dry run: nothing was written. Import of ${report.source} (${report.sourceNamespace}) into ${report.target} would do this:`
      : `Imported ${report.source} (${report.sourceNamespace}) into ${report.target}.`,
  )
  lines.push('', `${'table'.padEnd(34)} ${'read'.padStart(10)} ${(report.dryRun ? 'to write' : 'written').padStart(10)}`)
  for (const row of report.tables) {
    lines.push(`${row.table.padEnd(34)} ${String(row.rowsRead).padStart(10)} ${String(row.rowsWritten).padStart(10)}`)
  }
  lines.push('', report.mends.length === 0 ? 'Nothing needed mending.' : `Mended (${report.mends.length}):`)
  for (const mend of report.mends) {
    const where = mend.column ? `${mend.table}.${mend.column}` : mend.table
    lines.push(`- [${mend.kind}] ${where}: ${mend.description}`, `  ids (${mend.ids.length}): ${idList(mend.ids)}`)
  }
  const custom = report.statusCategories.filter((status) => status.custom)
  if (custom.length > 0) {
    lines.push('', 'Custom process statuses:')
    for (const status of custom) lines.push(`- ${status.status}: ${status.category}`)
  }
  if (report.droppedColumns.length > 0) {
    lines.push('', 'Source columns not carried over (processtracker has no such column):')
    for (const dropped of report.droppedColumns) {
      lines.push(`- ${dropped.table}.${dropped.column}: ${dropped.nonNullRows} rows with a value`)
    }
  }
  return `${lines.join('\n')}\n`
}
