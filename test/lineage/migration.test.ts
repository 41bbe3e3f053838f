import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker } from '../../src/index.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { contextOf } from '../../src/store/context.ts'

const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

for (const dialect of DIALECTS) {
  describe(`migration 5: run uuids and the outbox (${dialect})`, () => {
    let database: IsolatedDatabase
    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
    })
    afterAll(async () => {
      await database.drop()
    })

    it('gives the runs of a schema-4 store a unique UUIDv7 each, and adds the outbox', async () => {
      const old = await database.open()
      for (let i = 0; i < 3; i++) await (await ProcessTracker.start(old, { processName: `Old ${i}`, processType: 'Load' })).complete()
      // Back to schema 4: what a store written by processtracker before migration 5 looks like.
      const { db } = contextOf(old)
      const dropIndex = db.schema.dropIndex('process_tracking_udx_run_uuid')
      await (dialect === 'mysql' ? dropIndex.on('process_tracking') : dropIndex).execute()
      await db.schema.alterTable('process_tracking').dropColumn('run_uuid').execute()
      await db.schema.alterTable('source_lkup').dropColumn('source_uri').execute()
      await db.schema.dropTable('lineage_outbox').execute()
      await db.deleteFrom('process_tracker_migration').where('version', '>=', 5).execute()
      await old.close()

      const store = await database.open()
      try {
        const runs = await store.listRuns()
        expect(runs).toHaveLength(3)
        for (const run of runs) expect(run.runUuid).toMatch(UUID7)
        expect(new Set(runs.map((run) => run.runUuid)).size).toBe(3)
        // UNIQUE: a second run with the same uuid is refused by the database.
        const [first, second] = runs
        await expect(
          contextOf(store)
            .db.updateTable('process_tracking')
            .set({ run_uuid: first?.runUuid ?? '' })
            .where('process_tracking_id', '=', second?.processTrackingId ?? 0)
            .execute(),
        ).rejects.toThrow()
        expect(await contextOf(store).db.selectFrom('lineage_outbox').select('outbox_id').execute()).toEqual([])
        const run = await ProcessTracker.start(store, { processName: 'New', processType: 'Load' })
        expect(run.runUuid).toMatch(UUID7)
      } finally {
        await store.close()
      }
    })
  })
}
