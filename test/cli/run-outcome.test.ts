import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataStore, RunInfo } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore, type IsolatedDatabase } from '../support/dialects.ts'
import { cleanEnv, nodeCommand, startCli, storeArgs, tempHome, waitForFile, type CliResult } from './cli.ts'
import { runInProcess } from './in-process.ts'

/**
 * Holds the lock of one run row from another connection, so the wrapper's outcome write waits and
 * ends with PT_LOCK_TIMEOUT — the database is "briefly unreachable" for that run — until `release`.
 */
async function holdRunRow(database: IsolatedDatabase, trackingId: number): Promise<() => Promise<void>> {
  const { url, schema } = database.options
  if (database.dialect === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length))
    db.exec('BEGIN EXCLUSIVE')
    return () => {
      db.exec('ROLLBACK')
      db.close()
      return Promise.resolve()
    }
  }
  if (database.dialect === 'postgresql') {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    if (schema !== undefined) await client.query(`set search_path to "${schema}"`)
    await client.query('begin')
    await client.query('select 1 from process_tracking where process_tracking_id = $1 for update', [trackingId])
    return async () => {
      await client.query('rollback')
      await client.end()
    }
  }
  const conn = await mysql.createConnection(url)
  await conn.query('start transaction')
  await conn.query('select 1 from process_tracking where process_tracking_id = ? for update', [trackingId])
  return async () => {
    await conn.query('rollback')
    await conn.end()
  }
}

/**
 * The child's "I am running" marker (its tracking id); if the wrapper ends first, the test fails with
 * what it printed instead of waiting for a file that will never come.
 */
async function startedOrEnded(marker: string, result: Promise<CliResult>): Promise<string> {
  const ended = result.then((outcome) => {
    if (existsSync(marker)) return readFileSync(marker, 'utf8')
    throw new Error(`the wrapper ended (exit ${String(outcome.code)}) before its command started: ${outcome.stderr}`)
  })
  return Promise.race([waitForFile(marker, 2400), ended])
}

/** Resolves when the child's stderr contains `text`. */
function stderrContains(child: ReturnType<typeof startCli>['child'], text: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = ''
    child.stderr?.on('data', (chunk: Buffer | string) => {
      seen += chunk.toString()
      if (seen.includes(text)) resolve()
    })
  })
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: run — outcome retries, --kill-after, the recorded stderr`, () => {
    const isolated = useIsolatedStore(dialect)
    let database: IsolatedDatabase
    let store: DataStore
    let home: ReturnType<typeof tempHome>
    let env: NodeJS.ProcessEnv
    let pt: (...args: string[]) => Promise<CliResult>

    beforeAll(() => {
      database = isolated.database
      store = isolated.store
      home = tempHome()
      env = cleanEnv(home.path)
      // In-process through the program's entry; the other tests run the binary (startCli): a signal
      // to the wrapper, and a lock held from this process that a synchronous SQLite write would wait on.
      pt = (...args) => runInProcess([...storeArgs(database), ...args], { env })
    })
    afterAll(() => {
      home.dispose()
    })

    const file = (name: string) => join(home.path, `${dialect}-${name}`)
    const latest = async (processName: string): Promise<RunInfo> => {
      const [run] = await store.listRuns({ processName, limit: 1 })
      if (run === undefined) throw new Error(`no run of ${processName}`)
      return run
    }

    it('the stored error keeps the last whole stderr lines that fit, with "… N earlier lines cut" in front', async () => {
      const script = "for (let i = 1; i <= 120; i++) console.error('stderr line number ' + i); process.exit(5)"
      const result = await pt('run', '-p', 'noisy job', '--type', 'Load', '--', ...nodeCommand(script))
      expect(result.code).toBe(5)
      const description = (await latest('noisy job')).lastError?.description ?? ''
      const [summary, cut, ...kept] = description.split('\n')
      expect(summary).toBe('The command exited with code 5.')
      expect(kept.at(-1)).toBe('stderr line number 120')
      for (const line of kept) expect(line).toMatch(/^stderr line number \d+$/)
      expect(cut).toBe(`… ${120 - kept.length} earlier lines cut`)
      expect(Array.from(description).length).toBeLessThanOrEqual(750)
    })

    it('a command ignoring SIGTERM is killed after --kill-after; the run is failed, exit 137', async () => {
      const ready = file('stubborn-ready')
      const script = `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(ready)}, 'ready'); setInterval(() => {}, 1000)`
      const { child, result } = startCli(
        [...storeArgs(database), 'run', '-p', 'stubborn job', '--type', 'Load', '--kill-after', '1', '--', ...nodeCommand(script)],
        env,
      )
      await waitForFile(ready)
      child.kill('SIGTERM')
      const outcome = await result
      expect(outcome.code).toBe(137)
      const run = await latest('stubborn job')
      expect(run.status).toBe('failed')
      expect(run.lastError?.description).toContain('interrupted by SIGTERM')
      expect(run.lastError?.description).toContain('SIGKILL')
    })

    // Each waits out one lock timeout (10 s) besides Node starts: give them room on a loaded machine.
    it(
      'an outcome that cannot be written at first is retried until the database answers, then recorded',
      { timeout: 180_000 },
      async () => {
        const ready = file('retry-ready')
        const go = file('retry-go')
        const script =
          `const fs = require('fs'); fs.writeFileSync(${JSON.stringify(ready)}, process.env.PROCESS_TRACKER_TRACKING_ID);` +
          `const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) { clearInterval(t); process.exit(0) } }, 50)`
        const { child, result } = startCli(
          [...storeArgs(database), 'run', '-p', 'retried job', '--type', 'Load', '--heartbeat', '0', '--', ...nodeCommand(script)],
          env,
        )
        const retrying = stderrContains(child, 'retrying the outcome')
        const trackingId = Number(await startedOrEnded(ready, result))
        const release = await holdRunRow(database, trackingId)
        writeFileSync(go, 'go')
        await retrying
        await release()
        const outcome = await result
        expect(outcome.stderr).toContain('the data store is unreachable')
        expect(outcome.code).toBe(0)
        expect((await latest('retried job')).status).toBe('completed')
      },
    )

    it('past the retry window ($PROCESS_TRACKER_OUTCOME_RETRY_SECONDS) the wrapper gives up with 70', { timeout: 180_000 }, async () => {
      const ready = file('giveup-ready')
      const go = file('giveup-go')
      const script =
        `const fs = require('fs'); fs.writeFileSync(${JSON.stringify(ready)}, process.env.PROCESS_TRACKER_TRACKING_ID);` +
        `const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) { clearInterval(t); process.exit(0) } }, 50)`
      const { result } = startCli(
        [...storeArgs(database), 'run', '-p', 'abandoned job', '--type', 'Load', '--heartbeat', '0', '--', ...nodeCommand(script)],
        { ...env, PROCESS_TRACKER_OUTCOME_RETRY_SECONDS: '0' },
      )
      const trackingId = Number(await startedOrEnded(ready, result))
      const release = await holdRunRow(database, trackingId)
      writeFileSync(go, 'go')
      const outcome = await result
      await release()
      expect(outcome.code).toBe(70)
      expect(outcome.stderr).toContain(`Could not record the outcome of run 1 of abandoned job (tracking id ${trackingId})`)
      expect((await latest('abandoned job')).status).toBe('running')
      await store.failRun(trackingId)
    })
  })
}
