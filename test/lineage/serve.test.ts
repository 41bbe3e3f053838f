import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker } from '../../src/index.ts'
import { requireBuild } from '../cli/cli.ts'
import { ServeProcess } from '../server/support.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { TestReceiver } from './receiver.ts'

for (const dialect of DIALECTS) {
  describe(`processtracker serve sends the outbox (${dialect})`, () => {
    let database: IsolatedDatabase
    const receiver = new TestReceiver()
    let url: string

    beforeAll(async () => {
      requireBuild()
      database = await createIsolatedDatabase(dialect)
      url = await receiver.listen()
    })
    afterAll(async () => {
      await receiver.close()
      await database.drop()
    })

    it('a run written by another process reaches the receiver through serve', async () => {
      const store = await database.open({ lineage: { url } }) // writes the outbox, sends nothing itself
      const serve = await ServeProcess.start(database, ['--no-auth'], { OPENLINEAGE_URL: url })
      try {
        const run = await ProcessTracker.start(store, { processName: 'Served', processType: 'Load' })
        await run.complete()
        const ofRun = () => receiver.accepted.filter((event) => event.run.runId === run.runUuid)
        await receiver.waitFor(() => ofRun().length === 2)
        expect(ofRun().map((event) => event.eventType)).toEqual(['START', 'COMPLETE'])
      } finally {
        expect(await serve.stop()).toBe(0)
        await store.close()
      }
    })
  })
}
