import { beforeAll, describe, expect, it } from 'vitest'
import {
  DependencyBlockedError,
  InvalidStatusError,
  NotFoundError,
  ProcessHaltedError,
  ProcessOnHoldError,
  ProcessRunningError,
  ProcessTracker,
  RunNotActiveError,
  ValidationError,
  type DataStore,
} from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'

for (const dialect of DIALECTS) {
  describe(`${dialect}: process run lifecycle`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    beforeAll(() => {
      store = isolated.store
    })

    it('runs the workflow end to end: start, errors, counts, dates, complete', async () => {
      const run = await ProcessTracker.start(store, {
        processName: 'Lahman Teams Load',
        processType: 'Stage Load',
        actorName: 'etl-bot',
        toolName: 'Spark',
        processRunName: 'teams-2026-11-27',
        sources: 'Lahman Baseball Dataset',
        targets: ['Warehouse'],
        datasetTypes: ['Baseball'],
        scheduleFrequency: 'daily',
      })
      expect(run.processRunId).toBe(1)
      expect(run.status).toBe('running')
      expect(run.processRunName).toBe('teams-2026-11-27')

      await run.raiseRunError('Data Error', { description: 'Row 42 out of range' })
      await run.setRecordCount(10_000)
      await run.setRecordCount(500, { processingType: 'insert' })
      const low = new Date('2020-01-01T00:00:00.123Z')
      const high = new Date('2020-12-31T23:59:59.999Z')
      await run.setLowHighDates({ low, high })
      await run.setLowHighDates({ low: new Date('2020-06-01'), high: new Date('2020-06-02') })
      await run.complete()
      await run.complete() // a no-op on a completed run
      expect(run.status).toBe('completed')

      const [row] = await store.listRuns({ processName: 'Lahman Teams Load' })
      expect(row).toMatchObject({
        processRunId: 1,
        status: 'completed',
        actorName: 'etl-bot',
        recordCount: 500,
        insertCount: 500,
        updateCount: 0,
        isLatestRun: true,
        lastError: { errorType: 'Data Error', description: 'Row 42 out of range' },
      })
      expect(row?.lowDateTime?.getTime()).toBe(low.getTime())
      expect(row?.highDateTime?.getTime()).toBe(high.getTime())
      expect(row?.endDateTime).toBeInstanceOf(Date)

      const process = await store.getProcess('Lahman Teams Load')
      expect(process).toMatchObject({ processType: 'Stage Load', toolName: 'Spark', scheduleFrequency: 'daily', totalRecordCount: 500 })
      expect(process?.lastCompletedRunDateTime?.getTime()).toBe(row?.endDateTime?.getTime())
      expect(process?.lastErroredRunDateTime).toBeInstanceOf(Date)
      expect(process?.lastFailedRunDateTime).toBeNull()

      await expect(run.setRecordCount(1)).rejects.toBeInstanceOf(RunNotActiveError)
      await expect(run.setLowHighDates({ low })).rejects.toBeInstanceOf(RunNotActiveError)
      await expect(run.raiseRunError('Data Error')).rejects.toBeInstanceOf(RunNotActiveError)
      await expect(run.fail()).rejects.toBeInstanceOf(RunNotActiveError)
    })

    it('sums record counts over runs, failed ones included', async () => {
      const first = await ProcessTracker.start(store, { processName: 'counting', processType: 'Extract' })
      await first.setRecordCount(100)
      await first.setRecordCount(40)
      await first.fail()
      const second = await ProcessTracker.start(store, { processName: 'counting' })
      await second.setRecordCount(60)
      await second.complete()
      expect((await store.getProcess('counting'))?.totalRecordCount).toBe(100)
      expect(second.processRunId).toBe(2)
    })

    it('keeps the process total right when two objects of one run set counts', async () => {
      const run = await ProcessTracker.start(store, { processName: 'two writers', processType: 'Extract' })
      await run.setRecordCount(100)
      const elsewhere = await ProcessTracker.resume(store, run.processTrackingId)
      await elsewhere.setRecordCount(40)
      await run.setRecordCount(70) // its remembered count (100) is stale: the real one (40) is used
      expect((await store.getProcess('two writers'))?.totalRecordCount).toBe(70)
      await run.complete()
    })

    it('refuses a second start while the first run is active', async () => {
      const run = await ProcessTracker.start(store, { processName: 'busy', processType: 'Extract' })
      const refusal = await ProcessTracker.start(store, { processName: 'busy' }).catch((error: unknown) => error)
      expect(refusal).toBeInstanceOf(ProcessRunningError)
      expect((refusal as ProcessRunningError).message).toMatch(/^The process busy is currently running\./)
      expect((refusal as ProcessRunningError).details).toMatchObject({
        processName: 'busy',
        rule: 'running',
        blockingRunId: run.processTrackingId,
        blockingProcessName: 'busy',
        status: 'running',
      })
      await run.complete()
    })

    it('holds a process after five failures in a row, refuses it, and releases it', async () => {
      for (let i = 0; i < 5; i++) {
        const run = await ProcessTracker.start(store, { processName: 'flaky', processType: 'Load' })
        await expect(run.raiseRunError('Process Error', { description: `boom ${i}`, failRun: true })).rejects.toBeInstanceOf(
          ProcessHaltedError,
        )
        expect(run.status).toBe('failed')
      }
      // Since 0.2 the fifth failure records the hold itself; the start finds it (rule on-hold).
      const [holdRun] = await store.listRuns({ processName: 'flaky', limit: 1 })
      expect(holdRun).toMatchObject({ processRunId: 6, status: 'on hold', isLatestRun: true })
      const held = await ProcessTracker.start(store, { processName: 'flaky' }).catch((error: unknown) => error)
      expect(held).toBeInstanceOf(ProcessOnHoldError)
      expect((held as ProcessOnHoldError).message).toMatch(/^The process flaky is currently on hold\./)
      expect((held as ProcessOnHoldError).details.rule).toBe('on-hold')

      const again = await ProcessTracker.start(store, { processName: 'flaky' }).catch((error: unknown) => error)
      expect(again).toBeInstanceOf(ProcessOnHoldError)
      expect((again as ProcessOnHoldError).details.rule).toBe('on-hold')
      expect(await store.listRuns({ processName: 'flaky' })).toHaveLength(6)
      expect(await store.explain('flaky')).toMatchObject({ allowed: false, rule: 'on-hold', code: 'PT_PROCESS_ON_HOLD' })

      const released = await store.releaseHold('flaky')
      expect(released).toMatchObject({ processRunId: 6, status: 'released' })
      expect((await store.getProcess('flaky'))?.lastCompletedRunDateTime).toBeNull()
      await expect(store.releaseHold('flaky')).rejects.toThrow('The process flaky is not on hold.')

      const fresh = await ProcessTracker.start(store, { processName: 'flaky' })
      expect(fresh.processRunId).toBe(7)
      await fresh.fail()
      // The streak restarted at the release: one failure is not five.
      const next = await ProcessTracker.start(store, { processName: 'flaky' })
      await next.complete()
    })

    it('gates a child on its parent: running and failed block, completed does not', async () => {
      const parentRun = await ProcessTracker.start(store, { processName: 'parent A', processType: 'Extract' })
      const child = await ProcessTracker.start(store, { processName: 'child A', processType: 'Load' })
      await child.complete()
      await store.addProcessDependency('parent A', 'child A')

      const blocked = await ProcessTracker.start(store, { processName: 'child A' }).catch((error: unknown) => error)
      expect(blocked).toBeInstanceOf(DependencyBlockedError)
      expect((blocked as DependencyBlockedError).message).toMatch(
        /^Processes that this process is dependent on are running or failed\..*parent A.*running/,
      )
      expect((blocked as DependencyBlockedError).details).toMatchObject({
        rule: 'dependency',
        blockingRunId: parentRun.processTrackingId,
        blockingProcessName: 'parent A',
        status: 'running',
      })
      expect(await store.explain('child A')).toMatchObject({ allowed: false, rule: 'dependency', blockingProcessName: 'parent A' })

      await parentRun.fail()
      await expect(ProcessTracker.start(store, { processName: 'child A' })).rejects.toBeInstanceOf(DependencyBlockedError)

      // An old failed run followed by a completed one does not block.
      const parentAgain = await ProcessTracker.start(store, { processName: 'parent A' })
      await parentAgain.complete()
      expect(await store.explain('child A')).toEqual({ allowed: true, rule: null })
      const childRun = await ProcessTracker.start(store, { processName: 'child A' })
      await childRun.complete()
    })

    it('never gates on a Soft dependency, and refuses self-dependencies and cycles', async () => {
      const p = await ProcessTracker.start(store, { processName: 'soft parent', processType: 'Extract' })
      const c = await ProcessTracker.start(store, { processName: 'soft child', processType: 'Load' })
      await c.complete()
      await store.addProcessDependency('soft parent', 'soft child', { type: 'Soft' })
      const run = await ProcessTracker.start(store, { processName: 'soft child' })
      await run.complete()
      await p.complete()

      await expect(store.addProcessDependency('soft child', 'soft child')).rejects.toBeInstanceOf(ValidationError)
      await expect(store.addProcessDependency('soft child', 'soft parent')).rejects.toBeInstanceOf(ValidationError)
      await expect(store.addProcessDependency('nope', 'soft parent')).rejects.toBeInstanceOf(NotFoundError)
    })

    it('accepts custom statuses and rejects unknown ones', async () => {
      await store.lookups.create('process status', 'validating')
      const run = await ProcessTracker.start(store, { processName: 'custom', processType: 'Extract' })
      await expect(run.changeRunStatus('no such status')).rejects.toThrow('The provided status type no such status is invalid.')
      await expect(run.changeRunStatus('no such status')).rejects.toBeInstanceOf(InvalidStatusError)
      await run.changeRunStatus('validating')
      await expect(ProcessTracker.start(store, { processName: 'custom' })).rejects.toThrow('The process custom is currently validating.')
      await run.complete()
    })

    it('resumes a run elsewhere and tracks a function', async () => {
      const run = await ProcessTracker.start(store, { processName: 'resumable', processType: 'Extract', sources: ['S1', 'S2'] })
      const again = await ProcessTracker.resume(store, run.processTrackingId)
      expect(again).toMatchObject({ processRunId: 1, processName: 'resumable', status: 'running', sources: ['S1', 'S2'] })
      await again.complete()
      expect(await run.refresh()).toBe('completed')
      await expect(ProcessTracker.resume(store, 999_999)).rejects.toBeInstanceOf(NotFoundError)

      expect(await ProcessTracker.track(store, { processName: 'tracked', processType: 'Load' }, () => Promise.resolve(42))).toBe(42)
      await expect(ProcessTracker.track(store, { processName: 'tracked' }, () => Promise.reject(new Error('disk full')))).rejects.toThrow(
        'disk full',
      )
      const [failed] = await store.listRuns({ processName: 'tracked', limit: 1 })
      expect(failed).toMatchObject({ status: 'failed', lastError: { errorType: 'Process Error', description: 'disk full' } })
    })

    it('ends a stuck run by hand and lists its errors in order', async () => {
      const run = await ProcessTracker.start(store, { processName: 'stuck', processType: 'Extract' })
      await run.raiseRunError('File Error', { description: 'first' })
      const failed = await store.failRun(run.processTrackingId, { reason: 'operator gave up' })
      expect(failed.status).toBe('failed')
      const errors = await store.listRunErrors(run.processTrackingId)
      expect(errors.map((e) => [e.errorType, e.description])).toEqual([
        ['File Error', 'first'],
        ['Process Error', 'operator gave up'],
      ])
      await expect(run.heartbeat()).rejects.toBeInstanceOf(RunNotActiveError)
      expect(run.signal.aborted).toBe(true)
    })

    it('changes the process when an explicit type, tool or frequency differs', async () => {
      const first = await ProcessTracker.start(store, { processName: 'evolving', processType: 'Extract' })
      expect(await store.getProcess('evolving')).toMatchObject({ toolName: 'Node.js', scheduleFrequency: 'unscheduled' })
      await first.complete()
      const second = await ProcessTracker.start(store, { processName: 'evolving', toolName: 'Python', scheduleFrequency: 'hourly' })
      await second.complete()
      expect(await store.getProcess('evolving')).toMatchObject({ processType: 'Extract', toolName: 'Python', scheduleFrequency: 'hourly' })
      expect((await store.findProcessesByScheduleFrequency('hourly')).map((p) => p.processName)).toContain('evolving')
    })
  })
}
