/** Administration (http.md "Administration", admin scope) and tokens. */
import { z } from 'zod'
import type { DataStore } from '../../api/data-store.ts'
import { addRoute, type RouteContext } from '../route.ts'
import { dependencyBody, lookupCreateBody, lookupUpdateBody, runSchema, tokenBody, tokenSchema } from '../schemas.ts'
import { createToken, listTokens, revokeToken } from '../token-store.ts'
import { lookupTopic } from './reads.ts'

const nameParam = z.string().min(1)

/** Adds the administration routes. */
export function addAdminRoutes(context: RouteContext, store: DataStore): void {
  addRoute(context, {
    method: 'POST',
    url: '/api/v1/processes/:name/release-hold',
    scope: 'admin',
    tag: 'administration',
    summary: 'Release an on-hold process (404 when it is not on hold)',
    params: z.strictObject({ name: nameParam }),
    responses: { 200: z.object({ run: runSchema }) },
    handler: async ({ params }) => {
      const released = await store.releaseHold(params.name)
      return { run: await store.getRun(released.processTrackingId) }
    },
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/dependencies',
    scope: 'admin',
    tag: 'administration',
    summary: 'Make child depend on parent (type Hard by default)',
    body: dependencyBody,
    responses: { 201: z.object({}) },
    handler: async ({ body, reply }) => {
      await store.addProcessDependency(body.parent, body.child, body.type === undefined ? {} : { type: body.type })
      reply.code(201)
      return {}
    },
  })

  addRoute(context, {
    method: 'DELETE',
    url: '/api/v1/dependencies',
    scope: 'admin',
    tag: 'administration',
    summary: 'Remove a process dependency',
    query: z.strictObject({ parent: z.string(), child: z.string() }),
    responses: { 204: z.null() },
    handler: async ({ query, reply }) => {
      await store.removeProcessDependency(query.parent, query.child)
      reply.code(204)
      return undefined
    },
  })

  const clusterParams = z.strictObject({ cluster: nameParam, process: nameParam })
  addRoute(context, {
    method: 'PUT',
    url: '/api/v1/clusters/:cluster/processes/:process',
    scope: 'admin',
    tag: 'administration',
    summary: 'Put a process in a cluster',
    params: clusterParams,
    responses: { 204: z.null() },
    handler: async ({ params, reply }) => {
      await store.addClusterProcess(params.cluster, params.process)
      reply.code(204)
      return undefined
    },
  })
  addRoute(context, {
    method: 'DELETE',
    url: '/api/v1/clusters/:cluster/processes/:process',
    scope: 'admin',
    tag: 'administration',
    summary: 'Take a process out of a cluster',
    params: clusterParams,
    responses: { 204: z.null() },
    handler: async ({ params, reply }) => {
      await store.removeClusterProcess(params.cluster, params.process)
      reply.code(204)
      return undefined
    },
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/reap',
    scope: 'admin',
    tag: 'administration',
    summary: 'Fail every run that outlived its heartbeat timeout',
    responses: { 200: z.object({ runs: z.array(runSchema) }) },
    handler: async () => {
      const reaped = await store.reapStaleRuns()
      return { runs: await Promise.all(reaped.map((run) => store.getRun(run.processTrackingId))) }
    },
  })

  const topicParams = z.strictObject({ topic: z.string() })
  const itemParams = z.strictObject({ topic: z.string(), name: nameParam })
  addRoute(context, {
    method: 'POST',
    url: '/api/v1/lookups/:topic',
    scope: 'admin',
    tag: 'administration',
    summary: 'Create a lookup item ({ name, …extra }: contact email, cluster sizes, status category)',
    params: topicParams,
    body: lookupCreateBody,
    responses: { 201: z.object({}) },
    handler: async ({ params, body, reply }) => {
      const { name, ...extra } = body
      await store.lookups.create(lookupTopic(params.topic), name, extra)
      reply.code(201)
      return {}
    },
  })
  addRoute(context, {
    method: 'PATCH',
    url: '/api/v1/lookups/:topic/:name',
    scope: 'admin',
    tag: 'administration',
    summary: 'Rename a lookup item or change its extra fields',
    params: itemParams,
    body: lookupUpdateBody,
    responses: { 200: z.object({}) },
    handler: async ({ params, body }) => {
      const { name, ...extra } = body
      await store.lookups.update(lookupTopic(params.topic), params.name, name ?? params.name, extra)
      return {}
    },
  })
  addRoute(context, {
    method: 'DELETE',
    url: '/api/v1/lookups/:topic/:name',
    scope: 'admin',
    tag: 'administration',
    summary: 'Delete a lookup item',
    params: itemParams,
    responses: { 204: z.null() },
    handler: async ({ params, reply }) => {
      await store.lookups.delete(lookupTopic(params.topic), params.name)
      reply.code(204)
      return undefined
    },
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/tokens',
    scope: 'admin',
    tag: 'tokens',
    summary: 'Every token (never its secret)',
    responses: { 200: z.object({ tokens: z.array(tokenSchema) }) },
    handler: async () => ({ tokens: await listTokens(store) }),
  })
  addRoute(context, {
    method: 'POST',
    url: '/api/v1/tokens',
    scope: 'admin',
    tag: 'tokens',
    summary: 'Create a token; the secret is in this response only',
    body: tokenBody,
    responses: {
      201: z.object({ token: z.object({ name: z.string(), scope: z.string(), createdAt: z.iso.datetime() }), secret: z.string() }),
    },
    handler: async ({ body, reply }) => {
      const { token, secret } = await createToken(store, body.name, body.scope)
      reply.code(201)
      return { token: { name: token.name, scope: token.scope, createdAt: token.createdAt }, secret }
    },
  })
  addRoute(context, {
    method: 'DELETE',
    url: '/api/v1/tokens/:name',
    scope: 'admin',
    tag: 'tokens',
    summary: 'Revoke a token: every server refuses it within 5 seconds',
    params: z.strictObject({ name: nameParam }),
    responses: { 204: z.null() },
    handler: async ({ params, reply }) => {
      await revokeToken(store, params.name)
      reply.code(204)
      return undefined
    },
  })
}
