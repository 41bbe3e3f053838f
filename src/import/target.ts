/**
 * The target side of an import: the emptiness check, clearing the default rows the Python rows
 * replace, batched inserts that keep ids, and the finish (sequences past the imported ids, missing
 * default rows back). Everything here runs inside the import's one transaction.
 */
import { sql } from 'kysely'
import { ConfigError } from '../errors.ts'
import type { Db, DialectAdapter } from '../store/dialect/adapter.ts'
import { seed } from '../store/migrations/index.ts'
import { INITIAL_TABLES } from '../store/migrations/0001-initial-schema.ts'
import { SEEDS } from '../store/migrations/seeds.ts'
import type { ColumnSpec, TableSpec } from '../store/migrations/table-spec.ts'
import { VERSION } from '../version.ts'

/** The tables an import writes, in an order where every referenced row comes first. */
export const IMPORTED_TABLES: readonly TableSpec[] = INITIAL_TABLES

const count = async (db: Db, table: string, onlyUnprotected: boolean): Promise<number> => {
  let query = db.selectFrom(table as never).select(sql<number>`count(*)`.as('n'))
  if (onlyUnprotected) query = query.where('is_protected' as never, '=', false as never)
  const row = await query.executeTakeFirst()
  return Number(row?.n ?? 0)
}

/**
 * Refuses a target that holds anything but the default rows: runs or processes ("the target
 * already holds runs"), or rows someone added (they would clash with the imported ids).
 */
export async function assertTargetEmpty(db: Db): Promise<void> {
  const runs = await count(db, 'process_tracking', false)
  const processes = await count(db, 'process', false)
  if (runs > 0 || processes > 0) {
    throw new ConfigError(
      `The target already holds runs (${runs} runs of ${processes} processes): import-python only writes into an empty store. ` +
        'Point --url at a new database or schema, or run `processtracker setup --overwrite` on this one first.',
      { runs, processes },
    )
  }
  const occupied: string[] = []
  for (const table of IMPORTED_TABLES) {
    if ((await count(db, table.name, table.lookup === true)) > 0) occupied.push(table.name)
  }
  if (occupied.length > 0) {
    throw new ConfigError(
      `The target is not empty: ${occupied.join(', ')} hold rows that are not defaults, and the imported ids would clash with them. ` +
        'Import into a new database or schema.',
      { tables: occupied },
    )
  }
}

/** Deletes the default rows: the Python rows replace them with their own ids. */
export async function clearDefaults(db: Db): Promise<void> {
  for (const table of [...IMPORTED_TABLES].reverse()) {
    if (table.lookup) await db.deleteFrom(table.name as never).execute()
  }
}

/** Rows per INSERT: large for speed, under every driver's bound-parameter limit. */
export function rowsPerInsert(columns: number): number {
  return Math.max(1, Math.min(1000, Math.floor(30_000 / Math.max(columns, 1))))
}

const PG_ARRAY_TYPES: Record<ColumnSpec['kind'], string> = {
  id: 'int4',
  int: 'int4',
  bigint: 'int8',
  bool: 'bool',
  str: 'text',
  timestamp: 'timestamptz',
  decimal: 'numeric',
}

/** The PostgreSQL element type of a column, audit columns included. */
function pgArrayType(table: TableSpec, column: string): string {
  const spec = table.columns[column]
  if (spec) return PG_ARRAY_TYPES[spec.kind]
  if (column === 'is_protected') return 'bool'
  return column.endsWith('_date_time') ? 'timestamptz' : 'text'
}

/** One array element of a PostgreSQL array literal. */
export function arrayElement(value: unknown, type: string): string {
  if (value === null || value === undefined) return 'NULL'
  if (value instanceof Date) return value.toISOString() // no character an array literal must quote
  if (typeof value === 'boolean') return value ? 't' : 'f'
  if (typeof value === 'number') return String(value)
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return type === 'text' ? `"${text.replace(/[\\"]/g, '\\$&')}"` : text
}

/**
 * Inserts rows as given, ids included. On PostgreSQL one statement per batch binds one array
 * literal per column (`INSERT … SELECT * FROM unnest(…)`): a handful of parameters instead of tens
 * of thousands, built here rather than by the driver's generic array encoder, which dominated the
 * client's time in a million-run import. Elsewhere, multi-row VALUES.
 */
export async function insertRows(db: Db, adapter: DialectAdapter, table: TableSpec, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return
  const columns = Object.keys(rows[0] ?? {})
  if (adapter.dialect === 'postgresql') {
    const arrays = columns.map((column) => {
      const type = pgArrayType(table, column)
      const literal = `{${rows.map((row) => arrayElement(row[column], type)).join(',')}}`
      return sql`${literal}::${sql.raw(type)}[]`
    })
    await sql`insert into ${sql.table(table.name)} (${sql.join(columns.map((column) => sql.ref(column)))})
              select * from unnest(${sql.join(arrays)})`.execute(db)
    return
  }
  const step = rowsPerInsert(columns.length)
  for (let i = 0; i < rows.length; i += step) {
    await db
      .insertInto(table.name as never)
      .values(rows.slice(i, i + step))
      .execute()
  }
}

/**
 * MySQL generates a new id for an explicit 0 unless told otherwise, and the Python
 * `unscheduled` frequency is id 0. Returns what undoes it (the connection goes back to the pool).
 */
export async function allowExplicitZeroIds(db: Db, adapter: DialectAdapter): Promise<() => Promise<void>> {
  if (adapter.dialect !== 'mysql') return () => Promise.resolve()
  const { rows } = await sql<{ mode: string }>`select @@session.sql_mode as mode`.execute(db)
  const mode = rows[0]?.mode ?? ''
  await sql`set session sql_mode = ${`${mode},NO_AUTO_VALUE_ON_ZERO`.replace(/^,/, '')}`.execute(db)
  return async () => {
    await sql`set session sql_mode = ${mode}`.execute(db)
  }
}

/**
 * After the rows: sequences past the imported ids (PostgreSQL; MySQL and SQLite move theirs on an
 * explicit insert), the default rows the Python database lacked, and defaults marked protected.
 */
export async function finishTarget(db: Db, adapter: DialectAdapter): Promise<void> {
  if (adapter.dialect === 'postgresql') {
    for (const table of IMPORTED_TABLES) {
      const id = Object.entries(table.columns).find(([, column]) => column.kind === 'id')?.[0]
      if (!id) continue
      await sql`select setval(pg_get_serial_sequence(${table.name}, ${id}),
                  coalesce((select max(${sql.ref(id)}) from ${sql.table(table.name)}), 0) + 1, false)`.execute(db)
    }
  }
  await seed(db, adapter, VERSION)
  const sets = [...SEEDS, { table: 'system_lkup', key: 'system_key', rows: [{ system_key: 'version' }] }]
  for (const set of sets) {
    const names = set.rows.map((row) => row[set.key]).filter((name): name is string => typeof name === 'string')
    await db
      .updateTable(set.table as never)
      .set({ is_protected: true } as never)
      .where(set.key as never, 'in', names as never)
      .execute()
  }
}
