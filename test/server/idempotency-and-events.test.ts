/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON, read freely */
/**
 * Idempotency keys (a lost response retried with the same key gets the same run) and the live
 * event stream (a change made by a library user in another OS process arrives within 2 s; a
 * reconnect with Last-Event-ID misses nothing). Uses the built package for the worker process.
 */
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataStore, ProcessTracker } from '../../src/index.ts'
import { claimKey, requestHash } from '../../src/server/idempotency-store.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { Worker } from '../support/workers.ts'
import { SseStream } from './sse.ts'
import { startApi, type TestApi } from './support.ts'

/** Sends a request and drops the connection before the response can be read. */
function sendAndHangUp(base: string, path: string, token: string, key: string, body: unknown): Promise<void> {
  return new Promise((resolve) => {
    const url = new URL(path, base)
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    })
    req.on('error', () => {
      resolve()
    })
    req.end(JSON.stringify(body), () => {
      req.destroy()
      resolve()
    })
  })
}

describe.each(DIALECTS)('%s: idempotency keys and events', (dialect) => {
  const isolated = useIsolatedStore(dialect)
  let api: TestApi
  beforeAll(async () => {
    api = await startApi(isolated.store)
  })
  afterAll(async () => {
    await api.close()
  })
  const runsOf = async (processName: string) => (await isolated.store.listRuns({ processName })).length

  it('replays the first response for the same key and body, refuses another body (422)', async () => {
    const body = { processName: 'Idem', processType: 'Load' }
    const first = await api.call('POST', '/api/v1/runs', { token: api.tokens.write, body, headers: { 'idempotency-key': 'start-1' } })
    expect(first.status).toBe(201)
    const again = await api.call('POST', '/api/v1/runs', {
      token: api.tokens.write,
      body: { processType: 'Load', processName: 'Idem' },
      headers: { 'idempotency-key': 'start-1' },
    })
    expect(again.status).toBe(201)
    expect(again.body.run.processTrackingId).toBe(first.body.run.processTrackingId)
    expect(again.headers.get('location')).toBe(first.headers.get('location'))
    expect(await runsOf('Idem')).toBe(1)
    const other = await api.call('POST', '/api/v1/runs', {
      token: api.tokens.write,
      body: { ...body, actorName: 'else' },
      headers: { 'idempotency-key': 'start-1' },
    })
    expect(other.status).toBe(422)
    expect(other.body.error.code).toBe('PT_IDEMPOTENCY_MISMATCH')
    // Keys belong to the token that sent them: another token's key is another request.
    const otherToken = await api.call('POST', '/api/v1/runs', { token: api.tokens.admin, body, headers: { 'idempotency-key': 'start-1' } })
    expect(otherToken.body.error.code).toBe('PT_PROCESS_RUNNING')
    expect(await runsOf('Idem')).toBe(1)
  })

  it('a start whose response was lost, retried with the same key, returns the same run', async () => {
    const body = { processName: 'Lost Response', processType: 'Load' }
    await sendAndHangUp(api.base, '/api/v1/runs', api.tokens.write, 'lost-1', body)
    let retry = await api.call('POST', '/api/v1/runs', { token: api.tokens.write, body, headers: { 'idempotency-key': 'lost-1' } })
    while (retry.status === 409 && retry.body.error.code === 'PT_IDEMPOTENCY_IN_PROGRESS') {
      expect(retry.headers.get('retry-after')).toBe('1')
      await new Promise((resolve) => setTimeout(resolve, 100))
      retry = await api.call('POST', '/api/v1/runs', { token: api.tokens.write, body, headers: { 'idempotency-key': 'lost-1' } })
    }
    expect(retry.status).toBe(201)
    const runs = await isolated.store.listRuns({ processName: 'Lost Response' })
    expect(runs.map((run) => [run.processTrackingId, run.status])).toEqual([[retry.body.run.processTrackingId, 'running']])
  })

  it('says 409 PT_IDEMPOTENCY_IN_PROGRESS with Retry-After while the first request is being processed', async () => {
    const open = await startApi(isolated.store, { auth: false })
    try {
      const body = { processName: 'In Progress', processType: 'Load' }
      // The first request has claimed the key and not answered yet (tokenId 0: no authentication).
      await claimKey(isolated.store, 0, 'busy-1', requestHash('POST /api/v1/runs', body))
      const second = await open.call('POST', '/api/v1/runs', { token: null, body, headers: { 'idempotency-key': 'busy-1' } })
      expect(second.status).toBe(409)
      expect(second.body.error.code).toBe('PT_IDEMPOTENCY_IN_PROGRESS')
      expect(second.headers.get('retry-after')).toBe('1')
      expect(await isolated.store.getProcess('In Progress')).toBeNull()
    } finally {
      await open.close()
    }
  })

  it('records an error once for a retried POST …/errors with the same key', async () => {
    const run = await api.call('POST', '/api/v1/runs', {
      token: api.tokens.write,
      body: { processName: 'Idem Errors', processType: 'Load' },
    })
    const path = `/api/v1/runs/${run.body.run.processTrackingId}/errors`
    const body = { errorType: 'Data Error', description: 'row 9' }
    const first = await api.call('POST', path, { token: api.tokens.write, body, headers: { 'idempotency-key': 'err-1' } })
    const again = await api.call('POST', path, { token: api.tokens.write, body, headers: { 'idempotency-key': 'err-1' } })
    expect([first.status, again.status]).toEqual([201, 201])
    expect(again.body.runError).toEqual(first.body.runError)
    expect(await isolated.store.listRunErrors(run.body.run.processTrackingId as number)).toHaveLength(1)
  })

  it('streams a change made by a library user in another process within 2 s, and resumes with Last-Event-ID', async () => {
    const stream = await SseStream.open(`${api.base}/api/v1/events`, api.tokens.read)
    expect(stream.status).toBe(200)
    const worker = new Worker(isolated.database.options)
    try {
      expect((await worker.send({ cmd: 'open' })).ok).toBe(true)
      const started = await worker.send({ cmd: 'start', options: { processName: 'Remote Writer', processType: 'Load' } })
      expect(started.ok).toBe(true)
      const created = await stream.waitFor(
        (e) => e.data.processTrackingId === started.processTrackingId && e.data.status === 'running',
        2000,
      )
      expect(created.event).toBe('run')
      await worker.send({ cmd: 'complete', processTrackingId: started.processTrackingId })
      const completed = await stream.waitFor(
        (e) => e.data.processTrackingId === started.processTrackingId && e.data.status === 'completed',
        2000,
      )
      stream.close()

      // Changes while disconnected (this process's library, not the server) are replayed on reconnect.
      const store: DataStore = isolated.store
      const missedA = await ProcessTracker.start(store, { processName: 'Missed A', processType: 'Load' })
      const missedB = await ProcessTracker.start(store, { processName: 'Missed B', processType: 'Load' })
      await missedA.setRecordCount(5)
      const resumed = await SseStream.open(`${api.base}/api/v1/events`, api.tokens.read, completed.id)
      await resumed.waitFor((e) => e.data.processTrackingId === missedA.processTrackingId && e.data.recordCount === 5, 2000)
      await resumed.waitFor((e) => e.data.processTrackingId === missedB.processTrackingId, 2000)
      resumed.close()
    } finally {
      await worker.close()
    }
  })
})
