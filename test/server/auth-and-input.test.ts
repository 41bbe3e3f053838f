/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call -- response bodies are JSON, read freely */
/**
 * Every auth failure and every bad input of http.md "What must be shown": each a 4xx with its code,
 * never a 500, and nothing written; plus a fast-check fuzz of request bodies.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKEN_RECHECK_MS } from '../../src/server/auth.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { startApi, type TestApi } from './support.ts'

describe.each(DIALECTS)('%s: HTTP auth and bad input', (dialect) => {
  const isolated = useIsolatedStore(dialect)
  let api: TestApi
  beforeAll(async () => {
    api = await startApi(isolated.store)
  })
  afterAll(async () => {
    await api.close()
  })
  /** Runs and processes in the store: what "nothing written" compares. */
  const written = async () => ({
    runs: (await isolated.store.countRuns({}, { cap: 100_000 })).total,
    processes: (await isolated.store.listProcesses({ limit: 1000 })).length,
  })
  const startBody = { processName: 'Guarded', processType: 'Load' }

  it('refuses a missing, wrong, malformed or revoked token with 401, a too small scope with 403, writing nothing', async () => {
    const before = await written()
    const none = await api.call('POST', '/api/v1/runs', { token: null, body: startBody })
    expect(none.status).toBe(401)
    expect(none.body.error.code).toBe('PT_UNAUTHENTICATED')
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect((await api.call('POST', '/api/v1/runs', { token: 'pt_wrong', body: startBody })).body.error.code).toBe('PT_UNAUTHENTICATED')
    expect((await api.call('POST', '/api/v1/runs', { body: startBody, headers: { authorization: 'Basic dXNlcjpwYXNz' } })).status).toBe(401)

    const created = await api.call('POST', '/api/v1/tokens', { body: { name: 'soon-revoked', scope: 'write' } })
    const secret = created.body.secret as string
    expect((await api.call('GET', '/api/v1/runs', { token: secret })).status).toBe(200)
    expect((await api.call('DELETE', '/api/v1/tokens/soon-revoked')).status).toBe(204)
    // A server trusts a token it has seen for TOKEN_RECHECK_MS (2 s, within the 5 s of http.md).
    await new Promise((resolve) => setTimeout(resolve, TOKEN_RECHECK_MS + 100))
    const revoked = await api.call('POST', '/api/v1/runs', { token: secret, body: startBody })
    expect(revoked.status).toBe(401)
    expect(revoked.body.error.code).toBe('PT_UNAUTHENTICATED')

    const readOnWrite = await api.call('POST', '/api/v1/runs', { token: api.tokens.read, body: startBody })
    expect(readOnWrite.status).toBe(403)
    expect(readOnWrite.body.error).toMatchObject({ code: 'PT_FORBIDDEN', details: { requiredScope: 'write', tokenScope: 'read' } })
    const writeOnAdmin = await api.call('POST', '/api/v1/dependencies', { token: api.tokens.write, body: { parent: 'a', child: 'b' } })
    expect(writeOnAdmin.status).toBe(403)
    expect((await api.call('POST', '/api/v1/tokens', { token: api.tokens.write, body: { name: 'x', scope: 'admin' } })).status).toBe(403)
    expect((await api.call('GET', '/api/v1/tokens', { token: api.tokens.read })).status).toBe(403)
    expect(await written()).toEqual(before)
    const names = (await api.call('GET', '/api/v1/tokens')).body.tokens.map((t: { name: string }) => t.name)
    expect(names).not.toContain('x')
  })

  it('answers malformed JSON, wrong content types, 2 MiB bodies, unknown fields and wrong types with 4xx codes, writing nothing', async () => {
    const before = await written()
    const cases: [string, string, Parameters<TestApi['call']>[2], number, string][] = [
      ['POST', '/api/v1/runs', { raw: '{"processName": ', headers: { 'content-type': 'application/json' } }, 400, 'PT_INVALID_INPUT'],
      [
        'POST',
        '/api/v1/runs',
        { raw: 'processName=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
        'PT_UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'POST',
        '/api/v1/runs',
        { raw: JSON.stringify(startBody), headers: { 'content-type': 'text/plain' } },
        415,
        'PT_UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'POST',
        '/api/v1/runs',
        { raw: JSON.stringify({ ...startBody, sources: ['x'.repeat(2 * 1024 * 1024)] }), headers: { 'content-type': 'application/json' } },
        413,
        'PT_PAYLOAD_TOO_LARGE',
      ],
      ['POST', '/api/v1/runs', { body: { ...startBody, processNmae: 'typo' } }, 400, 'PT_INVALID_INPUT'],
      ['POST', '/api/v1/runs', { body: { ...startBody, heartbeatTimeoutSeconds: 'ten' } }, 400, 'PT_INVALID_INPUT'],
      ['POST', '/api/v1/runs', { body: { ...startBody, sources: ['ok', 'ok', 3] } }, 400, 'PT_INVALID_INPUT'],
      ['POST', '/api/v1/runs', { body: [startBody] }, 400, 'PT_INVALID_INPUT'],
      ['POST', '/api/v1/runs', { body: { processName: 'x'.repeat(251), processType: 'Load' } }, 400, 'PT_INVALID_INPUT'],
      ['POST', '/api/v1/runs', { body: { ...startBody, scheduleFrequency: 'sometimes' } }, 400, 'PT_INVALID_INPUT'],
      ['POST', '/api/v1/runs', { body: { processName: 'New without type' } }, 400, 'PT_INVALID_INPUT'],
      ['POST', '/api/v1/runs', { body: { ...startBody, heartbeatTimeoutSeconds: 0 } }, 400, 'PT_INVALID_INPUT'],
      ['GET', '/api/v1/runs?limit=0', {}, 400, 'PT_INVALID_INPUT'],
      ['GET', '/api/v1/runs?limti=5', {}, 400, 'PT_INVALID_INPUT'],
      ['GET', '/api/v1/runs?startedAfter=2024-02-30', {}, 400, 'PT_INVALID_INPUT'],
      ['GET', '/api/v1/runs?status=nonsense', {}, 400, 'PT_INVALID_STATUS'],
      ['GET', '/api/v1/runs/abc', {}, 400, 'PT_INVALID_INPUT'],
      ['GET', '/api/v1/runs/0', {}, 400, 'PT_INVALID_INPUT'],
      ['GET', '/api/v1/nothing-here', {}, 404, 'PT_NOT_FOUND'],
      ['POST', '/api/v1/runs', { body: startBody, headers: { 'idempotency-key': 'k'.repeat(201) } }, 400, 'PT_INVALID_INPUT'],
    ]
    for (const [method, path, options, status, code] of cases) {
      const answer = await api.call(method, path, options)
      expect([path, answer.status, answer.body?.error?.code]).toEqual([path, status, code])
    }
    const unknown = await api.call('POST', '/api/v1/runs', { body: { ...startBody, processNmae: 'typo' } })
    expect(unknown.body.error.details.path).toBe('processNmae')
    const wrongType = await api.call('POST', '/api/v1/runs', { body: { ...startBody, sources: ['ok', 'ok', 3] } })
    expect(wrongType.body.error.details.path).toBe('sources')
    expect(await written()).toEqual(before)
  })

  it('treats %, _, quotes, SQL and emoji in path segments as plain names', async () => {
    const before = await written()
    for (const name of ['100%', 'a_b', 'O\'Brien "x"', "x'; drop table process; --", '🚀 load', '../runs', 'a/b']) {
      const segment = encodeURIComponent(name)
      for (const path of [`/api/v1/processes/${segment}`, `/api/v1/processes/${segment}/explain`]) {
        const answer = await api.call('GET', path, { token: api.tokens.read })
        expect([path, answer.status, answer.body?.error?.code]).toEqual([path, 404, 'PT_NOT_FOUND'])
      }
      const release = await api.call('POST', `/api/v1/processes/${segment}/release-hold`)
      expect(release.status).toBe(404)
      const lookup = await api.call('DELETE', `/api/v1/lookups/tool/${segment}`)
      expect(lookup.status).toBe(404)
    }
    const long = await api.call('GET', `/api/v1/processes/${'n'.repeat(251)}`, { token: api.tokens.read })
    expect(long.status).toBe(400)
    expect(await written()).toEqual(before)
  })

  it('never answers 500 to a random body (fast-check)', async () => {
    const run = await api.call('POST', '/api/v1/runs', { body: { processName: 'Fuzzed', processType: 'Load' } })
    const id = run.body.run.processTrackingId as number
    const routes: [string, string][] = [
      ['POST', '/api/v1/runs'],
      ['POST', `/api/v1/runs/${id}/status`],
      ['POST', `/api/v1/runs/${id}/errors`],
      ['PUT', `/api/v1/runs/${id}/record-count`],
      ['PUT', `/api/v1/runs/${id}/dates`],
      ['POST', `/api/v1/runs/${id}/extracts`],
      ['POST', `/api/v1/runs/${id}/extracts/status`],
      ['POST', `/api/v1/runs/${id}/extracts/claim`],
      ['POST', '/api/v1/dependencies'],
      ['POST', '/api/v1/lookups/contact'],
      ['POST', '/api/v1/tokens'],
    ]
    const field = fc.constantFrom(
      'processName',
      'processType',
      'status',
      'count',
      'low',
      'high',
      'errorType',
      'filename',
      'locationPath',
      'extractIds',
      'sources',
      'name',
      'scope',
      'email',
      'limit',
      'parent',
      'child',
      'failRun',
      'fileSize',
    )
    const value = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 5 }),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    )
    const body = fc.oneof(fc.dictionary(field, value, { maxKeys: 6 }), fc.jsonValue({ maxDepth: 3 }))
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, async ([method, path], payload) => {
        const answer = await api.call(method, path, { raw: JSON.stringify(payload), headers: { 'content-type': 'application/json' } })
        expect(answer.status, `${method} ${path} ${JSON.stringify(payload)} → ${answer.text}`).toBeLessThan(500)
        if (answer.status >= 400) expect(answer.body.error.code).toMatch(/^PT_/)
      }),
      { numRuns: 150 },
    )
  })
})
