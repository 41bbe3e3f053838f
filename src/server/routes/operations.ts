/** Operations (http.md "Operations"): health, readiness, metrics. */
import { z } from 'zod'
import { DatabaseUnavailableError } from '../../errors.ts'
import type { DataStore } from '../../api/data-store.ts'
import type { ServerMetrics } from '../metrics.ts'
import { addRoute, type RouteContext } from '../route.ts'

/** How long `/readyz` waits for the database. */
const READY_TIMEOUT_MS = 1_000

/** Adds /healthz, /readyz and /metrics. */
export function addOperationRoutes(context: RouteContext, store: DataStore, metrics: ServerMetrics, metricsPublic: boolean): void {
  addRoute(context, {
    method: 'GET',
    url: '/healthz',
    scope: null,
    tag: 'operations',
    summary: 'The process runs',
    responses: { 200: z.object({ ok: z.literal(true) }) },
    handler: () => Promise.resolve({ ok: true }),
  })

  addRoute(context, {
    method: 'GET',
    url: '/readyz',
    scope: null,
    tag: 'operations',
    summary: 'The database answers within 1 s (else 503 PT_DATABASE_UNAVAILABLE)',
    responses: { 200: z.object({ ok: z.literal(true) }) },
    handler: async () => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new DatabaseUnavailableError('The database did not answer within 1 second.'))
        }, READY_TIMEOUT_MS)
      })
      try {
        await Promise.race([store.lookups.list('process status'), timeout])
      } finally {
        clearTimeout(timer)
      }
      return { ok: true }
    },
  })

  addRoute(context, {
    method: 'GET',
    url: '/metrics',
    scope: metricsPublic ? null : 'read',
    tag: 'operations',
    summary: 'Prometheus metrics (read scope unless the server runs with --metrics-public)',
    responses: { 200: z.string().meta({ description: 'Prometheus text format' }) },
    handler: async ({ reply }) => {
      const text = await metrics.registry.metrics()
      reply.header('content-type', metrics.registry.contentType)
      return text
    },
  })
}
