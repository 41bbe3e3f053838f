import { describe, expect, it } from 'vitest'
import { ProcessTracker } from '../../src/index.ts'
import { Dispatcher } from '../../src/lineage/dispatcher.ts'
import { contextOf } from '../../src/store/context.ts'
import { DIALECTS } from '../support/dialects.ts'
import { useLineageStoreReceiverDown } from './lineage-store.ts'

const DAY = 24 * 3600 * 1000

for (const dialect of DIALECTS) {
  describe(`retention of sent events (${dialect})`, () => {
    const fixture = useLineageStoreReceiverDown(dialect)

    it('deletes sent events older than the retention in bounded batches, and nothing else', async () => {
      const { store } = fixture
      for (let i = 0; i < 3; i++) await (await ProcessTracker.start(store, { processName: `Kept ${i}`, processType: 'Load' })).complete()
      const ctx = contextOf(store)
      const ids = (await ctx.db.selectFrom('lineage_outbox').select('outbox_id').orderBy('outbox_id').execute()).map((row) =>
        Number(row.outbox_id),
      )
      expect(ids.length).toBe(6)
      const [late, ...rest] = ids
      const old = rest.slice(0, 4)
      const sent = (id: number | undefined, at: Date) =>
        ctx.db
          .updateTable('lineage_outbox')
          .set({ outbox_status: 'sent', sent_date_time: at })
          .where('outbox_id', '=', id ?? -1)
          .execute()
      // The oldest event was sent an hour ago (after long retries), four newer ones eight days ago;
      // the newest is still pending.
      await sent(late, new Date(Date.now() - 3600 * 1000))
      for (const id of old) await sent(id, new Date(Date.now() - 8 * DAY))

      const lineage = ctx.lineage
      if (!lineage) throw new Error('lineage is on for this store')
      const dispatcher = new Dispatcher(ctx, lineage.config, { purgeBatch: 2 })
      expect(await dispatcher.purge(true)).toBe(4)
      const left = await ctx.db.selectFrom('lineage_outbox').select(['outbox_id', 'outbox_status']).orderBy('outbox_id').execute()
      expect(left.map((row) => [Number(row.outbox_id), row.outbox_status])).toEqual([
        [late, 'sent'],
        [ids[5], 'pending'],
      ])
      expect(await dispatcher.purge(true)).toBe(0)
    })
  })
}
