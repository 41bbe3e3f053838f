import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DatabaseUnavailableError, ProcessTracker, type DataStore } from '../../src/index.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { contextOf } from '../../src/store/context.ts'

for (const dialect of DIALECTS) {
  describe(`${dialect}: waiting for the process lock`, () => {
    let database: IsolatedDatabase
    let holder: DataStore
    let waiter: DataStore

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      holder = await database.open()
      waiter = await database.open({ lockTimeoutMs: 300 })
      const run = await ProcessTracker.start(waiter, { processName: 'contended', processType: 'Extract' })
      await run.complete()
    })
    afterAll(async () => {
      await waiter.close()
      await holder.close()
      await database.drop()
    })

    it('gives up after lockTimeoutMs with PT_LOCK_TIMEOUT, and leaves nothing behind', async () => {
      const error = await contextOf(holder)
        .db.transaction()
        .execute(async (trx) => {
          // Hold what a start needs: the process row (servers) or the write lock (SQLite's
          // begin immediate already took it when this transaction opened).
          await sql`select process_id from process where process_name = 'contended' ${sql.raw(dialect === 'sqlite' ? '' : 'for update')}`.execute(
            trx,
          )
          return ProcessTracker.start(waiter, { processName: 'contended' }).catch((e: unknown) => e)
        })
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect((error as DatabaseUnavailableError).code).toBe('PT_LOCK_TIMEOUT')
      expect(await waiter.listRuns({ processName: 'contended' })).toHaveLength(1)
      // Once the lock is free, the same store starts normally.
      const run = await ProcessTracker.start(waiter, { processName: 'contended' })
      expect(run.processRunId).toBe(2)
      await run.complete()
    })

    // SQLite has no row locks: a second process waits for the whole database's write lock, so there
    // is no "someone else is deciding this process" to notice. On the servers there is.
    it.skipIf(dialect === 'sqlite')('refuses at once from committed state while another start holds the lock', async () => {
      const running = await ProcessTracker.start(waiter, { processName: 'contended' })
      const error = await contextOf(holder)
        .db.transaction()
        .execute(async (trx) => {
          await sql`select process_id from process where process_name = 'contended' for update`.execute(trx)
          return ProcessTracker.start(waiter, { processName: 'contended' }).catch((e: unknown) => e)
        })
      // Not PT_LOCK_TIMEOUT: the running run was visible without waiting for the lock.
      expect(error).toMatchObject({ code: 'PT_PROCESS_RUNNING', details: { blockingRunId: running.processTrackingId } })
      await running.complete()
    })
  })
}
