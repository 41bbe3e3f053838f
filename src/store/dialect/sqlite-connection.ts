import type BetterSqlite3 from 'better-sqlite3'
import type { SqliteDatabase, SqliteStatement } from 'kysely'
import { setTimeout as sleep } from 'node:timers/promises'
import { errorField } from './adapter.ts'
import type { SqliteCheckpointer } from './sqlite-checkpointer.ts'

const MAX_CACHED_STATEMENTS = 500
/**
 * How long one statement may block the thread waiting for another process's write lock before it
 * gives SQLITE_BUSY back to {@link waitForSqliteLock}, which waits on — without blocking — up to
 * `lockTimeoutMs`. A few milliseconds of spinning catch the common short hold cheaply.
 */
const BLOCKING_WAIT_MS = 3
const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** Blocks the thread for `ms` — as SQLite's own busy handler would, only in finer steps. */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms)
}

/**
 * The better-sqlite3 connection as Kysely sees it, with two changes measured in `npm run bench`:
 *
 * - Statements are prepared once per SQL text and reused (Kysely's driver prepares on every call;
 *   caching made a lifecycle about 40% faster). The set of texts is small; the cache is bounded anyway.
 * - A statement refused with SQLITE_BUSY (another process holds the write lock) is retried after a
 *   short sleep that grows from 0.25 ms to 2 ms, for at most {@link BLOCKING_WAIT_MS}; longer waits
 *   happen in {@link waitForSqliteLock}, off the thread. SQLite's built-in busy handler sleeps 1, 2,
 *   5 … 100 ms and blocks the event loop all along. Retrying is safe: a BUSY statement did nothing,
 *   and every transaction opens with `begin immediate`, so statements inside one never meet BUSY.
 * - A file store's WAL checkpoints move to a thread once it is busy ({@link SqliteCheckpointer}).
 */
export function wrapSqliteDatabase(db: BetterSqlite3.Database, lockTimeoutMs: number, checkpointer?: SqliteCheckpointer): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>()
  const retrying = <T>(work: () => T): T => {
    const deadline = Date.now() + Math.min(lockTimeoutMs, BLOCKING_WAIT_MS)
    for (let attempt = 0; ; attempt++) {
      try {
        return work()
      } catch (error) {
        const code = errorField(error, 'code')
        if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw error
        sleepSync(Math.min(2, 0.25 * 2 ** Math.min(attempt, 3)) * (0.5 + Math.random()))
      }
    }
  }
  return {
    close: () => {
      checkpointer?.close()
      db.close()
    },
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql)
      if (statement) return statement
      const prepared = retrying(() => db.prepare(sql))
      statement = {
        reader: prepared.reader,
        all: (parameters) => retrying(() => prepared.all(...parameters)),
        run: (parameters) => {
          const result = retrying(() => prepared.run(...parameters))
          checkpointer?.wrote()
          return result
        },
        iterate: (parameters) => prepared.iterate(...parameters),
      }
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear()
      cache.set(sql, statement)
      return statement
    },
  }
}

const isBusy = (error: unknown): boolean => {
  const code = errorField(error, 'code')
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}

/**
 * Runs a statement, and while SQLite answers SQLITE_BUSY waits with timers — the event loop keeps
 * serving heartbeats, HTTP requests and other callers — and tries again, until `lockTimeoutMs` has
 * passed; then the last SQLITE_BUSY is thrown (it becomes `PT_LOCK_TIMEOUT`). The first attempt
 * runs without an async frame of its own: every statement passes here, and few ever wait.
 */
export function waitForSqliteLock(lockTimeoutMs: number): <R>(attempt: () => Promise<R>) => Promise<R> {
  return <R>(attempt: () => Promise<R>): Promise<R> => {
    const deadline = Date.now() + lockTimeoutMs
    return attempt().catch((error: unknown) => retryWhileBusy(attempt, deadline, error))
  }
}

async function retryWhileBusy<R>(attempt: () => Promise<R>, deadline: number, firstError: unknown): Promise<R> {
  let error = firstError
  for (let round = 0; ; round++) {
    const left = deadline - Date.now()
    if (!isBusy(error) || left <= 0) throw error
    await sleep(Math.min(left, Math.min(8, 2 ** Math.min(round, 3)) * (0.5 + Math.random())))
    try {
      return await attempt()
    } catch (next) {
      error = next
    }
  }
}
