import { sql } from 'kysely'
import type { DataStore } from './api.ts'
import { contextOf } from './api.ts'

/** The store's Kysely instance (internal to the package; the bench uses it for bulk SQL only). */
export type BenchDb = ReturnType<typeof contextOf>['db']

/** Rows per multi-row INSERT: ≤ 12 columns × 1,000 stays under every driver's parameter limit. */
export const ROWS_PER_INSERT = 1_000
/** INSERT statements per transaction while seeding. */
const INSERTS_PER_TRANSACTION = 50

/**
 * Bulk seeding: `rows(from, to)` builds the rows [from, to) and `insert` writes them with one
 * multi-row INSERT; 50 INSERTs share a transaction. Seeding time is never part of a figure.
 */
export async function bulkInsert<Row>(
  db: BenchDb,
  total: number,
  rows: (from: number, to: number) => Row[],
  insert: (db: BenchDb, rows: Row[]) => Promise<unknown>,
): Promise<void> {
  const perTransaction = ROWS_PER_INSERT * INSERTS_PER_TRANSACTION
  for (let start = 0; start < total; start += perTransaction) {
    const end = Math.min(total, start + perTransaction)
    await db.transaction().execute(async (trx) => {
      for (let from = start; from < end; from += ROWS_PER_INSERT) {
        await insert(trx, rows(from, Math.min(end, from + ROWS_PER_INSERT)))
      }
    })
  }
}

/** Refreshes the planner's statistics of `tables`, as a database in steady use would have them. */
export async function analyze(store: DataStore, tables: readonly string[]): Promise<void> {
  const db = contextOf(store).db
  for (const table of tables) {
    if (store.dialect === 'mysql') await sql`analyze table ${sql.table(table)}`.execute(db)
    else await sql`analyze ${sql.table(table)}`.execute(db)
  }
}

/** The id of a seeded lookup row by name. */
export async function lookupId(
  db: BenchDb,
  table: 'extract_status_lkup' | 'location_type_lkup' | 'process_status_lkup',
  name: string,
): Promise<number> {
  let row: { id: number } | undefined
  if (table === 'extract_status_lkup') {
    row = await db.selectFrom(table).select('extract_status_id as id').where('extract_status_name', '=', name).executeTakeFirst()
  } else if (table === 'location_type_lkup') {
    row = await db.selectFrom(table).select('location_type_id as id').where('location_type_name', '=', name).executeTakeFirst()
  } else {
    row = await db.selectFrom(table).select('process_status_id as id').where('process_status_name', '=', name).executeTakeFirst()
  }
  if (!row) throw new Error(`${table} has no row named ${name}`)
  return Number(row.id)
}
