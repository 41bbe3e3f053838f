import { existsSync } from 'node:fs'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, type DataStore } from '../../src/index.ts'
import { DIALECTS, MYSQL_URL, POSTGRES_URL, useIsolatedStore, type IsolatedDatabase } from '../support/dialects.ts'
import { SCHEMA_VERSION } from '../../src/store/migrations/index.ts'
import type { CliResult } from './cli.ts'
import { inProcessCli, runInProcess } from './in-process.ts'

/** A `runs --json` row as it arrives. */
interface RunRow {
  processTrackingId: number
  processRunId: number
  processName: string
  status: string
  stale: boolean
}

/** Polls until a run is stale by the database's clock (no timing assertion: only the outcome is checked). */
async function untilStale(store: DataStore, trackingId: number): Promise<void> {
  for (let poll = 0; poll < 100; poll += 1) {
    if ((await store.getRun(trackingId)).stale) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`run ${trackingId} never went stale`)
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: seeing the store (info, processes, show, graph, runs, release)`, () => {
    const isolated = useIsolatedStore(dialect)
    let database: IsolatedDatabase
    let store: DataStore
    let pt: (...args: string[]) => Promise<CliResult>

    beforeAll(async () => {
      database = isolated.database
      store = isolated.store
      pt = inProcessCli(database)
      // A small pipeline: extract (completed) → load (failed twice) → report (never run), plus a Soft link.
      await store.defineProcess({ processName: 'See Extract', processType: 'Extract' })
      await store.defineProcess({ processName: 'See Load', processType: 'Load' })
      await store.defineProcess({ processName: 'See Report', processType: 'Report' })
      await store.addProcessDependency('See Extract', 'See Load')
      await store.addProcessDependency('See Load', 'See Report', { type: 'Soft' })
      const extract = await ProcessTracker.start(store, { processName: 'See Extract' })
      await extract.setRecordCount(10)
      await extract.complete()
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const load = await ProcessTracker.start(store, { processName: 'See Load' })
        await load.raiseRunError('Data Error', { description: `row ${attempt} broken`, failRun: true }).catch(() => undefined)
      }
    })

    it('info names the store (password masked), the rule that chose it, the settings, schema version and counts', async () => {
      const text = await pt('info')
      expect(text.code).toBe(0)
      expect(text.stdout).toContain('Chosen by:')
      expect(text.stdout).toContain('the --url option')
      expect(text.stdout).toMatch(/max_concurrent_failures:\s+5 \(default\)/)
      const json = await pt('--json', 'info')
      const info = JSON.parse(json.stdout) as {
        store: { source: string; dialect: string; url: string }
        schemaVersion: number
        counts: { processes: number; runs: number }
      }
      expect(info.store.source).toBe('url')
      expect(info.store.dialect).toBe(dialect)
      expect(info.schemaVersion).toBe(SCHEMA_VERSION)
      expect(info.counts.processes).toBe(3)
      expect(info.counts.runs).toBe(3)
    })

    it('info masks the password of the URL and says where a setting came from', async () => {
      if (dialect !== 'sqlite') {
        const withPassword = database.options.url.replace(/:\/\/[^@/]*@?/, '://pt_user:pt_s3cret@')
        // A wrong user cannot connect: the error still never shows the password.
        const result = await runInProcess(['--url', withPassword, 'info'])
        expect(result.code).toBe(1)
        expect(result.stderr + result.stdout).not.toContain('pt_s3cret')
      }
      const env = await pt('info')
      expect(env.stdout).not.toMatch(/:[^@/\s]+@/)
      const fromEnv = await inProcessCli(database, { env: { PROCESS_TRACKER_MAX_CONCURRENT_FAILURES: '7' } })('--json', 'info')
      const settings = (JSON.parse(fromEnv.stdout) as { settings: Record<string, { value: string; source: string }> }).settings
      expect(settings.max_concurrent_failures).toEqual({ value: '7', source: 'env PROCESS_TRACKER_MAX_CONCURRENT_FAILURES' })
    })

    it('processes lists every process with its state; --state and --filter narrow it; a bad --state is a usage error', async () => {
      const all = await pt('processes')
      expect(all.code).toBe(0)
      expect(all.stdout).toMatch(/See Extract\s+completed/)
      expect(all.stdout).toMatch(/See Load\s+failed/)
      expect(all.stdout).toMatch(/See Report\s+never-run/)
      const failed = JSON.parse((await pt('--json', 'processes', '--state', 'failed')).stdout) as {
        processName: string
        failureStreak: number
      }[]
      expect(failed.map((p) => [p.processName, p.failureStreak])).toEqual([['See Load', 2]])
      const filtered = JSON.parse((await pt('--json', 'processes', '--filter', 'Rep')).stdout) as { processName: string }[]
      expect(filtered.map((p) => p.processName)).toEqual(['See Report'])
      expect((await pt('processes', '--state', 'sleeping')).code).toBe(2)
    })

    it('graph prints the dependencies with each state as text, dot and mermaid', async () => {
      const text = await pt('graph')
      expect(text.code).toBe(0)
      expect(text.stdout).toContain('See Extract [completed]\n└─ See Load [failed]\n   └─ See Report [never-run] (Soft)')
      const dot = (await pt('graph', '--format', 'dot')).stdout
      expect(dot).toMatch(/^digraph processtracker \{/)
      expect(dot).toContain('"See Extract" -> "See Load";')
      expect(dot).toContain('"See Load" -> "See Report" [style=dashed];')
      const mermaid = (await pt('graph', '--format', 'mermaid')).stdout
      expect(mermaid).toMatch(/^flowchart LR/)
      expect(mermaid).toMatch(/p\d --> p\d/)
      expect(mermaid).toMatch(/p\d -\.-> p\d/)
      expect((await pt('graph', '--format', 'png')).code).toBe(2)
    })

    it('show prints one run: its fields, every error and its extracts; an unknown id is exit 1', async () => {
      const [failed] = await store.listRuns({ processName: 'See Load', limit: 1 })
      if (failed === undefined) throw new Error('no run')
      const result = await pt('show', String(failed.processTrackingId))
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(`Run 2 of See Load (tracking id ${failed.processTrackingId})`)
      expect(result.stdout).toContain('Data Error: row 1 broken')
      expect(result.stdout).toContain('Errors (1)')
      const json = JSON.parse((await pt('--json', 'show', String(failed.processTrackingId))).stdout) as {
        run: { status: string }
        errors: unknown[]
      }
      expect(json.run.status).toBe('failed')
      expect(json.errors).toHaveLength(1)
      const missing = await pt('show', '999999')
      expect(missing.code).toBe(1)
      expect((await pt('show', 'abc')).code).toBe(2)
    })

    it('runs: unknown --status/--process are errors with suggestions, never "No runs found."', async () => {
      const status = await pt('runs', '--status', 'Failed')
      expect(status.code).toBe(1)
      expect(status.stderr).toContain("did you mean 'failed'?")
      expect(status.stderr).not.toContain('No runs found')
      const bogus = await pt('--json', 'runs', '--status', 'bogus')
      expect(bogus.code).toBe(1)
      expect(JSON.parse(bogus.stdout)).toMatchObject({ error: { code: 'PT_INVALID_STATUS' } })
      const process = await pt('runs', '--process', 'See Lod')
      expect(process.code).toBe(1)
      expect(process.stderr).toContain("did you mean 'See Load'?")
      const json = await pt('--json', 'runs', '--process', 'See Lod')
      expect(JSON.parse(json.stdout)).toEqual({
        error: {
          code: 'PT_NOT_FOUND',
          message: expect.stringContaining("did you mean 'See Load'?") as unknown,
          details: expect.objectContaining({ suggestions: ['See Load'] }) as unknown,
        },
      })
    })

    it('runs --since/--until/--before page through history; a non-existent date is a usage error naming the option', async () => {
      const all = JSON.parse((await pt('--json', 'runs')).stdout) as RunRow[]
      expect(all).toHaveLength(3)
      expect(JSON.parse((await pt('--json', 'runs', '--since', '2000-01-01')).stdout)).toHaveLength(3)
      expect(JSON.parse((await pt('--json', 'runs', '--until', '2000-01-01')).stdout)).toEqual([])
      const newest = all[0]?.processTrackingId ?? 0
      const older = JSON.parse((await pt('--json', 'runs', '--before', String(newest))).stdout) as RunRow[]
      expect(older.map((run) => run.processTrackingId)).toEqual(all.slice(1).map((run) => run.processTrackingId))
      const bad = await pt('runs', '--since', '2024-02-30')
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('--since')
    })

    it('runs marks a stale run, shows the end time, and cuts long names to the terminal width', async () => {
      const long = `Stale ${'x'.repeat(120)}`
      const run = await ProcessTracker.start(store, { processName: long, processType: 'Load', heartbeatTimeoutSeconds: 1 })
      await untilStale(store, run.processTrackingId)
      const wide = await pt('runs', '--process', long)
      expect(wide.stdout).toMatch(/running, heartbeat lost \d+[smhd] ago/)
      expect(wide.stdout).toContain('ENDED')
      expect(wide.stdout).toContain(long) // not a terminal: whole names
      const narrow = await inProcessCli(database, { columns: 100 })('runs', '--process', long)
      expect(narrow.stdout).not.toContain(long)
      expect(narrow.stdout).toContain('Stale xxx')
      expect(narrow.stdout).toContain('…')
      await store.failRun(run.processTrackingId)
    })

    it('release releases a hold in CLI words; why prints the release command once', async () => {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const run = await ProcessTracker.start(store, { processName: 'Held Job', processType: 'Load' })
        await run.fail()
      }
      const why = await pt('why', 'Held Job')
      expect(why.code).toBe(3)
      expect(why.stdout.split('processtracker release').length - 1).toBe(1)
      expect(why.stdout).toContain('processtracker release "Held Job"')
      expect(why.stdout).toMatch(/Blocking run: run 6 of Held Job \(tracking id \d+\)\./)
      expect(why.stdout + why.stderr).not.toContain('store.')
      const refused = await runInProcess([
        ...(database.options.schema ? ['--schema', database.options.schema] : []),
        '--url',
        database.options.url,
        'run',
        '-p',
        'Held Job',
        '--',
        'true',
      ])
      expect(refused.code).toBe(3)
      expect(refused.stderr).toContain('processtracker release "Held Job"')
      expect(refused.stderr).not.toContain('store.releaseHold')
      const released = await pt('release', 'Held Job')
      expect(released.code).toBe(0)
      expect(released.stderr).toMatch(/Released Held Job: run 6 of Held Job \(tracking id \d+\) is now released/)
      const again = await pt('--json', 'release', 'Held Job')
      expect(again.code).toBe(1)
      expect(JSON.parse(again.stdout)).toMatchObject({ error: { code: 'PT_NOT_FOUND', message: 'The process Held Job is not on hold.' } })
    })

    it('--debug prints the connection resolution on stderr, password masked', async () => {
      const result = await pt('--debug', 'processes', '--filter', 'See')
      expect(result.code).toBe(0)
      expect(result.stderr).toMatch(/processtracker debug: store .* chosen by the --url option/)
    })
  })

  describe(`${dialect}: reading never creates`, () => {
    it('runs, info, processes, show, graph, why and extracts list refuse a store that does not exist, creating nothing', async () => {
      let args: string[]
      let exists: () => Promise<boolean>
      let cleanup = async () => {}
      if (dialect === 'sqlite') {
        const folder = join('/tmp', `pt-missing-${process.pid}-${Date.now()}`, 'nested')
        args = ['--url', `sqlite:${join(folder, 'x.db')}`]
        exists = () => Promise.resolve(existsSync(folder))
      } else if (dialect === 'postgresql') {
        const schema = `pt_missing_${Date.now().toString(36)}`
        args = ['--url', POSTGRES_URL ?? '', '--schema', schema]
        exists = async () => {
          const client = new pg.Client({ connectionString: POSTGRES_URL })
          await client.connect()
          try {
            const result = await client.query('select 1 from information_schema.schemata where schema_name = $1', [schema])
            return result.rowCount !== 0
          } finally {
            await client.end()
          }
        }
      } else {
        const name = `pt_empty_${Date.now().toString(36)}`
        const admin = await mysql.createConnection(MYSQL_URL ?? '')
        await admin.query(`create database \`${name}\``)
        await admin.end()
        const url = new URL(MYSQL_URL ?? '')
        url.pathname = `/${name}`
        args = ['--url', url.toString()]
        exists = async () => {
          const conn = await mysql.createConnection(url.toString())
          try {
            const [rows] = await conn.query('show tables')
            return (rows as unknown[]).length > 0
          } finally {
            await conn.end()
          }
        }
        cleanup = async () => {
          const conn = await mysql.createConnection(MYSQL_URL ?? '')
          await conn.query(`drop database if exists \`${name}\``)
          await conn.end()
        }
      }
      try {
        for (const command of [['runs'], ['info'], ['processes'], ['show', '1'], ['graph'], ['why', 'x'], ['extracts', 'list']]) {
          const result = await runInProcess([...args, ...command])
          expect(result.code, command.join(' ')).toBe(1)
          expect(result.stderr).toContain('processtracker setup')
        }
        expect(await exists()).toBe(false)
      } finally {
        await cleanup()
      }
    })
  })
}
