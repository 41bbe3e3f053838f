import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProcessOnHoldError, ProcessTracker } from '../../src/index.ts'
import { createServer } from '../../src/server/create-server.ts'
import { createToken } from '../../src/server/token-store.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'
import { contextOf } from '../../src/store/context.ts'

/**
 * The dashboard's side of `serve`, over real HTTP: the page at `/` and its deep links, the assets,
 * sign-in/out with an HttpOnly SameSite=Strict cookie, and the API accepting that cookie — on a
 * write only with the dashboard header, so a forged cross-site form is refused.
 */
describe.each(DIALECTS)('dashboard routes on %s', (dialect) => {
  const isolated = useIsolatedStore(dialect)
  let app: FastifyInstance
  let base = ''
  let admin = ''
  let reader = ''

  beforeAll(async () => {
    const { store } = isolated
    admin = (await createToken(store, 'dash-admin', 'admin')).secret
    reader = (await createToken(store, 'dash-reader', 'read')).secret
    app = await createServer({ store, auth: true, logger: pino({ level: 'silent' }) })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  })
  afterAll(async () => {
    await app.close()
  })

  const signIn = async (token: string) => {
    const response = await fetch(`${base}/dashboard/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-processtracker-dashboard': '1' },
      body: JSON.stringify({ token }),
    })
    return response
  }
  const cookieOf = (response: Response): string => (response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''

  it('serves the page at / and at every deep link, with a strict content security policy', async () => {
    for (const path of ['/', '/graph', '/on-hold', '/extracts', '/processes/a%20b%2Fc', '/runs/12']) {
      const response = await fetch(`${base}${path}`)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/html/)
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(await response.text()).toContain('<div id="app"></div>')
    }
    const page = await (await fetch(`${base}/`)).text()
    const script = /src="(\/dashboard\/app-[^"]+\.js)"/.exec(page)?.[1] ?? ''
    const asset = await fetch(`${base}${script}`)
    expect(asset.status).toBe(200)
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect((await fetch(`${base}/dashboard/nothing.js`)).status).toBe(404)
  })

  it('refuses a wrong token at sign-in and sets no cookie', async () => {
    const response = await signIn('pt_not-a-real-token-at-all-0000000000000000')
    expect(response.status).toBe(401)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PT_UNAUTHENTICATED')
    expect(response.headers.get('set-cookie')).toBeNull()
  })

  it('keeps a good token in an HttpOnly, SameSite=Strict cookie and says who signed in', async () => {
    const response = await signIn(reader)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      authRequired: true,
      signedIn: true,
      name: 'dash-reader',
      scope: 'read',
      maxConcurrentFailures: contextOf(isolated.store).maxConcurrentFailures,
    })
    const header = response.headers.get('set-cookie') ?? ''
    expect(header).toMatch(/^pt_dashboard=/)
    expect(header).toContain('HttpOnly')
    expect(header).toContain('SameSite=Strict')
    expect(header).not.toContain('Secure') // plain HTTP here; Secure under TLS
    const session = await fetch(`${base}/dashboard/session`, { headers: { cookie: cookieOf(response) } })
    expect(((await session.json()) as { scope: string }).scope).toBe('read')
    const anonymous = await fetch(`${base}/dashboard/session`)
    expect(((await anonymous.json()) as { signedIn: boolean }).signedIn).toBe(false)
  })

  it('accepts the cookie on reads; on writes only with the dashboard header', async () => {
    const { store } = isolated
    // The store's own threshold (the server shares the store): that many failures put it on hold.
    for (let attempt = 0; attempt < contextOf(store).maxConcurrentFailures; attempt += 1) {
      const run = await ProcessTracker.start(store, { processName: 'dash-held', processType: 'Extract' })
      await run.fail()
    }
    await ProcessTracker.start(store, { processName: 'dash-held', processType: 'Extract' }).catch((error: unknown) => {
      if (!(error instanceof ProcessOnHoldError)) throw error
    })
    const cookie = cookieOf(await signIn(admin))
    const read = await fetch(`${base}/api/v1/processes/dash-held`, { headers: { cookie } })
    expect(read.status).toBe(200)
    expect(((await read.json()) as { process: { state: string } }).process.state).toBe('on-hold')

    // A cross-site form would send the cookie (if SameSite failed) but never the header.
    const forged = await fetch(`${base}/api/v1/processes/dash-held/release-hold`, { method: 'POST', headers: { cookie } })
    expect(forged.status).toBe(401)
    expect((await store.getProcessView('dash-held')).state).toBe('on-hold')

    const released = await fetch(`${base}/api/v1/processes/dash-held/release-hold`, {
      method: 'POST',
      headers: { cookie, 'x-processtracker-dashboard': '1' },
    })
    expect(released.status).toBe(200)
    expect(((await released.json()) as { run: { status: string } }).run.status).toBe('released')
    expect((await store.getProcessView('dash-held')).state).toBe('released')
  })

  it('refuses an admin action to a read token signed in by cookie', async () => {
    const cookie = cookieOf(await signIn(reader))
    const response = await fetch(`${base}/api/v1/reap`, { method: 'POST', headers: { cookie, 'x-processtracker-dashboard': '1' } })
    expect(response.status).toBe(403)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PT_FORBIDDEN')
  })

  it('signs out by clearing the cookie; sign-in and sign-out need the dashboard header', async () => {
    const withoutHeader = await fetch(`${base}/dashboard/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: admin }),
    })
    expect(withoutHeader.status).toBe(403)
    expect(withoutHeader.headers.get('set-cookie')).toBeNull()
    const out = await fetch(`${base}/dashboard/sign-out`, { method: 'POST', headers: { 'x-processtracker-dashboard': '1' } })
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/^pt_dashboard=;.*Max-Age=0/)
  })
})

describe.each(DIALECTS)('dashboard routes without authentication on %s', (dialect) => {
  const isolated = useIsolatedStore(dialect)

  it('asks for no sign-in under --no-auth', async () => {
    const app = await createServer({ store: isolated.store, auth: false, logger: pino({ level: 'silent' }) })
    try {
      const response = await app.inject({ method: 'GET', url: '/dashboard/session' })
      expect(response.json()).toEqual({
        authRequired: false,
        signedIn: true,
        name: null,
        scope: 'admin',
        maxConcurrentFailures: contextOf(isolated.store).maxConcurrentFailures,
      })
    } finally {
      await app.close()
    }
  })
})

/** A self-signed certificate for 127.0.0.1, made with openssl for this run. */
function selfSignedCertificate(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'pt-tls-'))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  )
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }
}

describe.each(DIALECTS)('dashboard sign-in under TLS on %s', (dialect) => {
  const isolated = useIsolatedStore(dialect)

  it('marks the cookie Secure', async () => {
    const token = (await createToken(isolated.store, 'tls-reader', 'read')).secret
    const app = await createServer({ store: isolated.store, auth: true, https: selfSignedCertificate(), logger: pino({ level: 'silent' }) })
    try {
      await app.listen({ host: '127.0.0.1', port: 0 })
      const address = app.server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      const body = JSON.stringify({ token })
      const answer = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        const sent = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/dashboard/sign-in',
            method: 'POST',
            rejectUnauthorized: false,
            headers: { 'content-type': 'application/json', 'x-processtracker-dashboard': '1', 'content-length': Buffer.byteLength(body) },
          },
          (response) => {
            response.resume()
            response.on('end', () => {
              resolve({ status: response.statusCode ?? 0, cookie: String(response.headers['set-cookie'] ?? '') })
            })
          },
        )
        sent.on('error', reject)
        sent.end(body)
      })
      expect(answer.status).toBe(200)
      expect(answer.cookie).toMatch(/^pt_dashboard=.*; HttpOnly; SameSite=Strict; Secure$/)
    } finally {
      await app.close()
    }
  })
})
