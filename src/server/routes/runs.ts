/** What a worker does to its runs (http.md "Runs"). */
import { z } from 'zod'
import { ProcessHaltedError, ProcessTrackerError } from '../../errors.ts'
import type { ProcessTracker } from '../../api/process-tracker.ts'
import type { DataStore } from '../../api/data-store.ts'
import { checkIdempotencyKey, claimKey, completeKey, releaseKey, requestHash, type KeyClaim } from '../idempotency-store.ts'
import type { ServerMetrics } from '../metrics.ts'
import { addRoute, type RouteContext } from '../route.ts'
import { RunActions } from '../run-actions.ts'
import {
  datesBody,
  failBody,
  idParam,
  recordCountBody,
  runErrorBody,
  runErrorSchema,
  runSchema,
  startBody,
  statusBody,
} from '../schemas.ts'
import { contextOf } from '../../store/context.ts'
import { withViewSink, type ViewSink } from '../../tracker/view-sink.ts'

const runParams = z.strictObject({ id: idParam })
const runResponse = z.object({ run: runSchema })

/** Adds the run routes; `runs` holds the run objects they act on (shared with the extract routes). */
export function addRunRoutes(context: RouteContext, store: DataStore, metrics: ServerMetrics, runs: RunActions): void {
  const view = (processTrackingId: number) => runs.view(processTrackingId)
  /**
   * Runs `write` with a view sink for its options (`sunk(options)`), then answers with the view its
   * own statement read (PostgreSQL), else with the view read now.
   */
  const answering = async (processTrackingId: number, write: (sunk: <T extends object>(options: T) => T) => Promise<unknown>) => {
    const sink: ViewSink = {}
    await write((options) => withViewSink(options, sink))
    return sink.view ? { run: sink.view } : view(processTrackingId)
  }

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs',
    scope: 'write',
    tag: 'runs',
    summary: 'Start a run (the start decision of api.md); Idempotency-Key makes retries safe',
    body: startBody,
    responses: { 201: runResponse },
    handler: async ({ body, caller, request, reply }) => {
      const header = request.headers['idempotency-key']
      let claim: KeyClaim | undefined
      if (header !== undefined) {
        const key = checkIdempotencyKey(Array.isArray(header) ? header.join(',') : header)
        const claimed = await claimKey(store, caller.tokenId, key, requestHash('POST /api/v1/runs', body))
        if ('replay' in claimed) {
          const id = claimed.replay.processTrackingId ?? 0
          reply.code(claimed.replay.status).header('location', `/api/v1/runs/${id}`).header('idempotent-replayed', 'true')
          return view(id)
        }
        claim = claimed.claim
      }
      let run: ProcessTracker
      // PostgreSQL's one-statement start reads the new run's view itself (not with a key: the key is
      // completed in the start's transaction).
      const sink: ViewSink = {}
      try {
        const held = claim
        run = await runs.start(
          body,
          held
            ? {
                beforeCommit: (tx, started) =>
                  completeKey(tx.db, held, { status: 201, processTrackingId: started.processTrackingId, body: null }),
              }
            : { view: sink },
        )
      } catch (error) {
        if (claim) await releaseKey(store, claim).catch(() => undefined)
        if (error instanceof ProcessTrackerError) metrics.countStart(error)
        throw error
      }
      metrics.countStart(null)
      reply.code(201).header('location', `/api/v1/runs/${run.processTrackingId}`)
      return sink.view ? { run: sink.view } : view(run.processTrackingId)
    },
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/runs/:id',
    scope: 'read',
    tag: 'runs',
    summary: 'One run',
    params: runParams,
    responses: { 200: runResponse },
    handler: ({ params }) => view(params.id),
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs/:id/heartbeat',
    scope: 'write',
    tag: 'runs',
    summary: 'Record a heartbeat; 409 PT_RUN_NOT_ACTIVE tells the worker to stop',
    params: runParams,
    responses: { 200: runResponse },
    handler: ({ params }) => runs.heartbeat(params.id),
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs/:id/status',
    scope: 'write',
    tag: 'runs',
    summary: 'Move the run to a status',
    params: runParams,
    body: statusBody,
    responses: { 200: runResponse },
    handler: async ({ params, body }) => {
      const run = await runs.run(params.id)
      return answering(params.id, (sunk) => run.changeRunStatus(body.status, sunk(body.endDate ? { endDate: body.endDate } : {})))
    },
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs/:id/complete',
    scope: 'write',
    tag: 'runs',
    summary: 'Complete the run (already completed: nothing changes)',
    params: runParams,
    responses: { 200: runResponse },
    handler: async ({ params }) => {
      const run = await runs.run(params.id)
      return answering(params.id, (sunk) => run.complete(sunk({})))
    },
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs/:id/fail',
    scope: 'write',
    tag: 'runs',
    summary: 'Fail the run (store.failRun), recording a Process Error with the reason when given',
    params: runParams,
    body: failBody.nullish(),
    responses: { 200: runResponse },
    handler: async ({ params, body }) => {
      await store.failRun(params.id, body?.reason === undefined ? {} : { reason: body.reason })
      return view(params.id)
    },
  })

  addRoute(context, {
    method: 'POST',
    url: '/api/v1/runs/:id/errors',
    scope: 'write',
    tag: 'runs',
    summary: 'Record an error; failRun: true fails the run in the same transaction',
    params: runParams,
    body: runErrorBody,
    responses: { 201: z.object({ runError: runErrorSchema, run: runSchema }) },
    handler: async ({ params, body, caller, request, reply }) => {
      const header = request.headers['idempotency-key']
      let claim: KeyClaim | undefined
      if (header !== undefined) {
        const key = checkIdempotencyKey(Array.isArray(header) ? header.join(',') : header)
        const claimed = await claimKey(store, caller.tokenId, key, requestHash(`POST /api/v1/runs/${params.id}/errors`, body))
        if ('replay' in claimed) {
          reply.code(claimed.replay.status).header('idempotent-replayed', 'true')
          return { runError: claimed.replay.body, ...(await view(params.id)) }
        }
        claim = claimed.claim
      }
      try {
        const run = await runs.run(params.id)
        try {
          await run.raiseRunError(body.errorType, {
            ...(body.description === undefined ? {} : { description: body.description }),
            ...(body.failRun === undefined ? {} : { failRun: body.failRun }),
          })
        } catch (error) {
          if (!(error instanceof ProcessHaltedError)) throw error
        }
        const errors = await store.listRunErrors(params.id)
        const runError = errors[errors.length - 1] ?? null
        if (claim) await completeKey(contextOf(store).db, claim, { status: 201, processTrackingId: params.id, body: runError })
        reply.code(201)
        return { runError, ...(await view(params.id)) }
      } catch (error) {
        if (claim) await releaseKey(store, claim).catch(() => undefined)
        throw error
      }
    },
  })

  addRoute(context, {
    method: 'GET',
    url: '/api/v1/runs/:id/errors',
    scope: 'read',
    tag: 'runs',
    summary: "The run's errors in time order",
    params: runParams,
    responses: { 200: z.object({ errors: z.array(runErrorSchema) }) },
    handler: async ({ params }) => {
      await store.getRun(params.id) // an unknown run is a 404, not an empty list
      return { errors: await store.listRunErrors(params.id) }
    },
  })

  addRoute(context, {
    method: 'PUT',
    url: '/api/v1/runs/:id/record-count',
    scope: 'write',
    tag: 'runs',
    summary: "Set the run's record count (the last value wins)",
    params: runParams,
    body: recordCountBody,
    responses: { 200: runResponse },
    handler: async ({ params, body }) => {
      const run = await runs.run(params.id)
      return answering(params.id, (sunk) =>
        run.setRecordCount(body.count, sunk(body.processingType ? { processingType: body.processingType } : {})),
      )
    },
  })

  addRoute(context, {
    method: 'PUT',
    url: '/api/v1/runs/:id/dates',
    scope: 'write',
    tag: 'runs',
    summary: 'Widen the run’s low/high dates (lowest low and highest high kept)',
    params: runParams,
    body: datesBody,
    responses: { 200: runResponse },
    handler: async ({ params, body }) => {
      const run = await runs.run(params.id)
      return answering(params.id, (sunk) => run.setLowHighDates(sunk({ low: body.low ?? null, high: body.high ?? null })))
    },
  })
}
