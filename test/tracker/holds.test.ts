import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DependencyBlockedError,
  InvalidStatusError,
  NotFoundError,
  ProcessHaltedError,
  ProcessOnHoldError,
  ProcessTracker,
  type DataStore,
} from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { contextOf } from '../../src/store/context.ts'

/**
 * 0.2 holds (api.md "Statuses", rules 1 and 4, `releaseHold`): a release becomes `released`, which
 * keeps children blocked; the hold is recorded by the failure that completes the streak, on every
 * path that fails a run; a streak that reached the threshold without a recorded hold is releasable.
 */
for (const dialect of DIALECTS) {
  describe(`${dialect}: holds and releases (0.2)`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    /** The same database with max_concurrent_failures 2, so streaks are short. */
    let two: DataStore
    beforeAll(async () => {
      store = isolated.store
      two = await isolated.database.open({ maxConcurrentFailures: 2 })
    })
    afterAll(async () => {
      await two.close()
    })

    const latest = async (s: DataStore, processName: string) => (await s.listRuns({ processName, limit: 1 }))[0]

    it('seeds the released status (category released) and refuses it as a run change', async () => {
      expect(await store.lookups.list('process status')).toContain('released')
      const run = await ProcessTracker.start(store, { processName: 'no release by hand', processType: 'Extract', actorName: 'bot' })
      const refusal = await run.changeRunStatus('released').catch((error: unknown) => error)
      expect(refusal).toBeInstanceOf(InvalidStatusError)
      expect(run.status).toBe('running')
      await run.complete()
      // A custom status may be given the released category.
      await store.lookups.create('process status', 'waived', { category: 'released' })
    })

    const failPaths: [string, (s: DataStore, run: ProcessTracker) => Promise<unknown>][] = [
      ['fail()', (_s, run) => run.fail()],
      ["changeRunStatus('failed')", (_s, run) => run.changeRunStatus('failed')],
      [
        'raiseRunError(…, { failRun: true })',
        (_s, run) =>
          run.raiseRunError('Data Error', { failRun: true }).catch((e: unknown) => {
            if (!(e instanceof ProcessHaltedError)) throw e
          }),
      ],
      ['store.failRun', (s, run) => s.failRun(run.processTrackingId, { reason: 'stuck' })],
      [
        'the reaper',
        async (s, run) => {
          // Make the run stale without waiting: its last beat is put an hour back.
          await contextOf(s)
            .db.updateTable('process_tracking')
            .set({ last_heartbeat_date_time: new Date(Date.now() - 3_600_000) })
            .where('process_tracking_id', '=', run.processTrackingId)
            .execute()
          expect(await s.reapStaleRuns()).toHaveLength(1)
        },
      ],
    ]
    for (const [path, failIt] of failPaths) {
      it(`records the hold in the failing transaction: ${path}`, async () => {
        const processName = `eager ${path}`
        const first = await ProcessTracker.start(two, { processName, processType: 'Load', actorName: 'first' })
        await first.fail()
        expect((await latest(two, processName))?.status).toBe('failed') // one failure of two: no hold
        const second = await ProcessTracker.start(two, { processName, actorName: 'second', heartbeatTimeoutSeconds: 60 })
        await failIt(two, second)
        const runs = await two.listRuns({ processName })
        expect(runs.map((run) => [run.processRunId, run.status, run.isLatestRun])).toEqual([
          [3, 'on hold', true],
          [2, 'failed', false],
          [1, 'failed', false],
        ])
        const hold = runs[0]
        expect(hold?.actorName).toBe('second')
        expect(hold?.startDateTime).toEqual(hold?.endDateTime)
        expect(await two.explain(processName)).toMatchObject({ allowed: false, rule: 'on-hold', blockingRunId: hold?.processTrackingId })
        const refusal = await ProcessTracker.start(two, { processName }).catch((error: unknown) => error)
        expect(refusal).toBeInstanceOf(ProcessOnHoldError)
        expect((refusal as ProcessOnHoldError).details.rule).toBe('on-hold')
        // releaseHold sees it at once.
        const released = await two.releaseHold(processName)
        expect(released).toMatchObject({ processTrackingId: hold?.processTrackingId, processRunId: 3, status: 'released' })
        expect(released.endDateTime).not.toBeNull()
      })
    }

    it('records the hold when track() fails the run', async () => {
      const processName = 'eager track'
      for (let i = 0; i < 2; i++) {
        await expect(
          ProcessTracker.track(two, { processName, processType: 'Load' }, () => Promise.reject(new Error(`boom ${i}`))),
        ).rejects.toThrow(`boom ${i}`)
      }
      expect(await latest(two, processName)).toMatchObject({ processRunId: 3, status: 'on hold' })
    })

    it('records no hold when max_concurrent_failures is 0', async () => {
      const off = await isolated.database.open({ maxConcurrentFailures: 0 })
      try {
        for (let i = 0; i < 3; i++) await (await ProcessTracker.start(off, { processName: 'never held', processType: 'Load' })).fail()
        expect(await latest(off, 'never held')).toMatchObject({ processRunId: 3, status: 'failed' })
        await expect(off.releaseHold('never held')).rejects.toThrow('The process never held is not on hold.')
      } finally {
        await off.close()
      }
    })

    it('releases to `released`, keeps children blocked until the parent completes, and needs a new streak to hold again', async () => {
      for (let i = 0; i < 2; i++) await (await ProcessTracker.start(two, { processName: 'rel parent', processType: 'Extract' })).fail()
      const child = await ProcessTracker.start(two, { processName: 'rel child', processType: 'Load' })
      await child.complete()
      await two.addProcessDependency('rel parent', 'rel child')
      const held = await latest(two, 'rel parent')
      expect(held?.status).toBe('on hold')

      // Held blocks the child.
      const blockedHeld = await ProcessTracker.start(two, { processName: 'rel child' }).catch((error: unknown) => error)
      expect(blockedHeld).toBeInstanceOf(DependencyBlockedError)
      expect((blockedHeld as DependencyBlockedError).details).toMatchObject({ status: 'on hold', blockingRunId: held?.processTrackingId })

      const released = await two.releaseHold('rel parent')
      expect(released).toMatchObject({ processRunId: 3, status: 'released' })
      expect((await two.getProcess('rel parent'))?.lastCompletedRunDateTime).toBeNull()
      await expect(two.releaseHold('rel parent')).rejects.toThrow('The process rel parent is not on hold.')
      await expect(two.releaseHold('rel parent')).rejects.toBeInstanceOf(NotFoundError)

      // Released blocks the child too (0.1 made it `completed`, which let the child start).
      const blocked = await ProcessTracker.start(two, { processName: 'rel child' }).catch((error: unknown) => error)
      expect(blocked).toBeInstanceOf(DependencyBlockedError)
      expect((blocked as DependencyBlockedError).message).toMatch(/rel parent is released\.$/)
      expect((blocked as DependencyBlockedError).details).toMatchObject({ status: 'released', blockingRunId: released.processTrackingId })
      expect(await two.explain('rel child')).toMatchObject({ allowed: false, rule: 'dependency', blockingProcessName: 'rel parent' })

      // The streak stops at the released run: one new failure does not hold, the second does.
      await (await ProcessTracker.start(two, { processName: 'rel parent' })).fail()
      expect(await latest(two, 'rel parent')).toMatchObject({ processRunId: 4, status: 'failed' })
      expect(await two.explain('rel parent')).toEqual({ allowed: true, rule: null })
      await (await ProcessTracker.start(two, { processName: 'rel parent' })).fail()
      expect(await latest(two, 'rel parent')).toMatchObject({ processRunId: 6, status: 'on hold' })
      await two.releaseHold('rel parent')

      // Only a completed parent run opens the gate.
      await (await ProcessTracker.start(two, { processName: 'rel parent' })).complete()
      expect(await two.explain('rel child')).toEqual({ allowed: true, rule: null })
      await (await ProcessTracker.start(two, { processName: 'rel child' })).complete()
    })

    it('releases a streak that reached the threshold without a recorded hold (threshold lowered)', async () => {
      // Two failures under the default of 5 record no hold; under 2 the streak is at the threshold.
      for (let i = 0; i < 2; i++) await (await ProcessTracker.start(store, { processName: 'lowered', processType: 'Load' })).fail()
      expect(await latest(two, 'lowered')).toMatchObject({ processRunId: 2, status: 'failed' })
      expect(await two.explain('lowered')).toMatchObject({ allowed: false, rule: 'failure-threshold' })

      const released = await two.releaseHold('lowered')
      expect(released).toMatchObject({ processRunId: 3, status: 'released', isLatestRun: true })
      expect(released.startDateTime).toEqual(released.endDateTime)
      expect(await two.explain('lowered')).toEqual({ allowed: true, rule: null })
      await expect(two.releaseHold('lowered')).rejects.toBeInstanceOf(NotFoundError)

      // Rule 4 at start still holds such a streak when nobody released it.
      for (let i = 0; i < 2; i++) await (await ProcessTracker.start(store, { processName: 'lowered at start', processType: 'Load' })).fail()
      const refusal = await ProcessTracker.start(two, { processName: 'lowered at start' }).catch((error: unknown) => error)
      expect(refusal).toBeInstanceOf(ProcessOnHoldError)
      expect((refusal as ProcessOnHoldError).details.rule).toBe('failure-threshold')
      expect(await latest(two, 'lowered at start')).toMatchObject({ processRunId: 3, status: 'on hold' })
    })

    it('a parent that never ran does not block; a failed one does', async () => {
      await store.defineProcess({ processName: 'idle parent', processType: 'Extract' })
      await store.defineProcess({ processName: 'idle child', processType: 'Load' })
      await store.addProcessDependency('idle parent', 'idle child')
      expect(await store.explain('idle child')).toEqual({ allowed: true, rule: null })
      await (await ProcessTracker.start(store, { processName: 'idle child' })).complete()
    })
  })
}
