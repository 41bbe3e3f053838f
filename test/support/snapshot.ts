import type { DataStore } from '../../src/index.ts'
import { OWN_TABLES } from '../../src/store/migrations/index.ts'
import { contextOf } from '../../src/store/context.ts'

/** Row counts of every processtracker table: equal snapshots mean nothing was written. */
export async function rowCounts(store: DataStore): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const table of OWN_TABLES) {
    const row = await contextOf(store)
      .db.selectFrom(table as 'process')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    counts[table] = Number(row.n)
  }
  return counts
}
