import { beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, type DataStore } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import type { CliResult } from './cli.ts'
import { inProcessCli, runInProcess } from './in-process.ts'

for (const dialect of DIALECTS) {
  describe(`${dialect}: operating (fail --force, setup --yes, create, delete, option errors, report)`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    let pt: (...args: string[]) => Promise<CliResult>

    beforeAll(() => {
      store = isolated.store
      pt = inProcessCli(isolated.database)
    })

    it('fail refuses a run whose worker still beats (exit 3, a worker is alive) unless --force', async () => {
      const run = await ProcessTracker.start(store, { processName: 'Beating Job', processType: 'Load', heartbeatTimeoutSeconds: 3600 })
      await run.heartbeat()
      const refused = await pt('fail', '--process', 'Beating Job')
      expect(refused.code).toBe(3)
      expect(refused.stderr).toContain('worker still alive')
      expect(refused.stderr).toContain('--force')
      expect((await store.getRun(run.processTrackingId)).status).toBe('running')
      const forced = await pt('fail', '--tracking-id', String(run.processTrackingId), '--force')
      expect(forced.code).toBe(0)
      expect(forced.stderr).toContain(`Failed run 1 of Beating Job (tracking id ${run.processTrackingId}).`)
      // A run without a heartbeat timeout has no worker to protect.
      const silent = await ProcessTracker.start(store, { processName: 'Silent Job', processType: 'Load' })
      expect((await pt('fail', '--tracking-id', String(silent.processTrackingId))).code).toBe(0)
    })

    it('setup --overwrite needs --yes when there is no terminal to ask on; with --yes it erases', async () => {
      const refused = await pt('setup', '-o')
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('--yes')
      expect(await store.getProcess('Beating Job')).not.toBeNull()
      // A terminal that answers "n" changes nothing either.
      const { PassThrough } = await import('node:stream')
      const stdin = Object.assign(new PassThrough(), { isTTY: true })
      const stderr = {
        text: '',
        isTTY: true,
        write(text: string) {
          this.text += text
          return true
        },
      }
      const stdout = { write: () => true }
      const args = [
        '--url',
        isolated.database.options.url,
        ...(isolated.database.options.schema ? ['--schema', isolated.database.options.schema] : []),
        'setup',
        '--overwrite',
      ]
      const { runCli } = await import('../../src/cli/program.ts')
      const answered = runCli(args, { stdout, stderr, stdin, env: { NO_COLOR: '1' } })
      stdin.end('n\n')
      expect(await answered).toBe(1)
      expect(stderr.text).toContain('ALL tracking history')
      expect(await store.getProcess('Beating Job')).not.toBeNull()
    })

    it('create of an existing Soft dependency with --type Hard updates it, and says so', async () => {
      await store.defineProcess({ processName: 'Dep Parent', processType: 'Extract' })
      await store.defineProcess({ processName: 'Dep Child', processType: 'Load' })
      expect((await pt('create', '-t', 'process dependency', '-p', 'Dep Parent', '-c', 'Dep Child', '--type', 'Soft')).code).toBe(0)
      const updated = await pt('--json', 'create', '-t', 'process dependency', '-p', 'Dep Parent', '-c', 'Dep Child', '--type', 'Hard')
      expect(updated.code).toBe(0)
      expect(JSON.parse(updated.stdout)).toMatchObject({ action: 'update', type: 'Hard' })
      expect((await store.getProcessView('Dep Child')).parents).toEqual([{ processName: 'Dep Parent', type: 'Hard' }])
      const typo = await pt('create', '-t', 'process dependency', '-p', 'Dep Parent', '-c', 'Dep Child', '--type', 'hard')
      expect(typo.code).toBe(1)
      expect(typo.stderr).toContain("did you mean 'Hard'?")
      const help = await runInProcess(['create', '--help'])
      expect(help.stdout).toMatch(/its type is\s+updated/)
    })

    it('delete -t "process run" says what to do instead of calling itself a protected record', async () => {
      const result = await pt('delete', '-t', 'process run', '-n', 'Dep Child')
      expect(result.code).toBe(1)
      expect(result.stderr).not.toContain('protected record')
      expect(result.stderr).toContain('processtracker fail')
      expect(result.stderr).toContain('processtracker release')
    })

    it('a validation error of an option is a usage error naming the option, not the library field', async () => {
      const longName = await pt('run', '-p', 'x'.repeat(300), '--type', 'Load', '--', 'true')
      expect(longName.code).toBe(2)
      expect(longName.stderr).toContain('-p/--process must be 1 to 250 characters')
      expect(longName.stderr).not.toContain('processName')
      const longType = await pt('run', '-p', 'Typed Job', '--type', 't'.repeat(300), '--', 'true')
      expect(longType.code).toBe(2)
      expect(longType.stderr).toContain('--type must be')
      expect(longType.stderr).not.toContain('give --type')
      const newline = await pt('run', '-p', 'Bad\nName', '--type', 'Load', '--', 'true')
      expect(newline.code).toBe(2)
      expect(newline.stderr).toContain('-p/--process')
      const json = await pt('--json', 'run', '-p', 'x'.repeat(300), '--type', 'Load', '--', 'true')
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'PT_USAGE' } })
      expect(json.code).toBe(2)
    })

    it('report: an unknown error type gets a suggestion and records nothing; a non-existent date is refused', async () => {
      const run = await ProcessTracker.start(store, { processName: 'Reported Job', processType: 'Load' })
      const id = String(run.processTrackingId)
      const typo = await pt('report', '--tracking-id', id, '--records', '5', '--error', 'Data Eror: row 1')
      expect(typo.code).toBe(1)
      expect(typo.stderr).toContain("did you mean 'Data Error'?")
      expect((await store.getRun(run.processTrackingId)).recordCount).toBe(0)
      expect((await pt('report', '--tracking-id', id, '--low', '2024-02-30')).code).toBe(2)
      const reversed = await pt('report', '--tracking-id', id, '--low', '2024-06-01', '--high', '2024-01-01')
      expect(reversed.code).toBe(2)
      expect(reversed.stderr).toContain('--low')
      const ok = await pt('report', '--tracking-id', id, '--records', '5')
      expect(ok.stderr).toContain(`for run 1 of Reported Job (tracking id ${id})`)
      await run.complete()
    })

    it('the database-only commands refuse --server with a usage error instead of half working', async () => {
      for (const command of [['info'], ['processes'], ['show', '1'], ['graph'], ['apply', '-f', 'x.yaml'], ['extracts', 'list']]) {
        const result = await runInProcess(['--server', 'http://127.0.0.1:9', ...command])
        expect(result.code, command.join(' ')).toBe(2)
        expect(result.stderr).toContain('not through --server')
      }
    })

    it('--help of report and run says where the valid values are', async () => {
      const report = await runInProcess(['report', '--help'])
      expect(report.stdout).toContain('processtracker create --help')
      expect(report.stdout).toContain('Data Error')
      const run = await runInProcess(['run', '--help'])
      expect(run.stdout).toContain('processtracker processes')
      expect(run.stdout).toContain('--kill-after')
    })
  })
}
