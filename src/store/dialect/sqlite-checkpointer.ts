import type BetterSqlite3 from 'better-sqlite3'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/**
 * Statements a store runs without rows back (writes, BEGIN, COMMIT) before its checkpoints move to a
 * thread: a CLI call or a short script never starts one; a worker of a pipeline does within seconds.
 */
const STATEMENTS_BEFORE_THREAD = 1_000
/** How often the thread checkpoints, which is also how often the WAL is synced to disk. */
const INTERVAL_MS = 100
/** The store's own automatic checkpoint while the thread runs: a backstop should the thread fall behind. */
const BACKSTOP_PAGES = 10_000
/** SQLite's default, back in force if the thread stops on an error. */
const DEFAULT_PAGES = 1_000
/** How long `close()` waits for the thread's connection to close before closing the store's. */
const CLOSE_WAIT_MS = 2_000

/**
 * The thread: its own connection to the file, `wal_checkpoint(PASSIVE)` every `intervalMs`. PASSIVE
 * never waits for a lock and never blocks a writer; a checkpoint that finds the database busy (another
 * process checkpointing) does what it can and is tried again at the next tick. CommonJS, evaluated:
 * it runs the same from src/ (tests) and dist/.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.module)
const db = new Database(workerData.filename, { fileMustExist: true })
db.pragma('busy_timeout = 0')
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)') } catch {}
}, workerData.intervalMs)
parentPort.once('message', () => {
  clearInterval(timer)
  db.close()
  const closed = new Int32Array(workerData.closed)
  Atomics.store(closed, 0, 1)
  Atomics.notify(closed, 0)
  parentPort.close()
})
`

/**
 * Moves a file store's WAL checkpoints off the calling thread (docs/performance.md, "checkpoints off
 * the hot path"). SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages
 * and waits there for two fsyncs; in a busy writer that was a third of a lifecycle's time. Once the
 * store has been busy for a while ({@link STATEMENTS_BEFORE_THREAD}), a worker thread with its own
 * connection checkpoints every {@link INTERVAL_MS} ms instead, and the store's automatic checkpoint
 * is only a backstop. Durability is not weakened: with `synchronous=NORMAL` a commit reaches the disk
 * at the next checkpoint, which now comes within about 100 ms instead of after 1,000 pages.
 */
export class SqliteCheckpointer {
  readonly #db: BetterSqlite3.Database
  readonly #filename: string
  #statements = 0
  #worker: Worker | undefined
  #closed = false
  /** Set to 1 by the thread once its connection is closed. */
  readonly #threadClosed = new Int32Array(new SharedArrayBuffer(4))

  constructor(db: BetterSqlite3.Database, filename: string) {
    this.#db = db
    this.#filename = filename
  }

  /** Counts a statement that returned no rows; starts the thread once the store is busy. */
  wrote(): void {
    if (this.#worker !== undefined || this.#closed || ++this.#statements < STATEMENTS_BEFORE_THREAD) return
    this.#start()
  }

  #start(): void {
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        filename: this.#filename,
        intervalMs: INTERVAL_MS,
        closed: this.#threadClosed.buffer,
      },
    })
    // The thread never keeps a process alive: a process that exits without close() just stops it.
    worker.unref()
    worker.once('error', () => {
      // It could not open the file or load the driver: checkpoints stay where SQLite puts them.
      if (this.#closed) return
      this.#worker = undefined
      this.#db.pragma(`wal_autocheckpoint = ${String(DEFAULT_PAGES)}`)
    })
    this.#worker = worker
    this.#db.pragma(`wal_autocheckpoint = ${String(BACKSTOP_PAGES)}`)
  }

  /**
   * Stops the thread and waits (a few milliseconds, {@link CLOSE_WAIT_MS} at most) until its
   * connection is closed, so the store's own connection, closed next, is the last one: SQLite then
   * checkpoints the WAL into the file and removes it. Closed at the same moment, each connection could
   * find the other still open, and the WAL would stay behind (harmless: the next open recovers it).
   */
  close(): void {
    this.#closed = true
    const worker = this.#worker
    this.#worker = undefined
    if (worker === undefined) return
    worker.postMessage('stop')
    Atomics.wait(this.#threadClosed, 0, 0, CLOSE_WAIT_MS)
  }
}
