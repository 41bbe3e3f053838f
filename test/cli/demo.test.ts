import { existsSync, readdirSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataStore } from '../../src/index.ts'
import { cleanEnv, tempHome } from './cli.ts'
import { runInProcess } from './in-process.ts'

/** The demo always uses its own temporary SQLite store, so it runs once, not per dialect. */
describe('processtracker demo', () => {
  let home: ReturnType<typeof tempHome>
  let env: NodeJS.ProcessEnv

  beforeAll(() => {
    home = tempHome()
    // A store in the environment that the demo must leave alone.
    env = cleanEnv(home.path, { PROCESS_TRACKER_DATABASE_URL: 'postgres://nobody:pw@127.0.0.1:1/none' })
  })
  afterAll(() => {
    home.dispose()
  })

  it('runs the tour and exits 0: extracts between processes, dependency refusal, on hold and release, the runs table', async () => {
    const result = await runInProcess(['demo'], { env })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const out = result.stdout
    expect(out).toContain('Processes that this process is dependent on are running or failed.')
    expect(out).toContain('files registered as ready extracts')
    expect(out).toContain('claimed and loaded 3 files')
    expect(out).toContain('went back to ready')
    expect(out).toMatch(/Demo Report run \d+ completed: .*\(from wins-2\.csv\)/)
    expect(out).toContain('is currently on hold')
    expect(out).toContain('processtracker release "Demo Report"')
    expect(out).not.toContain('store.releaseHold')
    expect(out).toMatch(/PROCESS\s+RUN\s+TRACKING ID\s+STATUS/)
    for (const name of ['Demo Extract', 'Demo Load', 'Demo Report']) expect(out).toContain(name)
    expect(readdirSync(home.path)).toEqual([]) // nothing written to HOME
  })

  it('--keep keeps the store and prints its path', async () => {
    const result = await runInProcess(['demo', '--keep'], { env })
    expect(result.code).toBe(0)
    const path = /The store is kept: (.+)$/m.exec(result.stdout)?.[1]
    expect(path).toBeDefined()
    if (path === undefined) return
    try {
      expect(existsSync(path)).toBe(true)
      const store = await DataStore.open({ url: `sqlite:${path}`, env: {}, homeDir: home.path })
      try {
        const runs = await store.listRuns({ limit: 100 })
        expect(runs.some((run) => run.status === 'failed')).toBe(true)
        expect(runs.some((run) => run.processName === 'Demo Report' && run.status === 'completed')).toBe(true)
      } finally {
        await store.close()
      }
    } finally {
      rmSync(dirname(path), { recursive: true, force: true })
    }
  })

  it('--json prints the runs as JSON only', async () => {
    const result = await runInProcess(['--json', 'demo'], { env })
    expect(result.code).toBe(0)
    const parsed = JSON.parse(result.stdout) as { store: string | null; runs: unknown[] }
    expect(parsed.store).toBeNull()
    expect(parsed.runs.length).toBeGreaterThan(5)
  })
})
