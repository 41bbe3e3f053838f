import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { ProcessTracker, RunNotActiveError, type DataStore } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { Worker } from '../support/workers.ts'

/** Waits (without asserting on time) until `check` holds, polling; gives up after `limitMs`. */
async function eventually(check: () => Promise<boolean>, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition never became true')
    await sleep(100)
  }
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: heartbeats and stale runs`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    beforeAll(() => {
      store = isolated.store
    })

    it('fails a run whose process was killed with SIGKILL, once its heartbeat timeout passes', async () => {
      const worker = new Worker(isolated.database.options)
      expect((await worker.send({ cmd: 'open' })).ok).toBe(true)
      const started = await worker.send({
        cmd: 'start',
        heartbeat: 0.3,
        options: { processName: 'crashy', processType: 'Extract', heartbeatTimeoutSeconds: 1 },
      })
      expect(started.ok).toBe(true)
      await expect(ProcessTracker.start(store, { processName: 'crashy' })).rejects.toMatchObject({ code: 'PT_PROCESS_RUNNING' })
      await worker.kill()

      await eventually(async () => (await store.explain('crashy')).rule !== 'running')
      const next = await ProcessTracker.start(store, { processName: 'crashy' })
      expect(next.processRunId).toBe(2)
      await next.complete()

      const [dead] = await store.listRuns({ processName: 'crashy', status: 'failed' })
      expect(dead?.processTrackingId).toBe(started.processTrackingId)
      expect(dead?.lastError?.errorType).toBe('Process Error')
      expect(dead?.lastError?.description).toMatch(/went stale: no heartbeat since .* \(timeout 1s\)/)
    })

    it('fences a reaped run: it cannot be revived, and its signal aborts at the next beat', async () => {
      const run = await ProcessTracker.start(store, { processName: 'sleepy', processType: 'Extract', heartbeatTimeoutSeconds: 1 })
      await eventually(async () => (await store.explain('sleepy')).rule !== 'running')
      const reaped = await store.reapStaleRuns()
      expect(reaped.map((r) => r.processTrackingId)).toEqual([run.processTrackingId])
      expect(reaped[0]?.status).toBe('failed')
      await expect(run.heartbeat()).rejects.toBeInstanceOf(RunNotActiveError)
      expect(run.signal.aborted).toBe(true)
      await expect(run.complete()).rejects.toBeInstanceOf(RunNotActiveError)
      await expect(run.setRecordCount(5)).rejects.toBeInstanceOf(RunNotActiveError)
      expect(await store.reapStaleRuns()).toEqual([])
    })

    it('keeps a beating run alive and never reaps runs without a timeout', async () => {
      const beating = await ProcessTracker.start(store, { processName: 'steady', processType: 'Extract', heartbeatTimeoutSeconds: 10 })
      const silent = await ProcessTracker.start(store, { processName: 'no timeout', processType: 'Extract' })
      for (let i = 0; i < 6; i++) {
        await beating.heartbeat()
        await sleep(250)
      }
      expect(await store.reapStaleRuns()).toEqual([])
      expect(await beating.refresh()).toBe('running')
      expect(await silent.refresh()).toBe('running')
      await beating.complete()
      await silent.complete()
    })

    it('stops a child start when a parent went stale: the parent is reaped first, then it blocks as failed', async () => {
      const parent = await ProcessTracker.start(store, { processName: 'stale parent', processType: 'Extract', heartbeatTimeoutSeconds: 1 })
      const child = await ProcessTracker.start(store, { processName: 'stale child', processType: 'Load' })
      await child.complete()
      await store.addProcessDependency('stale parent', 'stale child')
      await eventually(async () => (await store.explain('stale child')).message?.includes('is failed') ?? false)
      await expect(ProcessTracker.start(store, { processName: 'stale child' })).rejects.toMatchObject({
        code: 'PT_DEPENDENCY_BLOCKED',
        details: { status: 'failed', blockingRunId: parent.processTrackingId },
      })
      expect(await parent.refresh()).toBe('failed')
    })
  })
}
