/**
 * One way to declare a route: its scope, its zod schemas (which validate the request and document
 * it in `/openapi.json`) and a handler that gets the parsed input and the caller. Authentication runs
 * before the body is read, so a refused request writes nothing.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Authenticator, Caller } from './auth.ts'
import { errorBody } from './schemas.ts'
import type { Scope } from './token-store.ts'

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** What a handler receives. */
export interface RouteInput<B, Q, P> {
  body: B
  query: Q
  params: P
  caller: Caller
  request: FastifyRequest
  reply: FastifyReply
}

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: Method
  url: string
  /** The smallest scope allowed; null for routes that need no token. */
  scope: Scope | null
  summary: string
  tag: string
  body?: B
  query?: Q
  params?: P
  /** Documented success responses by status (errors are added for every route). */
  responses: Record<number, z.ZodType>
  /** Returns the body to send (the status is set on `reply` when it is not 200). */
  handler: (input: RouteInput<z.output<B>, z.output<Q>, z.output<P>>) => Promise<unknown>
}

const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 415, 422, 500, 503] as const

/** The things every route needs from the server. */
export interface RouteContext {
  app: FastifyInstance
  auth: Authenticator
}

/** Registers one route. */
export function addRoute<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, P extends z.ZodType = z.ZodUndefined>(
  { app, auth }: RouteContext,
  spec: RouteSpec<B, Q, P>,
): void {
  const response: Record<number, z.ZodType> = { ...spec.responses }
  for (const status of ERROR_STATUSES) if (!(status in response)) response[status] = errorBody
  const needed = spec.scope
  app.route({
    method: spec.method,
    url: spec.url,
    schema: {
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.body ? { body: spec.body } : {}),
      ...(spec.query ? { querystring: spec.query } : {}),
      ...(spec.params ? { params: spec.params } : {}),
      response,
      ...(needed ? { security: [{ bearer: [] }] } : {}),
    },
    onRequest: async (request) => {
      request.caller = needed ? await auth.authorize(request.headers.authorization, needed) : { tokenId: 0, name: null, scope: 'read' }
    },
    handler: async (request, reply) => {
      const result = await spec.handler({
        body: request.body as z.output<B>,
        query: request.query as z.output<Q>,
        params: request.params as z.output<P>,
        caller: request.caller ?? { tokenId: 0, name: null, scope: 'read' },
        request,
        reply,
      })
      if (reply.sent) return reply
      if (result === undefined) return reply.send()
      return reply.send(result)
    },
  })
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller
  }
}
