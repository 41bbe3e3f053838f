import { beforeAll, describe, expect, it } from 'vitest'
import { NotFoundError, ValidationError, type DataStore } from '../../src/index.ts'
import { ExtractTracker } from '../../src/api/extract-tracker.ts'
import { parseFileSize } from '../../src/extract/file-size.ts'
import { deriveType } from '../../src/extract/file-type.ts'
import type { ProcessTracker } from '../../src/api/process-tracker.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { rowCounts } from '../support/snapshot.ts'
import { startRun } from './helpers.ts'

describe('file sizes', () => {
  it.each([
    ['2.21MB', 2.21, 'MB'],
    ['512 KB', 512, 'KB'],
    ['512KB', 512, 'KB'],
    ['10 mb', 10, 'MB'],
    ['1048576B', 1048576, 'B'],
    ['0 b', 0, 'B'],
    ['50GB', 50, 'GB'],
    ['1.5 tb', 1.5, 'TB'],
    ['3.000001 Gb', 3.000001, 'GB'],
  ])('%s → %d %s', (text, amount, unit) => {
    expect(parseFileSize(text)).toEqual({ amount, unit })
  })

  it('takes a number as bytes', () => {
    expect(parseFileSize(1048576)).toEqual({ amount: 1048576, unit: 'B' })
    expect(parseFileSize(0)).toEqual({ amount: 0, unit: 'B' })
  })

  it.each([
    ['1024ZXB'],
    ['5Bytes'],
    ['MB'],
    [''],
    ['-1MB'],
    ['1e3 KB'],
    [' 5MB'],
    ['5MB '],
    ['1.MB'],
    ['.5MB'],
    ['1.1234567MB'],
    ['5 M B'],
  ])('refuses %j', (text) => {
    expect(() => parseFileSize(text)).toThrow(ValidationError)
  })

  it.each([[-1], [1.5], [Number.NaN], [Infinity], [null], [{}], [true]])('refuses %j', (value) => {
    expect(() => parseFileSize(value)).toThrow(ValidationError)
  })
})

describe('file types from extensions', () => {
  it.each([
    ['Teams.csv', 'csv', null],
    ['TEAMS.CSV', 'csv', null],
    ['x.csv.gz', 'csv', 'gzip'],
    ['x.CSV.GZ', 'csv', 'gzip'],
    ['x.json.bz2', 'json', 'bz2'],
    ['x.parquet.zst', 'parquet', 'zstd'],
    ['archive.zip', null, 'zip'],
    ['data.tar.gz', 'tar', 'gzip'],
    ['noext', null, null],
    ['.bashrc', null, null],
    ['.env.csv', 'csv', null],
    ['trailing.', null, null],
  ])('%s → %s, %s', (filename, filetypeCode, compressionType) => {
    expect(deriveType(filename)).toEqual({ filetypeCode, compressionType })
  })
})

for (const dialect of DIALECTS) {
  describe(`${dialect}: extract file types, compression and sizes`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    let run: ProcessTracker
    const locationPath = '/data/types'

    beforeAll(async () => {
      store = isolated.store
      run = await startRun(store)
    })

    it('derives the file type and compression from the extension', async () => {
      const gz = await ExtractTracker.register(run, { filename: 'Teams.CSV.gz', locationPath })
      expect([gz.filetype, gz.compressionType]).toEqual(['csv', 'gzip'])
      const json = await ExtractTracker.register(run, { filename: 'people.json', locationPath })
      expect([json.filetype, json.compressionType]).toEqual(['json', null])
      const unknown = await ExtractTracker.register(run, { filename: 'report.xlsx', locationPath })
      expect([unknown.filetype, unknown.compressionType]).toEqual([null, null])
      const again = await ExtractTracker.get(run, gz.extractId)
      expect([again.filetype, again.compressionType]).toEqual(['csv', 'gzip'])
    })

    it('takes an explicit file type by code or full name, and an explicit compression over the extension', async () => {
      const byName = await ExtractTracker.register(run, {
        filename: 'teams.dat',
        locationPath,
        filetype: 'Comma Separated Values',
        compressionType: 'zip',
      })
      expect([byName.filetype, byName.compressionType]).toEqual(['csv', 'zip'])
      const byCode = await ExtractTracker.register(run, { filename: 'x.csv.gz', locationPath, filetype: 'tsv', compressionType: 'zstd' })
      expect([byCode.filetype, byCode.compressionType]).toEqual(['tsv', 'zstd'])
      const stored = await ExtractTracker.get(run, byCode.extractId)
      expect([stored.filetype, stored.compressionType]).toEqual(['tsv', 'zstd'])
    })

    it('stores sizes as given, decimals kept', async () => {
      const cases: [string | number, { amount: number; unit: string }][] = [
        ['2.21MB', { amount: 2.21, unit: 'MB' }],
        ['512 KB', { amount: 512, unit: 'KB' }],
        [1048576, { amount: 1048576, unit: 'B' }],
        ['1.5tb', { amount: 1.5, unit: 'TB' }],
      ]
      for (const [index, [fileSize, expected]] of cases.entries()) {
        const extract = await ExtractTracker.register(run, { filename: `sized_${index}.csv`, locationPath, fileSize })
        expect(extract.fileSize).toEqual(expected)
        expect((await ExtractTracker.get(run, extract.extractId)).fileSize).toEqual(expected)
      }
      const unsized = await ExtractTracker.register(run, { filename: 'unsized.csv', locationPath })
      expect(unsized.fileSize).toBeNull()
    })

    it('overwrites stored attributes with explicit ones, never with derived ones', async () => {
      const first = await ExtractTracker.register(run, { filename: 'over.csv', locationPath, filetype: 'txt', fileSize: '1 KB' })
      const derivedOnly = await ExtractTracker.register(run, { filename: 'over.csv', locationPath })
      expect(derivedOnly.extractId).toBe(first.extractId)
      expect([derivedOnly.filetype, derivedOnly.fileSize]).toEqual(['txt', { amount: 1, unit: 'KB' }])
      const explicit = await ExtractTracker.register(run, {
        filename: 'over.csv',
        locationPath,
        filetype: 'csv',
        fileSize: '2.5 MB',
        compressionType: 'gzip',
      })
      expect([explicit.filetype, explicit.compressionType, explicit.fileSize]).toEqual(['csv', 'gzip', { amount: 2.5, unit: 'MB' }])
      const stored = await ExtractTracker.get(run, first.extractId)
      expect([stored.filetype, stored.compressionType, stored.fileSize]).toEqual(['csv', 'gzip', { amount: 2.5, unit: 'MB' }])
    })

    it('refuses an unknown file type or compression type with a NotFoundError naming it, writing nothing', async () => {
      const before = await rowCounts(store)
      const filetype = await ExtractTracker.register(run, { filename: 'new_a.csv', locationPath: '/data/new', filetype: 'xlsx' }).catch(
        (e: unknown) => e,
      )
      expect(filetype).toBeInstanceOf(NotFoundError)
      expect((filetype as NotFoundError).message).toContain('"xlsx"')
      expect((filetype as NotFoundError).details).toMatchObject({ topic: 'file type', name: 'xlsx' })
      const compression = await ExtractTracker.register(run, {
        filename: 'new_b.csv',
        locationPath: '/data/new',
        compressionType: 'rar',
      }).catch((e: unknown) => e)
      expect(compression).toBeInstanceOf(NotFoundError)
      expect((compression as NotFoundError).message).toContain('"rar"')
      expect((compression as NotFoundError).code).toBe('PT_NOT_FOUND')
      expect(await rowCounts(store)).toEqual(before)
    })

    it('refuses a malformed size before writing', async () => {
      const before = await rowCounts(store)
      for (const fileSize of ['1024ZXB', '10 M', 'big', -5, 2.5]) {
        await expect(ExtractTracker.register(run, { filename: 'bad_size.csv', locationPath: '/data/new', fileSize })).rejects.toMatchObject(
          {
            code: 'PT_INVALID_INPUT',
          },
        )
      }
      expect(await rowCounts(store)).toEqual(before)
    })
  })
}
