import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { RunNotActiveError, ValidationError, type DataStore } from '../../src/index.ts'
import { ExtractTracker } from '../../src/api/extract-tracker.ts'
import { listExtractHistory } from '../../src/extract/history.ts'
import { claimExtracts } from '../../src/api/run-extract-methods.ts'
import { ProcessTracker } from '../../src/api/process-tracker.ts'
import { requireBuild } from '../support/build.ts'
import { DIALECTS, useIsolatedStore, type IsolatedDatabase } from '../support/dialects.ts'
import { rowCounts } from '../support/snapshot.ts'
import { startRun, storedStatuses, uniqueName } from './helpers.ts'
import { contextOf } from '../../src/store/context.ts'

const WORKER = fileURLToPath(new URL('./claim-worker.mjs', import.meta.url))

/** Registers `count` ready extracts at a location, in order. */
async function seedPool(run: ProcessTracker, locationName: string, count: number, prefix = 'pool'): Promise<ExtractTracker[]> {
  const extracts = []
  for (let i = 0; i < count; i++) {
    extracts.push(
      await ExtractTracker.register(run, {
        filename: `${prefix}_${String(i).padStart(3, '0')}.csv`,
        locationPath: `/claims/${locationName}`,
        locationName,
        status: 'ready',
      }),
    )
  }
  return extracts
}

/** Claim columns of extracts: who holds each. */
async function claimers(store: DataStore, ids: number[]): Promise<Record<number, number | null>> {
  const rows = await contextOf(store)
    .db.selectFrom('extract_tracking')
    .select(['extract_id', 'extract_claim_process_tracking_id'])
    .where('extract_id', 'in', ids)
    .execute()
  return Object.fromEntries(
    rows.map((row) => [
      Number(row.extract_id),
      row.extract_claim_process_tracking_id === null ? null : Number(row.extract_claim_process_tracking_id),
    ]),
  )
}

interface WorkerResult {
  processTrackingId: number
  claimed: number[]
}

/** Starts one claim worker (an OS process on the built package); resolves once it is ready. */
async function startWorker(options: IsolatedDatabase['options'], locationName: string) {
  requireBuild()
  const child = spawn(process.execPath, [WORKER, JSON.stringify({ options, processName: uniqueName('claimer'), locationName, limit: 2 })], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const first = await lines.next()
  if (first.value !== 'ready') throw new Error(`claim worker did not start: ${String(first.value)} ${stderr}`)
  return {
    go: () => child.stdin.write('go\n'),
    result: async (): Promise<WorkerResult> => {
      const line = await lines.next()
      const [code] = (await once(child, 'exit')) as [number | null]
      if (code !== 0 || typeof line.value !== 'string') throw new Error(`claim worker failed (${String(code)}): ${stderr}`)
      return JSON.parse(line.value) as WorkerResult
    },
  }
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: claiming extracts`, () => {
    const isolated = useIsolatedStore(dialect)
    let database: IsolatedDatabase
    let store: DataStore
    let writer: ProcessTracker

    beforeAll(async () => {
      database = isolated.database
      store = isolated.store
      writer = await startRun(store, 'claim writer')
    })

    it('moves the oldest matching ready extracts to loading for the run, up to the limit', async () => {
      const pool = await seedPool(writer, 'oldest first', 5)
      const loader = await startRun(store, 'loader', 'Load')
      const first = await claimExtracts(loader, { locationName: 'oldest first', limit: 2 })
      expect(first.map((e) => e.filename)).toEqual(['pool_000.csv', 'pool_001.csv'])
      expect(first.map((e) => e.status)).toEqual(['loading', 'loading'])
      expect(first[0]?.run).toBe(loader)
      const [third] = await claimExtracts(loader, { locationPath: '/claims/oldest first/' })
      expect(third?.filename).toBe('pool_002.csv')
      const ids = pool.map((e) => e.extractId)
      expect(Object.values(await storedStatuses(store, ids))).toEqual(['loading', 'loading', 'loading', 'ready', 'ready'])
      expect(Object.values(await claimers(store, ids))).toEqual([
        loader.processTrackingId,
        loader.processTrackingId,
        loader.processTrackingId,
        null,
        null,
      ])
      const history = await listExtractHistory(contextOf(store), ids[0] ?? 0)
      expect(history.map((h) => [h.status, h.processTrackingId])).toEqual([
        ['ready', writer.processTrackingId],
        ['loading', loader.processTrackingId],
      ])
      await loader.complete()
    })

    it('ANDs its filters, and finds nothing where a filter matches nothing', async () => {
      await seedPool(writer, 'filtered', 3, 'alpha')
      await seedPool(writer, 'filtered', 3, 'beta')
      const loader = await startRun(store, 'filtered loader', 'Load')
      const claimed = await claimExtracts(loader, {
        locationName: 'filtered',
        filename: 'beta_00',
        processName: writer.processName,
        limit: 10,
      })
      expect(claimed.map((e) => e.filename)).toEqual(['beta_000.csv', 'beta_001.csv', 'beta_002.csv'])
      expect(await claimExtracts(loader, { locationName: 'filtered', filename: 'BETA' })).toEqual([])
      expect(await claimExtracts(loader, { locationName: 'no such location' })).toEqual([])
      expect(await claimExtracts(loader, { locationPath: '/claims/nowhere' })).toEqual([])
      expect(await claimExtracts(loader, { locationName: 'filtered', processName: 'no such process' })).toEqual([])
      const alpha = await claimExtracts(loader, { filename: 'alpha_', limit: 1000 })
      expect(alpha.map((e) => e.filename)).toEqual(['alpha_000.csv', 'alpha_001.csv', 'alpha_002.csv'])
      await loader.complete()
    })

    it('skips an extract whose parent would refuse loading', async () => {
      const [parent, child, free] = await seedPool(writer, 'dependent', 3)
      if (!parent || !child || !free) throw new Error('seed failed')
      await child.addDependency('parent', parent)
      await parent.changeExtractStatus('initializing')
      const loader = await startRun(store, 'dependent loader', 'Load')
      expect((await claimExtracts(loader, { locationName: 'dependent', limit: 10 })).map((e) => e.filename)).toEqual([free.filename])
      await parent.changeExtractStatus('loaded')
      expect((await claimExtracts(loader, { locationName: 'dependent', limit: 10 })).map((e) => e.filename)).toEqual([child.filename])
      await loader.complete()
    })

    it('refuses a claim without a filter or with a limit outside 1–1000, writing nothing', async () => {
      const loader = await startRun(store, 'bad claim', 'Load')
      const before = await rowCounts(store)
      for (const options of [
        {},
        { locationName: 'x', limit: 0 },
        { locationName: 'x', limit: 1001 },
        { locationName: 'x', limit: 2.5 },
        { filename: '' },
      ]) {
        await expect(claimExtracts(loader, options)).rejects.toThrow(ValidationError)
      }
      expect(await rowCounts(store)).toEqual(before)
      await loader.complete()
      await expect(claimExtracts(loader, { locationName: 'x' })).rejects.toThrow(RunNotActiveError)
    })

    it('gives the extracts a failed run still holds back to ready, recorded in their history', async () => {
      const pool = await seedPool(writer, 'released', 3)
      const loader = await startRun(store, 'failing loader', 'Load')
      const claimed = await claimExtracts(loader, { locationName: 'released', limit: 3 })
      expect(claimed).toHaveLength(3)
      await claimed[0]?.changeExtractStatus('loaded')
      await loader.fail()
      const ids = pool.map((e) => e.extractId)
      expect(Object.values(await storedStatuses(store, ids))).toEqual(['loaded', 'ready', 'ready'])
      expect(Object.values(await claimers(store, ids))).toEqual([null, null, null])
      const history = await listExtractHistory(contextOf(store), ids[1] ?? 0)
      expect(history.map((h) => [h.status, h.processTrackingId])).toEqual([
        ['ready', writer.processTrackingId],
        ['loading', loader.processTrackingId],
        ['ready', loader.processTrackingId],
      ])
      const next = await startRun(store, 'second loader', 'Load')
      expect((await claimExtracts(next, { locationName: 'released', limit: 5 })).map((e) => e.extractId)).toEqual(ids.slice(1))
      await next.complete()
    })

    it('never gives one extract to two runs claiming at once in this process', async () => {
      const pool = await seedPool(writer, 'in-process race', 30)
      const loaders = await Promise.all([1, 2, 3, 4].map((i) => startRun(store, `racer ${i}`, 'Load')))
      const claimedBy = await Promise.all(
        loaders.map(async (loader) => {
          const mine: number[] = []
          for (;;) {
            const batch = await claimExtracts(loader, { locationName: 'in-process race', limit: 3 })
            if (batch.length === 0) return mine
            mine.push(...batch.map((e) => e.extractId))
          }
        }),
      )
      const all = claimedBy.flat()
      expect(all).toHaveLength(pool.length)
      expect(new Set(all)).toEqual(new Set(pool.map((e) => e.extractId)))
      for (const loader of loaders) await loader.complete()
    })

    it('never gives one extract to two OS processes claiming from one pool', async () => {
      const locationName = 'multi-process pool'
      const pool = await seedPool(writer, locationName, 40)
      const workers = []
      for (let i = 0; i < 4; i++) workers.push(await startWorker(database.options, locationName))
      for (const worker of workers) worker.go()
      const results = await Promise.all(workers.map((worker) => worker.result()))

      // What each worker was told it holds: every extract in exactly one worker's hands. The claim
      // column holds one id whatever happens, so only the workers' own answers can show a double claim.
      const ids = pool.map((e) => e.extractId)
      const toldHolders = new Map<number, number[]>(ids.map((id) => [id, []]))
      for (const result of results) for (const id of result.claimed) toldHolders.get(id)?.push(result.processTrackingId)
      expect(
        [...toldHolders].filter(([, holders]) => holders.length !== 1),
        'extracts not claimed by exactly one worker',
      ).toEqual([])
      expect(results.flatMap((result) => result.claimed)).toHaveLength(pool.length) // nothing outside the pool
      expect(new Set(Object.values(await storedStatuses(store, ids)))).toEqual(new Set(['loading']))
      const holders = await claimers(store, ids)
      for (const [id, [worker]] of toldHolders) expect(holders[id], `extract ${id}`).toBe(worker)
      // One move to loading per extract, by the run that holds it: no claim was overwritten.
      const loadingEvents = await contextOf(store)
        .db.selectFrom('extract_status_history as h')
        .innerJoin('extract_status_lkup as s', 's.extract_status_id', 'h.extract_status_id')
        .select(['h.extract_id', 'h.process_tracking_id'])
        .where('h.extract_id', 'in', ids)
        .where('s.extract_status_name', '=', 'loading')
        .execute()
      expect(
        loadingEvents
          .map((event) => [Number(event.extract_id), Number(event.process_tracking_id)])
          .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0)),
      ).toEqual(ids.map((id) => [id, toldHolders.get(id)?.[0]]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0)))
    })
  })
}
