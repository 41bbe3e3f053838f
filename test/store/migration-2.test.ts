import { describe, expect, it } from 'vitest'
import { ProcessTracker } from '../../src/index.ts'
import { DELIVERY_COLUMNS } from '../../src/store/migrations/0002-released-and-deliveries.ts'
import { MIGRATIONS, applyMigration, seed } from '../../src/store/migrations/index.ts'
import { VERSION } from '../../src/version.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { contextOf } from '../../src/store/context.ts'

/**
 * Schema migration 2 applied to a store as 0.1 left it: without the delivery columns, and with a
 * hand-made `released` status of category active (0.1 allowed any custom status name).
 */
for (const dialect of DIALECTS) {
  describe(`${dialect}: migration 2 (released status, file deliveries)`, () => {
    const isolated = useIsolatedStore(dialect)

    it('adds the columns, turns a custom released status into the seeded one, and is safe to re-run', async () => {
      const { store } = isolated
      const { db, adapter } = contextOf(store)
      // Back to 0.1's shape.
      for (const change of DELIVERY_COLUMNS) {
        for (const column of Object.keys(change.columns)) await db.schema.alterTable(change.table).dropColumn(column).execute()
      }
      await db.deleteFrom('process_status_lkup').where('process_status_name', '=', 'released').execute()
      await store.lookups.create('process status', 'released') // category active, unprotected

      const migration = MIGRATIONS.find((m) => m.version === 2)
      if (!migration) throw new Error('migration 2 missing')
      expect(migration.frozen).toBeDefined() // released: its frozen SQL is what runs
      await applyMigration(db, adapter, migration)
      // MySQL DDL is not transactional: a migration interrupted there is retried over its own work.
      // (SQLite and PostgreSQL roll an interrupted migration back whole.)
      if (dialect === 'mysql') await applyMigration(db, adapter, migration)
      await seed(db, adapter, VERSION)

      const status = await db
        .selectFrom('process_status_lkup')
        .select(['process_status_category', 'is_protected'])
        .where('process_status_name', '=', 'released')
        .execute()
      expect(status.map((row) => [row.process_status_category, Boolean(row.is_protected)])).toEqual([['released', true]])
      const row = await db
        .selectFrom('extract_tracking')
        .select([
          'extract_file_size_bytes',
          'extract_file_modified_date_time',
          'extract_file_etag',
          'extract_delivery_date_time',
          'extract_delivery_process_tracking_id',
        ])
        .execute()
      expect(row).toEqual([])
      await db.selectFrom('extract_status_history').select('event_note').execute()

      // The store works as 0.2 expects: a release is `released`.
      contextOf(store).processStatuses.byName.clear()
      contextOf(store).processStatuses.byId.clear()
      const two = await isolated.database.open({ maxConcurrentFailures: 1 })
      try {
        await (await ProcessTracker.start(two, { processName: 'migrated', processType: 'Load' })).fail()
        expect(await two.releaseHold('migrated')).toMatchObject({ status: 'released' })
      } finally {
        await two.close()
      }
    })
  })
}
