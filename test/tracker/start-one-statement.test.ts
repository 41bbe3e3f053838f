import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ConflictError,
  DependencyBlockedError,
  ProcessOnHoldError,
  ProcessRunningError,
  ProcessTracker,
  type DataStore,
  type ProcessTrackerError,
} from '../../src/index.ts'
import { contextOf } from '../../src/store/context.ts'
import { START_FUNCTION } from '../../src/store/migrations/0007-start-function.ts'
import { MIGRATIONS, applyMigration } from '../../src/store/migrations/index.ts'
import { TcpProxy } from '../faults/support/tcp-proxy.ts'
import { DIALECTS, createIsolatedDatabase, type IsolatedDatabase } from '../support/dialects.ts'

/**
 * The start in one statement (issue 15; migration 7's `processtracker_start` on PostgreSQL): what
 * a known process's start writes and refuses must be what the transaction writes and refuses, on
 * every dialect; on PostgreSQL it is one statement, and whatever it cannot do falls back to the
 * transaction. The race, crash and fault suites judge the locking.
 */
for (const dialect of DIALECTS) {
  const pg = dialect === 'postgresql'

  describe(`${dialect}: start in one statement`, () => {
    let database: IsolatedDatabase
    let store: DataStore
    let lineageStore: DataStore
    let folder: string

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      folder = mkdtempSync(join(tmpdir(), 'pt-start-one-'))
      store = await database.open({ maxConcurrentFailures: 2 })
      lineageStore = await database.open({ lineage: { transport: 'file', file: join(folder, 'events.jsonl') } })
    })
    afterAll(async () => {
      await store.close()
      await lineageStore.close()
      await database.drop()
      rmSync(folder, { recursive: true, force: true })
    })

    /** Statements a call sent on `on`, and what it returned or threw. */
    const counted = async <T>(
      on: DataStore,
      call: () => Promise<T>,
    ): Promise<{ statements: number; commits: number; result: T | ProcessTrackerError }> => {
      const before = { ...on.statementCounts }
      let result: T | ProcessTrackerError
      try {
        result = await call()
      } catch (error) {
        result = error as ProcessTrackerError
      }
      return { statements: on.statementCounts.statements - before.statements, commits: on.statementCounts.commits - before.commits, result }
    }

    const runRows = async (processName: string) =>
      contextOf(store)
        .db.selectFrom('process_tracking as t')
        .innerJoin('process as p', 'p.process_id', 't.process_id')
        .innerJoin('process_status_lkup as s', 's.process_status_id', 't.process_status_id')
        .select([
          't.process_tracking_id',
          't.process_run_id',
          's.process_status_name',
          't.is_latest_run',
          't.process_run_actor_id',
          't.process_run_name',
          't.heartbeat_timeout_seconds',
          't.run_uuid',
          't.created_by',
          sql<number>`case when t.last_heartbeat_date_time is null then 0 else 1 end`.as('beats'),
          sql<number>`case when t.process_run_end_date_time is null then 0 else 1 end`.as('ended'),
        ])
        .where('p.process_name', '=', processName)
        .orderBy('t.process_run_id')
        .execute()

    it('is a migration of PostgreSQL only, and running it again changes nothing', async () => {
      const { db, adapter } = contextOf(store)
      const migration = MIGRATIONS.find((m) => m.version === 7)
      if (!migration) throw new Error('migration 7 missing')
      await applyMigration(db, adapter, migration)
      if (pg) {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_proc where proname = ${START_FUNCTION} and pronamespace = current_schema()::regnamespace`.execute(
          db,
        )
        expect(rows[0]?.n).toBe(1)
      }
    })

    it('a known process starts in one statement on PostgreSQL, writing what the transaction writes', async () => {
      const options = {
        processName: 'one statement',
        processType: 'Extract',
        actorName: 'one actor',
        toolName: 'Spark',
        sources: 'One Source',
        targets: 'One Target',
        heartbeatTimeoutSeconds: 600,
      }
      const first = await ProcessTracker.start(store, options) // creates the process: the transaction
      await first.complete()
      const second = await counted(store, () => ProcessTracker.start(store, { ...options, processRunName: 'one statement #2' }))
      if (!(second.result instanceof ProcessTracker)) throw second.result
      // It commits by itself: one commit, as the transaction's.
      if (pg) expect([second.statements, second.commits]).toEqual([1, 1])
      expect(second.result.processRunId).toBe(2)
      expect(second.result.processRunName).toBe('one statement #2')
      await second.result.complete()
      // No heartbeat timeout, no run name: the other variant of the insert.
      const third = await ProcessTracker.start(store, { processName: 'one statement' })
      expect(third.processRunId).toBe(3)

      const rows = await runRows('one statement')
      expect(rows.map((row) => [Number(row.process_run_id), row.process_status_name, Boolean(row.is_latest_run)])).toEqual([
        [1, 'completed', false],
        [2, 'completed', false],
        [3, 'running', true],
      ])
      const [one, two, three] = rows
      expect(two?.process_run_actor_id).toBe(one?.process_run_actor_id)
      expect(two?.process_run_name).toBe('one statement #2')
      expect(Number(two?.heartbeat_timeout_seconds)).toBe(600)
      expect(Number(two?.beats)).toBe(1)
      expect(three?.heartbeat_timeout_seconds).toBeNull()
      expect(Number(three?.beats)).toBe(0)
      expect(Number(three?.ended)).toBe(0)
      expect(two?.run_uuid).toBe(second.result.runUuid)
      expect(three?.created_by).toBe(one?.created_by)
      await third.complete()
    })

    it('refusals under the lock are the errors the transaction makes, in one statement, writing nothing', async () => {
      const running = await ProcessTracker.start(store, { processName: 'refused', processType: 'Extract' })
      const again = await counted(store, () => ProcessTracker.start(store, { processName: 'refused' }))
      expect(again.result).toBeInstanceOf(ProcessRunningError)
      expect((again.result as ProcessTrackerError).details).toEqual({
        processName: 'refused',
        rule: 'running',
        blockingRunId: running.processTrackingId,
        blockingProcessName: 'refused',
        status: 'running',
      })
      if (pg) expect(again.statements).toBe(1)
      await running.complete()

      // A parent that has not succeeded blocks its child.
      const parent = await ProcessTracker.start(store, { processName: 'refused parent', processType: 'Extract' })
      await store.addProcessDependency('refused parent', 'refused')
      const blocked = await counted(store, () => ProcessTracker.start(store, { processName: 'refused' }))
      expect(blocked.result).toBeInstanceOf(DependencyBlockedError)
      expect((blocked.result as ProcessTrackerError).details).toMatchObject({ rule: 'dependency', blockingRunId: parent.processTrackingId })
      if (pg) expect(blocked.statements).toBe(1)
      await parent.complete()
      const allowed = await ProcessTracker.start(store, { processName: 'refused' })
      expect(allowed.processRunId).toBe(2)
      await allowed.complete()
      expect((await runRows('refused')).map((row) => Number(row.process_run_id))).toEqual([1, 2])
    })

    it('a store whose starts were all refused (no link committed) refuses in one statement, and starts in one (the links it found were learned)', async () => {
      const options = { processName: 'never won', processType: 'Extract', sources: 'Won Source', targets: 'Won Target' }
      const winner = await ProcessTracker.start(store, options)
      const loser = await database.open()
      try {
        const first = await counted(loser, () => ProcessTracker.start(loser, options))
        expect(first.result).toBeInstanceOf(ProcessRunningError)
        const again = await counted(loser, () => ProcessTracker.start(loser, options))
        expect(again.result).toBeInstanceOf(ProcessRunningError)
        expect((again.result as ProcessTrackerError).details).toEqual((first.result as ProcessTrackerError).details)
        // The first refusal learned the winner's committed links, so this one may start: the call, and
        // this store's first read of the running status's id (cached from then on).
        if (pg) expect(again.statements).toBe(2)
        await winner.complete()
        const won = await counted(loser, () => ProcessTracker.start(loser, options))
        if (!(won.result instanceof ProcessTracker)) throw won.result
        // Its refused transaction found the links committed by the winner and learned them at once.
        if (pg) expect(won.statements).toBe(1)
        await won.result.complete()
        const next = await counted(loser, () => ProcessTracker.start(loser, options))
        if (!(next.result instanceof ProcessTracker)) throw next.result
        if (pg) expect(next.statements).toBe(1)
        expect(next.result.processRunId).toBe(3)
        await next.result.complete()
      } finally {
        await loser.close()
      }
    })

    it('the failure threshold: below it one statement starts; at it the transaction records the hold; on hold is refused', async () => {
      const options = { processName: 'threshold', processType: 'Extract' }
      // A store with a looser threshold fails twice without a hold; this one (2) then meets the streak.
      const loose = await database.open({ maxConcurrentFailures: 5 })
      try {
        for (let i = 0; i < 2; i++) await (await ProcessTracker.start(loose, options)).fail()
        const belowThreshold = await counted(loose, () => ProcessTracker.start(loose, options))
        if (!(belowThreshold.result instanceof ProcessTracker)) throw belowThreshold.result
        if (pg) expect(belowThreshold.statements).toBe(1)
        await belowThreshold.result.fail()
      } finally {
        await loose.close()
      }
      const held = await counted(store, () => ProcessTracker.start(store, options))
      expect(held.result).toBeInstanceOf(ProcessOnHoldError)
      expect((held.result as ProcessTrackerError).details).toMatchObject({ rule: 'failure-threshold' })
      if (pg) expect(held.statements).toBeGreaterThan(1)
      const onHold = await counted(store, () => ProcessTracker.start(store, options))
      expect(onHold.result).toBeInstanceOf(ProcessOnHoldError)
      expect((onHold.result as ProcessTrackerError).details).toMatchObject({ rule: 'on-hold' })
      if (pg) expect(onHold.statements).toBe(1)
      await store.releaseHold('threshold')
      // The release ends the streak: one failure after it is below the threshold.
      await (await ProcessTracker.start(store, options)).fail()
      const next = await counted(store, () => ProcessTracker.start(store, options))
      if (!(next.result instanceof ProcessTracker)) throw next.result
      if (pg) expect(next.statements).toBe(1)
      expect((await runRows('threshold')).map((row) => [Number(row.process_run_id), row.process_status_name])).toEqual([
        [1, 'failed'],
        [2, 'failed'],
        [3, 'failed'],
        [4, 'released'],
        [5, 'failed'],
        [6, 'running'],
      ])
      await next.result.complete()
    })

    it('falls back to the transaction for a stale run, a taken run name, a changed process and a new link', async () => {
      const options = { processName: 'fallbacks', processType: 'Extract', heartbeatTimeoutSeconds: 1 }
      const stale = await ProcessTracker.start(store, options)
      await contextOf(store)
        .db.updateTable('process_tracking')
        .set({ last_heartbeat_date_time: new Date(Date.now() - 3_600_000) })
        .where('process_tracking_id', '=', stale.processTrackingId)
        .execute()
      const afterStale = await ProcessTracker.start(store, { processName: 'fallbacks', processRunName: 'fallbacks taken' })
      expect(afterStale.processRunId).toBe(2)
      expect((await runRows('fallbacks')).map((row) => row.process_status_name)).toEqual(['failed', 'running'])
      await afterStale.complete()

      const taken = await ProcessTracker.start(store, { processName: 'fallbacks', processRunName: 'fallbacks taken' }).catch(
        (e: unknown) => e,
      )
      expect(taken).toBeInstanceOf(ConflictError)

      // A new tool and a new source: the transaction updates the process and links the source.
      const changed = await ProcessTracker.start(store, { processName: 'fallbacks', toolName: 'Other Tool', sources: 'New Source' })
      expect(changed.processRunId).toBe(3)
      expect((await store.getProcess('fallbacks'))?.toolName).toBe('Other Tool')
      const linked = await contextOf(store)
        .db.selectFrom('process_source as ps')
        .innerJoin('source_lkup as s', 's.source_id', 'ps.source_id')
        .select('s.source_name')
        .where('ps.process_id', '=', changed.processId)
        .execute()
      expect(linked.map((row) => row.source_name)).toEqual(['New Source'])
      await changed.complete()
      // Now known: one statement again.
      const known = await counted(store, () =>
        ProcessTracker.start(store, { processName: 'fallbacks', toolName: 'Other Tool', sources: 'New Source' }),
      )
      if (!(known.result instanceof ProcessTracker)) throw known.result
      if (pg) expect(known.statements).toBe(1)
      await known.result.complete()
    })

    it('with lineage on, the START outbox row is the one the transaction writes', async () => {
      const options = { processName: 'lineage start', processType: 'Extract', nominalStartTime: new Date('2024-05-01T00:00:00Z') }
      const first = await ProcessTracker.start(lineageStore, options)
      await first.complete()
      const second = await counted(lineageStore, () =>
        ProcessTracker.start(lineageStore, {
          ...options,
          openlineageParent: { namespace: 'airflow', name: 'dag.task', runId: first.runUuid },
        }),
      )
      if (!(second.result instanceof ProcessTracker)) throw second.result
      if (pg) expect(second.statements).toBe(1)
      const rows = await contextOf(lineageStore)
        .db.selectFrom('lineage_outbox as o')
        .innerJoin('process_tracking as t', 't.process_tracking_id', 'o.process_tracking_id')
        .select([
          'o.process_tracking_id',
          'o.job_namespace',
          'o.run_status_id',
          'o.run_record_count',
          'o.run_low_date_time',
          'o.nominal_start_time',
          'o.parent_namespace',
          'o.parent_name',
          'o.parent_run_id',
          'o.outbox_status',
          sql<number>`case when o.event_time = t.process_run_start_date_time then 1 else 0 end`.as('at_start'),
        ])
        .where('o.event_type', '=', 'START')
        .where('o.process_tracking_id', 'in', [first.processTrackingId, second.result.processTrackingId])
        .orderBy('o.outbox_id')
        .execute()
      expect(rows).toHaveLength(2)
      const [a, b] = rows
      expect(b).toEqual({
        ...a,
        process_tracking_id: second.result.processTrackingId,
        parent_namespace: 'airflow',
        parent_name: 'dag.task',
        parent_run_id: first.runUuid,
      })
      expect(Number(a?.at_start)).toBe(1)
      expect(a?.nominal_start_time).toBe('2024-05-01T00:00:00.000Z')

      // Lineage off: no outbox row from the one-statement start.
      const plain = await ProcessTracker.start(store, { processName: 'lineage start' }).catch((e: unknown) => e)
      expect(plain).toBeInstanceOf(ProcessRunningError)
      await second.result.complete()
      const off = await ProcessTracker.start(store, { processName: 'lineage start' })
      const outbox = await contextOf(store)
        .db.selectFrom('lineage_outbox')
        .select('outbox_id')
        .where('process_tracking_id', '=', off.processTrackingId)
        .execute()
      expect(outbox).toEqual([])
      await off.complete()
    })

    it.skipIf(dialect === 'sqlite')(
      'a start finding the process locked refuses from the committed state, or waits for the lock',
      async () => {
        const options = { processName: 'locked', processType: 'Extract' }
        const running = await ProcessTracker.start(store, options)
        const other = await database.open()
        const ctx = contextOf(other)
        const lockProcess = (trx: typeof ctx.db) =>
          trx.selectFrom('process').select('process_id').where('process_name', '=', 'locked').forUpdate().execute()
        try {
          // Another session holds the process row: a start refused by the committed state says so at once.
          await ctx.db.transaction().execute(async (trx) => {
            await lockProcess(trx)
            const refused = await counted(store, () => ProcessTracker.start(store, options))
            expect(refused.result).toBeInstanceOf(ProcessRunningError)
            if (pg) expect(refused.statements).toBe(1)
          })
          await running.complete()
          // Not refused by the committed state: the start waits for the lock, then decides.
          let waiting: Promise<ProcessTracker> | undefined
          await ctx.db.transaction().execute(async (trx) => {
            await lockProcess(trx)
            waiting = ProcessTracker.start(store, options)
            await new Promise((resolve) => setTimeout(resolve, 200))
          })
          const started = await waiting
          expect(started?.processRunId).toBe(2)
          await started?.complete()
        } finally {
          await other.close()
        }
      },
    )
  })

  describe.skipIf(!pg)(`${dialect}: a one-statement start whose reply is lost`, () => {
    let database: IsolatedDatabase
    let proxy: TcpProxy
    let store: DataStore
    const options = { processName: 'lost reply', processType: 'Extract' }

    beforeAll(async () => {
      database = await createIsolatedDatabase(dialect)
      await (await database.open()).close()
      proxy = await TcpProxy.start(database.options.url)
      store = await database.open({ url: proxy.via(database.options.url), lockTimeoutMs: 1000 })
      await (await ProcessTracker.start(store, options)).complete() // the process is known from now on
    })
    afterAll(async () => {
      await store.close()
      await proxy.close()
      await database.drop()
    })

    // The proxy acts on the next message that says "commit": here the call's bound run name.
    it('applied, reply lost: the start finds its run by its uuid and returns it', async () => {
      proxy.nextCommit = 'lose-reply'
      const run = await ProcessTracker.start(store, { ...options, processRunName: 'commit applied' })
      expect(proxy.nextCommit).toBeNull()
      const runs = await store.listRuns({ processName: 'lost reply' })
      expect(runs.map((r) => r.processTrackingId)).toContain(run.processTrackingId)
      expect(runs).toHaveLength(2)
      await run.complete()
    })

    it('never applied: the start decides again and stores one run', async () => {
      proxy.nextCommit = 'drop'
      const run = await ProcessTracker.start(store, { ...options, processRunName: 'commit dropped' })
      expect(proxy.nextCommit).toBeNull()
      const runs = await store.listRuns({ processName: 'lost reply' })
      expect(runs.filter((r) => r.processRunName === 'commit dropped').map((r) => r.processTrackingId)).toEqual([run.processTrackingId])
      await run.complete()
    })

    it("a database that stays away leaves the outcome 'unknown', with the run's uuid", async () => {
      proxy.dropOnNextSend = true
      const error = (await ProcessTracker.start(store, options).catch((e: unknown) => e)) as ProcessTrackerError
      proxy.dropOnNextSend = false
      expect(error.code).toBe('PT_DATABASE_UNAVAILABLE')
      expect(error.details.outcome).toBe('unknown')
      expect(typeof error.details.runUuid).toBe('string')
      const runs = await store.listRuns({ processName: 'lost reply' })
      expect(runs.map((r) => r.runUuid)).not.toContain(error.details.runUuid)
    })
  })
}
