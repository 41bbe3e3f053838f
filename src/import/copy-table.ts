/**
 * Streams one Python table into processtracker rows: keyset-paged reads (a bounded batch at a time,
 * so memory stays flat however long the history), each row converted column by column, sentinel
 * dates turned into NULL and remembered for the report.
 */
import type { TableSpec } from '../store/migrations/table-spec.ts'
import type { SourceColumn, SourceConnection, SourceRow } from './source.ts'
import { convertValue, readTimestamp } from './values.ts'

/** Rows read from the source per query. */
export const READ_BATCH = 5000

/** Columns processtracker adds; a Python database has none of them. */
export const ADDED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  process_status_lkup: ['process_status_category'],
  process_tracking: ['heartbeat_timeout_seconds', 'last_heartbeat_date_time'],
  location_lkup: ['location_path_hash'],
  extract_tracking: ['extract_filename_hash', 'extract_claim_process_tracking_id'],
}

/** A table processtracker adds: the import fills it itself. */
export const ADDED_TABLES: readonly string[] = ['extract_status_history']

/** A scalar the driver returned, as text. */
const text = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? value.toString() : JSON.stringify(value)

const AUDIT_TIMES = ['created_date_time', 'update_date_time'] as const
const AUDIT_BY = ['created_by', 'updated_by'] as const

/** The columns of a table the Python database must have. */
export function expectedColumns(table: TableSpec): string[] {
  const added = ADDED_COLUMNS[table.name] ?? []
  return Object.keys(table.columns).filter((column) => !added.includes(column))
}

/** The key a table is paged and reported by. */
export function keyColumns(table: TableSpec): string[] {
  const id = Object.entries(table.columns).find(([, column]) => column.kind === 'id')?.[0]
  return id ? [id] : (table.primaryKey ?? [])
}

/** Sentinel dates found so far: `table.column` → row keys. */
export type SentinelLog = Map<string, { table: string; column: string; ids: (number | string)[]; notNull: boolean }>

/** Reads a table in key order, batch by batch, as converted rows. */
export async function* readTable(
  source: SourceConnection,
  table: TableSpec,
  sourceColumns: SourceColumn[],
  sentinels: SentinelLog,
  now: Date,
): AsyncGenerator<{ converted: Record<string, unknown>[]; raw: SourceRow[] }> {
  const present = new Map(sourceColumns.map((column) => [column.name, column]))
  const wanted = expectedColumns(table).filter((column) => present.has(column))
  const audit = [...AUDIT_TIMES, ...AUDIT_BY].filter((column) => present.has(column))
  const keys = keyColumns(table)
  const select = [...wanted, ...audit].map((column) => source.column(column)).join(', ')
  const order = keys.map((column) => source.column(column)).join(', ')
  let last: unknown[] | undefined
  for (;;) {
    const where = last ? `where (${order}) > (${keys.map((_, i) => source.param(i + 1)).join(', ')})` : ''
    const raw = await source.query(
      `select ${select} from ${source.table(table.name)} ${where} order by ${order} limit ${READ_BATCH}`,
      last ?? [],
    )
    if (raw.length === 0) return
    const converted = raw.map((row) => {
      const key = keys.map((column) => text(row[column])).join('/')
      const out: Record<string, unknown> = {}
      for (const column of AUDIT_TIMES) {
        if (!present.has(column)) continue
        const value = readTimestamp(row[column])
        out[column] = value instanceof Date ? value : now
      }
      for (const column of AUDIT_BY) if (present.has(column)) out[column] = row[column] === null ? 'python' : text(row[column])
      for (const name of wanted) {
        const spec = table.columns[name]
        if (!spec) continue
        if (spec.kind !== 'timestamp') {
          out[name] = convertValue(spec, row[name], present.get(name)?.padded === true)
          continue
        }
        const value = readTimestamp(row[name])
        if (value !== 'sentinel') {
          out[name] = value
          continue
        }
        const logKey = `${table.name}.${name}`
        const entry = sentinels.get(logKey) ?? { table: table.name, column: name, ids: [], notNull: spec.nullable !== true }
        entry.ids.push(keys.length === 1 ? Number(key) : key)
        sentinels.set(logKey, entry)
        // A column that cannot be NULL gets the row's creation time (or the import's).
        out[name] = spec.nullable ? null : (out.created_date_time ?? now)
      }
      return out
    })
    yield { converted, raw }
    if (raw.length < READ_BATCH) return
    const tail = raw[raw.length - 1] ?? {}
    last = keys.map((column) => tail[column])
  }
}
