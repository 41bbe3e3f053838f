/**
 * What the write routes answer with and act on: the one-statement run view (`getRun`) equals the
 * page query's view of the same run (two statements: runs, then last errors) in every state a run passes through, and the run objects a server keeps never hide a change made
 * by another writer (a library user here), whose count, status or end the next request sees.
 */
import { describe, expect, it } from 'vitest'
import { ExtractTracker, ProcessTracker } from '../../src/index.ts'
import { RunActions } from '../../src/server/run-actions.ts'
import { getRun, runViewsByIds } from '../../src/tracker/run-views.ts'
import { contextOf } from '../../src/store/context.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'

describe.each(DIALECTS)('%s: run actions of the HTTP API', (dialect) => {
  const isolated = useIsolatedStore(dialect)

  it('reads the same run view as the page query, in one statement', async () => {
    const store = isolated.store
    const ctx = contextOf(store)
    const same = async (id: number) => {
      const before = store.statementCounts.statements
      const view = await getRun(ctx, id)
      expect(store.statementCounts.statements - before).toBe(1)
      expect([view]).toEqual(await runViewsByIds(ctx, [id]))
      return view
    }
    const run = await ProcessTracker.start(store, {
      processName: 'View Load',
      processType: 'Load',
      actorName: 'ana',
      heartbeatTimeoutSeconds: 1,
    })
    expect(await same(run.processTrackingId)).toMatchObject({
      status: 'running',
      errorCount: 0,
      extractCount: 0,
      lastError: null,
      actorName: 'ana',
    })
    await ExtractTracker.register(run, { filename: 'a.csv', locationPath: '/data/view/' })
    await ExtractTracker.register(run, { filename: 'b.csv', locationPath: '/data/view/' })
    await run.setRecordCount(7, { processingType: 'update' })
    await run.setLowHighDates({ low: new Date('2024-01-01T00:00:00Z'), high: new Date('2024-02-01T00:00:00Z') })
    await run.raiseRunError('Data Error', { description: 'first', endDate: new Date('2024-03-01T00:00:00Z') })
    await run.raiseRunError('Process Error', { description: 'second', endDate: new Date('2024-03-01T00:00:00Z') })
    // Two errors at one time: the later id is the last error, as in listRunErrors.
    expect(await same(run.processTrackingId)).toMatchObject({
      errorCount: 2,
      extractCount: 2,
      recordCount: 7,
      updateCount: 7,
      lastError: { errorType: 'Process Error', description: 'second' },
    })
    // Silent since long ago (no waiting): stale by the database's clock.
    await ctx.db
      .updateTable('process_tracking')
      .set({ last_heartbeat_date_time: new Date('2020-01-01T00:00:00Z') })
      .where('process_tracking_id', '=', run.processTrackingId)
      .execute()
    expect((await same(run.processTrackingId)).stale).toBe(true)
    await run.complete()
    expect(await same(run.processTrackingId)).toMatchObject({ status: 'completed', stale: false })
    const plain = await ProcessTracker.start(store, { processName: 'View Plain', processType: 'Load' })
    await same(plain.processTrackingId)
    await expect(getRun(ctx, 987_654_321)).rejects.toMatchObject({ code: 'PT_NOT_FOUND' })
  })

  it('keeps run objects, and still sees what another writer did to the run', async () => {
    const store = isolated.store
    const actions = new RunActions(store)
    const started = await actions.start({ processName: 'Kept Load', processType: 'Load' })
    const id = started.processTrackingId
    expect(await actions.run(id)).toBe(started)

    // A library user elsewhere sets the count: the kept object's count is stale, the total stays right.
    await (await ProcessTracker.resume(store, id)).setRecordCount(100)
    await (await actions.run(id)).setRecordCount(40)
    expect((await store.getProcess('Kept Load'))?.totalRecordCount).toBe(40)
    expect((await actions.view(id)).run.recordCount).toBe(40)

    // …and completes the run: the kept object's next write is refused, as the library refuses it.
    await (await ProcessTracker.resume(store, id)).complete()
    await expect((await actions.run(id)).heartbeat()).rejects.toMatchObject({ code: 'PT_RUN_NOT_ACTIVE' })

    // Another server's run is resumed once, then kept; an unknown one is not kept.
    const other = await ProcessTracker.start(store, { processName: 'Kept Elsewhere', processType: 'Load' })
    const resumed = await actions.run(other.processTrackingId)
    expect(resumed.processTrackingId).toBe(other.processTrackingId)
    expect(await actions.run(other.processTrackingId)).toBe(resumed)
    await expect(actions.run(987_654_321)).rejects.toMatchObject({ code: 'PT_NOT_FOUND' })
    await expect(actions.run(987_654_321)).rejects.toMatchObject({ code: 'PT_NOT_FOUND' })
  })
})
