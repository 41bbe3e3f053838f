import { performance } from 'node:perf_hooks'
import { ProcessTracker, type DataStore } from './api.ts'
import type { ScaleParameters } from './config.ts'
import { analyze, bulkInsert, lookupId, type BenchDb } from './seed.ts'
import { summarize, type LatencySummary } from './stats.ts'
import { contextOf } from './api.ts'

export interface HistoryFigures extends LatencySummary {
  pastRuns: number
  /** Statements per start + complete (store.statementCounts delta), averaged. */
  statementsPerCall: number
}

export interface HistoryResult {
  seedSeconds: number
  big: HistoryFigures
  small: HistoryFigures
  /** big p50 ÷ small p50 (target ≤ 1.5). */
  ratio: number
}

const options = (processName: string) => ({
  processName,
  processType: 'Extract',
  actorName: 'bench',
  toolName: 'Spark',
  sources: 'Bench Source',
  targets: 'Bench Target',
})

/**
 * Start latency with history: `start` + `complete` of a process that already has `bigRuns` past
 * runs vs one with `smallRuns`. Each process is created by a real start + complete (run 1); runs 2…N
 * are bulk-inserted as completed runs and the latest-run flag moved to run N, as N real runs would
 * leave it. Samples alternate between the two processes (and which goes first), so drift in the
 * machine's speed hits both alike.
 */
export async function measureHistory(store: DataStore, tag: string, scale: ScaleParameters): Promise<HistoryResult> {
  const { bigRuns, smallRuns, samples } = scale.history
  const bigName = `bench ${tag} history ${bigRuns}`
  const smallName = `bench ${tag} history ${smallRuns}`
  const t0 = performance.now()
  await seedRuns(store, bigName, bigRuns)
  await seedRuns(store, smallName, smallRuns)
  await analyze(store, ['process_tracking'])
  const seedSeconds = (performance.now() - t0) / 1000

  const once = async (name: string) => {
    const before = store.statementCounts.statements
    const start = performance.now()
    const run = await ProcessTracker.start(store, options(name))
    await run.complete()
    return { ms: performance.now() - start, statements: store.statementCounts.statements - before }
  }
  for (let i = 0; i < 5; i++) {
    await once(bigName)
    await once(smallName)
  }
  const big = { ms: [] as number[], statements: 0 }
  const small = { ms: [] as number[], statements: 0 }
  for (let i = 0; i < samples; i++) {
    const order =
      i % 2 === 0
        ? ([
            [bigName, big],
            [smallName, small],
          ] as const)
        : ([
            [smallName, small],
            [bigName, big],
          ] as const)
    for (const [name, into] of order) {
      const sample = await once(name)
      into.ms.push(sample.ms)
      into.statements += sample.statements
    }
  }
  const bigFigures = { ...summarize(big.ms), pastRuns: bigRuns, statementsPerCall: big.statements / samples }
  const smallFigures = { ...summarize(small.ms), pastRuns: smallRuns, statementsPerCall: small.statements / samples }
  return { seedSeconds, big: bigFigures, small: smallFigures, ratio: bigFigures.p50Ms / smallFigures.p50Ms }
}

/** A process with `pastRuns` completed runs: run 1 through the API, the rest by bulk SQL. */
async function seedRuns(store: DataStore, processName: string, pastRuns: number): Promise<void> {
  const db: BenchDb = contextOf(store).db
  const first = await ProcessTracker.start(store, options(processName))
  await first.complete()
  if (pastRuns <= 1) return
  const completedId = await lookupId(db, 'process_status_lkup', 'completed')
  const processId = first.processId
  // Past runs one second apart, all in the past (their order is by run number, as the tracker reads it).
  const base = Date.now() - pastRuns * 1000
  await bulkInsert(
    db,
    pastRuns - 1,
    (from, to) => {
      const rows = []
      for (let n = from; n < to; n++) {
        const runId = n + 2
        const startAt = new Date(base + runId * 1000)
        rows.push({
          process_id: processId,
          process_status_id: completedId,
          process_run_id: runId,
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
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('process_tracking').set({ is_latest_run: false }).where('process_id', '=', processId).execute()
    await trx
      .updateTable('process_tracking')
      .set({ is_latest_run: true })
      .where('process_id', '=', processId)
      .where('process_run_id', '=', pastRuns)
      .execute()
  })
}
