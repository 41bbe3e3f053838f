/**
 * `run` and `report` through a server (`--server`/`--token`): the same start, heartbeat and outcome
 * as with a database, over the HTTP API. The wrapped command gets the server URL and the token (not
 * a database URL), so a cron machine needs no database credentials at all.
 */
import { randomUUID } from 'node:crypto'
import { NotFoundError } from '../../errors.ts'
import type { StartOptions } from '../../tracker/start-options.ts'
import type { RunView } from '../../tracker/run-views.ts'
import { runChild, type ChildOutcome } from '../child.ts'
import type { CliContext } from '../context.ts'
import { EXIT_UNRECORDED } from '../exit-codes.ts'
import { retryWindowSeconds } from '../outcome.ts'
import { describeFailure } from '../stderr-summary.ts'
import { ApiClient, isRetryable, SERVER_URL_ENV, TOKEN_ENV, type RemoteTarget } from './api-client.ts'

/** What `run` asks for. */
export interface RemoteRunRequest {
  start: StartOptions
  heartbeatSeconds: number
  killAfterSeconds: number
  file: string
  args: string[]
  /** The wrapper's exit code and failure summary for an outcome (run.ts owns this rule). */
  describe: (outcome: ChildOutcome, file: string) => { exitCode: number; summary: string | null }
}

/** Variables that would hand the command a database: dropped in remote mode. */
const DATABASE_ENV = ['PROCESS_TRACKER_DATABASE_URL', 'PROCESS_TRACKER_CONFIG', 'PROCESS_TRACKER_SCHEMA']

/**
 * Retries `work` while the server cannot be reached, answers 503, or is still busy with an earlier
 * attempt under the same Idempotency-Key, for up to `seconds`.
 */
async function retrying<T>(seconds: number, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    try {
      return await work()
    } catch (error) {
      if (!isRetryable(error) || Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  }
}

/** Starts a run through the server, runs the command, records its outcome; returns the exit code. */
export async function trackRemote(context: CliContext, target: RemoteTarget, request: RemoteRunRequest): Promise<number> {
  const { output } = context
  const api = new ApiClient(target)
  // One key for this start: a start whose answer was lost is retried without refusing itself.
  const key = randomUUID()
  const started = await retrying(10, () => api.request<{ run: RunView }>('POST', '/api/v1/runs', request.start, { 'idempotency-key': key }))
  const run = started.run
  const id = run.processTrackingId
  output.info(output.err.dim(`processtracker: run ${run.processRunId} of ${run.processName} started (tracking id ${id}).`))
  let beat: NodeJS.Timeout | undefined
  if (request.heartbeatSeconds > 0) {
    beat = setInterval(
      () => {
        api.request('POST', `/api/v1/runs/${id}/heartbeat`).catch((error: unknown) => {
          output.warn(`heartbeat of tracking id ${id} failed: ${error instanceof Error ? error.message : String(error)}`)
        })
      },
      Math.max(1, Math.floor(request.heartbeatSeconds / 3)) * 1000,
    )
    beat.unref()
  }
  const env: NodeJS.ProcessEnv = {
    ...context.env,
    [SERVER_URL_ENV]: target.url,
    PROCESS_TRACKER_TRACKING_ID: String(id),
    PROCESS_TRACKER_PROCESS_NAME: run.processName,
  }
  if (target.token !== undefined) env[TOKEN_ENV] = target.token
  for (const name of DATABASE_ENV) env[name] = undefined
  try {
    const outcome = await runChild(request.file, request.args, env, process.stderr, request.killAfterSeconds)
    const { exitCode, summary } = request.describe(outcome, request.file)
    const window = retryWindowSeconds(request.heartbeatSeconds, context.env)
    try {
      await retrying(window, () =>
        summary === null
          ? api.request('POST', `/api/v1/runs/${id}/complete`)
          : api.request(
              'POST',
              `/api/v1/runs/${id}/errors`,
              {
                errorType: 'Process Error',
                description: describeFailure(summary, outcome.stderrTail, outcome.stderrLines),
                failRun: true,
              },
              { 'idempotency-key': `${key}-outcome` },
            ),
      )
    } catch (error) {
      output.error(`The outcome of tracking id ${id} could not be recorded: ${error instanceof Error ? error.message : String(error)}`)
      return EXIT_UNRECORDED
    }
    return exitCode
  } finally {
    if (beat) clearInterval(beat)
  }
}

/** What `report` records. */
export interface RemoteReport {
  records?: number
  low?: Date
  high?: Date
  error?: { type: string; text: string }
}

/** Records counts, dates and an error against a run through the server; returns the run. */
export async function reportRemote(target: RemoteTarget, trackingId: number, report: RemoteReport): Promise<RunView> {
  const api = new ApiClient(target)
  const base = `/api/v1/runs/${trackingId}`
  let run = (await api.request<{ run: RunView }>('GET', base)).run
  if (report.error !== undefined) {
    // Checked before anything is written, as with a database.
    const types = (await api.request<{ items: string[] }>('GET', '/api/v1/lookups/error-type')).items
    if (!types.includes(report.error.type)) {
      throw new NotFoundError(`The error type "${report.error.type}" does not exist.`, { topic: 'error type', name: report.error.type })
    }
  }
  if (report.records !== undefined)
    run = (await api.request<{ run: RunView }>('PUT', `${base}/record-count`, { count: report.records })).run
  if (report.low !== undefined || report.high !== undefined) {
    run = (
      await api.request<{ run: RunView }>('PUT', `${base}/dates`, { low: report.low?.toISOString(), high: report.high?.toISOString() })
    ).run
  }
  if (report.error !== undefined) {
    run = (await api.request<{ run: RunView }>('POST', `${base}/errors`, { errorType: report.error.type, description: report.error.text }))
      .run
  }
  return run
}
