import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ConfigError, DataStore, ProcessTracker, ProcessTrackerError, type RunInfo } from '../../src/index.ts'
import { INITIAL_TABLES } from '../../src/store/migrations/0001-initial-schema.ts'
import { MIGRATION_TABLE, createTable } from '../../src/store/migrations/index.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'
import { TcpProxy } from './support/tcp-proxy.ts'
import { contextOf } from '../../src/store/context.ts'

async function rejection(promise: Promise<unknown>): Promise<ProcessTrackerError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(ProcessTrackerError)
  return error as ProcessTrackerError
}

/** Holds a lock in another session until `release` is called: a table lock, or SQLite's write lock. */
async function holdLock(
  database: IsolatedDatabase,
  what: { table: string } | { runId: number },
): Promise<{ release: () => Promise<void> }> {
  if (database.dialect === 'sqlite') {
    const holder = await database.open()
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let locked!: () => void
    const isLocked = new Promise<void>((resolve) => (locked = resolve))
    const done = contextOf(holder)
      .db.transaction()
      .execute(async (trx) => {
        await sql`select 1`.execute(trx) // begin immediate has taken the write lock
        locked()
        await released
      })
    await isLocked
    return {
      release: async () => {
        release()
        await done
        await holder.close()
      },
    }
  }
  if (database.dialect === 'postgresql') {
    const client = new pg.Client({ connectionString: database.options.url })
    await client.connect()
    await client.query(`set search_path = "${database.options.schema ?? 'public'}"`)
    await client.query('begin')
    if ('table' in what) await client.query(`lock table ${what.table} in access exclusive mode`)
    else await client.query('select 1 from process_tracking where process_tracking_id = $1 for update', [what.runId])
    return {
      release: async () => {
        await client.query('rollback')
        await client.end()
      },
    }
  }
  const connection = await mysql.createConnection(database.options.url)
  if ('table' in what) await connection.query(`lock tables ${what.table} write`)
  else {
    await connection.query('begin')
    await connection.query('select 1 from process_tracking where process_tracking_id = ? for update', [what.runId])
  }
  return {
    release: async () => {
      await connection.query('table' in what ? 'unlock tables' : 'rollback')
      await connection.end()
    },
  }
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: time limits, unknown outcomes, the database clock`, () => {
    let database: IsolatedDatabase
    let store: DataStore

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      store = await database.open({ lockTimeoutMs: 1000, statementTimeoutMs: 3000 })
    })
    afterAll(async () => {
      await store.close()
      await database.drop()
    })

    // Guards fix 5 on MariaDB: table and metadata locks follow lock_wait_timeout, not
    // innodb_lock_wait_timeout. Without the session setting the start waits on until the statement
    // limit ends it (PT_DATABASE_UNAVAILABLE), or for a day without one.
    it('a held table lock ends a call with PT_LOCK_TIMEOUT after lockTimeoutMs', async () => {
      const first = await ProcessTracker.start(store, { processName: 'table lock', processType: 'Extract' })
      await first.complete()
      const lock = await holdLock(database, { table: 'process_tracking' })
      try {
        const error = await rejection(ProcessTracker.start(store, { processName: 'table lock' }))
        expect(error.code).toBe('PT_LOCK_TIMEOUT')
      } finally {
        await lock.release()
      }
    })

    // Guards fix 4: a beat is skipped while the previous one still waits, so beats never pile up
    // against a locked or frozen database (they drained the pool before).
    it('heartbeats never pile up: one beat in flight at most while the run row is locked', async () => {
      const patient = await database.open({ lockTimeoutMs: 20_000 })
      try {
        const run = await ProcessTracker.start(patient, { processName: 'beats', processType: 'Extract', heartbeatTimeoutSeconds: 60 })
        const lock = await holdLock(database, { runId: run.processTrackingId })
        try {
          const before = patient.statementCounts.statements
          run.startHeartbeat({ intervalSeconds: 0.02 })
          await vi.waitFor(
            () => {
              expect(patient.statementCounts.statements).toBeGreaterThan(before)
            },
            { timeout: 10_000, interval: 10 },
          )
          // Many more ticks pass while the first beat waits for the lock; none of them may send.
          await sleep(400)
          expect(patient.statementCounts.statements - before).toBe(1)
          run.stopHeartbeat()
        } finally {
          await lock.release()
        }
        await run.complete()
      } finally {
        await patient.close()
      }
    })

    // Guards fix 6: run times come from the database's clock. A client two hours fast (or slow)
    // made runs that ended before they started.
    it.each([2, -2])('stamps start and end with the database clock when the client clock is %i h off', async (hours) => {
      const { rows } = await sql<{ now: Date | string }>`select ${contextOf(store).adapter.now} as now`.execute(contextOf(store).db)
      const dbNow = new Date(String(rows[0]?.now instanceof Date ? rows[0].now.toISOString() : `${String(rows[0]?.now)}Z`)).getTime()
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + hours * 3_600_000 })
      let info: RunInfo | undefined
      try {
        const run = await ProcessTracker.start(store, { processName: `skewed ${hours}`, processType: 'Extract' })
        await run.raiseRunError('Data Error', { description: 'skewed' })
        await run.complete()
        info = (await store.listRuns({ processName: `skewed ${hours}` }))[0]
      } finally {
        vi.useRealTimers()
      }
      const start = info?.startDateTime.getTime() ?? Number.NaN
      const end = info?.endDateTime?.getTime() ?? Number.NaN
      expect(end).toBeGreaterThanOrEqual(start)
      // Within half an hour of the database's clock: the client's is two hours away.
      expect(Math.abs(start - dbNow)).toBeLessThan(1_800_000)
    })

    // Guards fix 7: setup({ overwrite: true }) forgets cached statuses; a custom status recreated
    // with another id was used by its stale id (a raw SQLITE_CONSTRAINT_FOREIGNKEY before).
    it('setup({ overwrite: true }) leaves no stale status cache behind', async () => {
      const own = await database.open()
      try {
        await own.lookups.create('process status', 'checking', { category: 'active' })
        await own.lookups.create('process status', 'validating', { category: 'active' })
        const before = await ProcessTracker.start(own, { processName: 'custom', processType: 'Extract' })
        await before.changeRunStatus('validating')
        await own.setup({ overwrite: true })
        await own.lookups.create('process status', 'validating', { category: 'active' })
        const after = await ProcessTracker.start(own, { processName: 'custom', processType: 'Extract' })
        await after.changeRunStatus('validating')
        expect(after.status).toBe('validating')
      } finally {
        await own.close()
      }
    })

    // Guards fix 7: a migration killed half-way (MySQL DDL is not transactional) is resumed; its
    // indexes exist already, which was ER_DUP_KEYNAME on every later open.
    it('a migration interrupted after some tables and indexes is resumed on the next open', async () => {
      const fresh = await createIsolatedDatabase(dialect)
      try {
        const bare = await fresh.open({ migrate: false })
        try {
          const { db, adapter } = contextOf(bare)
          await db.schema
            .createTable(MIGRATION_TABLE)
            .ifNotExists()
            .addColumn('version', 'integer', (c) => c.primaryKey())
            .addColumn('name', adapter.columnType({ kind: 'str', length: 250 }), (c) => c.notNull())
            .addColumn('applied_date_time', adapter.columnType({ kind: 'timestamp' }), (c) => c.notNull().defaultTo(adapter.nowDefault))
            .execute()
          for (const table of INITIAL_TABLES.slice(0, 8)) await createTable(db, adapter, table)
        } finally {
          await bare.close()
        }
        const resumed = await fresh.open()
        try {
          const run = await ProcessTracker.start(resumed, { processName: 'after resume', processType: 'Extract' })
          await run.complete()
        } finally {
          await resumed.close()
        }
      } finally {
        await fresh.drop()
      }
    })

    it.skipIf(dialect === 'sqlite')('refuses URL parameters it does not honour, with a ConfigError', async () => {
      const url = new URL(database.options.url)
      url.searchParams.set('sslmode', 'prefer')
      await expect(database.open({ url: url.toString() })).rejects.toBeInstanceOf(ConfigError)
      url.search = '?application_name=x'
      await expect(database.open({ url: url.toString() })).rejects.toBeInstanceOf(ConfigError)
    })

    // Guards fix 7: `?sslmode=require` was dropped and the store connected in plain text.
    it.skipIf(dialect === 'sqlite')('honours sslmode=require: TLS, or a coded refusal from a server without it', async () => {
      const url = new URL(database.options.url)
      url.searchParams.set(dialect === 'mysql' ? 'ssl-mode' : 'sslmode', 'require')
      const opened = await database.open({ url: url.toString() }).then(
        (value) => value,
        (error: unknown) => error,
      )
      if (!(opened instanceof DataStore)) {
        expect(opened).toBeInstanceOf(ProcessTrackerError)
        expect((opened as ProcessTrackerError).code).toBe('PT_DATABASE_UNAVAILABLE')
        return
      }
      try {
        const query =
          dialect === 'postgresql'
            ? sql<{ tls: unknown }>`select ssl as tls from pg_stat_ssl where pid = pg_backend_pid()`
            : sql<{ tls: unknown }>`select variable_value as tls from information_schema.session_status where variable_name = 'Ssl_cipher'`
        const { rows } = await query.execute(contextOf(opened).db)
        expect(rows[0]?.tls === true || (typeof rows[0]?.tls === 'string' && rows[0].tls !== '')).toBe(true)
      } finally {
        await opened.close()
      }
    })

    // Guards fix 5 on SQLite: waiting for another connection's write lock used to block the event
    // loop for the whole wait, so the holder (on this same event loop) could never let go in time.
    it.skipIf(dialect !== 'sqlite')('waits for the SQLite write lock without blocking the event loop', async () => {
      const waiter = await database.open({ lockTimeoutMs: 20_000 })
      const holder = await database.open()
      try {
        let waiting: Promise<unknown> | undefined
        await contextOf(holder)
          .db.transaction()
          .execute(async (trx) => {
            await sql`select 1`.execute(trx)
            waiting = ProcessTracker.start(waiter, { processName: 'event loop', processType: 'Extract' }).catch((error: unknown) => error)
            // Only fires (and lets the holder commit) if the waiter leaves the event loop free.
            await sleep(200)
          })
        expect(await waiting).toBeInstanceOf(ProcessTracker)
      } finally {
        await holder.close()
        await waiter.close()
      }
    })
  })

  describe.skipIf(dialect === 'sqlite')(`${dialect}: a COMMIT whose reply is lost`, () => {
    let database: IsolatedDatabase
    let proxy: TcpProxy
    let store: DataStore

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect === 'sqlite' ? 'postgresql' : dialect)
      await (await database.open()).close()
      proxy = await TcpProxy.start(database.options.url)
      store = await database.open({ url: proxy.via(database.options.url), lockTimeoutMs: 2000 })
    })
    afterAll(async () => {
      await store.close()
      await proxy.close()
      await database.drop()
    })

    // Guards fix 3: `start` confirms its own run after a lost COMMIT reply. It used to reject, and
    // the caller's retry was then refused by its own run (PT_PROCESS_RUNNING).
    it('start returns the run it committed when the COMMIT reply was lost', async () => {
      proxy.nextCommit = 'lose-reply'
      const run = await ProcessTracker.start(store, { processName: 'lost reply', processType: 'Extract' })
      expect(proxy.nextCommit).toBeNull() // the fault did fire
      const runs = await store.listRuns({ processName: 'lost reply' })
      expect(runs.map((r) => r.processTrackingId)).toEqual([run.processTrackingId])
      await run.complete()
    })

    it('start decides again when its COMMIT never reached the server', async () => {
      proxy.nextCommit = 'drop'
      const run = await ProcessTracker.start(store, { processName: 'dropped final statement', processType: 'Extract' })
      expect(proxy.nextCommit).toBeNull()
      const runs = await store.listRuns({ processName: 'dropped final statement' })
      expect(runs.map((r) => r.processTrackingId)).toEqual([run.processTrackingId])
      await run.complete()
    })

    it("another change whose COMMIT reply was lost says details.outcome: 'unknown'", async () => {
      const run = await ProcessTracker.start(store, { processName: 'unknown outcome', processType: 'Extract' })
      // A failure with its error is one transaction on every dialect: its COMMIT's reply is lost.
      proxy.nextCommit = 'lose-reply'
      const error = await rejection(run.raiseRunError('Data Error', { description: 'the source vanished', failRun: true }))
      expect(proxy.nextCommit).toBeNull()
      expect(error.code).toBe('PT_DATABASE_UNAVAILABLE')
      expect(error.details.outcome).toBe('unknown')
      // It was in fact committed: reading back is how a caller resolves "unknown".
      expect((await store.listRuns({ processName: 'unknown outcome' }))[0]?.status).toBe('failed')
    })

    // On PostgreSQL, complete is one statement outside a transaction (it commits by itself); on
    // MySQL it ends with COMMIT. Either way a lost reply leaves the outcome unknown.
    it("a complete whose reply was lost says details.outcome: 'unknown'", async () => {
      const run = await ProcessTracker.start(store, { processName: 'unknown complete', processType: 'Extract' })
      if (dialect === 'postgresql') proxy.commitPattern = /last_completed_run_date_time/
      proxy.nextCommit = 'lose-reply'
      try {
        const error = await rejection(run.complete())
        expect(proxy.nextCommit).toBeNull()
        expect(error.code).toBe('PT_DATABASE_UNAVAILABLE')
        expect(error.details.outcome).toBe('unknown')
      } finally {
        proxy.commitPattern = /\bcommit\b/i
      }
      expect((await store.listRuns({ processName: 'unknown complete' }))[0]?.status).toBe('completed')
    })

    it('a connection lost before COMMIT is a plain PT_DATABASE_UNAVAILABLE (nothing written)', async () => {
      await store.getProcess('unknown outcome')
      proxy.dropOnNextSend = true
      const error = await rejection(ProcessTracker.start(store, { processName: 'never', processType: 'Extract' }))
      proxy.dropOnNextSend = false
      expect(error.code).toBe('PT_DATABASE_UNAVAILABLE')
      expect(error.details.outcome).toBeUndefined()
      expect(await store.getProcess('never')).toBeNull()
    })
  })
}
