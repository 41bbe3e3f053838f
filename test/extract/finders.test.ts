import { beforeAll, describe, expect, it } from 'vitest'
import { ValidationError, type DataStore } from '../../src/index.ts'
import { ExtractTracker } from '../../src/api/extract-tracker.ts'
import { findExtractsByFilename, findExtractsByLocation, findExtractsByProcess } from '../../src/api/run-extract-methods.ts'
import { ProcessTracker } from '../../src/api/process-tracker.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { rowCounts } from '../support/snapshot.ts'
import { storedStatuses, uniqueName } from './helpers.ts'
import { contextOf } from '../../src/store/context.ts'

const names = (extracts: ExtractTracker[]) => extracts.map((extract) => extract.filename)

for (const dialect of DIALECTS) {
  describe(`${dialect}: extract finders`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    let writer: ProcessTracker
    let finder: ProcessTracker
    const writerProcess = uniqueName('Testing Process Tracking Initialization')
    const locationPath = '/home/test/extract_dir'
    const files = [
      'test_extract_filename3-1.csv',
      'test_extract_filename3-2.csv',
      'a%b.csv',
      'a_b.csv',
      'axb.csv',
      'AXB.csv',
      'Case.csv',
      'a!b.csv',
      'other_status.csv',
    ]
    let registered: ExtractTracker[]

    beforeAll(async () => {
      store = isolated.store
      writer = await ProcessTracker.start(store, { processName: writerProcess, processType: 'Extract' })
      registered = []
      for (const filename of files) {
        const status = filename === 'other_status.csv' ? 'initializing' : 'ready'
        registered.push(await ExtractTracker.register(writer, { filename, locationPath, locationName: 'Test Location', status }))
      }
      finder = await ProcessTracker.start(store, { processName: uniqueName('finder'), processType: 'Load' })
    })

    it('finds by a literal, case-sensitive part of the filename, in registration order', async () => {
      expect(names(await findExtractsByFilename(finder, 'test_extract_filename'))).toEqual([
        'test_extract_filename3-1.csv',
        'test_extract_filename3-2.csv',
      ])
      expect(names(await findExtractsByFilename(finder, 'test_extract_filename3-2.csv'))).toEqual(['test_extract_filename3-2.csv'])
      expect(names(await findExtractsByFilename(finder, 'a%b'))).toEqual(['a%b.csv'])
      expect(names(await findExtractsByFilename(finder, 'a_b'))).toEqual(['a_b.csv'])
      expect(names(await findExtractsByFilename(finder, 'a!b'))).toEqual(['a!b.csv'])
      expect(names(await findExtractsByFilename(finder, '%'))).toEqual(['a%b.csv'])
      expect(names(await findExtractsByFilename(finder, 'axb'))).toEqual(['axb.csv'])
      expect(names(await findExtractsByFilename(finder, 'AXB'))).toEqual(['AXB.csv'])
      expect(names(await findExtractsByFilename(finder, 'case'))).toEqual([])
      expect(names(await findExtractsByFilename(finder, 'Case'))).toEqual(['Case.csv'])
      expect(names(await findExtractsByFilename(finder, 'other_status'))).toEqual([])
      expect(names(await findExtractsByFilename(finder, 'other_status', { status: 'initializing' }))).toEqual(['other_status.csv'])
      expect(await findExtractsByFilename(finder, 'a', { status: 'no such status' })).toEqual([])
      await expect(findExtractsByFilename(finder, '')).rejects.toThrow(ValidationError)
    })

    it('builds full trackers bound to the finding run', async () => {
      const [found] = await findExtractsByFilename(finder, 'Case.csv')
      expect(found).toBeInstanceOf(ExtractTracker)
      expect(found?.run).toBe(finder)
      expect(found?.fullFilename).toBe(`${locationPath}/Case.csv`)
      expect(found?.status).toBe('ready')
      expect(found?.filetype).toBe('csv')
      expect(found?.location.locationName).toBe('Test Location')
    })

    it('finds by location path (in any spelling, winning over the name) or by name', async () => {
      const ready = files.filter((filename) => filename !== 'other_status.csv')
      expect(names(await findExtractsByLocation(finder, { locationName: 'Test Location' }))).toEqual(ready)
      expect(names(await findExtractsByLocation(finder, { locationPath: `${locationPath}/` }))).toEqual(ready)
      expect(names(await findExtractsByLocation(finder, { locationPath, locationName: 'No Such Location' }))).toEqual(ready)
      expect(names(await findExtractsByLocation(finder, { locationPath: '/nowhere', locationName: 'Test Location' }))).toEqual([])
      expect(names(await findExtractsByLocation(finder, { locationName: 'Test Location', status: 'initializing' }))).toEqual([
        'other_status.csv',
      ])
      const error = await findExtractsByLocation(finder, {}).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).message).toBe('A location name or path must be provided.  Please try again.')
    })

    it('finds what any run of a process touched, each extract once, in registration order', async () => {
      const second = await ExtractTracker.register(writer, { filename: 'later.csv', locationPath: '/other/dir', status: 'ready' })
      await writer.complete()
      const again = await ProcessTracker.start(store, { processName: writerProcess })
      // The second run of the writer links the same extracts again: still one result each.
      for (const filename of ['a_b.csv', 'later.csv']) {
        await ExtractTracker.register(again, { filename, locationPath: filename === 'later.csv' ? '/other/dir' : locationPath })
      }
      const found = await findExtractsByProcess(finder, writerProcess)
      expect(names(found)).toEqual([...files.filter((filename) => filename !== 'other_status.csv'), 'later.csv'])
      expect(found.at(-1)?.extractId).toBe(second.extractId)
      expect(names(await findExtractsByProcess(finder, writerProcess, { status: 'initializing' }))).toEqual(['other_status.csv'])
      expect(await findExtractsByProcess(finder, 'no such process')).toEqual([])
      await again.complete()
    })

    it('orders ties in registration time by id', async () => {
      const run = await ProcessTracker.start(store, { processName: uniqueName('tie'), processType: 'Extract' })
      const tied = []
      for (const filename of ['tie_c.csv', 'tie_a.csv', 'tie_b.csv']) {
        tied.push(await ExtractTracker.register(run, { filename, locationPath: '/ties', status: 'ready' }))
      }
      const at = new Date('2021-06-01T00:00:00.000Z')
      await contextOf(store)
        .db.updateTable('extract_tracking')
        .set({ extract_registration_date_time: at })
        .where(
          'extract_id',
          'in',
          tied.map((extract) => extract.extractId),
        )
        .execute()
      expect(names(await findExtractsByLocation(finder, { locationPath: '/ties' }))).toEqual(['tie_c.csv', 'tie_a.csv', 'tie_b.csv'])
      await run.complete()
    })

    it('changes nothing: no rows written, statuses as they were', async () => {
      const ids = registered.map((extract) => extract.extractId)
      const statuses = await storedStatuses(store, ids)
      const before = await rowCounts(store)
      await findExtractsByFilename(finder, 'a')
      await findExtractsByLocation(finder, { locationName: 'Test Location' })
      await findExtractsByLocation(finder, { locationPath })
      await findExtractsByProcess(finder, writerProcess)
      expect(await rowCounts(store)).toEqual(before)
      expect(await storedStatuses(store, ids)).toEqual(statuses)
    })

    it('finds with a custom status', async () => {
      await store.lookups.create('extract status', 'blarg')
      const run = await ProcessTracker.start(store, { processName: uniqueName('custom'), processType: 'Extract' })
      await ExtractTracker.register(run, { filename: 'blarg.csv', locationPath, status: 'blarg' })
      expect(names(await findExtractsByFilename(finder, 'blarg', { status: 'blarg' }))).toEqual(['blarg.csv'])
      expect(names(await findExtractsByLocation(finder, { locationPath, status: 'blarg' }))).toEqual(['blarg.csv'])
      await run.complete()
    })
  })
}
