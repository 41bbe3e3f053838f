/**
 * What import-python refuses, and what it leaves behind when it fails: a source that is not a Python
 * ProcessTracker schema, an unreachable source, a target that already holds runs, and a source
 * connection killed half-way: each a clear error with the target unchanged. Also --dry-run and
 * --status-category.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, DatabaseUnavailableError, ProcessTracker, importPythonDatabase, type DataStore } from '../../src/index.ts'
import { DIALECTS, createIsolatedDatabase, useIsolatedStore, type IsolatedDatabase } from '../support/dialects.ts'
import { rowCounts } from '../support/snapshot.ts'
import { MANIFEST, SOURCE_DIALECTS, createSourceDatabase, killSourceConnection, type RestoredSource } from './python-fixture.ts'
import { rows } from './target-facts.ts'

const PASSWORD = 'n0t-Th3-pa55word'
const UNREACHABLE = {
  postgresql: `postgres://pt_admin:${PASSWORD}@127.0.0.1:1/process_tracker`,
  mysql: `mysql://pt_admin:${PASSWORD}@127.0.0.1:1/process_tracker`,
} as const

describe.runIf(SOURCE_DIALECTS.length > 0)('import-python failures', () => {
  for (const sourceDialect of SOURCE_DIALECTS) {
    describe(`from ${sourceDialect}`, () => {
      let fixture: RestoredSource | undefined
      let empty: RestoredSource | undefined
      beforeAll(async () => {
        fixture = await createSourceDatabase(sourceDialect, true)
        empty = await createSourceDatabase(sourceDialect, false)
      })
      afterAll(async () => {
        await fixture?.drop()
        await empty?.drop()
      })
      const source = () => {
        if (!fixture || !empty) throw new Error('restored in beforeAll')
        return { fixture, empty }
      }

      for (const targetDialect of DIALECTS) {
        describe(`into ${targetDialect}`, () => {
          const target = useIsolatedStore(targetDialect)
          let store: DataStore
          beforeAll(() => {
            store = target.store
          })

          it('refuses a database that is not a Python ProcessTracker schema, naming what is missing', async () => {
            const before = await rowCounts(store)
            const error = await importPythonDatabase(store, { from: source().empty.url }).catch((caught: unknown) => caught)
            expect(error).toBeInstanceOf(ConfigError)
            expect((error as ConfigError).message).toMatch(
              /is not a Python ProcessTracker database: missing tables: actor_lkup, .*process_tracking/,
            )
            expect((error as ConfigError).details.missingTables).toHaveLength(Object.keys(MANIFEST[sourceDialect].row_counts).length)
            expect(await rowCounts(store)).toEqual(before)
          })

          it('refuses an unreachable source with a clear message and no password', async () => {
            const before = await rowCounts(store)
            const error = await importPythonDatabase(store, { from: UNREACHABLE[sourceDialect] }).catch((caught: unknown) => caught)
            expect(error).toBeInstanceOf(DatabaseUnavailableError)
            expect((error as Error).message).toMatch(
              /^The Python ProcessTracker database \(the import's source\): (?:Cannot reach|Lost or could not open the connection to) the database at .*127\.0\.0\.1:1/,
            )
            expect((error as Error).message).not.toContain(PASSWORD)
            expect(JSON.stringify((error as DatabaseUnavailableError).details)).not.toContain(PASSWORD)
            expect(await rowCounts(store)).toEqual(before)
          })

          it('--dry-run reads, checks and reports everything and writes nothing', async () => {
            const before = await rowCounts(store)
            const report = await importPythonDatabase(store, {
              from: source().fixture.url,
              dryRun: true,
              statusCategories: { skipped: 'held' },
            })
            expect(report.dryRun).toBe(true)
            for (const [table, count] of Object.entries(MANIFEST[sourceDialect].row_counts)) {
              expect(report.tables.find((row) => row.table === table)?.rowsRead, table).toBe(count)
            }
            expect(report.tables.find((row) => row.table === 'extract_status_history')?.rowsWritten).toBe(
              MANIFEST[sourceDialect].extracts_total,
            )
            expect(report.mends.map((entry) => entry.kind)).toEqual(
              expect.arrayContaining([
                'sentinel-date',
                'latest-run',
                'duplicate-run-id',
                'second-active-run',
                'extract-status-history',
                'custom-status-category',
              ]),
            )
            expect(report.statusCategories.find((status) => status.status === 'skipped')?.category).toBe('held')
            expect(await rowCounts(store)).toEqual(before)
          })

          it("honours the source URL's TLS setting: an unsupported sslmode is refused, sslmode=disable reads", async () => {
            const before = await rowCounts(store)
            const withParam = (param: string) => `${source().fixture.url}${source().fixture.url.includes('?') ? '&' : '?'}${param}`
            const error = await importPythonDatabase(store, { from: withParam('sslmode=prefer'), dryRun: true }).catch(
              (caught: unknown) => caught,
            )
            expect(error).toBeInstanceOf(ConfigError)
            expect((error as ConfigError).message).toMatch(/sslmode=prefer, which processtracker does not support/)
            const report = await importPythonDatabase(store, {
              from: withParam(sourceDialect === 'mysql' ? 'ssl-mode=DISABLED' : 'sslmode=disable'),
              dryRun: true,
            })
            expect(report.tables.find((row) => row.table === 'process_tracking')?.rowsRead).toBe(MANIFEST[sourceDialect].runs_total)
            expect(await rowCounts(store)).toEqual(before)
          })

          it('refuses --status-category for a status the source lacks, or for a standard one; takes released', async () => {
            await expect(
              importPythonDatabase(store, { from: source().fixture.url, dryRun: true, statusCategories: { paused: 'held' } }),
            ).rejects.toThrow(/does not have: paused/)
            await expect(
              importPythonDatabase(store, { from: source().fixture.url, dryRun: true, statusCategories: { failed: 'succeeded' } }),
            ).rejects.toThrow(/standard process status/)
            // `released` (0.2) is a category a custom status may take, and a standard status of its own.
            const report = await importPythonDatabase(store, {
              from: source().fixture.url,
              dryRun: true,
              statusCategories: { skipped: 'released' },
            })
            expect(report.statusCategories.find((status) => status.status === 'skipped')).toEqual({
              status: 'skipped',
              category: 'released',
              custom: true,
            })
            await expect(
              importPythonDatabase(store, { from: source().fixture.url, dryRun: true, statusCategories: { released: 'failed' } }),
            ).rejects.toThrow(/standard process status/)
          })

          it('leaves the target unchanged when the source connection is killed half-way, and a rerun then imports', async () => {
            const before = await rowCounts(store)
            let killed = 0
            const error = await importPythonDatabase(store, {
              from: source().fixture.url,
              onProgress: async (progress) => {
                if (progress.table === 'process_tracking' && killed === 0) killed = await killSourceConnection(source().fixture)
              },
            }).catch((caught: unknown) => caught)
            expect(killed).toBe(1)
            expect(error).toBeInstanceOf(DatabaseUnavailableError)
            expect(await rowCounts(store)).toEqual(before)
            // Nothing was half-written: the same target takes the whole import afterwards.
            const report = await importPythonDatabase(store, { from: source().fixture.url, statusCategories: { skipped: 'failed' } })
            expect(report.tables.find((row) => row.table === 'process_tracking')?.rowsWritten).toBe(MANIFEST[sourceDialect].runs_total)
            const [skipped] = await rows(
              store,
              "select process_status_category from process_status_lkup where process_status_name = 'skipped'",
            )
            expect(skipped?.process_status_category).toBe('failed')
          })
        })

        describe(`into a ${targetDialect} target that already holds a run`, () => {
          let database: IsolatedDatabase | undefined
          let store: DataStore | undefined
          beforeAll(async () => {
            database = await createIsolatedDatabase(targetDialect)
            store = await database.open()
            await (await ProcessTracker.start(store, { processName: 'already here', processType: 'Extract' })).complete()
          })
          afterAll(async () => {
            await store?.close()
            await database?.drop()
          })

          it('is refused with "the target already holds runs", nothing changed', async () => {
            if (!store) throw new Error('opened in beforeAll')
            const before = await rowCounts(store)
            const error = await importPythonDatabase(store, { from: source().fixture.url }).catch((caught: unknown) => caught)
            expect(error).toBeInstanceOf(ConfigError)
            expect((error as Error).message).toMatch(/the target already holds runs \(1 runs of 1 processes\)/i)
            expect(await rowCounts(store)).toEqual(before)
          })
        })
      }
    })
  }
})
