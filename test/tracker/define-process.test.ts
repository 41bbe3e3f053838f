import { beforeAll, describe, expect, it } from 'vitest'
import { DependencyBlockedError, ProcessTracker, ValidationError, type DataStore } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'

for (const dialect of DIALECTS) {
  describe(`${dialect}: defineProcess and dependency changes (0.2)`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    beforeAll(() => {
      store = isolated.store
    })

    it('creates a process without a run, with getProcess shape and the start defaults', async () => {
      const info = await store.defineProcess({
        processName: 'Teams Extract',
        processType: 'Extract',
        sources: 'Lahman',
        targets: ['Staging'],
        sourceObjects: { Lahman: ['Teams.csv'] },
        datasetTypes: 'Baseball',
      })
      expect(info).toEqual(await store.getProcess('Teams Extract'))
      expect(info).toMatchObject({
        processName: 'Teams Extract',
        processType: 'Extract',
        toolName: 'Node.js',
        scheduleFrequency: 'unscheduled',
        totalRecordCount: 0,
        lastCompletedRunDateTime: null,
      })
      expect(await store.listRuns({ processName: 'Teams Extract' })).toEqual([])
      // Its sources and targets are linked, as a start would link them.
      const run = await ProcessTracker.start(store, { processName: 'Teams Extract' })
      const resumed = await ProcessTracker.resume(store, run.processTrackingId)
      expect(resumed.sources).toEqual(['Lahman'])
      expect(resumed.targets).toEqual(['Staging'])
      await run.complete()
    })

    it('updates type, tool and frequency of an existing process, and keeps what is not given', async () => {
      await store.defineProcess({ processName: 'Redefined', processType: 'Extract', toolName: 'Spark' })
      const info = await store.defineProcess({ processName: 'Redefined', processType: 'Load', scheduleFrequency: 'daily' })
      expect(info).toMatchObject({ processType: 'Load', toolName: 'Spark', scheduleFrequency: 'daily' })
      // Defining again with the same options changes nothing.
      expect(await store.defineProcess({ processName: 'Redefined' })).toEqual(info)
    })

    it('validates exactly as start does, writing nothing', async () => {
      const refusals = [
        { processName: 'No Type' },
        { processName: 'Bad Frequency', processType: 'Load', scheduleFrequency: 'sometimes' },
        { processName: 'x'.repeat(251), processType: 'Load' },
        { processName: 'Bad Option', processType: 'Load', bogus: 1 },
        { processName: 'Bad\nName', processType: 'Load' },
      ]
      for (const options of refusals) {
        const viaDefine = await store.defineProcess(options as never).catch((error: unknown) => error)
        const viaStart = await ProcessTracker.start(store, options as never).catch((error: unknown) => error)
        expect(viaDefine).toBeInstanceOf(ValidationError)
        expect((viaDefine as ValidationError).message).toBe((viaStart as ValidationError).message)
      }
      expect(await store.getProcess('No Type')).toBeNull()
      expect(await store.getProcess('Bad Frequency')).toBeNull()
    })

    it("gates a child's very first run by a parent defined before it", async () => {
      await store.defineProcess({ processName: 'Pipeline Parent', processType: 'Extract' })
      await store.defineProcess({ processName: 'Pipeline Child', processType: 'Load' })
      expect(await store.addProcessDependency('Pipeline Parent', 'Pipeline Child')).toEqual({ created: true, updated: false })
      const parent = await ProcessTracker.start(store, { processName: 'Pipeline Parent' })
      const refusal = await ProcessTracker.start(store, { processName: 'Pipeline Child' }).catch((error: unknown) => error)
      expect(refusal).toBeInstanceOf(DependencyBlockedError)
      expect(await store.listRuns({ processName: 'Pipeline Child' })).toEqual([])
      await parent.complete()
      await (await ProcessTracker.start(store, { processName: 'Pipeline Child' })).complete()
    })

    it('addProcessDependency on an existing dependency updates its type and says so', async () => {
      await store.defineProcess({ processName: 'Soft P', processType: 'Extract' })
      await store.defineProcess({ processName: 'Soft C', processType: 'Load' })
      expect(await store.addProcessDependency('Soft P', 'Soft C', { type: 'Soft' })).toEqual({ created: true, updated: false })
      expect(await store.addProcessDependency('Soft P', 'Soft C', { type: 'Soft' })).toEqual({ created: false, updated: false })
      const parent = await ProcessTracker.start(store, { processName: 'Soft P' })
      // Soft never gates.
      await (await ProcessTracker.start(store, { processName: 'Soft C' })).complete()
      expect(await store.addProcessDependency('Soft P', 'Soft C', { type: 'Hard' })).toEqual({ created: false, updated: true })
      // Now Hard: the running parent blocks.
      await expect(ProcessTracker.start(store, { processName: 'Soft C' })).rejects.toBeInstanceOf(DependencyBlockedError)
      expect(await store.addProcessDependency('Soft P', 'Soft C')).toEqual({ created: false, updated: false })
      await parent.complete()
    })
  })
}
