import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NotFoundError, RunNotActiveError, ValidationError, type DataStore } from '../../src/index.ts'
import { ExtractTracker } from '../../src/api/extract-tracker.ts'
import { listExtractHistory } from '../../src/extract/history.ts'
import { LocationTracker } from '../../src/api/location-tracker.ts'
import { registerExtractsByLocation, type RegisterProgress } from '../../src/api/run-extract-methods.ts'
import type { ProcessTracker } from '../../src/api/process-tracker.ts'
import { registrationBatchSize } from '../../src/extract/register-by-location.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { rowCounts } from '../support/snapshot.ts'
import { runLinkStatus, startRun, storedStatuses } from './helpers.ts'
import { contextOf } from '../../src/store/context.ts'

for (const dialect of DIALECTS) {
  describe(`${dialect}: registering the files of a local folder`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    let run: ProcessTracker
    let folder: string

    beforeAll(async () => {
      store = isolated.store
      run = await startRun(store, 'folder scan')
      folder = mkdtempSync(join(tmpdir(), 'pt-extracts-'))
      writeFileSync(join(folder, 'test_local_dir_1.csv'), 'a,b\n')
      writeFileSync(join(folder, 'test_local_dir_2.csv.gz'), '')
      writeFileSync(join(folder, '.hidden'), '')
      writeFileSync(join(folder, 'notes.unknownext'), '')
      mkdirSync(join(folder, 'sub'))
      writeFileSync(join(folder, 'sub', 'nested.csv'), '')
      symlinkSync(join(folder, 'test_local_dir_1.csv'), join(folder, 'link.csv'))
      symlinkSync(join(folder, 'sub'), join(folder, 'link-to-folder'))
    })
    afterAll(() => {
      rmSync(folder, { recursive: true, force: true })
    })

    it('registers the regular files (dotfiles included, folders not) as ready, and counts them', async () => {
      const progress: RegisterProgress[] = []
      const extracts = await registerExtractsByLocation(run, `${folder}/`, { onProgress: (p) => progress.push(p) })
      expect(extracts.map((e) => e.filename)).toEqual([
        '.hidden',
        'link.csv',
        'notes.unknownext',
        'test_local_dir_1.csv',
        'test_local_dir_2.csv.gz',
      ])
      expect(extracts.every((e) => e.status === 'ready' && e instanceof ExtractTracker)).toBe(true)
      expect(extracts.map((e) => [e.filetype, e.compressionType])).toEqual([
        [null, null],
        ['csv', null],
        [null, null],
        ['csv', null],
        ['csv', 'gzip'],
      ])
      expect(extracts[0]?.fullFilename).toBe(`${folder}/.hidden`)
      expect(progress).toEqual([{ done: 5, total: 5 }])
      const location = await LocationTracker.register(store, { locationPath: folder })
      expect(location.fileCount).toBe(5)
      expect(extracts[0]?.location.fileCount).toBe(5)
      expect(location.locationName).toMatch(/^local - pt-extracts-/)
      const ids = extracts.map((e) => e.extractId)
      expect(new Set(Object.values(await storedStatuses(store, ids)))).toEqual(new Set(['ready']))
      for (const id of ids) expect(await runLinkStatus(store, id, run.processTrackingId)).toBe('ready')
      expect((await listExtractHistory(contextOf(store), ids[0] ?? 0)).map((h) => h.status)).toEqual(['ready'])
    })

    it('links already registered files to the run with their status unchanged, and adds new ones', async () => {
      const [loaded] = await registerExtractsByLocation(run, folder)
      await loaded?.changeExtractStatus('loaded')
      writeFileSync(join(folder, 'arrived_later.csv'), '')
      const second = await startRun(store, 'second scan')
      const extracts = await registerExtractsByLocation(second, folder)
      expect(extracts).toHaveLength(6)
      const byName = new Map(extracts.map((e) => [e.filename, e]))
      expect(byName.get('.hidden')?.status).toBe('loaded')
      expect(byName.get('.hidden')?.extractId).toBe(loaded?.extractId)
      expect(byName.get('arrived_later.csv')?.status).toBe('ready')
      expect(await runLinkStatus(store, loaded?.extractId ?? 0, second.processTrackingId)).toBe('loaded')
      expect((await listExtractHistory(contextOf(store), loaded?.extractId ?? 0)).map((h) => h.status)).toEqual(['ready', 'loaded'])
      expect((await LocationTracker.register(store, { locationPath: folder })).fileCount).toBe(6)
      await second.complete()
    })

    it('commits thousands of files in batches, reporting progress after each', async () => {
      const big = mkdtempSync(join(tmpdir(), 'pt-many-'))
      try {
        const batch = registrationBatchSize(dialect)
        const count = batch + 201
        for (let i = 0; i < count - 1; i++) writeFileSync(join(big, `file_${String(i).padStart(4, '0')}.csv`), '')
        writeFileSync(join(big, 'zz_last.csv.gz'), '') // a type first seen in the second batch
        const progress: RegisterProgress[] = []
        const extracts = await registerExtractsByLocation(run, big, { locationName: 'many files', onProgress: (p) => progress.push(p) })
        expect(extracts).toHaveLength(count)
        expect(new Set(extracts.map((e) => e.extractId)).size).toBe(count)
        expect([extracts.at(-1)?.filename, extracts.at(-1)?.filetype, extracts.at(-1)?.compressionType]).toEqual([
          'zz_last.csv.gz',
          'csv',
          'gzip',
        ])
        expect(progress).toEqual([
          { done: batch, total: count },
          { done: count, total: count },
        ])
        const location = await LocationTracker.register(store, { locationPath: big })
        expect([location.locationName, location.fileCount]).toEqual(['many files', count])
        const ids = extracts.map((e) => e.extractId)
        for (const id of [ids[0], ids[batch], ids[count - 1]]) {
          expect(await runLinkStatus(store, id ?? 0, run.processTrackingId)).toBe('ready')
          expect((await listExtractHistory(contextOf(store), id ?? 0)).map((h) => h.status)).toEqual(['ready'])
        }
        const again = await registerExtractsByLocation(run, big)
        expect(again.map((e) => e.extractId)).toEqual(ids)
        expect((await listExtractHistory(contextOf(store), ids[batch] ?? 0)).map((h) => h.status)).toEqual(['ready'])
      } finally {
        rmSync(big, { recursive: true, force: true })
      }
    })

    it('records a count of zero for an empty folder', async () => {
      const empty = mkdtempSync(join(tmpdir(), 'pt-empty-'))
      try {
        const progress: RegisterProgress[] = []
        expect(await registerExtractsByLocation(run, empty, { onProgress: (p) => progress.push(p) })).toEqual([])
        expect(progress).toEqual([{ done: 0, total: 0 }])
        expect((await LocationTracker.register(store, { locationPath: empty })).fileCount).toBe(0)
      } finally {
        rmSync(empty, { recursive: true, force: true })
      }
    })

    it('refuses a missing folder, a file, bad options and an ended run, writing nothing', async () => {
      const before = await rowCounts(store)
      await expect(registerExtractsByLocation(run, join(folder, 'missing'))).rejects.toThrow(NotFoundError)
      await expect(registerExtractsByLocation(run, join(folder, 'test_local_dir_1.csv'))).rejects.toThrow(ValidationError)
      await expect(registerExtractsByLocation(run, folder, { onProgress: 'yes' as never })).rejects.toThrow(ValidationError)
      await expect(registerExtractsByLocation(run, 'https://example.com/files/')).rejects.toThrow(ValidationError)
      const ended = await startRun(store, 'ended scan')
      await ended.complete()
      const afterStart = await rowCounts(store)
      await expect(registerExtractsByLocation(ended, folder)).rejects.toThrow(RunNotActiveError)
      expect(await rowCounts(store)).toEqual(afterStart)
      expect(afterStart.extract_tracking).toBe(before.extract_tracking)
    })
  })
}
