import os from 'node:os'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConflictError, ValidationError, type DataStore } from '../../src/index.ts'
import { canonicalLocation, deriveLocationName, parseS3Url } from '../../src/extract/location-path.ts'
import { LocationTracker } from '../../src/api/location-tracker.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { rowCounts } from '../support/snapshot.ts'

describe('location paths: canonical form', () => {
  const env = { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' }
  const home = '/home/me'
  const canonical = (input: string) => canonicalLocation(input, env, home)

  it.each([
    ['/tmp/testing/test_dir', '/tmp/testing/test_dir'],
    ['/tmp/testing/test_dir/', '/tmp/testing/test_dir'],
    ['/tmp//testing/./x/../test_dir//', '/tmp/testing/test_dir'],
    ['/', '/'],
    ['~', '/home/me'],
    ['~/data/', '/home/me/data'],
    ['file:///srv/data/', '/srv/data'],
    ['/home/users3/x', '/home/users3/x'],
    ['/data/s3.amazonaws.com/x', '/data/s3.amazonaws.com/x'],
  ])('local %s → %s', (input, expected) => {
    const location = canonical(input)
    expect(location).toEqual({ path: expected, type: 'local filesystem', bucket: null, prefix: null })
  })

  it('makes a relative path absolute against the working folder', () => {
    expect(canonical('data/in').path).toBe(`${process.cwd()}/data/in`)
  })

  it.each([
    ['s3://lahman-data/core/', 'lahman-data', 'core'],
    ['s3://lahman-data/core', 'lahman-data', 'core'],
    ['S3://lahman-data/a/b//', 'lahman-data', 'a/b'],
    ['s3://lahman-data', 'lahman-data', ''],
    ['s3://lahman-data/', 'lahman-data', ''],
    ['s3://lahman-data/a b/%41', 'lahman-data', 'a b/%41'],
    ['https://test-bucket.s3.amazonaws.com/this/is/a/test/dir/file.txt', 'test-bucket', 'this/is/a/test/dir/file.txt'],
    ['https://my.dotted.bucket.s3.us-west-2.amazonaws.com/core/', 'my.dotted.bucket', 'core'],
    ['https://bucket-x.s3-eu-west-1.amazonaws.com/core', 'bucket-x', 'core'],
    ['https://s3.amazonaws.com/lahman-data/core/', 'lahman-data', 'core'],
    ['https://s3.eu-central-1.amazonaws.com/lahman-data/a%20b/', 'lahman-data', 'a b'],
    ['http://127.0.0.1:9000/lahman-data/core/', 'lahman-data', 'core'],
  ])('S3 %s → bucket %s, prefix %s', (input, bucket, prefix) => {
    const location = canonical(input)
    expect(location).toEqual({
      path: prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}`,
      type: 's3',
      bucket,
      prefix,
    })
  })

  it.each([
    ['https://example.com/bucket/core'],
    ['https://s3.amazonaws.com.evil.example/bucket/x'],
    ['http://127.0.0.1:9001/lahman-data/core'],
    ['ftp://host/x'],
    ['s3://'],
    ['s3://ab/x'],
    ['s3://bad bucket/x'],
    ['https://s3.amazonaws.com/'],
    ['https://s3.amazonaws.com/b/x%zz'],
    ['https://bucket.s3.amazonaws.com/x?versionId=3'],
    [''],
    ['x'.repeat(2049)],
  ])('refuses %s with a ValidationError', (input) => {
    expect(() => canonical(input)).toThrow(ValidationError)
  })

  it('refuses a non-string path', () => {
    expect(() => canonicalLocation(42 as unknown as string)).toThrow(ValidationError)
  })

  it('keeps an object key exactly as written in an s3:// URL', () => {
    expect(parseS3Url('s3://configs/pt/process_tracker_config.ini')).toEqual({ bucket: 'configs', key: 'pt/process_tracker_config.ini' })
    expect(parseS3Url('https://configs.s3.amazonaws.com/pt/a%2Bb.ini')).toEqual({ bucket: 'configs', key: 'pt/a+b.ini' })
  })

  it('uses the process environment for the custom endpoint by default', () => {
    const previous = process.env.AWS_ENDPOINT_URL_S3
    process.env.AWS_ENDPOINT_URL_S3 = 'http://localhost:4566'
    try {
      expect(canonicalLocation('http://localhost:4566/bucket-a/x/').path).toBe('s3://bucket-a/x')
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_S3
      else process.env.AWS_ENDPOINT_URL_S3 = previous
    }
  })

  it.each([
    ['/tmp/testing/test_dir', 'local - test_dir'],
    ['s3://tmp/testing/test_dir/', 's3 tmp - test_dir'],
    ['/local/dir/path/text.txt', 'local - path'],
    ['https://test-bucket.s3.amazonaws.com/this/is/a/test/dir/file.txt', 's3 test-bucket - dir'],
    ['https://test-test.s3.amazonaws.com/test/extract_dir', 's3 test-test - extract_dir'],
    ['/home/test/extract_dir2', 'local - extract_dir2'],
    ['s3://bucket-only', 's3 bucket-only - bucket-only'],
    ['/', 'local - /'],
    ['/file.txt', 'local - file.txt'],
  ])('derives the name of %s: %s', (input, name) => {
    expect(deriveLocationName(canonical(input))).toBe(name)
  })
})

for (const dialect of DIALECTS) {
  describe(`${dialect}: locations`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore

    beforeAll(() => {
      store = isolated.store
    })

    it.each([
      ['/tmp/testing/test_dir/', 'local - test_dir', 'local filesystem', null],
      ['s3://tmp/testing/test_dir', 's3 tmp - test_dir', 's3', 'tmp'],
      ['/local/dir/path/text.txt', 'local - path', 'local filesystem', null],
      ['https://test-bucket.s3.amazonaws.com/this/is/a/test/dir/file.txt', 's3 test-bucket - dir', 's3', 'test-bucket'],
      ['https://test-test.s3.amazonaws.com/test/extract_dir', 's3 test-test - extract_dir', 's3', 'test-test'],
      ['/home/test/extract_dir2', 'local - extract_dir2', 'local filesystem', null],
    ])('registers %s as %s', async (locationPath, name, type, bucket) => {
      const location = await LocationTracker.register(store, { locationPath })
      expect(location.locationName).toBe(name)
      expect(location.locationType).toBe(type)
      expect(location.bucketName).toBe(bucket)
      expect(location.fileCount).toBeNull()
      expect(location.locationPath).toBe(canonicalLocation(locationPath).path)
    })

    it('returns the existing location for the same path in any spelling, ignoring a new name', async () => {
      const first = await LocationTracker.register(store, { locationPath: '/tmp/testing/test_dir' })
      const again = await LocationTracker.register(store, { locationPath: '/tmp/testing//test_dir/', locationName: 'Another Name' })
      expect(again.locationId).toBe(first.locationId)
      expect(again.locationName).toBe('local - test_dir')
    })

    it('numbers a derived name that another path has: smallest free N', async () => {
      const second = await LocationTracker.register(store, { locationPath: '/elsewhere/test_dir' })
      const third = await LocationTracker.register(store, { locationPath: '/third/test_dir/' })
      expect(second.locationName).toBe('local - test_dir - 1')
      expect(third.locationName).toBe('local - test_dir - 2')
      const s3a = await LocationTracker.register(store, { locationPath: 's3://duplicate-test/one/dir' })
      const s3b = await LocationTracker.register(store, { locationPath: 's3://duplicate-test/two/dir/' })
      expect([s3a.locationName, s3b.locationName]).toEqual(['s3 duplicate-test - dir', 's3 duplicate-test - dir - 1'])
    })

    it('treats % and _ in a derived name literally when numbering', async () => {
      const a = await LocationTracker.register(store, { locationPath: '/p/a_b' })
      const b = await LocationTracker.register(store, { locationPath: '/p/axb' })
      const c = await LocationTracker.register(store, { locationPath: '/q/a_b' })
      expect([a.locationName, b.locationName, c.locationName]).toEqual(['local - a_b', 'local - axb', 'local - a_b - 1'])
    })

    it('registers a folder whose name ends in a space next to one whose name does not', async () => {
      // MySQL compares 'x ' and 'x' as equal; the derived name must still be found, not looped on.
      const plain = await LocationTracker.register(store, { locationPath: '/q/trail' })
      const spaced = await LocationTracker.register(store, { locationPath: '/p/trail ' })
      expect(spaced.locationId).not.toBe(plain.locationId)
      expect(spaced.locationPath).toBe('/p/trail ')
      expect(spaced.locationName.startsWith('local - trail')).toBe(true)
      expect((await LocationTracker.register(store, { locationPath: '/p/trail ' })).locationId).toBe(spaced.locationId)
    })

    it('keeps a given name', async () => {
      const location = await LocationTracker.register(store, { locationPath: '/home/test/extract_dir', locationName: 'Test Location' })
      expect(location.locationName).toBe('Test Location')
    })

    it('refuses a given name that another path has with a ConflictError, writing nothing', async () => {
      const before = await rowCounts(store)
      const error = await LocationTracker.register(store, { locationPath: '/somewhere/else', locationName: 'Test Location' }).catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(ConflictError)
      expect((error as ConflictError).code).toBe('PT_CONFLICT')
      expect((error as ConflictError).message).toContain('/home/test/extract_dir')
      expect(await rowCounts(store)).toEqual(before)
    })

    it('refuses a malformed name or path before writing', async () => {
      const before = await rowCounts(store)
      await expect(LocationTracker.register(store, { locationPath: '/x', locationName: ' padded' })).rejects.toThrow(ValidationError)
      await expect(LocationTracker.register(store, { locationPath: 'https://example.com/x' })).rejects.toThrow(ValidationError)
      await expect(LocationTracker.register(store, {} as never)).rejects.toThrow(ValidationError)
      expect(await rowCounts(store)).toEqual(before)
    })

    it('gives concurrent registrations of one derived name distinct suffixes', async () => {
      const paths = Array.from({ length: 6 }, (_, i) => `/race/${i}/shared_dir`)
      const locations = await Promise.all(paths.map((locationPath) => LocationTracker.register(store, { locationPath })))
      expect(new Set(locations.map((l) => l.locationName))).toEqual(
        new Set(['local - shared_dir', ...[1, 2, 3, 4, 5].map((n) => `local - shared_dir - ${n}`)]),
      )
      const again = await Promise.all(paths.map((locationPath) => LocationTracker.register(store, { locationPath })))
      expect(again.map((l) => l.locationId)).toEqual(locations.map((l) => l.locationId))
    })

    it('records a file count and reads the location back by id', async () => {
      const location = await LocationTracker.register(store, { locationPath: `${os.tmpdir()}/counted` })
      await location.setFileCount(123)
      expect(location.fileCount).toBe(123)
      const again = await LocationTracker.get(store, location.locationId)
      expect(again.fileCount).toBe(123)
      expect(again.locationName).toBe(location.locationName)
      await location.setFileCount(0)
      expect((await LocationTracker.get(store, location.locationId)).fileCount).toBe(0)
      await expect(location.setFileCount(-1)).rejects.toThrow(ValidationError)
      await expect(location.setFileCount(1.5)).rejects.toThrow(ValidationError)
    })

    it('says when a location id does not exist', async () => {
      await expect(LocationTracker.get(store, 987654)).rejects.toMatchObject({ code: 'PT_NOT_FOUND' })
    })
  })
}
