import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { DataStore, ProcessTracker } from './api.ts'
import { SCALES, type ScaleParameters } from './config.ts'
import { ALL_DIALECTS, createBenchDatabase, newTag, serverUrl, type BenchDialect } from './databases.ts'

/** One registerExtractsByLocation call, timed. */
export interface RegistrationCall {
  seconds: number
  /** CPU of the benchmark process (user + system) over the call: on a loaded machine, wall time minus this is mostly waiting. */
  clientCpuSeconds: number
  statements: number
  /** 1-minute load average when the call started. */
  loadAverage: number
}

export interface RegistrationResult {
  files: number
  /** registerExtractsByLocation of a folder none of whose files is registered yet. */
  newSeconds: number
  /** The same folder again: every file registered, none changed. */
  existingSeconds: number
  statementsNew: number
  statementsExisting: number
  /** Both calls in full. */
  calls: { new: RegistrationCall; existing: RegistrationCall }
  /** Resident set growth of the benchmark process over both calls (both results held). */
  rssGrowthBytes: number
  /** Peak resident set of the benchmark process once both calls returned. */
  peakRssBytes: number
}

/**
 * `registerExtractsByLocation` of one local folder of `files` small files, twice: all new, then all
 * registered and unchanged (issue 10 item 8: PostgreSQL used to take 172 s and 333 s at 100,000
 * files; the goal is ≤ 10 s, linear, with flat memory). The folder's creation is not timed.
 */
export async function measureRegistration(store: DataStore, tag: string, scale: ScaleParameters): Promise<RegistrationResult> {
  const { files } = scale.registration
  const folder = mkdtempSync(join(os.tmpdir(), `processtracker-bench-files-${tag}-`))
  try {
    for (let i = 0; i < files; i++) writeFileSync(join(folder, `file_${String(i).padStart(6, '0')}.csv`), 'x\n')
    const run = await ProcessTracker.start(store, { processName: `bench ${tag} registration`, processType: 'Extract', actorName: 'bench' })
    const rssBefore = process.memoryUsage().rss
    const timed = async (): Promise<RegistrationCall> => {
      const statements = store.statementCounts.statements
      const loadAverage = os.loadavg()[0] ?? 0
      const cpu = process.cpuUsage()
      const t0 = performance.now()
      const extracts = await run.registerExtractsByLocation(folder)
      const seconds = (performance.now() - t0) / 1000
      const used = process.cpuUsage(cpu)
      if (extracts.length !== files) throw new Error(`registered ${extracts.length} of ${files} files`)
      return {
        seconds,
        clientCpuSeconds: (used.user + used.system) / 1e6,
        statements: store.statementCounts.statements - statements,
        loadAverage,
      }
    }
    const fresh = await timed()
    const again = await timed()
    const rssGrowthBytes = process.memoryUsage().rss - rssBefore
    await run.complete()
    return {
      files,
      newSeconds: fresh.seconds,
      existingSeconds: again.seconds,
      statementsNew: fresh.statements,
      statementsExisting: again.statements,
      calls: { new: fresh, existing: again },
      rssGrowthBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

/**
 * This section alone, without the rest of `npm run bench` (build first: it runs dist/):
 * `npx tsx bench/registration.ts [--scale full|small] [--files N] [--dialects sqlite,postgresql,mysql]`.
 * Each dialect in its own fresh database, as `npm run bench` does; prints one JSON line per dialect.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: 'full' }, files: { type: 'string' }, dialects: { type: 'string' } },
  })
  const scale = SCALES[values.scale === 'small' ? 'small' : 'full']
  const files = values.files === undefined ? scale.registration.files : Number(values.files)
  const dialects = (values.dialects?.split(',') ??
    ALL_DIALECTS.filter((d) => d === 'sqlite' || serverUrl(d) !== undefined)) as BenchDialect[]
  for (const dialect of dialects) {
    const tag = newTag()
    const database = await createBenchDatabase(dialect, tag)
    try {
      const store = await DataStore.open({ ...database.target, env: {}, homeDir: os.tmpdir() })
      try {
        const result = await measureRegistration(store, tag, { ...scale, registration: { files } })
        process.stdout.write(`${JSON.stringify({ dialect, ...result })}\n`)
      } finally {
        await store.close()
      }
    } finally {
      await database.drop()
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
