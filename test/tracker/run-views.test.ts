import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { ExtractTracker } from '../../src/api/extract-tracker.ts'
import { InvalidStatusError, NotFoundError, ProcessTracker, ValidationError, type DataStore, type RunInfo } from '../../src/index.ts'
import { uniqueName } from '../extract/helpers.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'

/** Every run of the store, newest first, through the unfiltered listing (the reference for filters). */
async function everyRun(store: DataStore): Promise<RunInfo[]> {
  return store.listRuns({ limit: 1000 })
}

const ids = (runs: readonly { processTrackingId: number }[]) => runs.map((run) => run.processTrackingId)

/** Pages through a listing with `beforeTrackingId` until a short page. */
async function pageAll(store: DataStore, options: Parameters<DataStore['listRuns']>[0], limit: number): Promise<number[][]> {
  const pages: number[][] = []
  let before: number | undefined
  for (;;) {
    const page = await store.listRuns({ ...options, limit, beforeTrackingId: before })
    if (page.length > 0) pages.push(ids(page))
    if (page.length < limit) return pages
    before = page.at(-1)?.processTrackingId
  }
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: the run read model (listRuns, listRunViews, getRun, countRuns)`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    const alpha = uniqueName('Alpha')
    const beta = uniqueName('Beta')
    const alice = uniqueName('alice')
    const bob = uniqueName('bob')

    beforeAll(async () => {
      store = isolated.store
      // alpha: completed (alice), failed with two errors (bob), completed (alice), running (bob)
      const a1 = await ProcessTracker.start(store, { processName: alpha, processType: 'Extract', actorName: alice })
      await a1.complete()
      const a2 = await ProcessTracker.start(store, { processName: alpha, actorName: bob })
      await a2.raiseRunError('Data Error', { description: 'first' })
      await a2.raiseRunError('Process Error', { description: 'second' })
      await a2.fail()
      const a3 = await ProcessTracker.start(store, { processName: alpha, actorName: alice })
      await ExtractTracker.register(a3, { filename: 'a.csv', locationPath: '/data/run-views' })
      await ExtractTracker.register(a3, { filename: 'b.csv', locationPath: '/data/run-views' })
      await a3.complete()
      await ProcessTracker.start(store, { processName: alpha, actorName: bob })
      // beta: completed (bob), failed (alice)
      const b1 = await ProcessTracker.start(store, { processName: beta, processType: 'Load', actorName: bob })
      await b1.complete()
      const b2 = await ProcessTracker.start(store, { processName: beta, actorName: alice })
      await b2.fail()
    })

    it('filters by process, status and actor, newest first, ANDed', async () => {
      const all = await everyRun(store)
      expect(ids(all)).toEqual([...ids(all)].sort((x, y) => y - x))

      const ofAlpha = await store.listRuns({ processName: alpha })
      expect(ids(ofAlpha)).toEqual(ids(all.filter((run) => run.processName === alpha)))
      expect(ofAlpha.map((run) => run.status)).toEqual(['running', 'completed', 'failed', 'completed'])

      const failed = await store.listRuns({ status: 'failed' })
      expect(ids(failed)).toEqual(ids(all.filter((run) => run.status === 'failed')))
      expect(failed.map((run) => run.processName)).toEqual([beta, alpha])

      const byBob = await store.listRuns({ actorName: bob })
      expect(ids(byBob)).toEqual(ids(all.filter((run) => run.actorName === bob)))
      expect(byBob).toHaveLength(3)

      const alphaByAlice = await store.listRuns({ processName: alpha, actorName: alice, status: 'completed' })
      expect(alphaByAlice.map((run) => [run.processName, run.actorName, run.status])).toEqual([
        [alpha, alice, 'completed'],
        [alpha, alice, 'completed'],
      ])
      expect(await store.listRuns({ processName: beta, actorName: alice, status: 'completed' })).toEqual([])
    })

    it('filters by start time: startedAfter inclusive, startedBefore exclusive', async () => {
      const all = await everyRun(store)
      const pivot = all[Math.floor(all.length / 2)]
      if (!pivot) throw new Error('runs expected')
      const at = pivot.startDateTime
      const after = await store.listRuns({ startedAfter: at })
      const before = await store.listRuns({ startedBefore: at })
      expect(ids(after)).toEqual(ids(all.filter((run) => run.startDateTime.getTime() >= at.getTime())))
      expect(ids(before)).toEqual(ids(all.filter((run) => run.startDateTime.getTime() < at.getTime())))
      expect(ids(after)).toContain(pivot.processTrackingId)
      expect(ids(before)).not.toContain(pivot.processTrackingId)
      // The two halves tile the history without overlap or gap.
      expect([...ids(after), ...ids(before)].sort((x, y) => y - x)).toEqual(ids(all))
      const window = await store.listRuns({ startedAfter: at, startedBefore: new Date(at.getTime() + 1), processName: pivot.processName })
      expect(ids(window)).toContain(pivot.processTrackingId)
      expect(await store.listRuns({ startedAfter: new Date(Date.now() + 3_600_000) })).toEqual([])
    })

    it('refuses unknown names instead of answering with an empty list', async () => {
      await expect(store.listRuns({ processName: 'No Such Process' })).rejects.toMatchObject({
        code: 'PT_NOT_FOUND',
        details: { topic: 'process', name: 'No Such Process' },
      })
      await expect(store.listRuns({ status: 'bogus' })).rejects.toBeInstanceOf(InvalidStatusError)
      await expect(store.listRuns({ status: 'Failed' })).rejects.toBeInstanceOf(InvalidStatusError)
      await expect(store.listRuns({ actorName: 'nobody at all' })).rejects.toMatchObject({
        code: 'PT_NOT_FOUND',
        details: { topic: 'actor' },
      })
      await expect(store.listRunViews({ processName: 'No Such Process' })).rejects.toBeInstanceOf(NotFoundError)
      await expect(store.countRuns({ actorName: 'nobody at all' })).rejects.toBeInstanceOf(NotFoundError)
      await expect(store.countRuns({ status: 'bogus' })).rejects.toBeInstanceOf(InvalidStatusError)
    })

    it('refuses malformed options', async () => {
      for (const limit of [0, 1001, 1.5, -1]) {
        await expect(store.listRuns({ limit })).rejects.toBeInstanceOf(ValidationError)
      }
      await expect(store.listRuns({ beforeTrackingId: 0 })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.listRuns({ stale: 'yes' as unknown as boolean })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.listRuns({ startedAfter: new Date('nonsense') })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.listRuns({ startedBefore: '2024-01-01' as unknown as Date })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.countRuns({}, { cap: 0 })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.getRun(0)).rejects.toBeInstanceOf(ValidationError)
    })

    it('pages with beforeTrackingId across pages without duplicates or gaps, filtered or not', async () => {
      const paged = uniqueName('Paged')
      for (let i = 0; i < 23; i++) {
        const run = await ProcessTracker.start(store, { processName: paged, processType: 'Extract', actorName: i % 2 === 0 ? alice : bob })
        await (i % 3 === 0 ? run.fail() : run.complete())
      }
      const all = await everyRun(store)
      const pages = await pageAll(store, {}, 4)
      expect(pages.flat()).toEqual(ids(all))
      expect(new Set(pages.flat()).size).toBe(all.length)
      expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true)

      const ofPaged = all.filter((run) => run.processName === paged)
      expect(ofPaged).toHaveLength(23)
      expect((await pageAll(store, { processName: paged }, 5)).flat()).toEqual(ids(ofPaged))
      const failedByAlice = all.filter((run) => run.processName === paged && run.status === 'failed' && run.actorName === alice)
      expect((await pageAll(store, { processName: paged, status: 'failed', actorName: alice }, 2)).flat()).toEqual(ids(failedByAlice))
      const bobs = all.filter((run) => run.actorName === bob)
      expect((await pageAll(store, { actorName: bob }, 3)).flat()).toEqual(ids(bobs))
      // A page ending exactly at the last row is followed by an empty one.
      expect(await store.listRuns({ processName: paged, beforeTrackingId: ofPaged.at(-1)?.processTrackingId })).toEqual([])
    })

    it('shows each run as a RunView: process id, heartbeat, staleness, error and extract counts', async () => {
      const views = await store.listRunViews({ processName: alpha })
      const infos = await store.listRuns({ processName: alpha })
      const process = await store.getProcess(alpha)
      // Every listRuns field, unchanged, plus the view's own.
      expect(views).toHaveLength(infos.length)
      expect(views).toMatchObject(infos)
      expect(views.every((view) => view.processId === process?.processId)).toBe(true)
      const [running, withExtracts, failed, first] = views
      expect(failed?.errorCount).toBe(2)
      expect(failed?.lastError).toEqual({ errorType: 'Process Error', description: 'second' })
      expect(withExtracts?.extractCount).toBe(2)
      expect(withExtracts?.errorCount).toBe(0)
      expect(first?.extractCount).toBe(0)
      expect(running?.stale).toBe(false)
      expect(running?.heartbeatTimeoutSeconds).toBeNull()

      for (const view of views) expect(await store.getRun(view.processTrackingId)).toEqual(view)
      const last = (await everyRun(store))[0]?.processTrackingId ?? 0
      await expect(store.getRun(last + 1000)).rejects.toMatchObject({ code: 'PT_NOT_FOUND' })
    })

    it('counts runs matching the filters, up to a cap', async () => {
      const all = await everyRun(store)
      expect(await store.countRuns()).toEqual({ total: all.length, capped: false })
      expect(await store.countRuns({ processName: alpha })).toEqual({ total: 4, capped: false })
      expect(await store.countRuns({ processName: alpha, status: 'completed', actorName: alice })).toEqual({ total: 2, capped: false })
      expect(await store.countRuns({ processName: alpha }, { cap: 4 })).toEqual({ total: 4, capped: false })
      expect(await store.countRuns({ processName: alpha }, { cap: 3 })).toEqual({ total: 3, capped: true })
      expect(await store.countRuns({}, { cap: 1 })).toEqual({ total: 1, capped: true })
    })

    it('marks a run stale once it outlives its heartbeat timeout, by the database clock, and filters on it', async () => {
      const name = uniqueName('Silent')
      const silent = await ProcessTracker.start(store, { processName: name, processType: 'Extract', heartbeatTimeoutSeconds: 1 })
      const fresh = await store.getRun(silent.processTrackingId)
      expect(fresh).toMatchObject({ heartbeatTimeoutSeconds: 1, stale: false })
      expect(fresh.lastHeartbeatDateTime).toBeInstanceOf(Date)
      const untimed = await ProcessTracker.start(store, { processName: uniqueName('Untimed'), processType: 'Extract' })

      // Wait (polling, no timed assertion) until the database sees it as stale.
      for (let tries = 0; !(await store.getRun(silent.processTrackingId)).stale; tries++) {
        if (tries > 200) throw new Error('the run never went stale')
        await sleep(100)
      }
      const stale = await store.listRunViews({ stale: true })
      expect(ids(stale)).toEqual([silent.processTrackingId])
      expect(stale[0]?.stale).toBe(true)
      expect(await store.countRuns({ stale: true })).toEqual({ total: 1, capped: false })
      const notStale = await store.listRuns({ stale: false, limit: 1000 })
      expect(ids(notStale)).not.toContain(silent.processTrackingId)
      expect(ids(notStale)).toContain(untimed.processTrackingId)
      expect(notStale.length + 1).toBe((await everyRun(store)).length)
      expect(ids(await store.listRuns({ stale: true, processName: name, status: 'running' }))).toEqual([silent.processTrackingId])
      expect(await store.listRuns({ stale: true, processName: alpha })).toEqual([])

      // Once it has ended it is no longer stale, whatever its heartbeat.
      await store.failRun(silent.processTrackingId, { reason: 'test over' })
      expect((await store.getRun(silent.processTrackingId)).stale).toBe(false)
      expect(await store.listRuns({ stale: true })).toEqual([])
      await untimed.complete()
    })
  })
}
