import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { performance } from 'node:perf_hooks'
import { ProcessTracker, type DataStore } from './api.ts'
import type { ScaleParameters } from './config.ts'
import { analyze, bulkInsert, lookupId, type BenchDb } from './seed.ts'
import { seededRandom, summarize, type LatencySummary } from './stats.ts'
import { contextOf } from './api.ts'

export interface FinderFigures extends LatencySummary {
  /** Statements per call (store.statementCounts delta), averaged. */
  statementsPerCall: number
  /** Calls that did not return the expected number of extracts (must be 0). */
  wrongCounts: number
}

export interface FindersResult {
  extracts: number
  locations: number
  seedSeconds: number
  findByLocation: FinderFigures
  claim: FinderFigures & { limit: number }
  /**
   * MySQL/MariaDB only: the InnoDB buffer pool and the pages each find read from disk (the server's
   * global counter over the find samples, so other clients' reads count too). The finder's plan is a
   * ref on (location, status, registration time, id) with no filesort; at 1,000,000 extracts its time
   * is these reads — one location's rows lie on ~100 different clustered pages, and InnoDB (O_DIRECT)
   * has no OS page cache behind a pool smaller than the table, where PostgreSQL and SQLite have one.
   */
  innodb?: { bufferPoolMb: number; diskReadsPerFind: number }
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

/**
 * Finder latency at scale. `locations × perLocation` ready extracts are seeded by multi-row INSERTs
 * (not timed), the tables analysed, then, from one run:
 * - findExtractsByLocation({ locationPath }) of a random location (all `perLocation` ready extracts);
 * - claimExtracts({ locationPath, limit }) of a random location; after each sample the claimed
 *   extracts are put back to `ready` by one UPDATE (not timed), so every claim meets a full pool.
 * Random locations mean a location's id is usually not yet in the store's cache: the figure
 * includes that lookup, as a worker touching many locations would see it.
 */
export async function measureFinders(store: DataStore, tag: string, scale: ScaleParameters): Promise<FindersResult> {
  const { locations, perLocation, findSamples, claimSamples, claimLimit } = scale.finders
  const db = contextOf(store).db
  const t0 = performance.now()
  const paths = await seedExtracts(db, tag, locations, perLocation)
  await analyze(store, ['location_lkup', 'extract_tracking', 'extract_process_tracking', 'extract_status_history'])
  const seedSeconds = (performance.now() - t0) / 1000
  const readyId = await lookupId(db, 'extract_status_lkup', 'ready')

  const run = await ProcessTracker.start(store, {
    processName: `bench ${tag} finder`,
    processType: 'Load',
    actorName: 'bench',
    toolName: 'Spark',
    sources: 'Bench Source',
    targets: 'Bench Target',
  })
  const random = seededRandom(42)
  const pick = () => paths[Math.floor(random() * paths.length)] ?? '/'

  const timed = async <T>(call: () => Promise<T>) => {
    const before = store.statementCounts.statements
    const start = performance.now()
    const value = await call()
    return { value, ms: performance.now() - start, statements: store.statementCounts.statements - before }
  }

  const find = async () => timed(() => run.findExtractsByLocation({ locationPath: pick() }))
  for (let i = 0; i < 10; i++) await find() // warm-up
  const readsBefore = store.dialect === 'mysql' ? await innodbDiskReads(db) : 0
  const findMs: number[] = []
  let findStatements = 0
  let findWrong = 0
  for (let i = 0; i < findSamples; i++) {
    const sample = await find()
    findMs.push(sample.ms)
    findStatements += sample.statements
    if (sample.value.length !== perLocation) findWrong++
  }
  const innodb =
    store.dialect === 'mysql'
      ? { bufferPoolMb: await innodbBufferPoolMb(db), diskReadsPerFind: ((await innodbDiskReads(db)) - readsBefore) / findSamples }
      : undefined

  const claim = async () => {
    const sample = await timed(() => run.claimExtracts({ locationPath: pick(), limit: claimLimit }))
    const ids = sample.value.map((extract) => extract.extractId)
    if (ids.length > 0) {
      await db
        .updateTable('extract_tracking')
        .set({ extract_status_id: readyId, extract_claim_process_tracking_id: null })
        .where('extract_id', 'in', ids)
        .execute()
    }
    return sample
  }
  for (let i = 0; i < 5; i++) await claim() // warm-up
  const claimMs: number[] = []
  let claimStatements = 0
  let claimWrong = 0
  for (let i = 0; i < claimSamples; i++) {
    const sample = await claim()
    claimMs.push(sample.ms)
    claimStatements += sample.statements
    if (sample.value.length !== claimLimit) claimWrong++
  }
  await run.complete()

  return {
    extracts: locations * perLocation,
    locations,
    seedSeconds,
    findByLocation: { ...summarize(findMs), statementsPerCall: findStatements / findSamples, wrongCounts: findWrong },
    claim: { ...summarize(claimMs), statementsPerCall: claimStatements / claimSamples, wrongCounts: claimWrong, limit: claimLimit },
    ...(innodb && { innodb }),
  }
}

/** Pages InnoDB has read from disk since the server started (all clients). */
async function innodbDiskReads(db: BenchDb): Promise<number> {
  const { rows } = await sql<{ Value: string }>`show global status like 'Innodb_buffer_pool_reads'`.execute(db)
  return Number(rows[0]?.Value ?? 0)
}

async function innodbBufferPoolMb(db: BenchDb): Promise<number> {
  const { rows } = await sql<{ size: number | string }>`select @@innodb_buffer_pool_size as size`.execute(db)
  return Number(rows[0]?.size ?? 0) / 1_048_576
}

/**
 * Seeds `locations` local locations with `perLocation` ready extracts each; returns their paths.
 * Paths are written in the library's canonical form (absolute, no trailing slash) with the SHA-256
 * keys it uses, so the finders find them exactly as if they had been registered one by one.
 */
export async function seedExtracts(db: BenchDb, tag: string, locations: number, perLocation: number): Promise<string[]> {
  const localType = await lookupId(db, 'location_type_lkup', 'local filesystem')
  const readyId = await lookupId(db, 'extract_status_lkup', 'ready')
  const paths = Array.from({ length: locations }, (_, k) => `/tmp/bench/${tag}/loc-${k}`)
  await bulkInsert(
    db,
    locations,
    (from, to) =>
      paths.slice(from, to).map((path, offset) => ({
        location_name: `bench ${tag} loc ${from + offset}`,
        location_path: path,
        location_path_hash: sha256Hex(path),
        location_type_id: localType,
      })),
    (trx, rows) => trx.insertInto('location_lkup').values(rows).execute(),
  )
  const idRows = await db
    .selectFrom('location_lkup')
    .select(['location_id', 'location_path'])
    .where('location_path', 'like', `/tmp/bench/${tag}/loc-%`)
    .execute()
  const idByPath = new Map(idRows.map((row) => [row.location_path, Number(row.location_id)]))
  const locationIds = paths.map((path) => {
    const id = idByPath.get(path)
    if (id === undefined) throw new Error(`seeded location ${path} is missing`)
    return id
  })
  // Registration times spread over the last ~10^6 ms, in id order, like files registered over time.
  const base = Date.now() - locations * perLocation
  await bulkInsert(
    db,
    locations * perLocation,
    (from, to) => {
      const rows = []
      for (let n = from; n < to; n++) {
        const k = n % locations // interleave locations, so one location's rows are spread out
        const j = Math.floor(n / locations)
        const filename = `f_${k}_${j}.csv`
        rows.push({
          extract_filename: filename,
          extract_filename_hash: sha256Hex(filename),
          extract_location_id: locationIds[k] ?? 0,
          extract_status_id: readyId,
          extract_registration_date_time: new Date(base + n),
        })
      }
      return rows
    },
    (trx, rows) => trx.insertInto('extract_tracking').values(rows).execute(),
  )
  return paths
}
