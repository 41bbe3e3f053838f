import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, type DataStore } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore, type IsolatedDatabase } from '../support/dialects.ts'
import { cleanEnv, storeArgs, tempHome, type CliResult } from './cli.ts'
import { runInProcess } from './in-process.ts'

/** A `runs --json` row as it arrives: dates are ISO strings. */
interface RunRow {
  processTrackingId: number
  processRunId: number
  processName: string
  status: string
  startDateTime: string
  endDateTime: string | null
  recordCount: number
  lastError: { errorType: string; description: string | null } | null
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: processtracker runs, why, reap, fail`, () => {
    const isolated = useIsolatedStore(dialect)
    let database: IsolatedDatabase
    let store: DataStore
    let home: ReturnType<typeof tempHome>
    let pt: (...args: string[]) => Promise<CliResult>

    beforeAll(() => {
      database = isolated.database
      store = isolated.store
      home = tempHome()
      const env = cleanEnv(home.path)
      pt = (...args) => runInProcess([...storeArgs(database), ...args], { env })
    })
    afterAll(() => {
      home.dispose()
    })

    it('runs --json is an array of listRuns rows, newest first, filtered and limited', async () => {
      const first = await ProcessTracker.start(store, { processName: 'listed job', processType: 'Extract' })
      await first.setRecordCount(12)
      await first.complete()
      const second = await ProcessTracker.start(store, { processName: 'listed job' })
      await second.raiseRunError('Data Error', { description: 'row 7 is broken', failRun: true }).catch(() => undefined)

      const result = await pt('--json', 'runs', '--process', 'listed job')
      expect(result.code).toBe(0)
      const rows = JSON.parse(result.stdout) as RunRow[]
      expect(rows.map((row) => [row.processRunId, row.status])).toEqual([
        [2, 'failed'],
        [1, 'completed'],
      ])
      expect(rows[0]?.processTrackingId).toBe(second.processTrackingId)
      expect(rows[0]?.lastError).toEqual({ errorType: 'Data Error', description: 'row 7 is broken' })
      expect(rows[1]?.recordCount).toBe(12)
      expect(new Date(rows[1]?.startDateTime ?? '').getTime()).not.toBeNaN()

      const limited = JSON.parse((await pt('--json', 'runs', '--process', 'listed job', '--limit', '1')).stdout) as RunRow[]
      expect(limited).toHaveLength(1)
      const failed = JSON.parse((await pt('--json', 'runs', '--status', 'failed', '--process', 'listed job')).stdout) as RunRow[]
      expect(failed.map((row) => row.processRunId)).toEqual([2])
      // An unknown process is an error, never an empty list (a monitor would read "no failures").
      const nobody = await pt('--json', 'runs', '--process', 'nobody')
      expect(nobody.code).toBe(1)
      expect(JSON.parse(nobody.stdout)).toMatchObject({ error: { code: 'PT_NOT_FOUND' } })
      expect((await pt('runs', '--limit', '0')).code).toBe(2)
    })

    it('runs prints a readable table without colours when not on a TTY', async () => {
      const result = await pt('runs', '--process', 'listed job')
      expect(result.code).toBe(0)
      const [header, ...lines] = result.stdout.trimEnd().split('\n')
      for (const heading of ['PROCESS', 'RUN', 'STATUS', 'STARTED', 'DURATION', 'RECORDS', 'LAST ERROR']) expect(header).toContain(heading)
      expect(lines).toHaveLength(2)
      expect(lines[0]).toMatch(/listed job\s+2\s+\d+\s+failed/)
      expect(lines[0]).toContain('Data Error: row 7 is broken')
      expect(result.stdout).not.toContain('\u001b[')
    })

    it('why exits 0 when a start would run and 3 when it would be refused, with the rule', async () => {
      const allowed = await pt('why', 'listed job')
      expect(allowed.code).toBe(0)
      expect(allowed.stdout).toContain('allowed')

      const run = await ProcessTracker.start(store, { processName: 'listed job' })
      const refused = await pt('why', 'listed job')
      expect(refused.code).toBe(3)
      expect(refused.stdout).toContain('running')
      expect(refused.stdout).toContain(String(run.processTrackingId))
      const json = await pt('--json', 'why', 'listed job')
      expect(json.code).toBe(3)
      expect(JSON.parse(json.stdout)).toMatchObject({ allowed: false, rule: 'running', blockingRunId: run.processTrackingId })
      await run.complete()
      expect(JSON.parse((await pt('--json', 'why', 'listed job')).stdout)).toMatchObject({ allowed: true, rule: null })

      const unknown = await pt('why', 'no such process')
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain('Error: The process no such process does not exist.')
      expect((await pt('why')).code).toBe(2)
    })

    it('fail --process ends the latest run of a stuck process; the next start runs', async () => {
      const stuck = await ProcessTracker.start(store, { processName: 'stuck job', processType: 'Load' })
      const result = await pt('fail', '--process', 'stuck job', '--reason', 'server rebooted')
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('failed')
      const [run] = await store.listRuns({ processName: 'stuck job', limit: 1 })
      expect(run?.processTrackingId).toBe(stuck.processTrackingId)
      expect(run?.status).toBe('failed')
      expect(run?.lastError).toEqual({ errorType: 'Process Error', description: 'server rebooted' })
      expect((await store.explain('stuck job')).allowed).toBe(true)

      const again = await pt('fail', '--process', 'stuck job')
      expect(again.code).toBe(1)
      expect(again.stderr).toMatch(/^Error: .*no longer active/m)
    })

    it('fail --tracking-id ends that run; bad combinations are usage errors', async () => {
      const stuck = await ProcessTracker.start(store, { processName: 'stuck by id', processType: 'Load' })
      const result = await pt('--json', 'fail', '--tracking-id', String(stuck.processTrackingId))
      expect(result.code).toBe(0)
      const row = JSON.parse(result.stdout) as RunRow
      expect(row.status).toBe('failed')
      expect(row.lastError?.description).toBe('Failed by hand.')
      expect((await pt('fail')).code).toBe(2)
      expect((await pt('fail', '--process', 'a', '--tracking-id', '1')).code).toBe(2)
      const missing = await pt('fail', '--process', 'never existed')
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain('does not exist')
    })

    it('reap fails the runs whose heartbeat stopped', async () => {
      const silent = await ProcessTracker.start(store, { processName: 'silent job', processType: 'Load', heartbeatTimeoutSeconds: 1 })
      // Poll until the run has outlived its timeout by the database's clock; no timing assertion.
      let reaped: RunRow[] = []
      for (let attempt = 0; attempt < 40 && reaped.length === 0; attempt += 1) {
        const result = await pt('--json', 'reap')
        expect(result.code).toBe(0)
        reaped = JSON.parse(result.stdout) as RunRow[]
        if (reaped.length === 0) await new Promise((resolve) => setTimeout(resolve, 250))
      }
      expect(reaped.map((run) => run.processTrackingId)).toEqual([silent.processTrackingId])
      expect((await store.listRuns({ processName: 'silent job', limit: 1 }))[0]?.status).toBe('failed')
      const nothing = await pt('reap')
      expect(nothing.code).toBe(0)
      expect(nothing.stderr).toContain('No stale runs.')
    })
  })
}
