/**
 * The part of `DataStore` that the CLI's reading and administration commands use (`runs`, `why`,
 * `fail`, `reap`, `update -t "process run"`), answered by a processtracker server instead of the
 * database. Any other use is a usage error naming the commands that work through `--server`.
 */
import type { DataStore } from '../../api/data-store.ts'
import type { Explanation } from '../../tracker/admin.ts'
import type { ListRunsOptions, ProcessInfo, RunInfo } from '../../tracker/reading.ts'
import type { RunView } from '../../tracker/run-views.ts'
import { NotFoundError } from '../../errors.ts'
import { UsageError } from '../exit-codes.ts'
import { ApiClient, SERVER_URL_ENV, TOKEN_ENV, type RemoteTarget } from './api-client.ts'

/** The commands that work through a server. */
export const REMOTE_COMMANDS = 'run, report, runs, why, fail, reap and update -t "process run"'

const segment = (name: string) => encodeURIComponent(name)

function runsQuery(options: ListRunsOptions & { startedAfter?: Date; startedBefore?: Date; stale?: boolean; actorName?: string }): string {
  const params = new URLSearchParams()
  if (options.processName !== undefined) params.set('process', options.processName)
  if (options.status !== undefined) params.set('status', options.status)
  if (options.actorName !== undefined) params.set('actor', options.actorName)
  if (options.startedAfter !== undefined) params.set('startedAfter', options.startedAfter.toISOString())
  if (options.startedBefore !== undefined) params.set('startedBefore', options.startedBefore.toISOString())
  if (options.stale !== undefined) params.set('stale', String(options.stale))
  if (options.beforeTrackingId !== undefined) params.set('before', String(options.beforeTrackingId))
  if (options.limit !== undefined) params.set('limit', String(options.limit))
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

/** A store-shaped client of the HTTP API. */
export class RemoteStore {
  readonly client: ApiClient

  constructor(target: RemoteTarget) {
    this.client = new ApiClient(target)
  }

  async listRunViews(options: Parameters<DataStore['listRunViews']>[0] = {}): Promise<RunView[]> {
    return (await this.client.request<{ runs: RunView[] }>('GET', `/api/v1/runs${runsQuery(options)}`)).runs
  }

  listRuns(options: ListRunsOptions = {}): Promise<RunInfo[]> {
    return this.listRunViews(options)
  }

  async getRun(processTrackingId: number): Promise<RunView> {
    return (await this.client.request<{ run: RunView }>('GET', `/api/v1/runs/${processTrackingId}`)).run
  }

  async getProcess(processName: string): Promise<ProcessInfo | null> {
    try {
      return (await this.client.request<{ process: ProcessInfo }>('GET', `/api/v1/processes/${segment(processName)}`)).process
    } catch (error) {
      if (error instanceof NotFoundError) return null
      throw error
    }
  }

  explain(processName: string): Promise<Explanation> {
    return this.client.request<Explanation>('GET', `/api/v1/processes/${segment(processName)}/explain`)
  }

  async failRun(processTrackingId: number, options: { reason?: string } = {}): Promise<RunInfo> {
    return (await this.client.request<{ run: RunView }>('POST', `/api/v1/runs/${processTrackingId}/fail`, options)).run
  }

  async reapStaleRuns(): Promise<RunInfo[]> {
    return (await this.client.request<{ runs: RunView[] }>('POST', '/api/v1/reap')).runs
  }

  async releaseHold(processName: string): Promise<RunInfo> {
    return (await this.client.request<{ run: RunView }>('POST', `/api/v1/processes/${segment(processName)}/release-hold`)).run
  }

  close(): Promise<void> {
    return Promise.resolve()
  }

  /**
   * This client where a command expects a `DataStore`: the methods above work, anything else is a
   * usage error (the command needs the database itself).
   */
  asDataStore(): DataStore {
    return new Proxy(this, {
      get(target, property, receiver) {
        if (property === 'then') return undefined
        const value: unknown = Reflect.get(target, property, receiver)
        if (value === undefined) {
          throw new UsageError(`This command needs the database itself; through --server only ${REMOTE_COMMANDS} work.`)
        }
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    }) as unknown as DataStore
  }
}

/**
 * The server this invocation talks to (`--server`, else env `PROCESS_TRACKER_SERVER_URL`), or null
 * for a direct database connection.
 */
export function remoteTarget(context: { globals: { server?: string; token?: string }; env: NodeJS.ProcessEnv }): RemoteTarget | null {
  const url = context.globals.server ?? context.env[SERVER_URL_ENV]
  if (url === undefined || url === '') return null
  return { url, token: context.globals.token ?? context.env[TOKEN_ENV] }
}
