/**
 * `npm run bench [-- --json FILE] [--scale small] [--dialects sqlite,postgresql,mysql] [--only SECTIONS] [--import-only]`
 *
 * Measures the built package as benchmark.md (../shared/spec/benchmark.md) defines it, on SQLite
 * always and on PostgreSQL / MySQL when PROCESS_TRACKER_BENCH_POSTGRES_URL /
 * PROCESS_TRACKER_BENCH_MYSQL_URL are set, each in its own fresh schema / database / temp file that
 * is dropped at the end; then the dashboard section (dashboard.ts). Prints one table; `--json FILE`
 * also writes every figure. Missing a target never fails: the exit code is 0 unless a measurement
 * crashed.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { DataStore, VERSION } from './api.ts'
import { measureBound } from './bound.ts'
import { SCALES, type Scale, type ScaleParameters } from './config.ts'
import { measureContention } from './contention.ts'
import { measureDashboard } from './dashboard.ts'
import { ALL_DIALECTS, createBenchDatabase, describeServer, newTag, serverUrl, type BenchDialect } from './databases.ts'
import { measureFinders } from './finders.ts'
import { measureHistory } from './history.ts'
import { formatImport, measureImport, type ImportResult } from './import.ts'
import { measureHttpList, measureHttpRate } from './http.ts'
import { measureLineage } from './lineage-rate.ts'
import { measureRegistration } from './registration.ts'
import { measureClients, measureOneClient } from './lifecycle.ts'
import { formatReport, type BenchReport, type DialectResult, type Environment } from './report.ts'
import { peakRssBytes } from './stats.ts'

/** The sections `--only` picks from (the bound always runs: every rate is stated against it). */
const SECTIONS = [
  'lifecycle',
  'clients',
  'lineage',
  'contention',
  'history',
  'registration',
  'finders',
  'http',
  'import',
  'dashboard',
] as const
type Section = (typeof SECTIONS)[number]

const USAGE =
  'usage: npm run bench -- [--json FILE] [--scale full|small] [--dialects sqlite,postgresql,mysql] ' +
  `[--only ${SECTIONS.join(',')}] [--import-only]`

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}

interface Options {
  json: string | undefined
  scale: Scale
  dialects: BenchDialect[]
  /** The sections to run (all unless `--only` names some): re-measuring what a change touched. */
  sections: ReadonlySet<Section>
  importOnly: boolean
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      json: { type: 'string' },
      scale: { type: 'string', default: 'full' },
      dialects: { type: 'string' },
      only: { type: 'string' },
      'import-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  if (values.scale !== 'full' && values.scale !== 'small') throw new Error(`--scale must be full or small\n${USAGE}`)
  const dialects = (values.dialects?.split(',').map((name) => name.trim()) ?? [...ALL_DIALECTS]) as BenchDialect[]
  for (const dialect of dialects) {
    if (!ALL_DIALECTS.includes(dialect)) throw new Error(`unknown dialect ${dialect}\n${USAGE}`)
  }
  const sections = (values.only?.split(',').map((name) => name.trim()) ?? [...SECTIONS]) as Section[]
  for (const section of sections) {
    if (!SECTIONS.includes(section)) throw new Error(`unknown section ${section}\n${USAGE}`)
  }
  return { json: values.json, scale: values.scale, dialects, sections: new Set(sections), importOnly: values['import-only'] === true }
}

function packageVersion(name: string): string {
  try {
    const file = new URL(`../node_modules/${name}/package.json`, import.meta.url)
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

function environment(): Environment {
  let osName = `${os.type()} ${os.release()}`
  try {
    const release = readFileSync('/etc/os-release', 'utf8')
    osName = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] ?? osName
  } catch {
    // not Linux: keep os.type()
  }
  return {
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: os.totalmem() / 2 ** 30,
      os: osName,
      kernel: os.release(),
    },
    loadAverage: { start: os.loadavg(), end: [] },
    node: process.version,
    packages: {
      processtracker: VERSION,
      kysely: packageVersion('kysely'),
      'better-sqlite3': packageVersion('better-sqlite3'),
      pg: packageVersion('pg'),
      mysql2: packageVersion('mysql2'),
    },
  }
}

/**
 * Every figure for one database. Sections run in this order so the lifecycle figures meet a
 * small database and the 10^6-extract seed comes last; a failing section is recorded and the
 * next one still runs.
 */
async function benchDialect(
  dialect: BenchDialect,
  tag: string,
  scale: ScaleParameters,
  sections: ReadonlySet<Section>,
): Promise<DialectResult> {
  const t0 = performance.now()
  const database = await createBenchDatabase(dialect, tag)
  const result: DialectResult = { dialect, where: database.where, errors: {}, seconds: 0 }
  let store: DataStore | undefined
  const section = async (key: Section | null, name: string, work: (store: DataStore) => Promise<void>) => {
    if (!store || (key !== null && !sections.has(key))) return
    progress(`${dialect}: ${name}`)
    try {
      await work(store)
    } catch (error) {
      result.errors[name] = error instanceof Error ? (error.stack ?? error.message) : String(error)
      progress(`${dialect}: ${name} FAILED: ${result.errors[name]}`)
    }
  }
  try {
    store = await DataStore.open({ ...database.target, env: {}, homeDir: os.tmpdir() })
    await section(null, 'server', async (s) => {
      result.server = await describeServer(s)
    })
    await section(null, 'durable-commit bound', async (s) => {
      const file = dialect === 'sqlite' ? database.target.url.slice('sqlite:'.length) : undefined
      result.bound = await measureBound(s, scale.boundSeconds, file)
    })
    await section('lifecycle', 'lifecycles, 1 client', async () => {
      result.oneClient = await measureOneClient(database.target, tag, scale)
    })
    await section('clients', `lifecycles, ${scale.clients.workers} clients`, async () => {
      result.clients = await measureClients(database.target, tag, scale)
    })
    // Straight after the library's rate it is divided by, on the same small database.
    await section('http', 'HTTP API, lifecycle rate', async (s) => {
      result.httpRate = await measureHttpRate(s, database.target, tag, scale.http, result.clients?.lifecyclesPerSecond ?? null)
    })
    await section('lineage', 'lineage on (receiver down) vs off, 1 client', async () => {
      result.lineage = await measureLineage(database.target, `${tag}lin`, scale, scale.lineage.rounds)
    })
    await section('contention', 'start under contention', async (s) => {
      result.contention = await measureContention(s, database.target, tag, scale)
    })
    await section('history', 'start with history', async (s) => {
      result.history = await measureHistory(s, tag, scale)
    })
    await section('registration', 'registering files by location', async (s) => {
      result.registration = await measureRegistration(s, tag, scale)
    })
    await section('finders', 'finders at scale', async (s) => {
      result.finders = await measureFinders(s, tag, scale)
    })
    // Last: it seeds many runs, which the sections above must not meet.
    await section('http', 'HTTP API, GET /api/v1/runs at scale', async (s) => {
      result.httpList = await measureHttpList(s, database.target, tag, scale.http)
    })
  } catch (error) {
    result.errors.open = error instanceof Error ? (error.stack ?? error.message) : String(error)
  } finally {
    await store?.close()
    await database.drop()
    result.seconds = (performance.now() - t0) / 1000
  }
  return result
}

async function main(): Promise<number> {
  const t0 = performance.now()
  const options = parseOptions()
  const tag = newTag()
  const scale = SCALES[options.scale]
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    scale: options.scale,
    tag,
    environment: environment(),
    dialects: [],
    skipped: [],
    benchPeakRssBytes: 0,
    totalSeconds: 0,
  }
  for (const dialect of options.importOnly ? [] : options.dialects) {
    if (dialect !== 'sqlite' && serverUrl(dialect) === undefined) {
      const variable = dialect === 'postgresql' ? 'PROCESS_TRACKER_BENCH_POSTGRES_URL' : 'PROCESS_TRACKER_BENCH_MYSQL_URL'
      report.skipped.push({ dialect, reason: `${variable} is not set` })
      continue
    }
    report.dialects.push(await benchDialect(dialect, tag, scale, options.sections))
  }
  // The import section (import.md): PostgreSQL only, a source database of its own.
  let importResult: ImportResult | undefined
  let importError: string | undefined
  const postgresBase = serverUrl('postgresql')
  if (postgresBase !== undefined && options.dialects.includes('postgresql') && options.sections.has('import')) {
    progress('postgresql: import of 1,000,000 Python runs')
    try {
      importResult = await measureImport(postgresBase, tag)
    } catch (error) {
      importError = error instanceof Error ? (error.stack ?? error.message) : String(error)
      progress(`postgresql: import FAILED: ${importError}`)
    }
  }
  // The dashboard section runs here (not as a second npm command) so `npm run bench -- ARGS` reaches one entry.
  if (!options.importOnly && options.sections.has('dashboard')) {
    progress('dashboard: overview of 1,000 processes in Chromium')
    report.dashboard = await measureDashboard().catch((error: unknown) => ({
      failed: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }))
  }
  report.environment.loadAverage.end = os.loadavg()
  report.benchPeakRssBytes = peakRssBytes()
  report.totalSeconds = (performance.now() - t0) / 1000
  process.stdout.write(`\n${formatReport(report)}\n`)
  if (importResult) process.stdout.write(`\n${formatImport(importResult)}\n`)
  if (options.json !== undefined) {
    writeFileSync(options.json, `${JSON.stringify({ ...report, import: importResult ?? importError ?? null }, null, 2)}\n`)
    progress(`figures written to ${options.json}`)
  }
  const dashboardFailed = report.dashboard !== undefined && 'failed' in report.dashboard
  return report.dialects.some((r) => Object.keys(r.errors).length > 0) || importError !== undefined || dashboardFailed ? 1 : 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exitCode = 1
  },
)
