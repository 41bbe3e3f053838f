/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON, read freely */
/**
 * What a lifecycle over HTTP costs the database: each request makes the library call of its route
 * and, for a run write, reads the one-statement run view it answers with — nothing more (the run
 * object is kept, not resumed per request; no idempotency row without a key; no token lookup once the
 * token is known). On PostgreSQL the record count, dates, heartbeat and complete read that view in their own
 * statement. Counted against the same library calls on another run of the same store, so the test
 * follows the library's own statement counts as they change; every answer is the run as a GET then
 * reads it.
 */
import { describe, expect, it } from 'vitest'
import { ExtractTracker, ProcessTracker } from '../../src/index.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { startApi } from './support.ts'

describe.each(DIALECTS)('%s: statements of an HTTP lifecycle', (dialect) => {
  const isolated = useIsolatedStore(dialect)

  it('are the library calls plus one run view per run write (none on PostgreSQL) and one extract read per status change', async () => {
    const store = isolated.store
    // PostgreSQL: the write's data-modifying CTE returns the run row, and the view is read from it; the
    // one-statement start returns the database clock, and the view is made from what it inserted.
    const viewRead = dialect === 'postgresql' ? 0 : 1
    // Without tokens: a token's look-up (every 2 s) would land in a counted call on a slow machine.
    const api = await startApi(store, { auth: false })
    const statements = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      const before = store.statementCounts.statements
      const result = await work()
      return [result, store.statementCounts.statements - before]
    }
    const start = { processType: 'Extract', actorName: 'ana', toolName: 'Spark', sources: 'Orders', targets: 'Lake' }
    try {
      // Round 0 warms both sides' caches (process, actor, statuses, links); round 1 is compared.
      for (let round = 0; round < 2; round++) {
        const [run, libraryStart] = await statements(() => ProcessTracker.start(store, { ...start, processName: 'Library Load' }))
        const [started, httpStart] = await statements(() =>
          api.call('POST', '/api/v1/runs', { body: { ...start, processName: 'Http Load' } }),
        )
        expect(started.status).toBe(201)
        const base = `/api/v1/runs/${started.body.run.processTrackingId}`
        const asRead = async () => (await api.call('GET', base)).body.run as unknown
        // The start's answer is the run as a read shows it (on PostgreSQL made from the start's own statement).
        expect(await asRead()).toEqual(started.body.run)

        const file = (side: string) => ({ filename: `${side}-${round}.csv`, locationPath: '/data/stmts/' })
        const [extract, libraryRegister] = await statements(() => ExtractTracker.register(run, file('library')))
        const [registered, httpRegister] = await statements(() => api.call('POST', `${base}/extracts`, { body: file('http') }))
        expect(registered.status).toBe(201)

        const [, libraryReady] = await statements(() => extract.changeExtractStatus('ready'))
        const extractIds = [registered.body.extract.extractId]
        const [readied, httpReady] = await statements(() =>
          api.call('POST', `${base}/extracts/status`, { body: { extractIds, status: 'ready' } }),
        )
        expect(readied.body.extracts[0].status).toBe('ready')

        // An error and an extract on the run: the answers must show them as a read does.
        const raised = await api.call('POST', `${base}/errors`, { body: { errorType: 'Data Error', description: 'late rows' } })
        expect(raised.status).toBe(201)

        const [, libraryCount] = await statements(() => run.setRecordCount(1000))
        const [counted, httpCount] = await statements(() => api.call('PUT', `${base}/record-count`, { body: { count: 1000 } }))
        expect(counted.body.run.recordCount).toBe(1000)
        expect(counted.body.run).toMatchObject({ errorCount: 1, extractCount: 1, lastError: { errorType: 'Data Error' } })
        expect(await asRead()).toEqual(counted.body.run)

        const low = new Date('2026-01-01T00:00:00Z')
        const high = new Date('2026-01-31T00:00:00Z')
        const [, libraryDates] = await statements(() => run.setLowHighDates({ low, high }))
        const [dated, httpDates] = await statements(() =>
          api.call('PUT', `${base}/dates`, { body: { low: '2026-01-01', high: '2026-01-31' } }),
        )
        expect(dated.body.run.highDateTime).toBe(high.toISOString())
        expect(await asRead()).toEqual(dated.body.run)

        const [, libraryBeat] = await statements(() => run.heartbeat())
        const [beaten, httpBeat] = await statements(() => api.call('POST', `${base}/heartbeat`))
        expect(beaten.body.run.lastHeartbeatDateTime).not.toBeNull()
        expect(await asRead()).toEqual(beaten.body.run)

        const [, libraryComplete] = await statements(() => run.complete())
        const [completed, httpComplete] = await statements(() => api.call('POST', `${base}/complete`))
        expect(completed.body.run.status).toBe('completed')
        expect(await asRead()).toEqual(completed.body.run)

        if (round === 0) continue
        expect({
          start: httpStart,
          register: httpRegister,
          ready: httpReady,
          count: httpCount,
          dates: httpDates,
          heartbeat: httpBeat,
          complete: httpComplete,
        }).toEqual({
          start: libraryStart + viewRead,
          register: libraryRegister,
          ready: libraryReady + 1,
          count: libraryCount + viewRead,
          dates: libraryDates + viewRead,
          heartbeat: libraryBeat + viewRead,
          complete: libraryComplete + viewRead,
        })
      }
    } finally {
      await api.close()
    }
  })

  it('answer a start with a heartbeat timeout, a run name and the default actor as a read shows it', async () => {
    const store = isolated.store
    const api = await startApi(store, { auth: false })
    try {
      // The second start of a process is PostgreSQL's one-statement start (its ids are cached by then).
      for (let round = 0; round < 2; round++) {
        const body = { processName: 'Beat Load', processType: 'Extract', heartbeatTimeoutSeconds: 60, processRunName: `beat ${round}` }
        const before = store.statementCounts.statements
        const started = await api.call('POST', '/api/v1/runs', { body })
        const used = store.statementCounts.statements - before
        expect(started.status).toBe(201)
        expect(started.body.run).toMatchObject({ processRunName: `beat ${round}`, heartbeatTimeoutSeconds: 60, status: 'running' })
        expect(started.body.run.lastHeartbeatDateTime).toBe(started.body.run.startDateTime)
        const base = `/api/v1/runs/${started.body.run.processTrackingId}`
        expect((await api.call('GET', base)).body.run).toEqual(started.body.run)
        if (round === 1 && dialect === 'postgresql') expect(used).toBe(1)
        expect((await api.call('POST', `${base}/complete`)).status).toBe(200)
      }
    } finally {
      await api.close()
    }
  })
})
