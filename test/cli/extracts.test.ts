import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, type DataStore } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import type { CliResult } from './cli.ts'
import { inProcessCli } from './in-process.ts'

interface Brief {
  extractId: number
  filename: string
  fullFilename: string
  status: string
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: processtracker extracts`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    let pt: (...args: string[]) => Promise<CliResult>
    let folder: string
    let writer: ProcessTracker
    let reader: ProcessTracker

    beforeAll(async () => {
      store = isolated.store
      pt = inProcessCli(isolated.database)
      folder = mkdtempSync(join(tmpdir(), 'pt-extracts-'))
      for (const name of ['a.csv', 'b.csv', 'c.csv.part', 'notes.txt']) writeFileSync(join(folder, name), name)
      writer = await ProcessTracker.start(store, { processName: 'Files Extract', processType: 'Extract' })
      reader = await ProcessTracker.start(store, { processName: 'Files Load', processType: 'Load' })
    })
    afterAll(() => {
      rmSync(folder, { recursive: true, force: true })
    })

    it('register takes the run from --tracking-id or the environment, and filters with --include/--exclude', async () => {
      expect((await pt('extracts', 'register', folder)).code).toBe(2) // no run anywhere
      const result = await pt(
        '--json',
        'extracts',
        'register',
        folder,
        '--include',
        '*.csv*',
        '--exclude',
        '*.part',
        '--tracking-id',
        String(writer.processTrackingId),
      )
      expect(result.code).toBe(0)
      const registered = JSON.parse(result.stdout) as Brief[]
      expect(registered.map((extract) => extract.filename).sort()).toEqual(['a.csv', 'b.csv'])
      expect(registered.every((extract) => extract.status === 'ready')).toBe(true)
      const viaEnv = await inProcessCli(isolated.database, { env: { PROCESS_TRACKER_TRACKING_ID: String(writer.processTrackingId) } })(
        'extracts',
        'register',
        folder,
        '--include',
        'notes.*',
      )
      expect(viaEnv.code).toBe(0)
      expect(viaEnv.stderr).toContain(`Registered 1 file in ${folder} (1 ready) for tracking id ${writer.processTrackingId}.`)
      // On a terminal the registration shows progress, ending with a check mark.
      const onTerminal = await inProcessCli(isolated.database, { stderrTTY: true })(
        'extracts',
        'register',
        folder,
        '--include',
        '*.csv',
        '--tracking-id',
        String(writer.processTrackingId),
      )
      expect(onTerminal.code).toBe(0)
      expect(onTerminal.stderr).toMatch(/✔ Registering the files in .* \d+\.\ds\n/)
    })

    it('list filters by location, status, filename and process; an unknown status is an error with a suggestion', async () => {
      const all = JSON.parse((await pt('--json', 'extracts', 'list', '--location', folder)).stdout) as Brief[]
      expect(all.map((extract) => extract.filename).sort()).toEqual(['a.csv', 'b.csv', 'notes.txt'])
      const csv = JSON.parse((await pt('--json', 'extracts', 'list', '--filename', '.csv', '--process', 'Files Extract')).stdout) as Brief[]
      expect(csv.map((extract) => extract.filename).sort()).toEqual(['a.csv', 'b.csv'])
      const table = await pt('extracts', 'list', '--status', 'ready')
      expect(table.stdout).toMatch(/ID\s+STATUS\s+LOCATION/)
      const typo = await pt('extracts', 'list', '--status', 'Ready')
      expect(typo.code).toBe(1)
      expect(typo.stderr).toContain("did you mean 'ready'?")
    })

    it('claim moves ready extracts to loading for the run and prints id and path; status changes them in one go', async () => {
      await writer.complete()
      const claim = await pt('extracts', 'claim', '--location', folder, '--limit', '2', '--tracking-id', String(reader.processTrackingId))
      expect(claim.code).toBe(0)
      const lines = claim.stdout.trim().split('\n')
      expect(lines).toHaveLength(2)
      const ids = lines.map((line) => line.split('\t')[0] ?? '')
      for (const line of lines) expect(line).toMatch(new RegExp(`^\\d+\\t${folder}/`))
      const history = await store.listExtractHistory(Number(ids[0]))
      expect(history.at(-1)).toMatchObject({ status: 'loading', processTrackingId: reader.processTrackingId })

      const changed = await pt(
        '--json',
        'extracts',
        'status',
        '--status',
        'loaded',
        ...ids,
        '--tracking-id',
        String(reader.processTrackingId),
      )
      expect(changed.code).toBe(0)
      expect((JSON.parse(changed.stdout) as Brief[]).map((extract) => extract.status)).toEqual(['loaded', 'loaded'])
      const bad = await pt('extracts', 'status', '--status', 'Loaded', ids[0] ?? '', '--tracking-id', String(reader.processTrackingId))
      expect(bad.code).toBe(1)
      expect(bad.stderr).toContain("did you mean 'loaded'?")
      expect((await pt('extracts', 'status', '--status', 'loaded', 'x1', '--tracking-id', '1')).code).toBe(2)
      await reader.complete()
    })
  })
}
