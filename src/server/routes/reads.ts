/** Reading (http.md "Reading"): lists are newest first with a cursor (`next`), never offsets. */
import { z } from 'zod'
import { NotFoundError } from '../../errors.ts'
import type { DataStore } from '../../api/data-store.ts'
import { LOOKUP_TOPICS } from '../../tracker/lookups.ts'
import { addRoute, type RouteContext } from '../route.ts'
import { dateInput, extractSchema, idParam, limitQuery, processSchema, runSchema } from '../schemas.ts'

const booleanQuery = z.enum(['true', 'false']).transform((value) => value === 'true')
const nameParam = z.string().min(1)

/** The API's kebab-case lookup topics and the library's names for them. */
export const HTTP_TOPICS: Readonly<Record<string, string>> = Object.fromEntries(
  LOOKUP_TOPICS.map((topic) => [topic.replace(/ /g, '-'), topic]),
)

/** The library topic for a path segment; an unknown one is a 404. */
export function lookupTopic(segment: string): string {
  const topic = HTTP_TOPICS[segment]
  if (!topic) {
    throw new NotFoundError(`There is no lookup topic ${segment}; the topics are ${Object.keys(HTTP_TOPICS).join(', ')}.`, {
      topic: 'lookup topic',
      name: segment,
    })
  }
  return topic
}

/** `next`: this request's path and query with the cursor moved, or null on the last page. */
function nextUrl(
  path: string,
  query: Record<string, string | number | boolean | Date | undefined>,
  cursor: Record<string, string> | null,
): string | null {
  if (!cursor) return null
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || key in cursor) continue
    params.set(key, value instanceof Date ? value.toISOString() : String(value))
  }
  for (const [key, value] of Object.entries(cursor)) params.set(key, value)
  return `${path}?${params.toString()}`
}

const runsQuery = z.strictObject({
  process: z.string().optional(),
  status: z.string().optional(),
  actor: z.string().optional(),
  startedAfter: dateInput.optional(),
  startedBefore: dateInput.optional(),
  stale: booleanQuery.optional(),
  limit: limitQuery,
  count: booleanQuery.optional(),
  before: idParam.optional(),
})

const processesQuery = z.strictObject({
  q: z.string().optional(),
  state: z.enum(['running', 'on-hold', 'failed', 'released', 'completed', 'never-run']).optional(),
  limit: limitQuery,
  after: z.string().optional(),
})

const extractsQuery = z.strictObject({
  locationPath: z.string().optional(),
  locationName: z.string().optional(),
  filename: z.string().optional(),
  process: z.string().optional(),
  status: z.string().optional(),
  limit: limitQuery,
  before: idParam.optional(),
})

const locationsQuery = z.strictObject({ limit: limitQuery, before: idParam.optional() })

const locationView = z
  .object({
    locationId: z.number().int(),
    locationName: z.string(),
    locationPath: z.string(),
    locationType: z.string(),
    bucketName: z.string().nullable(),
    fileCount: z.number().int().nullable(),
  })
  .meta({ id: 'Location' })

/** Adds the read routes. */
export function addReadRoutes(context: RouteContext, store: DataStore): void {
  addRoute(context, {
    method: 'GET',
    url: '/api/v1/runs',
    scope: 'read',
    tag: 'reading',
    summary: 'Runs, newest first; filters are ANDed; count=true adds total (up to 10,000)',
    query: runsQuery,
    responses: {
      200: z.object({
        runs: z.array(runSchema),
        next: z.string().nullable(),
        total: z.union([z.number(), z.literal('10000+')]).optional(),
      }),
    },
    handler: async ({ query }) => {
      const filters = {
        ...(query.process === undefined ? {} : { processName: query.process }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.actor === undefined ? {} : { actorName: query.actor }),
        ...(query.startedAfter === undefined ? {} : { startedAfter: query.startedAfter }),
        ...(query.startedBefore === undefined ? {} : { startedBefore: query.startedBefore }),
        ...(query.stale === undefined ? {} : { stale: query.stale }),
      }
      const runs = await store.listRunViews({
        ...filters,
        limit: query.limit,
        ...(query.before === undefined ? {} : { beforeTrackingId: query.before }),
      })
      const last = runs[runs.length - 1]
      const next = nextUrl('/api/v1/runs', query, runs.length === query.limit && last ? { before: String(last.processTrackingId) } : null)
      if (!query.count) return { runs, next }
      const counted = await store.countRuns(filters, { cap: 10_000 })
      return { runs, next, total: counted.capped ? '10000+' : counted.total }
    },
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/processes',
    scope: 'read',
    tag: 'reading',
    summary: 'Processes sorted by name; q is a literal substring; state from the latest run',
    query: processesQuery,
    responses: { 200: z.object({ processes: z.array(processSchema), next: z.string().nullable() }) },
    handler: async ({ query }) => {
      const processes = await store.listProcesses({
        ...(query.q === undefined ? {} : { q: query.q }),
        ...(query.state === undefined ? {} : { state: query.state }),
        ...(query.after === undefined ? {} : { afterName: query.after }),
        limit: query.limit,
      })
      const last = processes[processes.length - 1]
      return {
        processes,
        next: nextUrl('/api/v1/processes', query, processes.length === query.limit && last ? { after: last.processName } : null),
      }
    },
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/processes/:name',
    scope: 'read',
    tag: 'reading',
    summary: 'One process (the name is a percent-encoded path segment)',
    params: z.strictObject({ name: nameParam }),
    responses: { 200: z.object({ process: processSchema }) },
    handler: async ({ params }) => ({ process: await store.getProcessView(params.name) }),
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/processes/:name/explain',
    scope: 'read',
    tag: 'reading',
    summary: 'What a start would decide now, and why (store.explain)',
    params: z.strictObject({ name: nameParam }),
    responses: { 200: z.object({ allowed: z.boolean(), rule: z.string().nullable() }).loose() },
    handler: ({ params }) => store.explain(params.name),
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/graph',
    scope: 'read',
    tag: 'reading',
    summary: 'The dependency graph with each process’s state and latest run',
    responses: {
      200: z.object({
        nodes: z.array(z.object({ processName: z.string(), state: z.string(), latestRun: runSchema.nullable() })),
        edges: z.array(z.object({ parent: z.string(), child: z.string(), type: z.string() })),
      }),
    },
    handler: () => store.getDependencyGraph(),
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/extracts',
    scope: 'read',
    tag: 'reading',
    summary: 'Extracts, newest first; no filter means every extract',
    query: extractsQuery,
    responses: { 200: z.object({ extracts: z.array(extractSchema), next: z.string().nullable() }) },
    handler: async ({ query }) => {
      const { limit, before, process } = query
      const extracts = await store.listExtracts({
        ...(query.locationPath === undefined ? {} : { locationPath: query.locationPath }),
        ...(query.locationName === undefined ? {} : { locationName: query.locationName }),
        ...(query.filename === undefined ? {} : { filename: query.filename }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(process === undefined ? {} : { processName: process }),
        ...(before === undefined ? {} : { beforeExtractId: before }),
        limit,
      })
      const last = extracts[extracts.length - 1]
      return {
        extracts,
        next: nextUrl('/api/v1/extracts', query, extracts.length === limit && last ? { before: String(last.extractId) } : null),
      }
    },
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/extracts/:id',
    scope: 'read',
    tag: 'reading',
    summary: 'One extract',
    params: z.strictObject({ id: idParam }),
    responses: { 200: z.object({ extract: extractSchema }) },
    handler: async ({ params }) => ({ extract: await store.getExtract(params.id) }),
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/extracts/:id/history',
    scope: 'read',
    tag: 'reading',
    summary: "An extract's status changes in time order",
    params: z.strictObject({ id: idParam }),
    responses: {
      200: z.object({
        history: z.array(
          z.object({
            processTrackingId: z.number().int().nullable(),
            status: z.string(),
            eventDateTime: z.iso.datetime(),
            note: z.string().nullable(),
          }),
        ),
      }),
    },
    handler: async ({ params }) => {
      await store.getExtract(params.id) // an unknown extract is a 404, not an empty history
      return { history: await store.listExtractHistory(params.id) }
    },
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/locations',
    scope: 'read',
    tag: 'reading',
    summary: 'Locations, newest first',
    query: locationsQuery,
    responses: { 200: z.object({ locations: z.array(locationView), next: z.string().nullable() }) },
    handler: async ({ query }) => {
      const locations = await store.listLocations({
        limit: query.limit,
        ...(query.before === undefined ? {} : { beforeLocationId: query.before }),
      })
      const last = locations[locations.length - 1]
      return {
        locations,
        next: nextUrl('/api/v1/locations', query, locations.length === query.limit && last ? { before: String(last.locationId) } : null),
      }
    },
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/lookups/:topic',
    scope: 'read',
    tag: 'reading',
    summary: 'The names of a lookup topic, sorted',
    params: z.strictObject({ topic: z.string() }),
    responses: { 200: z.object({ items: z.array(z.string()) }) },
    handler: async ({ params }) => ({ items: await store.lookups.list(lookupTopic(params.topic)) }),
  })
}
