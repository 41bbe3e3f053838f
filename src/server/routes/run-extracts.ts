/** Extracts of a run (http.md "Extracts of a run"): every change goes through the run, as in the library. */
import { z } from 'zod'
import { ExtractTracker, type RegisterExtractOptions } from '../../api/extract-tracker.ts'
import { extractJson } from '../extract-json.ts'
import { addRoute, type RouteContext } from '../route.ts'
import type { RunActions } from '../run-actions.ts'
import { listRunExtracts } from '../run-extract-list.ts'
import {
  claimBody,
  extractCountBody,
  extractDatesBody,
  extractDependencyBody,
  extractSchema,
  extractStatusBody,
  idParam,
  registerExtractsBody,
  registerLocationBody,
} from '../schemas.ts'

const runParams = z.strictObject({ id: idParam })
const extractParams = z.strictObject({ id: idParam, extractId: idParam })
const one = z.object({ extract: extractSchema })
const many = z.object({ extracts: z.array(extractSchema) })

type Registration = z.output<typeof registerExtractsBody>

function registrationOptions(item: Exclude<Registration, unknown[]>): RegisterExtractOptions {
  const options: RegisterExtractOptions = { filename: item.filename }
  if (item.locationPath !== undefined) options.locationPath = item.locationPath
  if (item.locationName !== undefined) options.locationName = item.locationName
  if (item.status !== undefined) options.status = item.status
  if (item.filetype !== undefined) options.filetype = item.filetype
  if (item.compressionType !== undefined) options.compressionType = item.compressionType
  if (item.fileSize !== undefined) options.fileSize = item.fileSize
  return options
}

/** Adds the extract routes of a run; `runs` holds the run objects they act on. */
export function addRunExtractRoutes(context: RouteContext, runs: RunActions): void {
  const resume = (id: number) => runs.run(id)

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs/:id/extracts',
    scope: 'write',
    tag: 'extracts',
    summary: 'Register an extract (201 new, 200 existing), or an array of up to 1,000 in one transaction',
    params: runParams,
    body: registerExtractsBody,
    responses: { 200: z.union([one, many]), 201: one },
    handler: async ({ params, body, reply }) => {
      const run = await resume(params.id)
      if (Array.isArray(body)) {
        const registered = await ExtractTracker.registerMany(run, body.map(registrationOptions))
        return { extracts: registered.map(extractJson) }
      }
      const before = Date.now()
      const extract = await ExtractTracker.register(run, registrationOptions(body))
      // A new extract is stamped by this call; an existing one keeps its first registration time.
      if (extract.registrationDateTime.getTime() >= before) reply.code(201)
      return { extract: extractJson(extract) }
    },
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/runs/:id/extracts',
    scope: 'read',
    tag: 'extracts',
    summary: "The run's extracts, in registration order",
    params: runParams,
    responses: { 200: many },
    handler: async ({ params }) => ({ extracts: (await listRunExtracts(await resume(params.id))).map(extractJson) }),
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs/:id/extracts/status',
    scope: 'write',
    tag: 'extracts',
    summary: 'Move several extracts to one status in one transaction (changeExtractStatuses)',
    params: runParams,
    body: extractStatusBody,
    responses: { 200: many },
    handler: async ({ params, body }) => {
      const run = await resume(params.id)
      const extracts = await Promise.all(body.extractIds.map((extractId) => ExtractTracker.get(run, extractId)))
      // One extract is no batch: its own change is guarded by the write (no run lock), as
      // changeExtractStatuses would decide for it alone (nothing in a batch of one to exempt).
      const [only] = extracts
      if (only && extracts.length === 1) await only.changeExtractStatus(body.status)
      else await run.changeExtractStatuses(extracts, body.status)
      return { extracts: extracts.map(extractJson) }
    },
  })

  addRoute(context, {
    method: 'PUT',
    url: '/api/v1/runs/:id/extracts/:extractId/record-count',
    scope: 'write',
    tag: 'extracts',
    summary: "Set an extract's write or load record count",
    params: extractParams,
    body: extractCountBody,
    responses: { 200: one },
    handler: async ({ params, body }) => {
      const extract = await ExtractTracker.get(await resume(params.id), params.extractId)
      await extract.setRecordCount(body.count, body.auditType ? { auditType: body.auditType } : {})
      return { extract: extractJson(extract) }
    },
  })

  addRoute(context, {
    method: 'PUT',
    url: '/api/v1/runs/:id/extracts/:extractId/dates',
    scope: 'write',
    tag: 'extracts',
    summary: "Widen an extract's write or load dates",
    params: extractParams,
    body: extractDatesBody,
    responses: { 200: one },
    handler: async ({ params, body }) => {
      const extract = await ExtractTracker.get(await resume(params.id), params.extractId)
      await extract.setLowHighDates({
        low: body.low ?? null,
        high: body.high ?? null,
        ...(body.auditType ? { auditType: body.auditType } : {}),
      })
      return { extract: extractJson(extract) }
    },
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs/:id/extracts/:extractId/dependencies',
    scope: 'write',
    tag: 'extracts',
    summary: 'Make another extract this one’s parent or child',
    params: extractParams,
    body: extractDependencyBody,
    responses: { 201: z.object({}) },
    handler: async ({ params, body, reply }) => {
      const run = await resume(params.id)
      const extract = await ExtractTracker.get(run, params.extractId)
      await extract.addDependency(body.type, await ExtractTracker.get(run, body.extractId))
      reply.code(201)
      return {}
    },
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs/:id/extracts/claim',
    scope: 'write',
    tag: 'extracts',
    summary: 'Atomically claim ready extracts for the run (claimExtracts)',
    params: runParams,
    body: claimBody,
    responses: { 200: many },
    handler: async ({ params, body }) => {
      const claimed = await (await resume(params.id)).claimExtracts(body)
      return { extracts: claimed.map(extractJson) }
    },
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs/:id/locations/register',
    scope: 'write',
    tag: 'extracts',
    summary: 'Register the files of a folder or S3 prefix as ready extracts (registerExtractsByLocation)',
    params: runParams,
    body: registerLocationBody,
    responses: { 200: z.object({ registered: z.number().int(), extracts: z.array(extractSchema) }) },
    handler: async ({ params, body }) => {
      const run = await resume(params.id)
      const { locationPath, ...options } = body
      const extracts = await run.registerExtractsByLocation(locationPath, options)
      return { registered: extracts.length, extracts: extracts.map(extractJson) }
    },
  })
}
