import { beforeAll, describe, expect, it } from 'vitest'
import { ExtractTracker } from '../../src/api/extract-tracker.ts'
import { LocationTracker } from '../../src/api/location-tracker.ts'
import { InvalidStatusError, NotFoundError, ProcessTracker, ValidationError, type DataStore } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { uniqueName } from './helpers.ts'

const ids = (extracts: readonly { extractId: number }[]) => extracts.map((extract) => extract.extractId)

for (const dialect of DIALECTS) {
  describe(`${dialect}: the extract read model (listExtracts, getExtract, listLocations)`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    const writerName = uniqueName('Extract writer')
    const loaderName = uniqueName('Extract loader')
    const idleName = uniqueName('Idle')
    const here = '/data/extract-views/in'
    const there = '/data/extract-views/out'
    const files = ['teams_2024.csv', 'teams_2025.csv', 'a%b.csv', 'a_b.csv', 'axb.csv', 'TEAMS.csv']
    let registered: ExtractTracker[]
    let writerId: number
    let loaderId: number

    beforeAll(async () => {
      store = isolated.store
      const writer = await ProcessTracker.start(store, { processName: writerName, processType: 'Extract' })
      writerId = writer.processTrackingId
      registered = []
      for (const filename of files) {
        registered.push(await ExtractTracker.register(writer, { filename, locationPath: here, locationName: 'Inbox', status: 'ready' }))
      }
      registered.push(await ExtractTracker.register(writer, { filename: 'teams_2024.csv', locationPath: there, status: 'initializing' }))
      await writer.complete()
      await store.defineProcess({ processName: idleName, processType: 'Load' })
      // Another process's run loads the first file: it made the last change.
      const loader = await ProcessTracker.start(store, { processName: loaderName, processType: 'Load' })
      loaderId = loader.processTrackingId
      const first = await ExtractTracker.get(loader, registered[0]?.extractId ?? 0)
      await first.changeExtractStatus('loading')
      await first.setRecordCount(42, { auditType: 'load' })
      await loader.complete()
    })

    it('lists every extract newest first, each as an ExtractView', async () => {
      const all = await store.listExtracts({ limit: 1000 })
      expect(ids(all)).toEqual(ids(registered).reverse())
      const first = all.at(-1)
      expect(first).toMatchObject({
        extractId: registered[0]?.extractId,
        filename: 'teams_2024.csv',
        fullFilename: `${here}/teams_2024.csv`,
        status: 'loading',
        location: { locationName: 'Inbox', locationPath: here, locationType: 'local filesystem', bucketName: null },
        loadRecordCount: 42,
        writeRecordCount: null,
        lastChangedByTrackingId: loaderId,
      })
      expect(Object.keys(first ?? {}).sort()).toEqual(
        [
          'extractId',
          'filename',
          'fullFilename',
          'status',
          'location',
          'filetype',
          'compressionType',
          'fileSize',
          'writeRecordCount',
          'loadRecordCount',
          'writeLowDateTime',
          'writeHighDateTime',
          'loadLowDateTime',
          'loadHighDateTime',
          'lastChangedByTrackingId',
        ].sort(),
      )
      expect(all[0]?.lastChangedByTrackingId).toBe(writerId)
      for (const view of all) expect(await store.getExtract(view.extractId)).toEqual(view)
      // lastChangedByTrackingId is the run of the newest history entry.
      for (const view of all) {
        expect(view.lastChangedByTrackingId).toBe((await store.listExtractHistory(view.extractId)).at(-1)?.processTrackingId)
      }
    })

    it('filters by location, filename, process and status, ANDed', async () => {
      const all = await store.listExtracts({ limit: 1000 })
      const atHere = all.filter((extract) => extract.location.locationPath === here)
      expect(ids(await store.listExtracts({ locationPath: here }))).toEqual(ids(atHere))
      expect(ids(await store.listExtracts({ locationPath: `${here}/` }))).toEqual(ids(atHere))
      expect(ids(await store.listExtracts({ locationName: 'Inbox' }))).toEqual(ids(atHere))
      // The path wins when both are given.
      expect(ids(await store.listExtracts({ locationPath: there, locationName: 'Inbox' }))).toEqual(
        ids(all.filter((extract) => extract.location.locationPath === there)),
      )

      const names = async (filename: string) => (await store.listExtracts({ filename, locationPath: here })).map((e) => e.filename)
      expect(await names('a_b')).toEqual(['a_b.csv'])
      expect(await names('a%b')).toEqual(['a%b.csv'])
      expect(await names('teams')).toEqual(['teams_2025.csv', 'teams_2024.csv'])
      expect(await names('TEAMS')).toEqual(['TEAMS.csv'])

      expect(ids(await store.listExtracts({ processName: writerName }))).toEqual(ids(all))
      expect(ids(await store.listExtracts({ processName: loaderName }))).toEqual([registered[0]?.extractId])
      expect(await store.listExtracts({ processName: idleName })).toEqual([])

      expect(ids(await store.listExtracts({ status: 'ready' }))).toEqual(ids(all.filter((extract) => extract.status === 'ready')))
      expect(ids(await store.listExtracts({ status: 'initializing', filename: 'teams' }))).toEqual([registered.at(-1)?.extractId])
      expect(await store.listExtracts({ status: 'loaded' })).toEqual([])
    })

    it('pages with beforeExtractId without duplicates or gaps', async () => {
      const all = ids(await store.listExtracts({ limit: 1000 }))
      const seen: number[] = []
      let before: number | undefined
      for (;;) {
        const page = await store.listExtracts({ limit: 3, beforeExtractId: before })
        seen.push(...ids(page))
        if (page.length < 3) break
        before = page.at(-1)?.extractId
      }
      expect(seen).toEqual(all)
    })

    it('refuses unknown names and malformed options', async () => {
      await expect(store.listExtracts({ locationPath: '/nowhere/at/all' })).rejects.toMatchObject({
        code: 'PT_NOT_FOUND',
        details: { topic: 'location' },
      })
      await expect(store.listExtracts({ locationName: 'No Such Location' })).rejects.toBeInstanceOf(NotFoundError)
      await expect(store.listExtracts({ processName: 'No Such Process' })).rejects.toMatchObject({
        code: 'PT_NOT_FOUND',
        details: { topic: 'process' },
      })
      await expect(store.listExtracts({ status: 'bogus' })).rejects.toBeInstanceOf(InvalidStatusError)
      await expect(store.listExtracts({ filename: '' })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.listExtracts({ limit: 1001 })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.listExtracts({ beforeExtractId: -3 })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.getExtract(10_000_000)).rejects.toMatchObject({ code: 'PT_NOT_FOUND', details: { topic: 'extract' } })
      await expect(store.getExtract(0)).rejects.toBeInstanceOf(ValidationError)
    })

    it('lists locations newest first with their file counts, paged by beforeLocationId', async () => {
      const extra = await LocationTracker.register(store, { locationPath: 's3://lahman-views/core/' })
      await extra.setFileCount(12)
      const all = await store.listLocations({ limit: 1000 })
      expect(all[0]).toEqual({
        locationId: extra.locationId,
        locationName: extra.locationName,
        locationPath: 's3://lahman-views/core',
        locationType: 's3',
        bucketName: 'lahman-views',
        fileCount: 12,
      })
      expect(all.map((location) => location.locationPath)).toEqual(['s3://lahman-views/core', there, here])
      const firstPage = await store.listLocations({ limit: 2 })
      const secondPage = await store.listLocations({ limit: 2, beforeLocationId: firstPage.at(-1)?.locationId })
      expect([...firstPage, ...secondPage]).toEqual(all)
      await expect(store.listLocations({ limit: 0 })).rejects.toBeInstanceOf(ValidationError)
    })
  })
}
