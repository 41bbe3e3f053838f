import { existsSync } from 'node:fs'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, type DataStore } from '../../src/index.ts'
import { contextOf } from '../../src/store/context.ts'
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { startWorkers } from '../support/workers.ts'

/**
 * SQLite only: a file store moves its WAL checkpoints to a thread once it is busy
 * (src/store/dialect/sqlite-checkpointer.ts). PostgreSQL and MySQL checkpoint in the server.
 */
/** The store file's write-ahead log. */
const walFileOf = (database: IsolatedDatabase): string => `${new URL(database.options.url.replace(/^sqlite:/, 'file:')).pathname}-wal`

describe('sqlite: checkpoints on a thread of their own', () => {
  let database: IsolatedDatabase

  beforeAll(async () => {
    database = await createIsolatedDatabase('sqlite')
  })
  afterAll(async () => {
    await database.drop()
  })

  /** The store's own automatic checkpoint threshold (1,000 pages: SQLite checkpoints in the commit). */
  async function autocheckpoint(store: DataStore): Promise<number> {
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(contextOf(store).db)
    return Number(rows[0]?.wal_autocheckpoint)
  }

  it('a store that writes little checkpoints as SQLite does; a busy one hands them to the thread, loses nothing and leaves no WAL behind', async () => {
    const walFile = walFileOf(database)
    const store = await database.open()
    let runs = 0
    try {
      await (await ProcessTracker.start(store, { processName: 'checkpointed', processType: 'Extract' })).complete()
      runs++
      expect(await autocheckpoint(store)).toBe(1_000)
      // A thousand statements without rows back: a little over a hundred lifecycles' starts and ends.
      for (let i = 0; i < 300; i++) {
        const run = await ProcessTracker.start(store, { processName: 'checkpointed', processType: 'Extract' })
        await run.setRecordCount(i)
        await run.complete()
        runs++
      }
      // The thread runs: the store's own checkpoint is only a backstop now.
      expect(await autocheckpoint(store)).toBe(10_000)
      expect(existsSync(walFile)).toBe(true)
    } finally {
      await store.close()
    }
    // The thread closed its connection when the store did: the last connection to close checkpoints
    // the WAL into the file and removes it.
    await expect.poll(() => existsSync(walFile), { timeout: 10_000 }).toBe(false)
    const reopened = await database.open()
    try {
      expect(await reopened.listRuns({ processName: 'checkpointed', limit: 1000 })).toHaveLength(runs)
    } finally {
      await reopened.close()
    }
  })

  it('several processes, each with its checkpoint thread, write one file side by side and lose nothing', async () => {
    const walFile = walFileOf(database)
    const workers = await startWorkers(3, { url: database.options.url })
    try {
      // 150 runs are some 1,500 writes per process: each starts its thread partway through (autocheckpoint
      // 10,000 says it did), and from then on three threads checkpoint under three writers.
      const replies = await Promise.all(
        workers.map((worker, k) =>
          worker.send({ cmd: 'busy', count: 150, options: { processName: `side by side ${k}`, processType: 'Extract' } }),
        ),
      )
      expect(replies.map((reply) => [reply.ok, reply.message ?? null, reply.autocheckpoint])).toEqual(
        workers.map(() => [true, null, 10_000]),
      )
    } finally {
      for (const worker of workers) await worker.close()
    }
    await expect.poll(() => existsSync(walFile), { timeout: 10_000 }).toBe(false)
    const reopened = await database.open()
    try {
      for (let k = 0; k < 3; k++) {
        const runs = await reopened.listRuns({ processName: `side by side ${k}`, limit: 1000 })
        expect(runs.map((run) => [run.status, run.recordCount])).toEqual(Array.from({ length: 150 }, (_, i) => ['completed', 149 - i]))
      }
      const { rows } = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(contextOf(reopened).db)
      expect(rows).toEqual([{ integrity_check: 'ok' }])
    } finally {
      await reopened.close()
    }
  })
})
