/**
 * The zod schemas of the HTTP API. The same objects validate requests and generate `/openapi.json`,
 * so the document cannot drift from what the server accepts. Bodies are strict: an unknown field is
 * a 400 naming it, so a typo never passes silently.
 */
import { z } from 'zod'
import { ValidationError } from '../errors.ts'
import { parseCalendarDate } from '../tracker/validation.ts'

/** A date as the API accepts it: `YYYY-MM-DD` (UTC midnight) or an ISO 8601 date-time with an offset. */
export const dateInput = z
  .string()
  .transform((text, ctx) => {
    try {
      return parseCalendarDate(text, 'date')
    } catch (error) {
      // The field's name comes from the issue's path; the library's message names it "date".
      ctx.addIssue({ code: 'custom', message: error instanceof ValidationError ? error.message.replace(/^date:? /, '') : 'not a date' })
      return z.NEVER
    }
  })
  .meta({ description: 'YYYY-MM-DD (UTC midnight) or an ISO 8601 date-time with Z or an offset', examples: ['2026-11-27T05:53:00.123Z'] })

const date = z.iso.datetime().meta({ description: 'UTC, milliseconds' })
const nullableDate = date.nullable()
const nameList = z.union([z.string(), z.array(z.string())])

/** An id in a path: a positive whole number. */
export const idParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER)

/** `?limit=`: 1–1000, default 50; out of range is a 400, never clamped. */
export const limitQuery = z.coerce.number().int().min(1).max(1000).default(50)

/** The error body of every non-2xx response. */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ examples: ['PT_PROCESS_RUNNING'] }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .meta({ id: 'Error' })

export const runSchema = z
  .object({
    processTrackingId: z.number().int(),
    processRunId: z.number().int(),
    processId: z.number().int(),
    processName: z.string(),
    processRunName: z.string().nullable(),
    status: z.string(),
    actorName: z.string().nullable(),
    startDateTime: date,
    endDateTime: nullableDate,
    recordCount: z.number(),
    insertCount: z.number(),
    updateCount: z.number(),
    lowDateTime: nullableDate,
    highDateTime: nullableDate,
    isLatestRun: z.boolean(),
    lastError: z.object({ errorType: z.string(), description: z.string().nullable() }).nullable(),
    heartbeatTimeoutSeconds: z.number().int().nullable(),
    lastHeartbeatDateTime: nullableDate,
    stale: z.boolean(),
    errorCount: z.number().int(),
    extractCount: z.number().int(),
  })
  .meta({ id: 'Run' })

export const runErrorSchema = z
  .object({ errorType: z.string(), description: z.string().nullable(), occurredAt: date })
  .meta({ id: 'RunError' })

export const locationSchema = z
  .object({
    locationId: z.number().int(),
    locationName: z.string(),
    locationPath: z.string(),
    locationType: z.string(),
    bucketName: z.string().nullable(),
  })
  .meta({ id: 'ExtractLocation' })

export const extractSchema = z
  .object({
    extractId: z.number().int(),
    filename: z.string(),
    fullFilename: z.string(),
    status: z.string(),
    location: locationSchema,
    filetype: z.string().nullable(),
    compressionType: z.string().nullable(),
    fileSize: z.object({ amount: z.number(), unit: z.string() }).nullable(),
    writeRecordCount: z.number().nullable(),
    loadRecordCount: z.number().nullable(),
    writeLowDateTime: nullableDate,
    writeHighDateTime: nullableDate,
    loadLowDateTime: nullableDate,
    loadHighDateTime: nullableDate,
  })
  .meta({ id: 'Extract' })

export const processSchema = z
  .object({
    processId: z.number().int(),
    processName: z.string(),
    processType: z.string().nullable(),
    toolName: z.string().nullable(),
    scheduleFrequency: z.string(),
    totalRecordCount: z.number(),
    lastCompletedRunDateTime: nullableDate,
    lastFailedRunDateTime: nullableDate,
    lastErroredRunDateTime: nullableDate,
    state: z.enum(['running', 'on-hold', 'failed', 'released', 'completed', 'never-run']),
    latestRun: runSchema.nullable(),
    onHold: z.boolean(),
    failureStreak: z.number().int(),
    parents: z.array(z.object({ processName: z.string(), type: z.string() })),
    children: z.array(z.object({ processName: z.string(), type: z.string() })),
  })
  .meta({ id: 'Process' })

/** `POST /api/v1/runs`: the `start` options of api.md. */
export const startBody = z.strictObject({
  processName: z.string(),
  processType: z.string().optional(),
  actorName: z.string().optional(),
  toolName: z.string().optional(),
  processRunName: z.string().optional(),
  sources: nameList.optional(),
  targets: nameList.optional(),
  sourceObjects: z.record(z.string(), z.array(z.string())).optional(),
  targetObjects: z.record(z.string(), z.array(z.string())).optional(),
  sourceObjectAttributes: z.record(z.string(), z.record(z.string(), z.array(z.string()))).optional(),
  targetObjectAttributes: z.record(z.string(), z.record(z.string(), z.array(z.string()))).optional(),
  datasetTypes: nameList.optional(),
  scheduleFrequency: z.string().optional(),
  heartbeatTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
})

export const statusBody = z.strictObject({ status: z.string(), endDate: dateInput.optional() })
export const failBody = z.strictObject({ reason: z.string().optional() })
export const runErrorBody = z.strictObject({ errorType: z.string(), description: z.string().optional(), failRun: z.boolean().optional() })
export const recordCountBody = z.strictObject({
  count: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  processingType: z.enum(['insert', 'update']).optional(),
})
export const datesBody = z.strictObject({ low: dateInput.nullable().optional(), high: dateInput.nullable().optional() })

export const registerExtractItem = z.strictObject({
  filename: z.string(),
  locationPath: z.string().optional(),
  locationName: z.string().optional(),
  status: z.string().optional(),
  filetype: z.string().optional(),
  compressionType: z.string().optional(),
  fileSize: z.union([z.number(), z.string()]).optional(),
})
export const registerExtractsBody = z.union([registerExtractItem, z.array(registerExtractItem).max(1000)])
export const extractStatusBody = z.strictObject({ extractIds: z.array(idParam).max(1000), status: z.string() })
export const extractCountBody = z.strictObject({
  count: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  auditType: z.enum(['write', 'load']).optional(),
})
export const extractDatesBody = z.strictObject({
  low: dateInput.nullable().optional(),
  high: dateInput.nullable().optional(),
  auditType: z.enum(['write', 'load']).optional(),
})
export const extractDependencyBody = z.strictObject({ type: z.enum(['parent', 'child']), extractId: z.number().int().positive() })
export const claimBody = z.strictObject({
  locationPath: z.string().optional(),
  locationName: z.string().optional(),
  filename: z.string().optional(),
  processName: z.string().optional(),
  limit: z.number().int().min(1).max(1000).optional(),
})
export const registerLocationBody = z.strictObject({
  locationPath: z.string(),
  locationName: z.string().optional(),
  include: z.array(z.string()).optional(),
  exclude: z.array(z.string()).optional(),
})

export const tokenBody = z.strictObject({ name: z.string(), scope: z.enum(['read', 'write', 'admin']) })
export const tokenSchema = z
  .object({
    name: z.string(),
    scope: z.enum(['read', 'write', 'admin']),
    createdAt: date,
    lastUsedAt: nullableDate,
    revokedAt: nullableDate,
  })
  .meta({ id: 'Token' })

export const dependencyBody = z.strictObject({ parent: z.string(), child: z.string(), type: z.string().optional() })
export const lookupCreateBody = z.looseObject({ name: z.string() })
export const lookupUpdateBody = z.looseObject({ name: z.string().optional() })
