import { describe, expect, it } from 'vitest'
import { ExtractTracker, ProcessTracker, type DataStore } from '../../src/index.ts'
import { contextOf } from '../../src/store/context.ts'
import { DIALECTS } from '../support/dialects.ts'
import { useLineageStoreReceiverDown } from './lineage-store.ts'

/** The run's outbox events, in order. */
async function events(store: DataStore, processTrackingId: number): Promise<string[]> {
  const rows = await contextOf(store)
    .db.selectFrom('lineage_outbox')
    .select('event_type')
    .where('process_tracking_id', '=', processTrackingId)
    .orderBy('outbox_id')
    .execute()
  return rows.map((row) => row.event_type)
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: registering an extract writes the run's throttled RUNNING with it`, () => {
    const fixture = useLineageStoreReceiverDown(dialect)
    const locationPath = '/tmp/register-running'

    it('one RUNNING per run per 10 s, committed with the first new extract (one statement on PostgreSQL)', async () => {
      const { store, database } = fixture
      // A first run makes the location known to the store.
      const warm = await ProcessTracker.start(store, { processName: 'Register running warm', processType: 'Extract' })
      await ExtractTracker.register(warm, { filename: 'warm.csv', locationPath })
      await warm.complete()

      const run = await ProcessTracker.start(store, { processName: 'Register running', processType: 'Extract' })
      const before = store.statementCounts.statements
      const first = await ExtractTracker.register(run, { filename: 'first.csv', locationPath })
      const statements = store.statementCounts.statements - before
      expect(await events(store, run.processTrackingId)).toEqual(['START', 'RUNNING'])
      if (dialect === 'postgresql') expect(statements).toBe(1)

      await ExtractTracker.register(run, { filename: 'second.csv', locationPath })
      await first.changeExtractStatus('ready')
      expect(await events(store, run.processTrackingId)).toEqual(['START', 'RUNNING'])

      // Another run of another store (its own RUNNING hold in memory) is held back by the outbox itself.
      const other = await database.open({ lineage: { url: 'http://127.0.0.1:9' }, logLevel: 'SILENT' })
      try {
        // Known to that store too, so PostgreSQL's one statement (with its RUNNING CTE) is what runs.
        const warmOther = await ProcessTracker.start(other, { processName: 'Register running other', processType: 'Extract' })
        await ExtractTracker.register(warmOther, { filename: 'warm_other.csv', locationPath })
        const resumed = await ProcessTracker.resume(other, run.processTrackingId)
        const counted = other.statementCounts.statements
        await ExtractTracker.register(resumed, { filename: 'third.csv', locationPath })
        if (dialect === 'postgresql') expect(other.statementCounts.statements - counted).toBe(1)
      } finally {
        await other.close()
      }
      expect(await events(store, run.processTrackingId)).toEqual(['START', 'RUNNING'])

      await run.complete()
      expect(await events(store, run.processTrackingId)).toEqual(['START', 'RUNNING', 'COMPLETE'])
    })
  })
}
