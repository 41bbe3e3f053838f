import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { ProcessTracker, type DataStore } from '../../src/index.ts'
import { contextOf } from '../../src/store/context.ts'
import { rebuildOutboxWithoutAutoincrement } from '../../src/store/migrations/0008-outbox-rowid.ts'
import { DIALECTS } from '../support/dialects.ts'
import { useLineageStoreReceiverDown } from './lineage-store.ts'

/** The outbox's rows as the dispatcher reads them: id, run, event, status. */
async function outboxRows(store: DataStore) {
  const rows = await contextOf(store)
    .db.selectFrom('lineage_outbox')
    .select(['outbox_id', 'process_tracking_id', 'event_type', 'outbox_status'])
    .orderBy('outbox_id')
    .execute()
  return rows.map((row) => [Number(row.outbox_id), Number(row.process_tracking_id), row.event_type, row.outbox_status])
}

/** SQLite's CREATE statements of the outbox and its indexes. */
async function sqliteSchema(store: DataStore): Promise<string[]> {
  const { rows } = await sql<{ sql: string }>`
    select sql from sqlite_master where tbl_name = 'lineage_outbox' and sql is not null order by type desc, name`.execute(
    contextOf(store).db,
  )
  return rows.map((row) => row.sql)
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: migration 8 (the outbox without AUTOINCREMENT on SQLite)`, () => {
    const fixture = useLineageStoreReceiverDown(dialect)

    it('keeps every event with its id and order, and new events follow them', async () => {
      const { store } = fixture
      for (let i = 0; i < 2; i++) await (await ProcessTracker.start(store, { processName: `Rowid ${i}`, processType: 'Load' })).complete()
      const before = await outboxRows(store)
      expect(before.map((row) => row[2])).toEqual(['START', 'COMPLETE', 'START', 'COMPLETE'])
      const ctx = contextOf(store)
      // Twice: a migration run again over its own work changes nothing.
      for (let i = 0; i < 2; i++) await ctx.db.transaction().execute((trx) => rebuildOutboxWithoutAutoincrement(trx, ctx.adapter))
      expect(await outboxRows(store)).toEqual(before)

      if (dialect === 'sqlite') {
        const schema = await sqliteSchema(store)
        expect(schema[0]).toMatch(/^CREATE TABLE "lineage_outbox" \("outbox_id" integer primary key, /)
        expect(schema.join('\n')).not.toMatch(/autoincrement|lineage_outbox_rebuilt/i)
        expect(schema.slice(1)).toEqual([
          'CREATE INDEX "lineage_outbox_idx1" on "lineage_outbox" ("outbox_status", "outbox_id")',
          'CREATE INDEX "lineage_outbox_idx2" on "lineage_outbox" ("process_tracking_id", "outbox_id")',
        ])
        const { rows } = await sql<{ name: string }>`select name from sqlite_sequence where name = 'lineage_outbox'`.execute(ctx.db)
        expect(rows).toEqual([])
      }

      const run = await ProcessTracker.start(store, { processName: 'Rowid after', processType: 'Load' })
      await run.complete()
      const after = await outboxRows(store)
      expect(after.slice(0, before.length)).toEqual(before)
      const added = after.slice(before.length)
      expect(added.map((row) => [row[1], row[2], row[3]])).toEqual([
        [run.processTrackingId, 'START', 'pending'],
        [run.processTrackingId, 'COMPLETE', 'pending'],
      ])
      const lastBefore = Number(before.at(-1)?.[0])
      expect(added.every((row) => Number(row[0]) > lastBefore)).toBe(true)
    })
  })
}
