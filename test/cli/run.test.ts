import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, type DataStore, type RunInfo } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore, type IsolatedDatabase } from '../support/dialects.ts'
import { BIN, cleanEnv, nodeCommand, requireBuild, stackLines, startCli, storeArgs, tempHome, waitForFile, type CliResult } from './cli.ts'
import { runInProcess } from './in-process.ts'

for (const dialect of DIALECTS) {
  describe(`${dialect}: processtracker run and report`, () => {
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
      // In-process through the program's entry; the SIGTERM tests run the binary, since the signal
      // goes to the wrapper's own process.
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

    it('a command that exits 0 completes the run; the child sees its run and the store', async () => {
      const seen = file('env.json')
      const script = `require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(process.env)); console.log('to stdout')`
      const result = await pt(
        'run',
        '-p',
        'ok job',
        '--type',
        'Extract',
        '--actor',
        'cron',
        '--source',
        'A',
        '--source',
        'B',
        '--target',
        'W',
        '--',
        ...nodeCommand(script),
      )
      expect(result.code).toBe(0)
      expect(result.stdout).toBe('to stdout\n')
      const run = await latest('ok job')
      expect(run.status).toBe('completed')
      expect(run.actorName).toBe('cron')
      const childEnv = JSON.parse(readFileSync(seen, 'utf8')) as Record<string, string>
      expect(childEnv.PROCESS_TRACKER_TRACKING_ID).toBe(String(run.processTrackingId))
      expect(childEnv.PROCESS_TRACKER_PROCESS_NAME).toBe('ok job')
      expect(childEnv.PROCESS_TRACKER_DATABASE_URL).toBe(database.options.url)
      if (database.options.schema !== undefined) expect(childEnv.PROCESS_TRACKER_SCHEMA).toBe(database.options.schema)
      const resumed = await ProcessTracker.resume(store, run.processTrackingId)
      expect([...resumed.sources]).toEqual(['A', 'B'])
      expect([...resumed.targets]).toEqual(['W'])
    })

    it('a failing command fails the run with its exit code and last stderr lines; the wrapper exits with its code', async () => {
      const script = "for (let i = 1; i <= 30; i++) console.error('line ' + i); process.exit(7)"
      const result = await pt('run', '-p', 'bad job', '--type', 'Load', '--', ...nodeCommand(script))
      expect(result.code).toBe(7)
      expect(result.stderr).toContain('line 1\n') // copied through as it came
      const run = await latest('bad job')
      expect(run.status).toBe('failed')
      expect(run.lastError?.errorType).toBe('Process Error')
      const description = run.lastError?.description ?? ''
      expect(description).toContain('exited with code 7')
      expect(description).toContain('line 30')
      // Whole lines that fit in 750 characters: these 30 short lines all do, nothing is cut.
      expect(description).toContain('\nline 1\n')
      expect(description).not.toContain('earlier lines cut')
      expect(Array.from(description).length).toBeLessThanOrEqual(750)
    })

    it('a command that cannot be started fails the run, exit 127', async () => {
      const result = await pt('run', '-p', 'missing job', '--type', 'Load', '--', join(home.path, 'no-such-program'))
      expect(result.code).toBe(127)
      expect((await latest('missing job')).status).toBe('failed')
    })

    it('a command killed by a signal fails the run; the wrapper exits 128 + N', async () => {
      const result = await pt('run', '-p', 'killed job', '--type', 'Load', '--', ...nodeCommand("process.kill(process.pid, 'SIGKILL')"))
      expect(result.code).toBe(137)
      const run = await latest('killed job')
      expect(run.status).toBe('failed')
      expect(run.lastError?.description).toContain('SIGKILL')
    })

    it('SIGTERM to the wrapper is forwarded; the run is failed even when the command then exits 0', async () => {
      const ready = file('term-ready')
      const got = file('term-got')
      const script =
        `const fs = require('fs'); process.on('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(got)}, 'SIGTERM'); process.exit(0) });` +
        `fs.writeFileSync(${JSON.stringify(ready)}, 'ready'); setInterval(() => {}, 1000)`
      const { child, result } = startCli(
        [...storeArgs(database), 'run', '-p', 'term job', '--type', 'Load', '--', ...nodeCommand(script)],
        env,
      )
      await waitForFile(ready)
      child.kill('SIGTERM')
      const outcome = await result
      expect(readFileSync(got, 'utf8')).toBe('SIGTERM')
      expect(outcome.code).toBe(143)
      const run = await latest('term job')
      expect(run.status).toBe('failed')
      expect(run.lastError?.description).toContain('interrupted by SIGTERM')
    })

    it('a command that dies of the forwarded SIGTERM: run failed, exit 143', async () => {
      const ready = file('die-ready')
      const script = `require('fs').writeFileSync(${JSON.stringify(ready)}, 'ready'); setInterval(() => {}, 1000)`
      const { child, result } = startCli(
        [...storeArgs(database), 'run', '-p', 'die job', '--type', 'Load', '--', ...nodeCommand(script)],
        env,
      )
      await waitForFile(ready)
      child.kill('SIGTERM')
      const outcome = await result
      expect(outcome.code).toBe(143)
      const run = await latest('die job')
      expect(run.status).toBe('failed')
      expect(run.lastError?.description).toContain('interrupted by SIGTERM')
    })

    it('a refused start exits 3 with the reason and does not run the command', async () => {
      const running = await ProcessTracker.start(store, { processName: 'busy job', processType: 'Load' })
      const marker = file('refused-marker')
      const result = await pt(
        'run',
        '-p',
        'busy job',
        '--',
        ...nodeCommand(`require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`),
      )
      expect(result.code).toBe(3)
      expect(result.stderr).toContain('Error: The process busy job is currently running.')
      expect(stackLines(result.stderr)).toEqual([])
      expect(existsSync(marker)).toBe(false)
      await running.complete()

      // Blocked by a dependency: the same.
      const parent = await ProcessTracker.start(store, { processName: 'busy parent', processType: 'Extract' })
      await store.addProcessDependency('busy parent', 'busy job')
      const blocked = await pt(
        'run',
        '-p',
        'busy job',
        '--',
        ...nodeCommand(`require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`),
      )
      expect(blocked.code).toBe(3)
      expect(blocked.stderr).toContain('Processes that this process is dependent on are running or failed.')
      expect(existsSync(marker)).toBe(false)
      await parent.complete()
    })

    it('a new process without --type is a clear error, and nothing runs', async () => {
      const result = await pt('run', '-p', 'typeless job', '--', ...nodeCommand('process.exit(0)'))
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('give --type')
      expect(await store.getProcess('typeless job')).toBeNull()
      const noCommand = await pt('run', '-p', 'typeless job', '--type', 'Load')
      expect(noCommand.code).toBe(2)
    })

    it('a child records counts, dates and an error with report', async () => {
      requireBuild() // the child calls the binary
      const reporter = [
        `const { execFileSync } = require('child_process');`,
        `const pt = (...args) => execFileSync(process.execPath, [${JSON.stringify(BIN)}, ...args], { stdio: 'inherit' });`,
        `pt('report', '--records', '42');`,
        `pt('report', '--low', '2020-01-01', '--high', '2020-12-31T23:59:59Z');`,
        `pt('report', '--error', 'Data Error: row 42 out of range');`,
      ].join('\n')
      const result = await pt('run', '-p', 'reporting job', '--type', 'Load', '--heartbeat', '0', '--', ...nodeCommand(reporter))
      expect(result.stderr).not.toContain('Error:')
      expect(result.code).toBe(0)
      const run = await latest('reporting job')
      expect(run.status).toBe('completed')
      expect(run.recordCount).toBe(42)
      expect(run.lowDateTime?.toISOString()).toBe('2020-01-01T00:00:00.000Z')
      expect(run.highDateTime?.toISOString()).toBe('2020-12-31T23:59:59.000Z')
      const errors = await store.listRunErrors(run.processTrackingId)
      expect(errors).toEqual([expect.objectContaining({ errorType: 'Data Error', description: 'row 42 out of range' })])
    })

    it('report by --tracking-id, with --json; bad input is a usage error; a finished run refuses', async () => {
      const run = await ProcessTracker.start(store, { processName: 'reported job', processType: 'Load' })
      const json = await pt('--json', 'report', '--tracking-id', String(run.processTrackingId), '--records', '7')
      expect(json.code).toBe(0)
      expect((JSON.parse(json.stdout) as RunInfo).recordCount).toBe(7)
      expect((await pt('report', '--records', '7')).code).toBe(2) // no run id anywhere
      expect((await pt('report', '--tracking-id', String(run.processTrackingId))).code).toBe(2) // nothing to report
      expect((await pt('report', '--tracking-id', String(run.processTrackingId), '--error', 'no colon')).code).toBe(2)
      expect((await pt('report', '--tracking-id', String(run.processTrackingId), '--low', 'yesterday')).code).toBe(2)
      await run.complete()
      const late = await pt('report', '--tracking-id', String(run.processTrackingId), '--records', '8')
      expect(late.code).toBe(1)
      expect(late.stderr).toMatch(/^Error: .*no longer active/m)
    })
  })
}
