import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, type DataStore } from '../../src/index.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { startWorkers, type Reply, type Worker } from '../support/workers.ts'

const WORKERS = 16
const ROUNDS = 20

/**
 * The one-running guarantee, proven with OS processes: 16 processes (each its own Node.js process
 * with its own connection pool) start the same process at the same moment, round after round.
 */
for (const dialect of DIALECTS) {
  describe(`${dialect}: simultaneous starts from ${WORKERS} OS processes`, () => {
    let database: IsolatedDatabase
    let store: DataStore
    let workers: Worker[]

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      store = await database.open()
      workers = await startWorkers(WORKERS, database.options)
    }, 120_000)
    afterAll(async () => {
      await Promise.all(workers.map((worker) => worker.close()))
      await store.close()
      await database.drop()
    })

    it(`lets exactly one of ${WORKERS} win, ${ROUNDS} rounds in a row, with no duplicate run number`, async () => {
      const options = { processName: 'race', processType: 'Extract', actorName: 'racer' }
      for (let round = 1; round <= ROUNDS; round++) {
        const replies = await Promise.all(workers.map((worker) => worker.send({ cmd: 'start', options })))
        const winners = replies.filter((reply) => reply.ok)
        const losers = replies.filter((reply) => !reply.ok)
        expect(winners, `round ${round}: ${JSON.stringify(losers.filter((l) => l.code !== 'PT_PROCESS_RUNNING'))}`).toHaveLength(1)
        expect(losers.map((reply) => reply.code)).toEqual(Array(WORKERS - 1).fill('PT_PROCESS_RUNNING'))
        expect(winners[0]?.processRunId).toBe(round)
        // The winner completes only after every attempt of the round has returned.
        const winner = await ProcessTracker.resume(store, winners[0]?.processTrackingId ?? 0)
        await winner.complete()
      }
      const runs = await store.listRuns({ processName: 'race', limit: 1000 })
      expect(runs).toHaveLength(ROUNDS)
      expect(new Set(runs.map((run) => run.processRunId)).size).toBe(ROUNDS)
      expect(runs.filter((run) => run.isLatestRun)).toHaveLength(1)
    })

    it('keeps a parent and its child consistent when they start at the same moment', async () => {
      const parent = await ProcessTracker.start(store, { processName: 'race parent', processType: 'Extract' })
      await parent.complete()
      const child = await ProcessTracker.start(store, { processName: 'race child', processType: 'Load' })
      await child.complete()
      await store.addProcessDependency('race parent', 'race child')

      for (let round = 1; round <= 5; round++) {
        const replies: Reply[] = await Promise.all(
          workers.map((worker, i) =>
            worker.send({ cmd: 'start', options: { processName: i % 2 === 0 ? 'race parent' : 'race child' } }),
          ),
        )
        const parentReplies = replies.filter((_, i) => i % 2 === 0)
        const childReplies = replies.filter((_, i) => i % 2 === 1)
        expect(parentReplies.filter((reply) => reply.ok)).toHaveLength(1)
        const childWinners = childReplies.filter((reply) => reply.ok)
        expect(childWinners.length).toBeLessThanOrEqual(1)
        for (const reply of childReplies.filter((r) => !r.ok)) {
          expect(['PT_PROCESS_RUNNING', 'PT_DEPENDENCY_BLOCKED']).toContain(reply.code)
        }
        if (childWinners.length === 0) {
          // No child run: the parent committed first, so every child attempt saw it running.
          expect(childReplies.map((r) => r.code)).toEqual(Array(childReplies.length).fill('PT_DEPENDENCY_BLOCKED'))
        }
        for (const reply of [...parentReplies, ...childWinners].filter((r) => r.ok)) {
          await (await ProcessTracker.resume(store, reply.processTrackingId ?? 0)).complete()
        }
      }
      for (const name of ['race parent', 'race child']) {
        const runs = await store.listRuns({ processName: name, limit: 1000 })
        expect(new Set(runs.map((run) => run.processRunId)).size).toBe(runs.length)
        expect(runs.filter((run) => run.status === 'running')).toHaveLength(0)
      }
    })
  })
}
