/**
 * `createServer`: the library behind a JSON HTTP API (http.md). The server keeps no state of its
 * own — tokens, idempotency keys and the event cursor live in the database — so any number of
 * servers may share one store.
 */
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { jsonSchemaTransform } from 'fastify-type-provider-zod'
import pino, { type Logger } from 'pino'
import type { z } from 'zod'
import type { DataStore } from '../api/data-store.ts'
import { VERSION } from '../version.ts'
import { Authenticator } from './auth.ts'
import { EventFeed } from './event-feed.ts'
import { HttpError, toErrorReply } from './http-errors.ts'
import { ServerMetrics } from './metrics.ts'
import type { RouteContext } from './route.ts'
import { addAdminRoutes } from './routes/admin.ts'
import { addEventRoutes } from './routes/events.ts'
import { addOperationRoutes } from './routes/operations.ts'
import { addReadRoutes } from './routes/reads.ts'
import { addRunExtractRoutes } from './routes/run-extracts.ts'
import { addRunRoutes } from './routes/runs.ts'
import { addDashboardRoutes } from './dashboard/dashboard-routes.ts'
import { RunActions } from './run-actions.ts'

/** Options of {@link createServer}. */
export interface CreateServerOptions {
  /** The open store every route works on; the server does not close it. */
  store: DataStore
  /** Require bearer tokens (default true). Without, every caller is an admin: loopback only. */
  auth?: boolean
  /** Origins allowed to call the API from a browser (CORS); none by default. */
  corsOrigins?: string[]
  /** Serve /metrics without a token. */
  metricsPublic?: boolean
  /** The request logger (default: pino at info on stdout). Never logs the Authorization header. */
  logger?: Logger
  /** TLS: PEM certificate and key. */
  https?: { cert: string | Buffer; key: string | Buffer }
}

/** Request bodies above this are refused with 413. */
export const BODY_LIMIT = 1024 * 1024

/**
 * Builds the HTTP API on a store: a fastify instance with every route of http.md, not yet listening.
 *
 * @example
 * ```ts
 * import { DataStore } from 'processtracker'
 * import { createServer } from 'processtracker/server'
 *
 * const store = await DataStore.open({ url: 'postgres://pt@db/tracker' })
 * const server = await createServer({ store, auth: true })
 * await server.listen({ host: '127.0.0.1', port: 8400 })
 * ```
 */
export async function createServer(options: CreateServerOptions): Promise<FastifyInstance> {
  const { store } = options
  const logger = options.logger ?? pino({ level: 'info', redact: ['req.headers.authorization', 'password', '*.password'] })
  const serverOptions: FastifyServerOptions = {
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT,
    // Unknown query parameters are refused by the schemas; fastify must not drop them first.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2000 },
    forceCloseConnections: false,
    return503OnClosing: true,
  }
  const app = (options.https
    ? Fastify({ ...serverOptions, https: options.https } as FastifyServerOptions)
    : Fastify(serverOptions)) as unknown as FastifyInstance

  // Validation: zod parses the request; a failure names the field (details.path).
  app.setValidatorCompiler(({ schema }) => (data: unknown) => {
    const result = (schema as z.ZodType).safeParse(data)
    if (result.success) return { value: result.data }
    return { error: validationError(result.error) }
  })
  // Responses are plain JSON (dates become ISO strings with milliseconds in UTC); the response
  // schemas document them in /openapi.json.
  app.setSerializerCompiler(() => (data: unknown) => JSON.stringify(data))

  // JSON only; an empty body is no body (POST …/complete sent by clients that always set the header).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') {
      done(null, undefined)
      return
    }
    try {
      done(null, JSON.parse(text) as unknown)
    } catch {
      done(new HttpError(400, 'PT_INVALID_INPUT', 'The request body is not valid JSON.'), undefined)
    }
  })

  const metrics = new ServerMetrics(store)
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.routeOptions.url ?? 'unknown', request.method, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })

  app.setErrorHandler((error, request, reply) => {
    const answer = toErrorReply(error)
    if (answer.unexpected) request.log.error({ err: error }, 'unexpected error')
    void reply.code(answer.status).headers(answer.headers).type('application/json').send(JSON.stringify(answer.body))
  })
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .type('application/json')
      .send(
        JSON.stringify({
          error: {
            code: 'PT_NOT_FOUND',
            message: `There is no route ${request.method} ${request.url.split('?')[0] ?? ''}; see /openapi.json.`,
            details: {},
          },
        }),
      )
  })

  if (options.corsOrigins && options.corsOrigins.length > 0) addCors(app, options.corsOrigins)

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'ProcessTracker', version: VERSION, description: 'Audit and guard data-integration processes over HTTP (http.md).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true })

  const context: RouteContext = { app, auth: new Authenticator(store, options.auth ?? true) }
  const feed = new EventFeed(store)
  addOperationRoutes(context, store, metrics, options.metricsPublic ?? false)
  const runs = new RunActions(store)
  addRunRoutes(context, store, metrics, runs)
  addRunExtractRoutes(context, runs)
  addReadRoutes(context, store)
  addAdminRoutes(context, store)
  const endStreams = addEventRoutes(context, feed)
  // The dashboard (dashboard.md, src/server/dashboard): its page at `/`, its files and sign-in
  // routes; and the sign-in cookie accepted by the API in place of `Authorization` (reads always,
  // writes only with the X-ProcessTracker-Dashboard header), checked by this same authenticator.
  addDashboardRoutes(app, { store, auth: context.auth, authEnabled: options.auth ?? true })
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger())
  app.addHook('preClose', (done) => {
    feed.close()
    endStreams()
    done()
  })
  return app
}

function validationError(error: z.ZodError): HttpError {
  const issue = error.issues[0]
  const keys = issue?.code === 'unrecognized_keys' ? issue.keys : []
  const path = [...(issue?.path ?? []), ...keys.slice(0, 1)].map(String).join('.')
  const message =
    issue?.code === 'unrecognized_keys'
      ? `Unknown field ${path}: check its spelling (fields are camelCase).`
      : `${path || 'The body'}: ${issue?.message ?? 'invalid'}.`
  return new HttpError(400, 'PT_INVALID_INPUT', message, {
    path,
    issues: error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  })
}

/** Minimal CORS for the listed origins: preflights answered, the origin echoed when allowed. */
function addCors(app: FastifyInstance, origins: string[]): void {
  const allowed = new Set(origins)
  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin
    if (origin && allowed.has(origin)) {
      void reply.header('access-control-allow-origin', origin).header('vary', 'Origin')
      if (request.method === 'OPTIONS') {
        void reply
          .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
          .header('access-control-allow-headers', 'Authorization, Content-Type, Idempotency-Key, Last-Event-ID')
          .header('access-control-max-age', '600')
          .code(204)
          .send()
        return
      }
    }
    done()
  })
}
