import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, type DataStore, type RunInfo } from '../../src/index.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { startWorkers, type Reply, type Worker } from '../support/workers.ts'

const WORKERS = 16
const ROUNDS = 20

/** The runs of a process, oldest first. */
async function runsOf(store: DataStore, processName: string): Promise<RunInfo[]> {
  return (await store.listRuns({ processName, limit: 1000 })).sort((a, b) => a.processRunId - b.processRunId)
}

/** The runs still active (no end time). */
function active(runs: RunInfo[]): RunInfo[] {
  return runs.filter((run) => run.endDateTime === null)
}

/**
 * The one-running guarantee and the dependency rule, proven with OS processes: 16 processes (each its
 * own Node.js process with its own connection pool) start at the same moment, round after round. The
 * assertions are what only the start's locking can give, not the UNIQUE constraint on run numbers.
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

    it(`lets exactly one of ${WORKERS} win, ${ROUNDS} rounds in a row; no two runs are ever active at once`, async () => {
      const options = { processName: 'race', processType: 'Extract', actorName: 'racer' }
      for (let round = 1; round <= ROUNDS; round++) {
        const replies = await Promise.all(workers.map((worker) => worker.send({ cmd: 'start', options })))
        const winners = replies.filter((reply) => reply.ok)
        const losers = replies.filter((reply) => !reply.ok)
        expect(winners, `round ${round}: ${JSON.stringify(losers.filter((l) => l.code !== 'PT_PROCESS_RUNNING'))}`).toHaveLength(1)
        expect(losers.map((reply) => reply.code)).toEqual(Array(WORKERS - 1).fill('PT_PROCESS_RUNNING'))
        // At this instant (every attempt has returned) the store holds exactly the winner as active:
        // nothing in the schema forbids a second running row, only the start's lock does.
        expect(active(await runsOf(store, 'race')).map((run) => run.processTrackingId)).toEqual([winners[0]?.processTrackingId])
        // The winner completes only after every attempt of the round has returned.
        const winner = await ProcessTracker.resume(store, winners[0]?.processTrackingId ?? 0)
        await winner.complete()
      }
      const runs = await runsOf(store, 'race')
      expect(runs).toHaveLength(ROUNDS)
      // By the stored times, each run began no earlier than the one before it ended: the rounds follow
      // each other, so an overlap would be two active runs at one instant.
      for (const [previous, next] of runs.slice(0, -1).map((run, i) => [run, runs[i + 1]] as const)) {
        expect(previous.endDateTime, `run ${previous.processRunId} ended`).not.toBeNull()
        expect(
          next?.startDateTime.getTime(),
          `run ${next?.processRunId} started after run ${previous.processRunId} ended`,
        ).toBeGreaterThanOrEqual(previous.endDateTime?.getTime() ?? Infinity)
      }
      expect(runs.filter((run) => run.isLatestRun).map((run) => run.processRunId)).toEqual([ROUNDS])
    })

    it('never starts a child while its parent runs, when parent and child start at the same moment', async () => {
      const parent = await ProcessTracker.start(store, { processName: 'race parent', processType: 'Extract' })
      await parent.complete()
      const child = await ProcessTracker.start(store, { processName: 'race child', processType: 'Load' })
      await child.complete()
      await store.addProcessDependency('race parent', 'race child')
      const half = (replies: Reply[], parity: number) => replies.filter((_, i) => i % 2 === parity)
      const complete = async (reply: Reply) => (await ProcessTracker.resume(store, reply.processTrackingId ?? 0)).complete()

      for (let round = 1; round <= 5; round++) {
        // The race: half the workers start the parent, half the child. api.md: either both run (the
        // child decided first) or the child is refused (the parent committed first).
        const replies: Reply[] = await Promise.all(
          workers.map((worker, i) => worker.send({ cmd: 'start', options: { processName: i % 2 === 0 ? 'race parent' : 'race child' } })),
        )
        const parentWinners = half(replies, 0).filter((reply) => reply.ok)
        const childWinners = half(replies, 1).filter((reply) => reply.ok)
        expect(parentWinners, `round ${round}`).toHaveLength(1)
        expect(childWinners.length, `round ${round}`).toBeLessThanOrEqual(1)
        for (const reply of half(replies, 1).filter((r) => !r.ok))
          expect(['PT_PROCESS_RUNNING', 'PT_DEPENDENCY_BLOCKED']).toContain(reply.code)
        if (childWinners.length === 0) {
          // No child run: the parent committed first, so every child attempt saw it running.
          expect(half(replies, 1).map((r) => r.code)).toEqual(Array(WORKERS / 2).fill('PT_DEPENDENCY_BLOCKED'))
        }
        for (const reply of childWinners) await complete(reply)

        // The parent's start is committed and it still runs: every child start racing now, from all
        // sixteen processes at once, must be refused by the dependency, and none may slip through.
        const childRuns = (await runsOf(store, 'race child')).length
        const late = await Promise.all(workers.map((worker) => worker.send({ cmd: 'start', options: { processName: 'race child' } })))
        expect(
          late.map((reply) => reply.code),
          `round ${round}`,
        ).toEqual(Array(WORKERS).fill('PT_DEPENDENCY_BLOCKED'))
        expect(await runsOf(store, 'race child')).toHaveLength(childRuns)

        for (const reply of parentWinners) await complete(reply)
      }

      // Not checked from the stored times: they are the statement's or (PostgreSQL) the transaction's
      // clock, and a child that decided first may carry a later start than the parent that committed after it.
      for (const name of ['race parent', 'race child']) expect(active(await runsOf(store, name))).toEqual([])
    })
  })
}
