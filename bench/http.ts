/**
 * The HTTP section of `npm run bench` (http.md "What must be shown"): the benchmark.md lifecycle
 * over HTTP — 8 keep-alive clients against `processtracker serve` running as its own process on the
 * same database — next to the library's 8-client rate of the same run (goal ≥ 70 %), and the latency
 * of `GET /api/v1/runs` (one page of 50, newest first; also filtered by process and by status) with
 * `runs` runs in the table (1,000,000 at full scale), seeded by bulk SQL.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { ProcessTracker, type DataStore } from './api.ts'
import { createToken } from '../dist/server/index.js'
import { analyze, bulkInsert, lookupId } from './seed.ts'
import { summarize, type LatencySummary } from './stats.ts'
import { contextOf } from '../src/store/context.ts'

const BIN = fileURLToPath(new URL('../bin/processtracker.js', import.meta.url))

export interface HttpParameters {
  clients: number
  warmupPerClient: number
  countPerClient: number
  /** Runs in the table for the GET /api/v1/runs latency. */
  runs: number
  samples: number
}

export interface HttpResult {
  clients: number
  lifecyclesPerSecond: number
  /** The library's own 8-client rate of the same run, when it was measured. */
  libraryLifecyclesPerSecond: number | null
  /** HTTP ÷ library (goal ≥ 0.7). */
  ratio: number | null
  runsInTable: number
  seedSeconds: number
  listRuns: LatencySummary
  listRunsByProcess: LatencySummary
  listRunsByStatus: LatencySummary
}

interface Target {
  url: string
  schema?: string
}

async function startServe(target: Target): Promise<{ base: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, '--url', target.url, 'serve', '--port', '0', '--quiet'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...(target.schema ? { PROCESS_TRACKER_SCHEMA: target.schema } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string]
  const base = /listening on (\S+)$/.exec(line)?.[1]
  if (!base) throw new Error(`serve said: ${line}`)
  return {
    base,
    stop: async () => {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}

function caller(base: string, token: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`)
    return JSON.parse(text) as T
  }
}

/** One lifecycle over HTTP: the six calls of bench/lifecycle.ts. */
async function lifecycle(call: ReturnType<typeof caller>, processName: string, n: number): Promise<void> {
  const { run } = await call<{ run: { processTrackingId: number } }>('POST', '/api/v1/runs', {
    processName,
    processType: 'Extract',
    actorName: 'bench',
    toolName: 'Spark',
    sources: 'Bench Source',
    targets: 'Bench Target',
  })
  const base = `/api/v1/runs/${run.processTrackingId}`
  const { extract } = await call<{ extract: { extractId: number } }>('POST', `${base}/extracts`, { filename: `${n}.csv`, locationPath: `/bench/http/${processName}` })
  await call('POST', `${base}/extracts/status`, { extractIds: [extract.extractId], status: 'ready' })
  await call('PUT', `${base}/record-count`, { count: 1000 })
  await call('PUT', `${base}/dates`, { low: '2026-01-01', high: '2026-01-31' })
  await call('POST', `${base}/complete`)
}

export async function measureHttp(store: DataStore, target: Target, tag: string, parameters: HttpParameters, libraryRate: number | null): Promise<HttpResult> {
  const token = (await createToken(store, `bench-${tag}`, 'admin')).secret
  const serve = await startServe(target)
  try {
    const call = caller(serve.base, token)
    const names = Array.from({ length: parameters.clients }, (_, i) => `bench ${tag} http ${i}`)
    await Promise.all(names.map(async (name) => {
      for (let i = 0; i < parameters.warmupPerClient; i++) await lifecycle(call, name, -1 - i)
    }))
    const walls = await Promise.all(
      names.map(async (name) => {
        const t0 = performance.now()
        for (let i = 0; i < parameters.countPerClient; i++) await lifecycle(call, name, i)
        return (performance.now() - t0) / 1000
      }),
    )
    const lifecyclesPerSecond = (parameters.clients * parameters.countPerClient) / Math.max(...walls)

    const t0 = performance.now()
    const seeded = `bench ${tag} http history`
    await seedRuns(store, seeded, parameters.runs)
    await analyze(store, ['process_tracking'])
    const seedSeconds = (performance.now() - t0) / 1000
    const sample = async (path: string) => {
      for (let i = 0; i < 10; i++) await call('GET', path)
      const times: number[] = []
      for (let i = 0; i < parameters.samples; i++) {
        const start = performance.now()
        await call('GET', path)
        times.push(performance.now() - start)
      }
      return summarize(times)
    }
    return {
      clients: parameters.clients,
      lifecyclesPerSecond,
      libraryLifecyclesPerSecond: libraryRate,
      ratio: libraryRate ? lifecyclesPerSecond / libraryRate : null,
      runsInTable: parameters.runs,
      seedSeconds,
      listRuns: await sample('/api/v1/runs'),
      listRunsByProcess: await sample(`/api/v1/runs?process=${encodeURIComponent(seeded)}`),
      listRunsByStatus: await sample('/api/v1/runs?status=completed'),
    }
  } finally {
    await serve.stop()
  }
}

/** `total` completed runs of one process: run 1 through the API, the rest by bulk SQL. */
async function seedRuns(store: DataStore, processName: string, total: number): Promise<void> {
  const db = contextOf(store).db
  const first = await ProcessTracker.start(store, { processName, processType: 'Extract', actorName: 'bench' })
  await first.complete()
  const completedId = await lookupId(db, 'process_status_lkup', 'completed')
  const base = Date.now() - total * 1000
  await bulkInsert(
    db,
    total - 1,
    (from, to) => {
      const rows = []
      for (let n = from; n < to; n++) {
        const startAt = new Date(base + n * 1000)
        rows.push({
          process_id: first.processId,
          process_status_id: completedId,
          process_run_id: n + 2,
          process_run_start_date_time: startAt,
          process_run_end_date_time: new Date(startAt.getTime() + 500),
          process_run_record_count: 100,
          is_latest_run: false,
        })
      }
      return rows
    },
    (trx, rows) => trx.insertInto('process_tracking').values(rows).execute(),
  )
}
