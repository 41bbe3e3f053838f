import { beforeAll, describe, expect, it } from 'vitest'
import {
  ExtractDependencyError,
  InvalidStatusError,
  NotFoundError,
  RunNotActiveError,
  ValidationError,
  type DataStore,
} from '../../src/index.ts'
import { ExtractTracker } from '../../src/api/extract-tracker.ts'
import { listExtractHistory } from '../../src/extract/history.ts'
import { LocationTracker } from '../../src/api/location-tracker.ts'
import { changeExtractStatuses } from '../../src/api/run-extract-methods.ts'
import type { ProcessTracker } from '../../src/api/process-tracker.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { rowCounts } from '../support/snapshot.ts'
import { runLinkStatus, startRun, storedStatuses } from './helpers.ts'
import { contextOf } from '../../src/store/context.ts'

for (const dialect of DIALECTS) {
  describe(`${dialect}: ExtractTracker`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    let run: ProcessTracker
    const locationPath = '/home/test/extract_dir'

    beforeAll(async () => {
      store = isolated.store
      run = await startRun(store, 'extract writer')
    })

    it('registers a new extract as initializing, linked to the run', async () => {
      const extract = await ExtractTracker.register(run, { filename: 'Dependent File.csv', locationPath: `${locationPath}/` })
      expect(extract.extractId).toBeGreaterThan(0)
      expect(extract.filename).toBe('Dependent File.csv')
      expect(extract.fullFilename).toBe('/home/test/extract_dir/Dependent File.csv')
      expect(extract.status).toBe('initializing')
      expect(extract.location).toBeInstanceOf(LocationTracker)
      expect(extract.location.locationName).toBe('local - extract_dir')
      expect(extract.location.locationPath).toBe(locationPath)
      expect(extract.filetype).toBe('csv')
      expect([extract.writeRecordCount, extract.loadRecordCount, extract.loadLowDateTime, extract.writeHighDateTime]).toEqual([
        null,
        null,
        null,
        null,
      ])
      expect(await runLinkStatus(store, extract.extractId, run.processTrackingId)).toBe('initializing')
      const history = await listExtractHistory(contextOf(store), extract.extractId)
      expect(history).toEqual([
        { processTrackingId: run.processTrackingId, status: 'initializing', eventDateTime: expect.any(Date) as Date, note: null },
      ])
    })

    it('reads an extract back by id, and says when an id does not exist', async () => {
      const extract = await ExtractTracker.register(run, { filename: 'get_me.csv', locationPath, fileSize: '3 KB' })
      const again = await ExtractTracker.get(run, extract.extractId)
      expect({
        id: again.extractId,
        filename: again.filename,
        full: again.fullFilename,
        status: again.status,
        location: again.location.locationId,
        size: again.fileSize,
        registered: again.registrationDateTime.getTime(),
      }).toEqual({
        id: extract.extractId,
        filename: 'get_me.csv',
        full: `${locationPath}/get_me.csv`,
        status: 'initializing',
        location: extract.location.locationId,
        size: { amount: 3, unit: 'KB' },
        registered: extract.registrationDateTime.getTime(),
      })
      const missing = await ExtractTracker.get(run, 99_999_999).catch((e: unknown) => e)
      expect(missing).toBeInstanceOf(NotFoundError)
      await expect(ExtractTracker.get(run, 0)).rejects.toThrow(ValidationError)
    })

    it('returns an existing extract to another run without resetting its status, and links it', async () => {
      const extract = await ExtractTracker.register(run, { filename: 'shared.csv', locationPath, status: 'ready' })
      expect(extract.status).toBe('ready')
      const reader = await startRun(store, 'extract reader', 'Load')
      const again = await ExtractTracker.register(reader, { filename: 'shared.csv', locationPath })
      expect(again.extractId).toBe(extract.extractId)
      expect(again.status).toBe('ready')
      expect((await storedStatuses(store, [extract.extractId]))[extract.extractId]).toBe('ready')
      expect(await runLinkStatus(store, extract.extractId, reader.processTrackingId)).toBe('ready')
      // Linking is not a status change: the history still has the one entry.
      expect((await listExtractHistory(contextOf(store), extract.extractId)).map((h) => h.status)).toEqual(['ready'])
      await reader.complete()
    })

    it('gives runs registering one new extract at the same time the same extract', async () => {
      const runs = await Promise.all([1, 2, 3, 4, 5].map((i) => startRun(store, `concurrent registrar ${i}`)))
      const extracts = await Promise.all(runs.map((r) => ExtractTracker.register(r, { filename: 'raced.csv', locationPath: '/raced/dir' })))
      const ids = new Set(extracts.map((e) => e.extractId))
      expect(ids.size).toBe(1)
      const [id] = [...ids]
      const history = await listExtractHistory(contextOf(store), id ?? 0)
      expect(history.map((h) => h.status)).toEqual(['initializing'])
      for (const r of runs) expect(await runLinkStatus(store, id ?? 0, r.processTrackingId)).toBe('initializing')
      const locations = await contextOf(store)
        .db.selectFrom('location_lkup')
        .select('location_id')
        .where('location_path', '=', '/raced/dir')
        .execute()
      expect(locations).toHaveLength(1)
      for (const r of runs) await r.complete()
    })

    it('applies an explicit status on re-registration as a status change', async () => {
      const extract = await ExtractTracker.register(run, { filename: 'restatus.csv', locationPath })
      const again = await ExtractTracker.register(run, { filename: 'restatus.csv', locationPath, status: 'ready' })
      expect(again.status).toBe('ready')
      expect((await listExtractHistory(contextOf(store), extract.extractId)).map((h) => h.status)).toEqual(['initializing', 'ready'])
    })

    it('records every status change with its run and time; the extract has the latest', async () => {
      const extract = await ExtractTracker.register(run, { filename: 'history.csv', locationPath })
      await extract.changeExtractStatus('ready')
      const loader = await startRun(store, 'history loader', 'Load')
      const loading = await ExtractTracker.get(loader, extract.extractId)
      await loading.changeExtractStatus('loading')
      await loading.changeExtractStatus('loaded')
      await loading.changeExtractStatus('loaded')
      expect(loading.status).toBe('loaded')
      const history = await listExtractHistory(contextOf(store), extract.extractId)
      expect(history.map((h) => [h.status, h.processTrackingId])).toEqual([
        ['initializing', run.processTrackingId],
        ['ready', run.processTrackingId],
        ['loading', loader.processTrackingId],
        ['loaded', loader.processTrackingId],
        ['loaded', loader.processTrackingId],
      ])
      for (let i = 1; i < history.length; i++) {
        expect(history[i]?.eventDateTime.getTime()).toBeGreaterThanOrEqual(history[i - 1]?.eventDateTime.getTime() ?? 0)
      }
      expect((await storedStatuses(store, [extract.extractId]))[extract.extractId]).toBe('loaded')
      expect(await runLinkStatus(store, extract.extractId, run.processTrackingId)).toBe('ready')
      expect(await runLinkStatus(store, extract.extractId, loader.processTrackingId)).toBe('loaded')
      await loader.complete()
    })

    it('accepts a custom extract status created later', async () => {
      await contextOf(store)
        .db.insertInto('extract_status_lkup')
        .values({ extract_status_name: 'quarantined', created_by: 'test', updated_by: 'test' })
        .execute()
      const extract = await ExtractTracker.register(run, { filename: 'custom.csv', locationPath })
      await extract.changeExtractStatus('quarantined')
      expect((await storedStatuses(store, [extract.extractId]))[extract.extractId]).toBe('quarantined')
    })

    it('refuses an unknown status with InvalidStatusError, writing nothing', async () => {
      const extract = await ExtractTracker.register(run, { filename: 'unknown_status.csv', locationPath })
      const before = await rowCounts(store)
      const error = await extract.changeExtractStatus('Ready').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(InvalidStatusError)
      expect((error as InvalidStatusError).message).toBe('Ready is not a valid extract status type.')
      expect((error as InvalidStatusError).code).toBe('PT_INVALID_STATUS')
      await expect(ExtractTracker.register(run, { filename: 'never.csv', locationPath, status: 'blarg' })).rejects.toThrow(
        'blarg is not a valid extract status type.',
      )
      await expect(changeExtractStatuses(run, [extract], 'nope')).rejects.toThrow(InvalidStatusError)
      await expect(extract.changeExtractStatus(7 as unknown as string)).rejects.toThrow(InvalidStatusError)
      expect(await rowCounts(store)).toEqual(before)
      expect(extract.status).toBe('initializing')
    })

    it('refuses loading while a parent is initializing, ready or loading; other parent statuses do not hold', async () => {
      const parent = await ExtractTracker.register(run, { filename: 'parent.csv', locationPath })
      const child = await ExtractTracker.register(run, { filename: 'child.csv', locationPath, status: 'ready' })
      await child.addDependency('parent', parent)
      for (const holding of ['initializing', 'ready', 'loading']) {
        if (parent.status !== holding) await parent.changeExtractStatus(holding)
        const before = await rowCounts(store)
        const error = await child.changeExtractStatus('loading').catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ExtractDependencyError)
        expect((error as ExtractDependencyError).code).toBe('PT_EXTRACT_DEPENDENCY')
        expect((error as ExtractDependencyError).message).toBe(
          `Extract files that extract ${locationPath}/child.csv is dependent on have not been loaded, are being created, or are in the process of loading.`,
        )
        expect(await rowCounts(store)).toEqual(before)
        expect((await storedStatuses(store, [child.extractId]))[child.extractId]).toBe('ready')
      }
      for (const released of ['loaded', 'error', 'deleted', 'archived']) {
        await parent.changeExtractStatus(released)
        await child.changeExtractStatus('loading')
        await child.changeExtractStatus('ready')
      }
    })

    it('refuses loading at registration when an existing extract has a holding parent', async () => {
      const parent = await ExtractTracker.register(run, { filename: 'reg_parent.csv', locationPath })
      const child = await ExtractTracker.register(run, { filename: 'reg_child.csv', locationPath })
      await parent.addDependency('child', child)
      const before = await rowCounts(store)
      await expect(ExtractTracker.register(run, { filename: 'reg_child.csv', locationPath, status: 'loading' })).rejects.toThrow(
        ExtractDependencyError,
      )
      expect(await rowCounts(store)).toEqual(before)
    })

    it('changes many extracts in one transaction, exempting parents in the same batch', async () => {
      const parent = await ExtractTracker.register(run, { filename: 'batch_parent.csv', locationPath, status: 'ready' })
      const child = await ExtractTracker.register(run, { filename: 'batch_child.csv', locationPath, status: 'ready' })
      const other = await ExtractTracker.register(run, { filename: 'batch_other.csv', locationPath, status: 'ready' })
      await child.addDependency('parent', parent)

      const before = await rowCounts(store)
      await expect(changeExtractStatuses(run, [other, child], 'loading')).rejects.toThrow(ExtractDependencyError)
      expect(await rowCounts(store)).toEqual(before)
      expect(await storedStatuses(store, [other.extractId, child.extractId])).toEqual({
        [other.extractId]: 'ready',
        [child.extractId]: 'ready',
      })
      expect(other.status).toBe('ready')

      await changeExtractStatuses(run, [child, parent, other, child], 'loading')
      expect([child.status, parent.status, other.status]).toEqual(['loading', 'loading', 'loading'])
      expect(await storedStatuses(store, [parent.extractId, child.extractId, other.extractId])).toEqual({
        [parent.extractId]: 'loading',
        [child.extractId]: 'loading',
        [other.extractId]: 'loading',
      })
      expect((await listExtractHistory(contextOf(store), child.extractId)).map((h) => h.status)).toEqual(['ready', 'loading'])
      await changeExtractStatuses(run, [], 'loaded')
      await expect(changeExtractStatuses(run, [{ extractId: 1 }] as unknown as ExtractTracker[], 'loaded')).rejects.toThrow(ValidationError)
    })

    it('refuses other dependency types, self-dependencies and cycles; a repeat is a no-op', async () => {
      const [a, b, c] = await Promise.all(
        ['dep_a.csv', 'dep_b.csv', 'dep_c.csv'].map((filename) => ExtractTracker.register(run, { filename, locationPath })),
      )
      if (!a || !b || !c) throw new Error('registration failed')
      await a.addDependency('child', b) // a → b
      await b.addDependency('child', c) // b → c
      await b.addDependency('child', c)
      const before = await rowCounts(store)
      const cycle = await c.addDependency('child', a).catch((e: unknown) => e)
      expect(cycle).toBeInstanceOf(ValidationError)
      expect((cycle as ValidationError).message).toContain('cycle')
      await expect(a.addDependency('parent', c)).rejects.toThrow(ValidationError)
      await expect(b.addDependency('parent', c)).rejects.toThrow(ValidationError)
      await expect(a.addDependency('parent', a)).rejects.toThrow(ValidationError)
      await expect(a.addDependency('sibling' as 'parent', b)).rejects.toThrow('sibling is an invalid extract dependency type.')
      await expect(a.addDependency('parent', { extractId: 1 } as unknown as ExtractTracker)).rejects.toThrow(ValidationError)
      expect(await rowCounts(store)).toEqual(before)
      const edges = await contextOf(store)
        .db.selectFrom('extract_dependency')
        .select(['parent_extract_id', 'child_extract_id'])
        .where('parent_extract_id', 'in', [a.extractId, b.extractId, c.extractId])
        .execute()
      const pairs = (list: number[][]) => list.map((pair) => pair.join('→')).sort()
      expect(pairs(edges.map((e) => [Number(e.parent_extract_id), Number(e.child_extract_id)]))).toEqual(
        pairs([
          [a.extractId, b.extractId],
          [b.extractId, c.extractId],
        ]),
      )
    })

    it('keeps the lowest low and the highest high, for write and load separately', async () => {
      const extract = await ExtractTracker.register(run, { filename: 'dates.csv', locationPath })
      const d = (day: number) => new Date(Date.UTC(2020, 0, day, 12, 30, 15, 123))
      await extract.setLowHighDates({ low: d(10), high: d(20) })
      await extract.setLowHighDates({ low: d(12), high: d(25) })
      await extract.setLowHighDates({ low: d(5), high: d(21) })
      await extract.setLowHighDates({ low: d(1), high: d(31), auditType: 'write' })
      await extract.setLowHighDates({ high: null, low: d(2), auditType: 'write' })
      expect([extract.loadLowDateTime, extract.loadHighDateTime, extract.writeLowDateTime, extract.writeHighDateTime]).toEqual([
        d(5),
        d(25),
        d(1),
        d(31),
      ])
      const stored = await ExtractTracker.get(run, extract.extractId)
      expect([stored.loadLowDateTime, stored.loadHighDateTime, stored.writeLowDateTime, stored.writeHighDateTime]).toEqual([
        d(5),
        d(25),
        d(1),
        d(31),
      ])
      await expect(extract.setLowHighDates({ low: d(1), auditType: 'read' as 'load' })).rejects.toThrow('read is not a valid audit type.')
      await expect(extract.setLowHighDates({ low: new Date('nope') })).rejects.toThrow(ValidationError)
    })

    it('sets write and load record counts', async () => {
      const extract = await ExtractTracker.register(run, { filename: 'counts.csv', locationPath })
      await extract.setRecordCount(10000)
      await extract.setRecordCount(792, { auditType: 'write' })
      await extract.setRecordCount(10001)
      expect([extract.loadRecordCount, extract.writeRecordCount]).toEqual([10001, 792])
      const stored = await ExtractTracker.get(run, extract.extractId)
      expect([stored.loadRecordCount, stored.writeRecordCount]).toEqual([10001, 792])
      await expect(extract.setRecordCount(-1)).rejects.toThrow(ValidationError)
      await expect(extract.setRecordCount(5, { auditType: 'both' as 'load' })).rejects.toThrow(ValidationError)
    })

    it('registers against a LocationTracker as well as a path', async () => {
      const location = await LocationTracker.register(store, { locationPath: 's3://lahman-data/core/', locationName: 'Lahman 2018' })
      const extract = await ExtractTracker.register(run, { filename: 'Teams.csv', location })
      expect(extract.fullFilename).toBe('s3://lahman-data/core/Teams.csv')
      expect(extract.location.locationName).toBe('Lahman 2018')
      const byPath = await ExtractTracker.register(run, {
        filename: 'Teams.csv',
        locationPath: 'https://lahman-data.s3.amazonaws.com/core/',
      })
      expect(byPath.extractId).toBe(extract.extractId)
      await expect(ExtractTracker.register(run, { filename: 'Teams.csv', location, locationPath: '/elsewhere' })).rejects.toThrow(
        ValidationError,
      )
    })

    it('refuses malformed registrations before writing anything', async () => {
      const before = await rowCounts(store)
      const bad: unknown[] = [
        { filename: 'a/b.csv', locationPath },
        { filename: '', locationPath },
        { filename: 'x'.repeat(1025), locationPath },
        { filename: 42, locationPath },
        { filename: 'nowhere.csv' },
        { filename: 'bad_url.csv', locationPath: 'https://example.com/files/' },
        { filename: 'bad_url.csv', locationPath: 's3://' },
        { filename: 'bad_name.csv', locationPath: '/fresh/path', locationName: '' },
        { filename: 'bad_location.csv', location: { locationId: 1 } },
        { filename: 'bad_size.csv', locationPath, fileSize: '12 parsecs' },
        null,
      ]
      for (const options of bad) {
        await expect(ExtractTracker.register(run, options as never)).rejects.toMatchObject({ code: 'PT_INVALID_INPUT' })
      }
      await expect(ExtractTracker.register({} as unknown as ProcessTracker, { filename: 'x.csv', locationPath })).rejects.toThrow(
        ValidationError,
      )
      expect(await rowCounts(store)).toEqual(before)
    })

    it('registers a new extract at a known location in 5 statements, and changes its status in 5', async () => {
      await ExtractTracker.register(run, { filename: 'warm.csv', locationPath, status: 'ready' })
      const start = store.statementCounts.statements
      const extract = await ExtractTracker.register(run, { filename: 'counted.csv', locationPath })
      const registered = store.statementCounts.statements
      await extract.changeExtractStatus('ready')
      const changed = store.statementCounts.statements
      // BEGIN, guarded INSERT … SELECT, run link, history, COMMIT; BEGIN, guarded UPDATE, run link,
      // history, COMMIT. (The benchmark's whole lifecycle has a budget of 25.)
      expect(registered - start).toBeLessThanOrEqual(5)
      expect(changed - registered).toBeLessThanOrEqual(5)
    })

    it('refuses every change once the run is over, writing nothing', async () => {
      const finished = await startRun(store, 'finished run')
      const extract = await ExtractTracker.register(finished, { filename: 'late.csv', locationPath })
      const other = await ExtractTracker.register(finished, { filename: 'late_other.csv', locationPath })
      await finished.complete()
      const before = await rowCounts(store)
      const attempts: (() => Promise<unknown>)[] = [
        () => extract.changeExtractStatus('ready'),
        () => extract.changeExtractStatus('loading'),
        () => ExtractTracker.register(finished, { filename: 'later.csv', locationPath }),
        () => ExtractTracker.register(finished, { filename: 'late.csv', locationPath }),
        () => ExtractTracker.register(finished, { filename: 'later.csv', locationPath, status: 'loading' }),
        () => extract.addDependency('parent', other),
        () => extract.setLowHighDates({ low: new Date() }),
        () => extract.setRecordCount(3),
        () => changeExtractStatuses(finished, [extract, other], 'ready'),
      ]
      for (const attempt of attempts) await expect(attempt()).rejects.toThrow(RunNotActiveError)
      expect(await rowCounts(store)).toEqual(before)
      // Reading still works.
      expect((await ExtractTracker.get(finished, extract.extractId)).status).toBe('initializing')
    })

    it('lists the history of an unknown extract as a NotFoundError', async () => {
      await expect(listExtractHistory(contextOf(store), 99_999_999)).rejects.toThrow(NotFoundError)
    })
  })
}
