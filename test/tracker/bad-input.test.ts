import { beforeAll, describe, expect, it } from 'vitest'
import { InvalidStatusError, NotFoundError, ProcessTracker, ValidationError, type DataStore, type StartOptions } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { rowCounts } from '../support/snapshot.ts'

const long = 'x'.repeat(251)

for (const dialect of DIALECTS) {
  describe(`${dialect}: bad input is refused before anything is written`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    let run: ProcessTracker

    beforeAll(async () => {
      store = isolated.store
      run = await ProcessTracker.start(store, { processName: 'valid', processType: 'Extract' })
    })

    const badStarts: [string, unknown][] = [
      ['an empty process name', { processName: '', processType: 'Extract' }],
      ['a 251-character process name', { processName: long, processType: 'Extract' }],
      ['a name with leading whitespace', { processName: ' padded', processType: 'Extract' }],
      ['a number where a name belongs', { processName: 42, processType: 'Extract' }],
      ['a number as the actor', { processName: 'new one', processType: 'Extract', actorName: 7 }],
      ['sourceObjects that is not an object', { processName: 'new one', processType: 'Extract', sourceObjects: ['a'] }],
      ['sourceObjects with a non-list value', { processName: 'new one', processType: 'Extract', sourceObjects: { s: 'o' } }],
      [
        'targetObjectAttributes of the wrong shape',
        { processName: 'new one', processType: 'Extract', targetObjectAttributes: { t: ['x'] } },
      ],
      ['a 251-character source', { processName: 'new one', processType: 'Extract', sources: [long] }],
      ['an unknown schedule frequency', { processName: 'new one', processType: 'Extract', scheduleFrequency: 'fortnightly' }],
      ['a heartbeat timeout of 0', { processName: 'new one', processType: 'Extract', heartbeatTimeoutSeconds: 0 }],
      ['an unknown option', { processName: 'new one', processType: 'Extract', procesType: 'typo' }],
      ['a new process without a type', { processName: 'new one' }],
    ]

    for (const [what, options] of badStarts) {
      it(`start with ${what}: ValidationError, nothing written`, async () => {
        const before = await rowCounts(store)
        const error = await ProcessTracker.start(store, options as StartOptions).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ValidationError)
        expect((error as ValidationError).code).toBe('PT_INVALID_INPUT')
        expect(await rowCounts(store)).toEqual(before)
      })
    }

    it('unknown statuses and error types, bad counts and dates: coded errors, nothing written', async () => {
      const before = await rowCounts(store)
      await expect(run.changeRunStatus('finished')).rejects.toBeInstanceOf(InvalidStatusError)
      await expect(run.raiseRunError('Cosmic Ray Error')).rejects.toBeInstanceOf(NotFoundError)
      await expect(run.raiseRunError('Data Error', { description: 'y'.repeat(751) })).rejects.toBeInstanceOf(ValidationError)
      await expect(run.setRecordCount(-1)).rejects.toBeInstanceOf(ValidationError)
      await expect(run.setRecordCount(1.5)).rejects.toBeInstanceOf(ValidationError)
      await expect(run.setRecordCount(3, { processingType: 'upsert' as 'insert' })).rejects.toThrow('Processing type not recognized.')
      await expect(run.setLowHighDates({ low: new Date('not a date') })).rejects.toBeInstanceOf(ValidationError)
      await expect(run.setLowHighDates({ high: '2020-01-01' as unknown as Date })).rejects.toBeInstanceOf(ValidationError)
      await expect(store.lookups.create('planet', 'Mars')).rejects.toBeInstanceOf(ValidationError)
      expect(await rowCounts(store)).toEqual(before)
      expect(await run.refresh()).toBe('running')
    })

    it('round-trips quotes, %, _, backslashes and unicode in names exactly', async () => {
      const names = [`O'Brien "load"`, '100% _done_', 'back\\slash', 'Ünïcødé 🚀 名前', 'Case', 'case']
      for (const name of names) {
        const r = await ProcessTracker.start(store, { processName: name, processType: name, actorName: name, sources: name })
        expect(r.processName).toBe(name)
        await r.complete()
        expect((await store.getProcess(name))?.processType).toBe(name)
        const [listed] = await store.listRuns({ processName: name })
        expect(listed?.actorName).toBe(name)
      }
      // Names compare exactly: 'Case' and 'case' are two processes, and '%' matches nothing else.
      expect((await store.getProcess('Case'))?.processId).not.toBe((await store.getProcess('case'))?.processId)
      expect(await store.getProcess('100%')).toBeNull()
    })
  })
}
