import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataStore, ProcessTracker, flushLineage, lineageStatus } from '../../src/index.ts'
import { requireBuild } from '../support/build.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { TestReceiver } from './receiver.ts'
import { contextOf } from '../../src/store/context.ts'

const WORKER = fileURLToPath(new URL('./dispatch-worker.mjs', import.meta.url))

/** A dispatcher in its own OS process (test/lineage/dispatch-worker.mjs, on dist/). */
async function startDispatcher(database: IsolatedDatabase, url: string): Promise<ChildProcess> {
  requireBuild() // the worker imports dist/
  const options = {
    open: database.options,
    lineage: { url, apiKey: 'test-key' },
    // The contract's policy, shortened: 5 tries, backoff 20 ms, a claim lost 1.5 s after its dispatcher died.
    policy: { backoffMs: 20, leaseMs: 1_500, retryDelayMs: 50, maxRetryDelayMs: 200 },
  }
  const child = spawn(process.execPath, [WORKER, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [data] = (await once(child.stdout, 'data')) as [Buffer]
  expect(data.toString()).toBe('ready\n')
  return child
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

for (const dialect of DIALECTS) {
  describe(`delivery to a flaky receiver (${dialect})`, () => {
    let database: IsolatedDatabase
    let store: DataStore
    const receiver = new TestReceiver()
    let url: string
    const children: ChildProcess[] = []

    beforeAll(async () => {
      url = await receiver.listen()
      database = await createIsolatedDatabase(dialect)
      store = await database.open({ lineage: { url }, logLevel: 'SILENT' })
    })
    afterAll(async () => {
      for (const child of children) await kill(child)
      await store.close()
      await receiver.close()
      await database.drop()
    })

    it('every event arrives, in order per run, across 503s, dropped connections and a SIGKILLed dispatcher', async () => {
      // Accept, then 503 for a while, then drop connections, then hang (the dispatcher is killed mid-send).
      receiver.script('accept', 'accept', 'accept', '503', '503', '503', '503', '503', '503', 'drop', 'drop', 'drop', 'hang')
      const first = await startDispatcher(database, url)
      children.push(first)
      for (let i = 0; i < 6; i++) {
        const run = await ProcessTracker.start(store, { processName: `Flaky ${i % 3}`, processType: 'Load', targets: 'Warehouse' })
        await run.setRecordCount(10 * i)
        if (i === 4) await run.fail()
        else await run.complete()
      }
      const expected = await contextOf(store)
        .db.selectFrom('lineage_outbox as o')
        .innerJoin('process_tracking as t', 't.process_tracking_id', 'o.process_tracking_id')
        .select(['t.run_uuid', 'o.event_type'])
        .orderBy('o.outbox_id')
        .execute()
      expect(expected.length).toBe(18)

      // Kill the dispatcher while its request hangs: that event was never acknowledged.
      await receiver.waitFor(() => receiver.requests.some((request) => request.behaviour === 'hang'))
      await kill(first)
      receiver.releaseHung()
      // Two dispatchers from here on: they share the outbox and never send one event twice.
      children.push(await startDispatcher(database, url), await startDispatcher(database, url))
      try {
        await everyEventArrives(expected)
        // The last acknowledgement may still be on its way into the database: wait for it, then stop.
        while ((await lineageStatus(store)).pending > 0) await sleep(50)
      } finally {
        for (const child of children.splice(0)) await kill(child)
      }
      expect(await lineageStatus(store)).toMatchObject({ pending: 0, sent: 18, rejected: 0 })
    })

    async function everyEventArrives(expected: { run_uuid: string | null; event_type: string }[]): Promise<void> {
      const key = (runId: unknown, type: unknown) => `${String(runId)} ${String(type)}`
      const wanted = new Set(expected.map((row) => key(row.run_uuid, row.event_type)))
      await receiver.waitFor(() => new Set(receiver.accepted.map((event) => key(event.run.runId, event.eventType))).size === wanted.size)

      const accepted = receiver.accepted
      const keys = accepted.map((event) => key(event.run.runId, event.eventType))
      expect(new Set(keys)).toEqual(wanted)
      expect(keys.length).toBe(new Set(keys).size) // none acknowledged twice
      for (const runId of new Set(expected.map((row) => row.run_uuid))) {
        const sent = accepted.filter((event) => event.run.runId === runId).map((event) => event.eventType)
        expect(sent).toEqual(expected.filter((row) => row.run_uuid === runId).map((row) => row.event_type))
      }
      expect(receiver.requests.every((request) => request.authorization === 'Bearer test-key')).toBe(true)
      // Every kind of trouble was met on the way.
      expect(new Set(receiver.requests.map((request) => request.behaviour))).toEqual(new Set(['accept', '503', 'drop', 'hang']))
    }

    it('a 4xx other than 429 marks the event rejected, kept with the response, and the run goes on', async () => {
      receiver.script('400')
      const run = await ProcessTracker.start(store, { processName: 'Rejected', processType: 'Load' })
      await run.complete()
      const counts = await flushLineage(store, { policy: { backoffMs: 1 } })
      expect(counts).toEqual({ sent: 1, rejected: 1, failed: 0 })
      const rejected = await contextOf(store)
        .db.selectFrom('lineage_outbox')
        .select(['event_type', 'response', 'payload'])
        .where('outbox_status', '=', 'rejected')
        .execute()
      expect(rejected).toHaveLength(1)
      expect(rejected[0]).toMatchObject({ event_type: 'START', response: 'HTTP 400: {"error":"bad event"}' })
      expect(JSON.parse(rejected[0]?.payload ?? '{}')).toMatchObject({ eventType: 'START', job: { name: 'Rejected' } })
      expect(await lineageStatus(store)).toMatchObject({ pending: 0, rejected: 1 })
    })

    it('a receiver that stays down leaves the events pending, tried five times each pass', async () => {
      receiver.script('503', '503', '503', '503', '503')
      const run = await ProcessTracker.start(store, { processName: 'Down', processType: 'Load' })
      await run.complete()
      const requestsBefore = receiver.requests.length
      const counts = await flushLineage(store, { policy: { backoffMs: 1 } })
      expect(counts).toEqual({ sent: 0, rejected: 0, failed: 1 })
      expect(receiver.requests.length - requestsBefore).toBe(5)
      const status = await lineageStatus(store)
      expect(status.pending).toBe(2)
      expect(status.oldestPendingEventTime).toBeInstanceOf(Date)
      // The receiver is back: the START, then the COMPLETE.
      expect(await flushLineage(store)).toEqual({ sent: 2, rejected: 0, failed: 0 })
      expect(receiver.accepted.slice(-2).map((event) => event.eventType)).toEqual(['START', 'COMPLETE'])
    })
  })
}
