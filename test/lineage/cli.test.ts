import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, cli, storeArgs } from '../cli/cli.ts'
import { inProcessCli } from '../cli/in-process.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { TestReceiver } from './receiver.ts'

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve()
    })
  })
  return typeof address === 'object' && address ? address.port : 9
}

for (const dialect of DIALECTS) {
  describe(`processtracker lineage, and run's child (${dialect})`, () => {
    let database: IsolatedDatabase
    let folder: string
    const receiver = new TestReceiver()
    let url: string

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      folder = mkdtempSync(join(tmpdir(), 'pt-lineage-cli-'))
      url = await receiver.listen()
    })
    afterAll(async () => {
      await receiver.close()
      await database.drop()
      rmSync(folder, { recursive: true, force: true })
    })

    it('run gives its command the run uuid and itself as parent; lineage status and flush send the events', async () => {
      const pt = inProcessCli(database, { env: { OPENLINEAGE_URL: url, OPENLINEAGE_NAMESPACE: 'cron' } })
      const seen = join(folder, `${dialect}-env.json`)
      const script = `require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(process.env))`
      expect((await pt('run', '-p', 'Wrapped', '--type', 'Load', '--', process.execPath, '-e', script)).code).toBe(0)
      const runs = JSON.parse((await pt('--json', 'runs', '--process', 'Wrapped')).stdout) as { runUuid: string }[]
      const runUuid = runs[0]?.runUuid ?? ''
      expect(runUuid).toMatch(/^[0-9a-f-]{36}$/)
      const childEnv = JSON.parse(readFileSync(seen, 'utf8')) as Record<string, string>
      expect(childEnv.PROCESS_TRACKER_RUN_UUID).toBe(runUuid)
      expect(childEnv.OPENLINEAGE_PARENT_ID).toBe(`cron/Wrapped/${runUuid}`)

      const status = await pt('--json', 'lineage', 'status')
      expect(status.code).toBe(0)
      expect(JSON.parse(status.stdout)).toMatchObject({ enabled: true, transport: 'http', pending: 2, sent: 0, rejected: 0 })
      const flush = await pt('lineage', 'flush')
      expect(flush).toMatchObject({ code: 0 })
      expect(flush.stderr).toContain('Sent 2, rejected 0, could not deliver 0.')
      const sent = receiver.accepted.filter((event) => event.run.runId === runUuid)
      expect(sent.map((event) => [event.eventType, event.job.namespace, event.job.name])).toEqual([
        ['START', 'cron', 'Wrapped'],
        ['COMPLETE', 'cron', 'Wrapped'],
      ])
      const after = await pt('lineage', 'status')
      expect(after.stdout).toContain('pending:  0')
      expect(after.stdout).toContain('sent:     2 (kept 7 days)')
    })

    it('flush exits 1 when the receiver cannot be reached, and the events stay pending', async () => {
      const down = inProcessCli(database, { env: { OPENLINEAGE_URL: `http://127.0.0.1:${await closedPort()}` } })
      const pending = async () => (JSON.parse((await down('--json', 'lineage', 'status')).stdout) as { pending: number }).pending
      const before = await pending()
      expect((await down('run', '-p', 'Unsent', '--type', 'Load', '--', process.execPath, '-e', '0')).code).toBe(0)
      const flush = await down('lineage', 'flush')
      expect(flush.code).toBe(1)
      expect(flush.stderr).toContain('could not be reached')
      expect(await pending()).toBe(before + 2)
    })

    it('the built command reads OPENLINEAGE_URL from its own environment (binary smoke test)', async () => {
      const status = await cli([...storeArgs(database), '--json', 'lineage', 'status'], cleanEnv(folder, { OPENLINEAGE_URL: url }))
      expect(status.code, status.stderr).toBe(0)
      expect(JSON.parse(status.stdout)).toMatchObject({ enabled: true, transport: 'http' })
    })

    it('lineage flush says how to turn lineage on when it is off', async () => {
      const off = inProcessCli(database)
      const flush = await off('lineage', 'flush')
      expect(flush.code).toBe(1)
      expect(flush.stderr).toContain('Lineage is off for this store: set OPENLINEAGE_URL')
      expect(JSON.parse((await off('--json', 'lineage', 'status')).stdout)).toMatchObject({ enabled: false, transport: null })
    })
  })
}
