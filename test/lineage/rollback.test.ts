import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataStore, ProcessRunningError, ProcessTracker, lineageStatus } from '../../src/index.ts'
import { transaction } from '../../src/store/transaction.ts'
import { lockRun, moveRun } from '../../src/tracker/run-transitions.ts'
import { COMPLETED, statusByName } from '../../src/store/process-statuses.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { contextOf } from '../../src/store/context.ts'

for (const dialect of DIALECTS) {
  describe(`the outbox follows the transaction (${dialect})`, () => {
    let database: IsolatedDatabase
    let store: DataStore
    let folder: string

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      folder = mkdtempSync(join(tmpdir(), 'pt-lineage-'))
      store = await database.open({ lineage: { transport: 'file', file: join(folder, 'events.jsonl') } })
    })
    afterAll(async () => {
      await store.close()
      await database.drop()
      rmSync(folder, { recursive: true, force: true })
    })

    const pending = async () => (await lineageStatus(store)).pending

    it('a refused start, a start rolled back at commit and a rolled-back status change emit nothing', async () => {
      const run = await ProcessTracker.start(store, { processName: 'Rollback A', processType: 'Load' })
      const afterStart = await pending()
      expect(afterStart).toBe(1)

      await expect(ProcessTracker.start(store, { processName: 'Rollback A' })).rejects.toThrow(ProcessRunningError)
      expect(await pending()).toBe(afterStart)

      // The START is written in the start's transaction; a failure before its commit takes it away.
      const refused = new Error('refused by a hook')
      await expect(
        ProcessTracker.start(
          store,
          { processName: 'Rollback B', processType: 'Load' },
          {
            beforeCommit: () => Promise.reject(refused),
          },
        ),
      ).rejects.toBe(refused)
      expect(await pending()).toBe(afterStart)
      expect(await store.getProcess('Rollback B')).toBeNull()

      // A status change whose transaction fails after the change (and its COMPLETE) was written.
      await expect(
        transaction(contextOf(store), async (tx) => {
          const locked = await lockRun(tx, run.processTrackingId)
          await moveRun(tx, locked, await statusByName(contextOf(store), tx.db, COMPLETED), new Date())
          throw new Error('failed after the change')
        }),
      ).rejects.toThrow('failed after the change')
      expect(await pending()).toBe(afterStart)
      expect(await run.refresh()).toBe('running')

      await run.complete()
      expect(await pending()).toBe(afterStart + 1)
    })

    it('with lineage off the outbox gets nothing, and lineage on costs at most one statement per event', async () => {
      const off = await database.open()
      try {
        const lifecycle = async (on: DataStore, name: string) => {
          const before = on.statementCounts.statements
          const run = await ProcessTracker.start(on, { processName: name, processType: 'Load' })
          await run.complete()
          return on.statementCounts.statements - before
        }
        // Warm both stores' caches (process ids, statuses) first, as a long-lived worker's are.
        await lifecycle(off, 'Off')
        await lifecycle(store, 'On')
        const rows = await pending()
        const offStatements = await lifecycle(off, 'Off')
        expect(await pending()).toBe(rows)
        const onStatements = await lifecycle(store, 'On')
        expect(await pending()).toBe(rows + 2)
        // One INSERT per event at most; on PostgreSQL the START and the COMPLETE ride in the start's and
        // the completion's own statements, so only the throttled RUNNING may add one.
        expect(onStatements - offStatements).toBeGreaterThanOrEqual(dialect === 'postgresql' ? 0 : 1)
        expect(onStatements - offStatements).toBeLessThanOrEqual(dialect === 'postgresql' ? 1 : 2)
      } finally {
        await off.close()
      }
    })
  })
}
