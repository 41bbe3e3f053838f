import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ValidationError, type DataStore } from '../../src/index.ts'
import { ExtractTracker } from '../../src/api/extract-tracker.ts'
import { LocationTracker } from '../../src/api/location-tracker.ts'
import { NEW_DELIVERY_NOTE, registrationBatchSize } from '../../src/extract/register-by-location.ts'
import type { ProcessTracker } from '../../src/api/process-tracker.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { startS3Server, type S3Server } from '../support/s3-server.ts'
import { runLinkStatus, startRun } from './helpers.ts'
import { contextOf } from '../../src/store/context.ts'

/** registerExtractsByLocation since 0.2: include/exclude globs, recorded size and time, new deliveries. */
async function recorded(store: DataStore, extractId: number) {
  const row = await contextOf(store)
    .db.selectFrom('extract_tracking')
    .select(['extract_file_size_bytes', 'extract_file_modified_date_time', 'extract_file_etag', 'extract_claim_process_tracking_id'])
    .where('extract_id', '=', extractId)
    .executeTakeFirstOrThrow()
  const modified = row.extract_file_modified_date_time
  return {
    size: row.extract_file_size_bytes === null ? null : Number(row.extract_file_size_bytes),
    modified: modified === null ? null : new Date(typeof modified === 'string' ? `${modified.replace(' ', 'T')}Z` : modified),
    etag: row.extract_file_etag,
    claimedBy: row.extract_claim_process_tracking_id,
  }
}

const history = async (store: DataStore, extractId: number) =>
  (await store.listExtractHistory(extractId)).map((entry) => [entry.status, entry.note])

for (const dialect of DIALECTS) {
  describe(`${dialect}: registering by location since 0.2`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    let run: ProcessTracker
    let folder: string

    beforeAll(async () => {
      store = isolated.store
      run = await startRun(store, 'delivery scan')
      folder = mkdtempSync(join(tmpdir(), 'pt-deliveries-'))
    })
    afterAll(() => {
      rmSync(folder, { recursive: true, force: true })
    })

    it('filters file names by include and exclude globs (exclude wins) and counts what it registered', async () => {
      const dir = mkdtempSync(join(folder, 'globs-'))
      for (const name of ['Teams.csv', 'Teams.csv.part', 'People.csv', 'load.tmp', 'notes.txt', 'file1.dat', 'fileA.dat', '.hidden']) {
        writeFileSync(join(dir, name), name)
      }
      const some = await run.registerExtractsByLocation(dir, {
        include: ['*.csv', '*.txt', 'file[0-9].dat'],
        exclude: ['*.part', 'n?tes.*'],
      })
      expect(some.map((e) => e.filename)).toEqual(['People.csv', 'Teams.csv', 'file1.dat'])
      expect((await LocationTracker.register(store, { locationPath: dir })).fileCount).toBe(3)
      const rest = await run.registerExtractsByLocation(dir, { exclude: ['*.part', '*.tmp', '.*', '[!A-Z]*.csv'] })
      expect(rest.map((e) => e.filename)).toEqual(['People.csv', 'Teams.csv', 'file1.dat', 'fileA.dat', 'notes.txt'])
      await expect(run.registerExtractsByLocation(dir, { include: ['[abc'] })).rejects.toBeInstanceOf(ValidationError)
      await expect(run.registerExtractsByLocation(dir, { include: '*.csv' as never })).rejects.toBeInstanceOf(ValidationError)
      await expect(run.registerExtractsByLocation(dir, { exclude: [''] })).rejects.toBeInstanceOf(ValidationError)
    })

    it('records size and modification time, and treats a changed file as a new delivery whatever its status', async () => {
      const dir = mkdtempSync(join(folder, 'daily-'))
      const file = join(dir, 'Teams.csv')
      writeFileSync(file, 'yearID,teamID\n')
      utimesSync(file, new Date('2026-01-01T00:00:00.000Z'), new Date('2026-01-01T06:00:00.250Z'))
      const [first] = await run.registerExtractsByLocation(dir)
      const id = first?.extractId ?? 0
      expect(await recorded(store, id)).toMatchObject({ size: 14, modified: new Date('2026-01-01T06:00:00.250Z'), etag: null })
      await first?.changeExtractStatus('loading')
      await first?.changeExtractStatus('loaded')

      // Listed again unchanged: it keeps its status and gets no history entry.
      const loader = await startRun(store, 'daily loader')
      const [same] = await loader.registerExtractsByLocation(dir)
      expect(same).toMatchObject({ extractId: id, status: 'loaded' })
      expect(await runLinkStatus(store, id, loader.processTrackingId)).toBe('loaded')
      expect(await history(store, id)).toEqual([
        ['ready', null],
        ['loading', null],
        ['loaded', null],
      ])

      // Overwritten in place the next day: a new delivery, ready again, with the new size and time.
      writeFileSync(file, 'yearID,teamID\n2026,BOS\n')
      utimesSync(file, new Date('2026-01-02T00:00:00.000Z'), new Date('2026-01-02T06:00:00.000Z'))
      const [again] = await loader.registerExtractsByLocation(dir)
      expect(again).toMatchObject({ extractId: id, status: 'ready' })
      expect(await history(store, id)).toEqual([
        ['ready', null],
        ['loading', null],
        ['loaded', null],
        ['ready', NEW_DELIVERY_NOTE],
      ])
      expect((await store.listExtractHistory(id)).at(-1)?.processTrackingId).toBe(loader.processTrackingId)
      expect(await recorded(store, id)).toMatchObject({ size: 23, modified: new Date('2026-01-02T06:00:00.000Z') })

      // Only the time changed (same size): also a new delivery — here of a claimed file, whose claim goes.
      const [claimed] = await loader.claimExtracts({ locationPath: dir })
      expect(claimed).toMatchObject({ extractId: id, status: 'loading' })
      expect((await recorded(store, id)).claimedBy).not.toBeNull()
      utimesSync(file, new Date('2026-01-03T00:00:00.000Z'), new Date('2026-01-03T06:00:00.000Z'))
      const [third] = await run.registerExtractsByLocation(dir)
      expect(third).toMatchObject({ extractId: id, status: 'ready' })
      expect(await recorded(store, id)).toMatchObject({ size: 23, claimedBy: null })
      expect((await history(store, id)).at(-1)).toEqual(['ready', NEW_DELIVERY_NOTE])
      await loader.complete()
    })

    it('does not take a file registered without a recorded size for a new delivery', async () => {
      const dir = mkdtempSync(join(folder, 'older-'))
      writeFileSync(join(dir, 'Players.csv'), 'playerID\n')
      const older = await ExtractTracker.register(run, { filename: 'Players.csv', locationPath: dir, status: 'ready' })
      await older.changeExtractStatus('loading')
      await older.changeExtractStatus('loaded')
      const [listed] = await run.registerExtractsByLocation(dir)
      expect(listed).toMatchObject({ extractId: older.extractId, status: 'loaded' })
      expect((await recorded(store, older.extractId)).size).toBe(9)
      writeFileSync(join(dir, 'Players.csv'), 'playerID\nruthba01\n')
      const [changed] = await run.registerExtractsByLocation(dir)
      expect(changed).toMatchObject({ extractId: older.extractId, status: 'ready' })
    })

    it('registers and redelivers thousands of files in batches, each file once', async () => {
      const dir = mkdtempSync(join(folder, 'bulk-'))
      const batch = registrationBatchSize(dialect)
      const count = batch + 203 // two batches
      const changed = batch + 100 // in the second batch
      const claimed = batch + 150 // the first `claimed` files are loading: across both batches
      for (let i = 0; i < count; i++) writeFileSync(join(dir, `part_${String(i).padStart(5, '0')}.csv`), 'x')
      const first = await run.registerExtractsByLocation(dir)
      expect(first).toHaveLength(count)
      expect(new Set(first.map((e) => e.extractId)).size).toBe(count)
      for (const i of [0, changed, count - 1]) writeFileSync(join(dir, `part_${String(i).padStart(5, '0')}.csv`), 'xy')
      await run.changeExtractStatuses(first.slice(0, claimed), 'loading')
      const second = await run.registerExtractsByLocation(dir)
      expect(second.map((e) => e.extractId)).toEqual(first.map((e) => e.extractId))
      const statusOf = (i: number) => second[i]?.status
      expect([statusOf(0), statusOf(1), statusOf(changed), statusOf(claimed - 1), statusOf(claimed), statusOf(count - 1)]).toEqual([
        'ready',
        'loading',
        'ready',
        'loading',
        'ready',
        'ready',
      ])
      expect(await runLinkStatus(store, second[1]?.extractId ?? 0, run.processTrackingId)).toBe('loading')
      expect((await history(store, second[changed]?.extractId ?? 0)).at(-1)).toEqual(['ready', NEW_DELIVERY_NOTE])
      expect((await history(store, second[count - 1]?.extractId ?? 0)).at(-1)).toEqual(['ready', NEW_DELIVERY_NOTE])
      expect(await history(store, second[count - 2]?.extractId ?? 0)).toEqual([['ready', null]])
    })
  })
}

describe('S3: new deliveries by ETag and size', () => {
  let s3: S3Server
  let restoreEnv: () => void
  beforeAll(async () => {
    s3 = await startS3Server('pt-delivery-bucket')
    restoreEnv = s3.useEnv()
  }, 60_000)
  afterAll(async () => {
    restoreEnv()
    await s3.stop()
  })

  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      const isolated = useIsolatedStore(dialect)
      it('records ETag, size and LastModified and redelivers an overwritten object', async () => {
        const store = isolated.store
        const run = await startRun(store, 's3 delivery')
        await s3.put(`${dialect}/Teams.csv`, 'yearID,teamID\n')
        await s3.put(`${dialect}/Teams.csv.tmp`, 'partial')
        const prefix = `s3://${s3.bucket}/${dialect}/`
        const [teams, ...others] = await run.registerExtractsByLocation(prefix, { exclude: ['*.tmp'] })
        expect(others).toEqual([])
        const id = teams?.extractId ?? 0
        const before = await recorded(store, id)
        expect(before.size).toBe(14)
        expect(before.etag).toMatch(/^"?[0-9a-f]{32}"?$/)
        expect(before.modified).toBeInstanceOf(Date)
        await teams?.changeExtractStatus('loading')
        await teams?.changeExtractStatus('loaded')
        expect((await run.registerExtractsByLocation(prefix, { exclude: ['*.tmp'] }))[0]?.status).toBe('loaded')

        await s3.put(`${dialect}/Teams.csv`, 'yearID,teamID\n2026,NYA\n')
        const [again] = await run.registerExtractsByLocation(prefix, { exclude: ['*.tmp'] })
        expect(again).toMatchObject({ extractId: id, status: 'ready' })
        expect((await recorded(store, id)).etag).not.toBe(before.etag)
        expect((await history(store, id)).at(-1)).toEqual(['ready', NEW_DELIVERY_NOTE])
        await run.complete()
      })
    })
  }
})
