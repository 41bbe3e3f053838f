/**
 * The HTTP section of `npm run bench` (http.md "What must be shown"): the benchmark.md lifecycle
 * over HTTP — 8 keep-alive clients (bench/http-client.ts) against `processtracker serve` running as
 * its own process on the same database — next to the library's 8-client rate of the same run (goal
 * ≥ 70 %), with the CPU per HTTP lifecycle of the clients and of the server, and the latency
 * of `GET /api/v1/runs` (one page of 50, newest first; also filtered) with `runs` runs in the table
 * (1,000,000 at full scale), seeded by one bulk INSERT … SELECT.
 *
 * Also runs on its own, to compare servers alternated in one run (see {@link USAGE}):
 * `npx tsx bench/http.ts --dialects postgresql --baseline /tmp/old/bin/processtracker.js`.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { DataStore, ProcessTracker } from './api.ts'
import { createToken } from '../dist/server/index.js'
import { contextOf } from '../dist/store/context.js'
import { SCALES } from './config.ts'
import { ALL_DIALECTS, createBenchDatabase, newTag, serverUrl, type BenchDialect } from './databases.ts'
import { httpClient, CLIENT_KINDS, type Call, type ClientKind } from './http-client.ts'
import { measureClients } from './lifecycle.ts'
import { lookupId } from './seed.ts'
import { summarize, type LatencySummary } from './stats.ts'
import type { OpenTarget } from './worker-pool.ts'

const BIN = fileURLToPath(new URL('../bin/processtracker.js', import.meta.url))

export interface HttpParameters {
  clients: number
  warmupPerClient: number
  countPerClient: number
  /** Runs in the table for the GET /api/v1/runs latency. */
  runs: number
  samples: number
}

/** The lifecycle over HTTP next to the library's: measured right after the library's 8 clients. */
export interface HttpRateResult {
  clients: number
  lifecyclesPerSecond: number
  /** CPU per HTTP lifecycle of the clients and of the server process, ms. */
  clientCpuMs: number
  serverCpuMs: number
  /** The library's own 8-client rate of the same run, when it was measured. */
  libraryLifecyclesPerSecond: number | null
  /** HTTP ÷ library (goal ≥ 0.7). */
  ratio: number | null
}

/** GET /api/v1/runs with many runs in the table: measured last, as it seeds them. */
export interface HttpListResult {
  runsInTable: number
  seedSeconds: number
  listRuns: LatencySummary
  listRunsByProcess: LatencySummary
  listRunsByStatus: LatencySummary
  /** More filters of GET /api/v1/runs, by query string. */
  listRunsFiltered: Record<string, LatencySummary>
}

/** Processes the seeded runs are spread over (round robin, so a process's runs interleave with the others'). */
const SEEDED_PROCESSES = 100
/** Runs per seeding statement (a power of 10). */
const SEED_CHUNK = 100_000
/** Every this-many seeded runs is failed; the rest completed. */
const FAILED_EVERY = 50

/** A `processtracker serve` child process. */
interface Serve {
  base: string
  /** CPU time the server process has used so far, in ms (user + system; 10 ms resolution). */
  cpuMs: () => number
  stop: () => Promise<void>
}

/** CPU time of a process so far from /proc (Linux), in ms; NaN where there is no /proc. */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return Number.NaN
  }
}
/** USER_HZ: 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100

async function startServe(target: OpenTarget, bin = BIN, nodeOptions: readonly string[] = []): Promise<Serve> {
  const child = spawn(process.execPath, [...nodeOptions, bin, '--url', target.url, 'serve', '--port', '0', '--quiet'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...(target.schema ? { PROCESS_TRACKER_SCHEMA: target.schema } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string]
  const base = /listening on (\S+)$/.exec(line)?.[1]
  if (!base) throw new Error(`serve said: ${line}`)
  return {
    base,
    cpuMs: () => processCpuMs(child.pid),
    stop: async () => {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** One lifecycle over HTTP: the six calls of bench/lifecycle.ts. */
async function lifecycle(call: Call, processName: string, n: number): Promise<void> {
  const { run } = await call<{ run: { processTrackingId: number } }>('POST', '/api/v1/runs', {
    processName,
    processType: 'Extract',
    actorName: 'bench',
    toolName: 'Spark',
    sources: 'Bench Source',
    targets: 'Bench Target',
  })
  const base = `/api/v1/runs/${run.processTrackingId}`
  const { extract } = await call<{ extract: { extractId: number } }>('POST', `${base}/extracts`, {
    filename: `${n}.csv`,
    locationPath: `/bench/http/${processName}`,
  })
  await call('POST', `${base}/extracts/status`, { extractIds: [extract.extractId], status: 'ready' })
  await call('PUT', `${base}/record-count`, { count: 1000 })
  await call('PUT', `${base}/dates`, { low: '2026-01-01', high: '2026-01-31' })
  await call('POST', `${base}/complete`)
}

/** The HTTP lifecycle rate and what each lifecycle cost in CPU. */
interface HttpRate {
  lifecyclesPerSecond: number
  /** CPU of the clients (this process) per lifecycle, ms. */
  clientCpuMs: number
  /** CPU of the server process per lifecycle, ms. */
  serverCpuMs: number
}

/**
 * `clients` concurrent HTTP clients, each on its own process name: total ÷ the slowest client's wall
 * time, and the CPU per lifecycle of the clients and of `serve` over the measured part.
 */
async function lifecycleRate(
  serve: Serve,
  token: string,
  tag: string,
  parameters: HttpParameters,
  kind: ClientKind = 'lean',
): Promise<HttpRate> {
  const clients = Array.from({ length: parameters.clients }, (_, i) => ({
    name: `bench ${tag} http ${i}`,
    ...httpClient(kind, serve.base, token),
  }))
  try {
    await Promise.all(
      clients.map(async ({ name, call }) => {
        for (let i = 0; i < parameters.warmupPerClient; i++) await lifecycle(call, name, -1 - i)
      }),
    )
    const clientCpu = process.cpuUsage()
    const serverCpu = serve.cpuMs()
    const walls = await Promise.all(
      clients.map(async ({ name, call }) => {
        const t0 = performance.now()
        for (let i = 0; i < parameters.countPerClient; i++) await lifecycle(call, name, i)
        return (performance.now() - t0) / 1000
      }),
    )
    const total = parameters.clients * parameters.countPerClient
    const { user, system } = process.cpuUsage(clientCpu)
    return {
      lifecyclesPerSecond: total / Math.max(...walls),
      clientCpuMs: (user + system) / 1000 / total,
      serverCpuMs: (serve.cpuMs() - serverCpu) / total,
    }
  } finally {
    for (const { close } of clients) close()
  }
}

/** `samples` sequential GETs of each path after 10 warm-ups, one client. */
async function listLatencies(base: string, token: string, paths: readonly string[], samples: number): Promise<LatencySummary[]> {
  const { call, close } = httpClient('lean', base, token)
  try {
    const summaries: LatencySummary[] = []
    for (const path of paths) {
      for (let i = 0; i < 10; i++) await call('GET', path)
      const times: number[] = []
      for (let i = 0; i < samples; i++) {
        const start = performance.now()
        await call('GET', path)
        times.push(performance.now() - start)
      }
      summaries.push(summarize(times))
    }
    return summaries
  } finally {
    close()
  }
}

/** The GET /api/v1/runs queries sampled: the default page first, then filters on the seeded runs. */
function listPaths(seeded: SeededRuns): Record<string, string> {
  const process = encodeURIComponent(seeded.processName)
  return {
    '': '/api/v1/runs',
    [`process=${seeded.processName}`]: `/api/v1/runs?process=${process}`,
    'status=completed': '/api/v1/runs?status=completed',
    'status=failed': '/api/v1/runs?status=failed',
    'actor=bench': '/api/v1/runs?actor=bench',
    // Runs of the oldest tenth: the rows a newest-first walk meets last.
    [`startedBefore=<oldest tenth>`]: `/api/v1/runs?startedBefore=${encodeURIComponent(seeded.tenthStartedAt.toISOString())}`,
    [`process=…&status=failed`]: `/api/v1/runs?process=${process}&status=failed`,
    'count=true': '/api/v1/runs?count=true',
    'page 2 (before=…)': `/api/v1/runs?before=${seeded.middleTrackingId}`,
  }
}

/**
 * The HTTP lifecycle rate, to be run straight after the library's 8-client rate it is divided by:
 * both then meet the same small database (the later sections seed a million rows, and the server's
 * background work after that would be charged to HTTP alone).
 */
export async function measureHttpRate(
  store: DataStore,
  target: OpenTarget,
  tag: string,
  parameters: HttpParameters,
  libraryRate: number | null,
): Promise<HttpRateResult> {
  const token = (await createToken(store, `bench-${tag}-rate`, 'admin')).secret
  const serve = await startServe(target)
  try {
    const { lifecyclesPerSecond, clientCpuMs, serverCpuMs } = await lifecycleRate(serve, token, tag, parameters)
    return {
      clients: parameters.clients,
      lifecyclesPerSecond,
      clientCpuMs,
      serverCpuMs,
      libraryLifecyclesPerSecond: libraryRate,
      ratio: libraryRate ? lifecyclesPerSecond / libraryRate : null,
    }
  } finally {
    await serve.stop()
  }
}

/** Seeds `parameters.runs` runs, then samples GET /api/v1/runs (default page and filters). */
export async function measureHttpList(
  store: DataStore,
  target: OpenTarget,
  tag: string,
  parameters: HttpParameters,
): Promise<HttpListResult> {
  const token = (await createToken(store, `bench-${tag}-list`, 'admin')).secret
  const t0 = performance.now()
  const seeded = await seedRuns(store, `bench ${tag} http history`, parameters.runs)
  const seedSeconds = (performance.now() - t0) / 1000
  const serve = await startServe(target)
  try {
    const paths = listPaths(seeded)
    const latencies = await listLatencies(serve.base, token, Object.values(paths), parameters.samples)
    const byName = Object.fromEntries(Object.keys(paths).map((name, i) => [name, latencies[i] as LatencySummary]))
    const [listRuns, listRunsByProcess, listRunsByStatus] = latencies as [LatencySummary, LatencySummary, LatencySummary]
    return { runsInTable: parameters.runs, seedSeconds, listRuns, listRunsByProcess, listRunsByStatus, listRunsFiltered: byName }
  } finally {
    await serve.stop()
  }
}

interface SeededRuns {
  /** One of the processes the runs are spread over. */
  processName: string
  /** The start time of the run at the end of the oldest tenth. */
  tenthStartedAt: Date
  /** A tracking id in the middle of the seeded runs (a cursor for page 2). */
  middleTrackingId: number
}

/**
 * `total` runs spread over {@link SEEDED_PROCESSES} processes: each process's run 1 through the library,
 * the rest by INSERT … SELECT over a generated series of numbers (digits cross-joined, which every
 * dialect can do; {@link SEED_CHUNK} rows per statement, well inside the store's statement timeout), one second apart in start time, completed except every {@link FAILED_EVERY}th.
 * Then `ANALYZE`. Seeding is never part of a figure.
 */
async function seedRuns(store: DataStore, prefix: string, total: number): Promise<SeededRuns> {
  // The store is dist's DataStore: its context is found by dist's contextOf (src's is another module).
  const db = contextOf(store).db
  const processIds: number[] = []
  for (let k = 0; k < SEEDED_PROCESSES; k++) {
    const run = await ProcessTracker.start(store, { processName: `${prefix} ${k}`, processType: 'Extract', actorName: 'bench' })
    await run.complete()
    processIds.push(run.processId)
  }
  const completed = await lookupId(db, 'process_status_lkup', 'completed')
  const failed = await lookupId(db, 'process_status_lkup', 'failed')
  const actor = await db.selectFrom('actor_lkup').select('actor_id').where('actor_name', '=', 'bench').executeTakeFirstOrThrow()
  const n = Math.max(0, total - SEEDED_PROCESSES)
  const base = new Date(Date.now() - (n + 3600) * 1000)
  const digits = Math.round(Math.log10(SEED_CHUNK))
  const digit = sql.raw(
    '(select 0 as d union all select 1 union all select 2 union all select 3 union all select 4 union all select 5 union all select 6 union all select 7 union all select 8 union all select 9)',
  )
  const numbers = sql`(select ${sql.raw(Array.from({ length: digits }, (_, k) => `d${k}.d * ${10 ** k}`).join(' + '))} as j from ${sql.join(
    Array.from({ length: digits }, (_, k) => sql`${digit} as ${sql.raw(`d${k}`)}`),
  )})`
  // Run number i of the seed is `from` + j: the chunk's offset plus its generated number.
  const from = sql.ref('c.from_i')
  const i = sql`(${from} + g.j)`
  const dialect = store.dialect
  const startAt =
    dialect === 'postgresql'
      ? sql`cast(${base} as timestamptz) + ${i} * interval '1 second'`
      : dialect === 'mysql'
        ? sql`timestampadd(second, ${i}, ${base})`
        : sql`strftime('%Y-%m-%d %H:%M:%f', ${base.toISOString().replace('T', ' ').replace('Z', '')}, '+' || ${i} || ' seconds')`
  const endAt =
    dialect === 'postgresql'
      ? sql`cast(${base} as timestamptz) + (${i} * 1000 + 500) * interval '1 millisecond'`
      : dialect === 'mysql'
        ? sql`timestampadd(microsecond, ${i} * 1000000 + 500000, ${base})`
        : sql`strftime('%Y-%m-%d %H:%M:%f', ${base.toISOString().replace('T', ' ').replace('Z', '')}, '+' || (${i} + 0.5) || ' seconds')`
  const runNumber = dialect === 'mysql' ? sql`2 + ${i} div ${sql.lit(SEEDED_PROCESSES)}` : sql`2 + ${i} / ${sql.lit(SEEDED_PROCESSES)}`
  const uuid =
    dialect === 'postgresql'
      ? sql`'00000000-seed-' || lpad(cast(${i} as text), 22, '0')`
      : dialect === 'mysql'
        ? sql`concat('00000000-seed-', lpad(${i}, 22, '0'))`
        : sql`'00000000-seed-' || printf('%022d', ${i})`
  const processId = sql`case ${i} % ${sql.lit(SEEDED_PROCESSES)} ${sql.join(
    processIds.map((id, k) => sql`when ${sql.lit(k)} then ${sql.lit(id)}`),
    sql` `,
  )} end`
  for (let start = 0; start < n; start += SEED_CHUNK) {
    await sql`insert into process_tracking (process_id, process_status_id, process_run_id, process_run_start_date_time,
      process_run_end_date_time, process_run_record_count, process_run_actor_id, is_latest_run, run_uuid, update_date_time)
    select ${processId}, case when ${i} % ${sql.lit(FAILED_EVERY)} = 0 then ${sql.lit(failed)} else ${sql.lit(completed)} end, ${runNumber}, ${startAt},
      ${endAt}, 100, ${sql.lit(Number(actor.actor_id))}, ${sql.lit(false)}, ${uuid}, ${startAt}
    from ${numbers} as g, (select ${sql.lit(start)} as from_i) c where g.j < ${sql.lit(Math.min(SEED_CHUNK, n - start))}`.execute(db)
  }
  // Planner statistics, as a database in steady use has them.
  await sql`${sql.raw(dialect === 'mysql' ? 'analyze table' : 'analyze')} process_tracking`.execute(db)
  const middle = await db
    .selectFrom('process_tracking')
    .select((eb) => eb.fn.max('process_tracking_id').as('id'))
    .where('run_uuid', '=', `00000000-seed-${String(Math.floor(n / 2)).padStart(22, '0')}`)
    .executeTakeFirst()
  return {
    processName: `${prefix} 7`,
    tenthStartedAt: new Date(base.getTime() + Math.floor(n / 10) * 1000),
    middleTrackingId: Number(middle?.id ?? 1),
  }
}

const USAGE = `usage: npx tsx bench/http.ts [--scale full|small] [--dialects postgresql,sqlite,mysql] [--only rate|list]
                                [--rounds N] [--baseline PATH/bin/processtracker.js]
                                [--cpu-prof DIR] [--no-library] [--client lean|node-http]
  The HTTP section alone. rate: rounds of the library's 8 clients and the HTTP clients (and the
  baseline server's, when given), in alternating order; list: seeds the runs of the scale once and
  samples GET /api/v1/runs on each server. --cpu-prof writes each server's CPU profile of the rate
  rounds into DIR (node --cpu-prof); --no-library leaves the library's rounds out;
  --client picks the rate clients' HTTP stack (bench/http-client.ts). Needs dist/ built (npx tsc -p tsconfig.build.json).`

async function standalone(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: 'small' },
      dialects: { type: 'string', default: 'postgresql' },
      only: { type: 'string' },
      rounds: { type: 'string', default: '2' },
      baseline: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'no-library': { type: 'boolean' },
      client: { type: 'string', default: 'lean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  if (values.scale !== 'full' && values.scale !== 'small') throw new Error(`--scale must be full or small\n${USAGE}`)
  const kind = values.client as ClientKind
  if (!CLIENT_KINDS.includes(kind)) throw new Error(`--client must be one of ${CLIENT_KINDS.join(', ')}\n${USAGE}`)
  const scale = SCALES[values.scale]
  const bins: Record<string, string> = { current: BIN, ...(values.baseline ? { baseline: values.baseline } : {}) }
  const say = (line: string) => process.stdout.write(`${line}\n`)
  const load = () =>
    os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')
  for (const dialect of values.dialects.split(',') as BenchDialect[]) {
    if (!ALL_DIALECTS.includes(dialect)) throw new Error(`unknown dialect ${dialect}\n${USAGE}`)
    if (dialect !== 'sqlite' && serverUrl(dialect) === undefined)
      throw new Error(`${dialect}: set PROCESS_TRACKER_BENCH_POSTGRES_URL / _MYSQL_URL`)
    const tag = newTag()
    const database = await createBenchDatabase(dialect, tag)
    const store = await DataStore.open({ ...database.target, env: {}, homeDir: os.tmpdir() })
    try {
      const token = (await createToken(store, `bench-${tag}`, 'admin')).secret
      say(`${dialect} (load ${load()})`)
      if (values.only !== 'list') {
        const names = Object.keys(bins)
        for (let round = 0; round < Number(values.rounds); round++) {
          const library = values['no-library'] === true ? [] : ['library']
          const order = round % 2 === 0 ? [...library, ...names] : [...names].reverse().concat(library)
          for (const what of order) {
            if (what === 'library') {
              const library = await measureClients(database.target, `${tag}-r${round}`, scale)
              say(
                `  round ${round} library ${scale.clients.workers} clients: ${library.lifecyclesPerSecond.toFixed(1)}/s, client CPU per lifecycle ${library.clientCpuMsPerLifecycle.toFixed(2)} ms (load ${load()})`,
              )
              continue
            }
            const profile = values['cpu-prof'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']]
            const serve = await startServe(database.target, bins[what], profile)
            try {
              const rate = await lifecycleRate(serve, token, `${tag}-${what}-r${round}`, scale.http, kind)
              say(
                `  round ${round} HTTP ${what} ${scale.http.clients} clients: ${rate.lifecyclesPerSecond.toFixed(1)}/s, CPU per lifecycle: clients ${rate.clientCpuMs.toFixed(2)} ms, server ${rate.serverCpuMs.toFixed(2)} ms (load ${load()})`,
              )
            } finally {
              await serve.stop()
            }
          }
        }
      }
      if (values.only !== 'rate') {
        const t0 = performance.now()
        const seeded = await seedRuns(store, `bench ${tag} http history`, scale.http.runs)
        say(`  seeded ${scale.http.runs} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
        const paths = listPaths(seeded)
        for (let round = 0; round < Number(values.rounds); round++) {
          for (const what of round % 2 === 0 ? Object.keys(bins) : Object.keys(bins).reverse()) {
            const serve = await startServe(database.target, bins[what])
            try {
              const latencies = await listLatencies(serve.base, token, Object.values(paths), scale.http.samples)
              Object.keys(paths).forEach((name, k) => {
                const l = latencies[k] as LatencySummary
                say(
                  `  round ${round} ${what} GET /api/v1/runs?${name}: p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms`,
                )
              })
              say(`  (load ${load()})`)
            } finally {
              await serve.stop()
            }
          }
        }
      }
    } finally {
      await store.close()
      await database.drop()
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  standalone().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exitCode = 1
  })
}
