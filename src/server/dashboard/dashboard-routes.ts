/**
 * The dashboard (dashboard.md) inside `processtracker serve`: its built page and assets at `/` (with
 * deep links such as `/processes/{name}` answered by the same page), and sign-in, sign-out and
 * session routes that keep the token in an HttpOnly cookie. The dashboard reads tracking data only
 * through the public API; these routes touch no tracking data, only the token check of every request.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { DataStore } from '../../api/data-store.ts'
import type { Authenticator, Caller } from '../auth.ts'
import { HttpError } from '../http-errors.ts'
import { authorizationFor, clearedCookie, COOKIE_NAME, fromDashboard, readCookie, sessionCookie } from './session-cookie.ts'
import { contextOf } from '../../store/context.ts'

/** Options of {@link addDashboardRoutes}. */
export interface DashboardOptions {
  store: DataStore
  /** The server's authenticator: sign-in checks a token exactly as the API does. */
  auth: Authenticator
  /** False under `--no-auth`: no sign-in is asked. */
  authEnabled: boolean
  /** Where the built dashboard is (default: `dist/dashboard` of this package). */
  assetsDir?: string
}

/** What `GET /dashboard/session` answers (the dashboard's "who am I"). */
export interface DashboardSession {
  authRequired: boolean
  signedIn: boolean
  name: string | null
  scope: Caller['scope'] | null
  maxConcurrentFailures: number
}

/** Paths the page answers, so a deep link or a reload opens the right view. */
const PAGE_PATHS = ['/', '/graph', '/on-hold', '/extracts', '/processes/:name', '/runs/:id']

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
}

// Everything comes from this server: no CDN, no inline script, no framing by another site.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
}

/** The built dashboard: `dist/dashboard` beside the compiled server, or of the repository under tsx. */
function defaultAssetsDir(): string {
  const fromSource = import.meta.url.endsWith('.ts')
  return fileURLToPath(new URL(fromSource ? '../../../dist/dashboard/' : '../../dashboard/', import.meta.url))
}

interface Assets {
  page: string
  files: Map<string, { body: Buffer; type: string }>
}

function loadAssets(dir: string): Assets {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    names = []
  }
  if (!names.includes('index.html')) {
    return {
      page: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ProcessTracker</title></head><body><main><h1>The dashboard is not built</h1><p>Run <code>npm run build</code> in the processtracker package (it writes ${dir}). The HTTP API works without it: see <a href="/docs">/docs</a>.</p></main></body></html>`,
      files: new Map(),
    }
  }
  const files = new Map<string, { body: Buffer; type: string }>()
  for (const name of names) {
    const type = CONTENT_TYPES[name.slice(name.lastIndexOf('.'))]
    if (type) files.set(name, { body: readFileSync(join(dir, name)), type })
  }
  return { page: readFileSync(join(dir, 'index.html'), 'utf8'), files }
}

const isTls = (request: FastifyRequest): boolean => request.protocol === 'https'

/** Writes need the dashboard header: a cross-site form cannot add it. */
function requireDashboardHeader(request: FastifyRequest): void {
  if (!fromDashboard(request)) {
    throw new HttpError(
      403,
      'PT_FORBIDDEN',
      'Send the header X-ProcessTracker-Dashboard: 1 (the dashboard does); a form from another site cannot.',
    )
  }
}

/**
 * Adds the dashboard's page, assets and session routes to the server, and lets every API route
 * accept the sign-in cookie in place of `Authorization` (see `authorizationFor`): the request's
 * header is filled in before any route's own authentication runs, so the API's scope checks,
 * errors and logs stay exactly those of a bearer token.
 */
export function addDashboardRoutes(app: FastifyInstance, options: DashboardOptions): void {
  const assets = loadAssets(options.assetsDir ?? defaultAssetsDir())
  const maxConcurrentFailures = contextOf(options.store).maxConcurrentFailures

  if (options.authEnabled) {
    app.addHook('onRequest', (request, _reply, done) => {
      if (request.headers.authorization === undefined && request.url.startsWith('/api/')) {
        const authorization = authorizationFor(request)
        if (authorization !== undefined) request.headers.authorization = authorization
      }
      done()
    })
  }

  const sendPage = (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(200).headers(PAGE_HEADERS).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(assets.page)
  for (const url of PAGE_PATHS) app.get(url, { schema: { hide: true } }, sendPage)

  app.get<{ Params: { file: string } }>('/dashboard/:file', { schema: { hide: true } }, (request, reply) => {
    const file = assets.files.get(request.params.file)
    if (!file) throw new HttpError(404, 'PT_NOT_FOUND', `There is no dashboard file ${request.params.file}; reload the page.`)
    // Names carry a content hash, so a file never changes under its name.
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .type(file.type)
      .send(file.body)
  })

  const session = (caller: Caller | null): DashboardSession => ({
    authRequired: options.authEnabled,
    signedIn: caller !== null,
    name: caller?.name ?? null,
    scope: caller?.scope ?? null,
    maxConcurrentFailures,
  })

  // Who the visitor is; an unknown, revoked or missing cookie is simply "not signed in".
  app.get('/dashboard/session', { schema: { hide: true } }, async (request, reply) => {
    void reply.header('cache-control', 'no-store')
    if (!options.authEnabled) return session(await options.auth.authorize(undefined, 'read'))
    if (!readCookie(request.headers.cookie, COOKIE_NAME)) return session(null)
    try {
      return session(await options.auth.authorize(authorizationFor(request), 'read'))
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) {
        void reply.header('set-cookie', clearedCookie(isTls(request)))
        return session(null)
      }
      throw error
    }
  })

  app.post('/dashboard/sign-in', { schema: { hide: true } }, async (request, reply) => {
    requireDashboardHeader(request)
    const token = (request.body as { token?: unknown } | undefined)?.token
    if (typeof token !== 'string' || token.trim() === '') {
      throw new HttpError(400, 'PT_INVALID_INPUT', 'Send { "token": "pt_…" }: a token made with `processtracker token create`.', {
        path: 'token',
      })
    }
    if (!options.authEnabled) return session(await options.auth.authorize(undefined, 'read'))
    // The same check as every API request: an unknown or revoked token is a 401 here too.
    const caller = await options.auth.authorize(`Bearer ${token.trim()}`, 'read')
    void reply.header('set-cookie', sessionCookie(token.trim(), isTls(request))).header('cache-control', 'no-store')
    return session(caller)
  })

  app.post('/dashboard/sign-out', { schema: { hide: true } }, (request, reply) => {
    requireDashboardHeader(request)
    return reply
      .header('set-cookie', clearedCookie(isTls(request)))
      .code(204)
      .send()
  })
}
