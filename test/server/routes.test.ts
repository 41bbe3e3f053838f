/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call -- response bodies are JSON, read freely */
/**
 * Every route of http.md over a real port, on every database: a worker's lifecycle, extracts of a
 * run, reading with cursors, administration, tokens, operations and the OpenAPI document.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NEW_DELIVERY_NOTE } from '../../src/extract/register-by-location.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { startApi, type TestApi } from './support.ts'

describe.each(DIALECTS)('%s: HTTP routes', (dialect) => {
  const isolated = useIsolatedStore(dialect)
  let api: TestApi
  let folder: string
  beforeAll(async () => {
    api = await startApi(isolated.store)
    folder = mkdtempSync(join(tmpdir(), 'pt-http-'))
  })
  afterAll(async () => {
    await api.close()
    rmSync(folder, { recursive: true, force: true })
  })
  const write = (method: string, path: string, body?: unknown) =>
    api.call(method, path, { token: api.tokens.write, ...(body === undefined ? {} : { body }) })

  it('runs: start, read, heartbeat, counts, dates, errors, status, complete, refusals', async () => {
    const started = await write('POST', '/api/v1/runs', {
      processName: 'Teams Load',
      processType: 'Load',
      sources: 'Lahman',
      heartbeatTimeoutSeconds: 600,
    })
    expect(started.status).toBe(201)
    const id = started.body.run.processTrackingId as number
    expect(started.headers.get('location')).toBe(`/api/v1/runs/${id}`)
    expect(started.body.run).toMatchObject({
      processName: 'Teams Load',
      status: 'running',
      processRunId: 1,
      stale: false,
      errorCount: 0,
      extractCount: 0,
      heartbeatTimeoutSeconds: 600,
    })
    expect(started.body.run.startDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

    const refused = await write('POST', '/api/v1/runs', { processName: 'Teams Load' })
    expect(refused.status).toBe(409)
    expect(refused.body.error).toMatchObject({ code: 'PT_PROCESS_RUNNING', details: { rule: 'running', blockingRunId: id } })

    expect((await api.call('GET', `/api/v1/runs/${id}`, { token: api.tokens.read })).body.run.processTrackingId).toBe(id)
    expect((await write('POST', `/api/v1/runs/${id}/heartbeat`)).status).toBe(200)
    const counted = await write('PUT', `/api/v1/runs/${id}/record-count`, { count: 42, processingType: 'insert' })
    expect(counted.body.run).toMatchObject({ recordCount: 42, insertCount: 42 })
    await write('PUT', `/api/v1/runs/${id}/dates`, { low: '2024-01-05', high: '2024-02-01T10:00:00+02:00' })
    const dated = await write('PUT', `/api/v1/runs/${id}/dates`, { low: '2024-01-01' })
    expect(dated.body.run).toMatchObject({ lowDateTime: '2024-01-01T00:00:00.000Z', highDateTime: '2024-02-01T08:00:00.000Z' })
    const raised = await write('POST', `/api/v1/runs/${id}/errors`, { errorType: 'Data Error', description: 'bad row 7' })
    expect(raised.status).toBe(201)
    expect(raised.body.runError).toMatchObject({ errorType: 'Data Error', description: 'bad row 7' })
    expect(raised.body.run.errorCount).toBe(1)
    const errors = await api.call('GET', `/api/v1/runs/${id}/errors`, { token: api.tokens.read })
    expect(errors.body.errors).toHaveLength(1)
    expect((await write('POST', `/api/v1/runs/${id}/status`, { status: 'bogus' })).body.error.code).toBe('PT_INVALID_STATUS')
    expect((await write('POST', `/api/v1/runs/${id}/complete`)).body.run.status).toBe('completed')
    const again = await write('POST', `/api/v1/runs/${id}/complete`)
    expect(again.status).toBe(200)
    expect(again.body.run.status).toBe('completed')
    const over = await write('POST', `/api/v1/runs/${id}/heartbeat`)
    expect(over.status).toBe(409)
    expect(over.body.error.code).toBe('PT_RUN_NOT_ACTIVE')

    const second = await write('POST', '/api/v1/runs', { processName: 'Teams Load' })
    expect(second.body.run.processRunId).toBe(2)
    const halted = await write('POST', `/api/v1/runs/${second.body.run.processTrackingId}/errors`, {
      errorType: 'Process Error',
      failRun: true,
    })
    expect(halted.status).toBe(201)
    expect(halted.body.run.status).toBe('failed')
    const third = await write('POST', '/api/v1/runs', { processName: 'Teams Load' })
    const failed = await write('POST', `/api/v1/runs/${third.body.run.processTrackingId}/fail`, { reason: 'stuck' })
    expect(failed.body.run).toMatchObject({ status: 'failed', lastError: { errorType: 'Process Error', description: 'stuck' } })
    const fourth = await write('POST', '/api/v1/runs', { processName: 'Teams Load' })
    expect(
      (await write('POST', `/api/v1/runs/${fourth.body.run.processTrackingId}/status`, { status: 'completed', endDate: '2030-01-01' })).body
        .run,
    ).toMatchObject({
      status: 'completed',
      endDateTime: '2030-01-01T00:00:00.000Z',
    })
    expect((await api.call('GET', '/api/v1/runs/999999', { token: api.tokens.read })).body.error.code).toBe('PT_NOT_FOUND')
  })

  it('extracts of a run: register, list, statuses, counts, dates, dependencies, claim, locations', async () => {
    const writer = (await write('POST', '/api/v1/runs', { processName: 'Teams Extract', processType: 'Extract' })).body.run
      .processTrackingId as number
    const base = `/api/v1/runs/${writer}/extracts`
    const first = await write('POST', base, { filename: 'Teams.csv', locationPath: '/data/lahman/' })
    expect(first.status).toBe(201)
    expect(first.body.extract).toMatchObject({
      filename: 'Teams.csv',
      fullFilename: '/data/lahman/Teams.csv',
      status: 'initializing',
      filetype: 'csv',
      location: { locationPath: '/data/lahman' },
    })
    const existing = await write('POST', base, { filename: 'Teams.csv', locationPath: '/data/lahman/' })
    expect(existing.status).toBe(200)
    expect(existing.body.extract.extractId).toBe(first.body.extract.extractId)
    const batch = await write('POST', base, [
      { filename: 'Players.csv', locationPath: '/data/lahman/', fileSize: '2 MB' },
      { filename: 'Parks.csv.gz', locationPath: '/data/lahman/' },
    ])
    expect(batch.status).toBe(200)
    expect(batch.body.extracts.map((e: { filename: string }) => e.filename)).toEqual(['Players.csv', 'Parks.csv.gz'])
    expect(batch.body.extracts[1].compressionType).toBe('gzip')
    const bad = await write('POST', base, [
      { filename: 'Ok.csv', locationPath: '/data/lahman/' },
      { filename: 'a/b.csv', locationPath: '/data/lahman/' },
    ])
    expect(bad.status).toBe(400)
    const listed = await api.call('GET', base, { token: api.tokens.read })
    expect(listed.body.extracts.map((e: { filename: string }) => e.filename)).toEqual(['Teams.csv', 'Players.csv', 'Parks.csv.gz'])
    const ids = listed.body.extracts.map((e: { extractId: number }) => e.extractId) as number[]
    const [teams, players, parks] = ids as [number, number, number]
    expect((await write('POST', `${base}/${teams}/dependencies`, { type: 'parent', extractId: players })).status).toBe(201)
    const statuses = await write('POST', `${base}/status`, { extractIds: ids, status: 'ready' })
    expect(statuses.body.extracts.every((e: { status: string }) => e.status === 'ready')).toBe(true)
    expect((await write('PUT', `${base}/${teams}/record-count`, { count: 30, auditType: 'write' })).body.extract.writeRecordCount).toBe(30)
    expect(
      (await write('PUT', `${base}/${teams}/dates`, { low: '2020-01-01', high: '2020-12-31', auditType: 'write' })).body.extract,
    ).toMatchObject({
      writeLowDateTime: '2020-01-01T00:00:00.000Z',
      writeHighDateTime: '2020-12-31T00:00:00.000Z',
    })
    await write('POST', `/api/v1/runs/${writer}/complete`)

    const loader = (await write('POST', '/api/v1/runs', { processName: 'Teams Load2', processType: 'Load' })).body.run
      .processTrackingId as number
    const claimed = await write('POST', `/api/v1/runs/${loader}/extracts/claim`, {
      locationPath: '/data/lahman/',
      filename: 'Parks',
      limit: 5,
    })
    expect(claimed.body.extracts.map((e: { extractId: number; status: string }) => [e.extractId, e.status])).toEqual([[parks, 'loading']])
    const blocked = await write('POST', `/api/v1/runs/${loader}/extracts/status`, { extractIds: [teams], status: 'loading' })
    expect(blocked.status).toBe(409)
    expect(blocked.body.error.code).toBe('PT_EXTRACT_DEPENDENCY')

    writeFileSync(join(folder, 'a.csv'), 'x\n')
    writeFileSync(join(folder, 'b.csv'), 'y\n')
    const located = await write('POST', `/api/v1/runs/${loader}/locations/register`, { locationPath: folder })
    expect(located.status).toBe(200)
    expect(located.body.registered).toBe(2)
    expect(located.body.extracts.map((e: { filename: string }) => e.filename).sort()).toEqual(['a.csv', 'b.csv'])
    // A file delivered again with another size: its history carries the redelivery note (0.2).
    const redelivered = located.body.extracts.find((e: { filename: string }) => e.filename === 'a.csv').extractId as number
    writeFileSync(join(folder, 'a.csv'), 'a longer second delivery\n')
    expect((await write('POST', `/api/v1/runs/${loader}/locations/register`, { locationPath: folder })).status).toBe(200)
    const notes = await api.call('GET', `/api/v1/extracts/${redelivered}/history`, { token: api.tokens.read })
    expect(notes.body.history.map((h: { note: string | null }) => h.note)).toEqual([null, NEW_DELIVERY_NOTE])

    const history = await api.call('GET', `/api/v1/extracts/${parks}/history`, { token: api.tokens.read })
    expect(history.body.history.map((h: { status: string }) => h.status)).toContain('loading')
    expect((await api.call('GET', `/api/v1/extracts/${parks}`, { token: api.tokens.read })).body.extract.status).toBe('loading')
    const extracts = await api.call('GET', '/api/v1/extracts?locationPath=/data/lahman/&limit=2', { token: api.tokens.read })
    expect(extracts.body.extracts).toHaveLength(2)
    expect(extracts.body.next).toMatch(/^\/api\/v1\/extracts\?/)
    const rest = await api.call('GET', extracts.body.next as string, { token: api.tokens.read })
    expect(rest.body.extracts).toHaveLength(1)
    expect(rest.body.next).toBeNull()
    const locations = await api.call('GET', '/api/v1/locations', { token: api.tokens.read })
    expect(locations.body.locations.map((l: { locationPath: string }) => l.locationPath)).toContain('/data/lahman')
  })

  it('reading: runs with filters, cursor and count; processes; explain; graph; lookups', async () => {
    for (let i = 0; i < 3; i++) {
      const run = await write('POST', '/api/v1/runs', { processName: 'Paged', processType: 'Load', actorName: 'pager' })
      await write('POST', `/api/v1/runs/${run.body.run.processTrackingId}/complete`)
    }
    const page = await api.call('GET', '/api/v1/runs?process=Paged&limit=2&count=true', { token: api.tokens.read })
    expect(page.status).toBe(200)
    expect(page.body.total).toBe(3)
    expect(page.body.runs.map((r: { processRunId: number }) => r.processRunId)).toEqual([3, 2])
    const next = await api.call('GET', page.body.next as string, { token: api.tokens.read })
    expect(next.body.runs.map((r: { processRunId: number }) => r.processRunId)).toEqual([1])
    expect(next.body.next).toBeNull()
    expect(
      (await api.call('GET', '/api/v1/runs?actor=pager&status=completed&startedAfter=2000-01-01&stale=false', { token: api.tokens.read }))
        .body.runs,
    ).toHaveLength(3)
    expect((await api.call('GET', '/api/v1/runs?process=Nope', { token: api.tokens.read })).status).toBe(404)
    expect((await api.call('GET', '/api/v1/runs?limit=1001', { token: api.tokens.read })).body.error).toMatchObject({
      code: 'PT_INVALID_INPUT',
      details: { path: 'limit' },
    })

    const processes = await api.call('GET', '/api/v1/processes?q=Page&state=completed', { token: api.tokens.read })
    expect(processes.body.processes.map((p: { processName: string }) => p.processName)).toEqual(['Paged'])
    const one = await api.call('GET', `/api/v1/processes/${encodeURIComponent('Paged')}`, { token: api.tokens.read })
    expect(one.body.process).toMatchObject({ processName: 'Paged', state: 'completed', onHold: false, latestRun: { processRunId: 3 } })
    const explain = await api.call('GET', '/api/v1/processes/Paged/explain', { token: api.tokens.read })
    expect(explain.body).toMatchObject({ allowed: true, rule: null })
    expect((await api.call('GET', '/api/v1/processes/Nope/explain', { token: api.tokens.read })).status).toBe(404)
    const graph = await api.call('GET', '/api/v1/graph', { token: api.tokens.read })
    expect(graph.body.nodes.some((n: { processName: string }) => n.processName === 'Paged')).toBe(true)
    expect((await api.call('GET', '/api/v1/lookups/process-status', { token: api.tokens.read })).body.items).toContain('running')
  })

  it('administration: dependencies, clusters, lookups, reap, release-hold', async () => {
    await write('POST', '/api/v1/runs', { processName: 'Parent P', processType: 'Load' })
    const child = await write('POST', '/api/v1/runs', { processName: 'Child P', processType: 'Load' })
    await write('POST', `/api/v1/runs/${child.body.run.processTrackingId}/complete`)
    expect((await api.call('POST', '/api/v1/dependencies', { body: { parent: 'Parent P', child: 'Child P' } })).status).toBe(201)
    const blocked = await write('POST', '/api/v1/runs', { processName: 'Child P' })
    expect(blocked.body.error).toMatchObject({
      code: 'PT_DEPENDENCY_BLOCKED',
      details: { rule: 'dependency', blockingProcessName: 'Parent P' },
    })
    expect((await api.call('DELETE', '/api/v1/dependencies?parent=Parent%20P&child=Child%20P')).status).toBe(204)

    expect((await api.call('POST', '/api/v1/lookups/cluster', { body: { name: 'Spark', maxMemory: 64, memoryUnit: 'GB' } })).status).toBe(
      201,
    )
    expect((await api.call('PUT', '/api/v1/clusters/Spark/processes/Child%20P')).status).toBe(204)
    expect((await api.call('DELETE', '/api/v1/clusters/Spark/processes/Child%20P')).status).toBe(204)
    expect((await api.call('PATCH', '/api/v1/lookups/cluster/Spark', { body: { name: 'Spark 2' } })).status).toBe(200)
    expect((await api.call('GET', '/api/v1/lookups/cluster')).body.items).toContain('Spark 2')
    expect((await api.call('DELETE', '/api/v1/lookups/cluster/Spark%202')).status).toBe(204)
    const protectedRow = await api.call('DELETE', '/api/v1/lookups/process-status/running')
    expect(protectedRow.status).toBe(403)
    expect(protectedRow.body.error.code).toBe('PT_PROTECTED_RECORD')

    const reaped = await api.call('POST', '/api/v1/reap')
    expect(reaped.status).toBe(200)
    expect(Array.isArray(reaped.body.runs)).toBe(true)

    expect((await api.call('POST', '/api/v1/processes/Child%20P/release-hold')).body.error.code).toBe('PT_NOT_FOUND')
    // Five failures in a row put the process on hold (the default max_concurrent_failures).
    for (let i = 0; i < 5; i++) {
      const run = await write('POST', '/api/v1/runs', { processName: 'Flaky', processType: 'Load' })
      expect(run.body).toMatchObject({ run: { status: 'running' } })
      expect((await write('POST', `/api/v1/runs/${run.body.run.processTrackingId}/fail`)).body).toMatchObject({ run: { status: 'failed' } })
    }
    const held = await write('POST', '/api/v1/runs', { processName: 'Flaky' })
    expect(held.status).toBe(409)
    expect(held.body.error.code).toBe('PT_PROCESS_ON_HOLD')
    const released = await api.call('POST', '/api/v1/processes/Flaky/release-hold')
    expect(released.status).toBe(200)
    expect(released.body.run.status).toBe('released')
    expect((await write('POST', '/api/v1/runs', { processName: 'Flaky' })).status).toBe(201)
  })

  it('tokens: create (secret once), list (never the secret), revoke', async () => {
    const created = await api.call('POST', '/api/v1/tokens', { body: { name: 'ci', scope: 'read' } })
    expect(created.status).toBe(201)
    expect(created.body.secret).toMatch(/^pt_[A-Za-z0-9_-]{43,}$/)
    expect((await api.call('GET', '/api/v1/runs', { token: created.body.secret as string })).status).toBe(200)
    const listed = await api.call('GET', '/api/v1/tokens')
    expect(listed.text).not.toContain(created.body.secret)
    expect(listed.body.tokens.find((t: { name: string }) => t.name === 'ci')).toMatchObject({ scope: 'read', revokedAt: null })
    expect((await api.call('POST', '/api/v1/tokens', { body: { name: 'ci', scope: 'read' } })).status).toBe(409)
    expect((await api.call('DELETE', '/api/v1/tokens/ci')).status).toBe(204)
    expect((await api.call('DELETE', '/api/v1/tokens/nobody')).status).toBe(404)
  })

  it('operations: healthz, readyz, metrics, openapi.json and /docs from local files', async () => {
    expect((await api.call('GET', '/healthz', { token: null })).body).toEqual({ ok: true })
    expect((await api.call('GET', '/readyz', { token: null })).body).toEqual({ ok: true })
    expect((await api.call('GET', '/metrics', { token: null })).status).toBe(401)
    const metrics = await api.call('GET', '/metrics', { token: api.tokens.read })
    expect(metrics.text).toMatch(/processtracker_process_last_completed_timestamp_seconds\{process="Paged"\} \d+/)
    expect(metrics.text).toMatch(/processtracker_http_requests_total\{route="\/api\/v1\/runs",method="POST",status="201"\} \d+/)
    expect(metrics.text).toMatch(/processtracker_starts_total\{outcome="refused",rule="running"\} \d+/)
    expect(metrics.text).toMatch(/processtracker_runs\{status="completed"\} \d+/)
    expect(metrics.text).toContain('processtracker_active_runs')
    const openapi = await api.call('GET', '/openapi.json', { token: null })
    expect(openapi.body.openapi).toBe('3.1.0')
    for (const path of [
      '/api/v1/runs',
      '/api/v1/runs/{id}/extracts/claim',
      '/api/v1/events',
      '/api/v1/tokens/{name}',
      '/api/v1/lookups/{topic}/{name}',
    ]) {
      expect(Object.keys(openapi.body.paths as object)).toContain(path)
    }
    expect(openapi.body.paths['/api/v1/runs'].post.requestBody).toBeDefined()
    expect(openapi.body.paths['/api/v1/runs'].post.responses['409']).toBeDefined()
    // The history entry documents its 0.2 redelivery note (nullable).
    const entry = openapi.body.paths['/api/v1/extracts/{id}/history'].get.responses['200'].content['application/json'].schema.properties
      .history.items as {
      required: string[]
      properties: Record<string, unknown>
    }
    expect(entry.required).toContain('note')
    expect(JSON.stringify(entry.properties.note)).toMatch(/"null"/)
    const docs = await api.call('GET', '/docs', { token: null })
    expect(docs.status).toBe(200)
    expect(docs.text).not.toMatch(/https?:\/\/(cdn|unpkg)/)
    expect((await api.call('GET', '/docs/static/swagger-ui-bundle.js', { token: null })).status).toBe(200)
  })
})
