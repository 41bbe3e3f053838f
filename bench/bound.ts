import { join, dirname } from 'node:path'
import { performance } from 'node:perf_hooks'
import SqliteDatabase from 'better-sqlite3'
import { sql } from 'kysely'
import type { DataStore } from './api.ts'
import { contextOf } from './api.ts'

export interface BoundResult {
  /** Single-row INSERTs per second, each its own transaction (autocommit: one durable commit each). */
  commitsPerSecond: number
  /** `select 1` per second: the cost of a round trip with no commit. */
  roundTripsPerSecond: number
  /** SQLite only: the same INSERT rate with synchronous=FULL (an fsync per commit), for reference. */
  fullSyncCommitsPerSecond?: number
}

/**
 * The physical limit (benchmark.md): one client, single-row INSERT + COMMIT per second into a
 * scratch table, through the store's own connection (the same driver and settings the tracker
 * uses). The INSERT runs in autocommit, so each one is exactly one commit and one round trip.
 */
export async function measureBound(store: DataStore, seconds: number, sqliteFile?: string): Promise<BoundResult> {
  const db = contextOf(store).db
  await sql`create table bench_commit_scratch (id integer primary key, payload varchar(32) not null)`.execute(db)
  try {
    let id = 0
    const commitsPerSecond = await ratePerSecond(seconds, async () => {
      id++
      await sql`insert into bench_commit_scratch (id, payload) values (${id}, ${'bench'})`.execute(db)
    })
    const roundTripsPerSecond = await ratePerSecond(seconds, async () => {
      await sql`select 1`.execute(db)
    })
    const result: BoundResult = { commitsPerSecond, roundTripsPerSecond }
    if (sqliteFile !== undefined) result.fullSyncCommitsPerSecond = sqliteFullSyncRate(join(dirname(sqliteFile), 'bound-full.db'), seconds)
    return result
  } finally {
    await sql`drop table bench_commit_scratch`.execute(db)
  }
}

async function ratePerSecond(seconds: number, once: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 20; i++) await once() // warm-up: connection, statement cache
  let n = 0
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  while (performance.now() < end) {
    await once()
    n++
  }
  return n / ((performance.now() - t0) / 1000)
}

/** WAL + synchronous=FULL on a separate scratch file with a bare better-sqlite3 connection. */
function sqliteFullSyncRate(file: string, seconds: number): number {
  const db = new SqliteDatabase(file)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec('create table scratch (id integer primary key, payload text not null)')
    const insert = db.prepare('insert into scratch (id, payload) values (?, ?)')
    let n = 0
    const t0 = performance.now()
    const end = t0 + seconds * 1000
    while (performance.now() < end) insert.run(++n, 'bench')
    return n / ((performance.now() - t0) / 1000)
  } finally {
    db.close()
  }
}
