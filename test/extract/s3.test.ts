import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NotFoundError, ValidationError, type DataStore } from '../../src/index.ts'
import { ExtractTracker } from '../../src/api/extract-tracker.ts'
import { LocationTracker } from '../../src/api/location-tracker.ts'
import { registerExtractsByLocation, type RegisterProgress } from '../../src/api/run-extract-methods.ts'
import { listS3Filenames, readS3Object } from '../../src/extract/s3-client.ts'
import { registrationBatchSize } from '../../src/extract/register-by-location.ts'
import type { ProcessTracker } from '../../src/api/process-tracker.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { startS3Server, type S3Server } from '../support/s3-server.ts'
import { startRun, storedStatuses } from './helpers.ts'
import { contextOf } from '../../src/store/context.ts'

// One S3-compatible server (s3rver) for the whole file, on loopback; the library finds it through
// AWS_ENDPOINT_URL_S3 and the standard credential variables, as a user's program would.
let s3: S3Server
let restoreEnv: () => void
const MANY = 1005

beforeAll(async () => {
  s3 = await startS3Server()
  restoreEnv = s3.useEnv()
  await s3.put('core/Teams.csv', 'yearID,teamID\n')
  await s3.put('core/People.csv.gz')
  await s3.put('core/.manifest')
  await s3.put('core/folder/') // a folder marker: skipped
  await s3.put('core/sub/nested.csv') // in a sub-folder: not a direct child
  await s3.put('core-other/x.csv') // shares the prefix text, not the folder
  await s3.put('root.csv')
  await s3.put('configs/pt/process_tracker_config.ini', '[DEFAULT]\nmax_concurrent_failures = 3\n')
  // More than one listing page (1,000 keys): written a few at a time.
  const keys = Array.from({ length: MANY }, (_, i) => `many/file_${String(i).padStart(4, '0')}.csv`)
  for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => s3.put(key)))
}, 120_000)

afterAll(async () => {
  restoreEnv()
  await s3.stop()
})

describe('S3 reading', () => {
  it('lists the direct children of a prefix, paging past 1,000 keys', async () => {
    expect(await listS3Filenames(s3.bucket, 'core')).toEqual(['.manifest', 'People.csv.gz', 'Teams.csv'])
    expect(await listS3Filenames(s3.bucket, '')).toEqual(['root.csv'])
    const many = await listS3Filenames(s3.bucket, 'many')
    expect(many).toHaveLength(MANY)
    expect(new Set(many).size).toBe(MANY)
    expect(await listS3Filenames(s3.bucket, 'nothing-here')).toEqual([])
  })

  it('says when a bucket does not exist', async () => {
    await expect(listS3Filenames('no-such-bucket', 'x')).rejects.toThrow(NotFoundError)
  })

  it('reads an object as text (a config file on S3)', async () => {
    expect(await readS3Object(`s3://${s3.bucket}/configs/pt/process_tracker_config.ini`)).toBe('[DEFAULT]\nmax_concurrent_failures = 3\n')
    expect(await readS3Object(`${s3.endpoint}/${s3.bucket}/core/Teams.csv`)).toBe('yearID,teamID\n')
    expect(await readS3Object(`s3://${s3.bucket}/core/People.csv.gz`)).toBe('')
  })

  it('refuses a missing object, a bucket-only URL and a non-S3 URL', async () => {
    const missing = await readS3Object(`s3://${s3.bucket}/configs/missing.ini`).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(NotFoundError)
    expect((missing as NotFoundError).message).toContain('configs/missing.ini')
    await expect(readS3Object(`s3://${s3.bucket}`)).rejects.toThrow(ValidationError)
    await expect(readS3Object(`s3://${s3.bucket}/configs/`)).rejects.toThrow(ValidationError)
    await expect(readS3Object('https://example.com/x.ini')).rejects.toThrow(ValidationError)
    await expect(readS3Object(3 as unknown as string)).rejects.toThrow(ValidationError)
  })
})

for (const dialect of DIALECTS) {
  describe(`${dialect}: registering the files of an S3 prefix`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    let run: ProcessTracker

    beforeAll(async () => {
      store = isolated.store
      run = await startRun(store, 's3 scan')
    })

    it('registers the files directly under the prefix as ready, and counts them', async () => {
      const progress: RegisterProgress[] = []
      const extracts = await registerExtractsByLocation(run, `s3://${s3.bucket}/core/`, { onProgress: (p) => progress.push(p) })
      expect(extracts.map((e) => e.filename)).toEqual(['.manifest', 'People.csv.gz', 'Teams.csv'])
      expect(extracts.map((e) => e.fullFilename)).toEqual([
        `s3://${s3.bucket}/core/.manifest`,
        `s3://${s3.bucket}/core/People.csv.gz`,
        `s3://${s3.bucket}/core/Teams.csv`,
      ])
      expect(extracts.map((e) => [e.filetype, e.compressionType])).toEqual([
        [null, null],
        ['csv', 'gzip'],
        ['csv', null],
      ])
      expect(progress).toEqual([{ done: 3, total: 3 }])
      const location = await LocationTracker.register(store, { locationPath: `s3://${s3.bucket}/core` })
      expect([location.locationType, location.bucketName, location.locationName, location.fileCount]).toEqual([
        's3',
        s3.bucket,
        `s3 ${s3.bucket} - core`,
        3,
      ])
      expect(
        new Set(
          Object.values(
            await storedStatuses(
              store,
              extracts.map((e) => e.extractId),
            ),
          ),
        ),
      ).toEqual(new Set(['ready']))
    })

    it('treats the endpoint URL of the prefix as the same location, keeping statuses', async () => {
      const teams = await ExtractTracker.register(run, { filename: 'Teams.csv', locationPath: `s3://${s3.bucket}/core` })
      await teams.changeExtractStatus('loaded')
      const extracts = await registerExtractsByLocation(run, `${s3.endpoint}/${s3.bucket}/core/`)
      expect(extracts.find((e) => e.filename === 'Teams.csv')?.status).toBe('loaded')
      expect(extracts.find((e) => e.filename === 'Teams.csv')?.extractId).toBe(teams.extractId)
      expect(extracts.every((e) => e.location.locationPath === `s3://${s3.bucket}/core`)).toBe(true)
    })

    it('registers a prefix of more than one listing page in batches', async () => {
      const progress: RegisterProgress[] = []
      const extracts = await registerExtractsByLocation(run, `s3://${s3.bucket}/many`, {
        locationName: 'many on s3',
        onProgress: (p) => progress.push(p),
      })
      expect(extracts).toHaveLength(MANY)
      // One progress report per committed batch: every full batch, then the rest.
      const size = registrationBatchSize(store.dialect)
      const expected = Array.from({ length: Math.ceil(MANY / size) }, (_, i) => Math.min((i + 1) * size, MANY))
      expect(progress.map((p) => p.done)).toEqual(expected)
      expect((await LocationTracker.register(store, { locationPath: `s3://${s3.bucket}/many/` })).fileCount).toBe(MANY)
    })

    it('says when the bucket does not exist, writing nothing', async () => {
      const before = await contextOf(store).db.selectFrom('location_lkup').select('location_id').execute()
      await expect(registerExtractsByLocation(run, 's3://no-such-bucket/x')).rejects.toThrow(NotFoundError)
      expect(await contextOf(store).db.selectFrom('location_lkup').select('location_id').execute()).toEqual(before)
    })
  })
}
