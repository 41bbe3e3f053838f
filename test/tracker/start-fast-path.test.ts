import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { ExtractTracker, ProcessRunningError, ProcessTracker, RunNotActiveError, type DataStore } from '../../src/index.ts'
import { contextOf } from '../../src/store/context.ts'
import { prepare, type Slots } from '../../src/store/prepared.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'

// The built-once statements of the hot path (issue 15): start, record count, completion and claims
// must write exactly what the per-call builders wrote, and fall back to the locking paths when their
// compare-and-set or guard does not match.
for (const dialect of DIALECTS) {
  describe(`${dialect}: built-once hot path`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    beforeAll(() => {
      store = isolated.store
    })

    const latestFlags = async (processName: string) => {
      const rows = await contextOf(store)
        .db.selectFrom('process_tracking as t')
        .innerJoin('process as p', 'p.process_id', 't.process_id')
        .select(['t.process_run_id', 't.is_latest_run'])
        .where('p.process_name', '=', processName)
        .orderBy('t.process_run_id')
        .execute()
      return rows.map((row) => [Number(row.process_run_id), Boolean(row.is_latest_run)])
    }

    it('a prepared statement binds new values into one compiled text, and refuses a value it cannot bind', async () => {
      const ctx = contextOf(store)
      const lookup = prepare((db, p: Slots<{ name: string }>) =>
        db.selectFrom('process_status_lkup').select('process_status_category').where('process_status_name', '=', p.name),
      )
      expect(lookup.bind(ctx, { name: 'running' }).sql).toBe(lookup.bind(ctx, { name: 'failed' }).sql)
      expect((await lookup.rows(ctx, { name: 'running' }))[0]?.process_status_category).toBe('active')
      expect((await lookup.rows(ctx, { name: 'failed' }))[0]?.process_status_category).toBe('failed')
      // A placeholder turned into SQL text instead of a parameter would be lost: refused when built.
      const inlined = prepare((db, p: Slots<{ name: string }>) => db.selectFrom('process').select(sql.raw(String(p.name)).as('x')))
      expect(() => inlined.bind(ctx, { name: 'x' })).toThrow(/not bound as a parameter/)
    })

    it('start moves the latest-run flag to the new run, numbers runs, and keeps refusing a running process', async () => {
      const options = { processName: 'fast start', processType: 'Extract', heartbeatTimeoutSeconds: 600 }
      for (let i = 1; i <= 3; i++) {
        const run = await ProcessTracker.start(store, options)
        expect(run.processRunId).toBe(i)
        await expect(ProcessTracker.start(store, options)).rejects.toBeInstanceOf(ProcessRunningError)
        await run.complete()
      }
      expect(await latestFlags('fast start')).toEqual([
        [1, false],
        [2, false],
        [3, true],
      ])
    })

    it('record counts: the compare-and-set adds the difference; a count changed elsewhere takes the locking path', async () => {
      const run = await ProcessTracker.start(store, { processName: 'fast count', processType: 'Extract' })
      await run.setRecordCount(100)
      await run.setRecordCount(100) // unchanged: nothing added
      await run.setRecordCount(150, { processingType: 'insert' })
      // Another worker's object for the same run writes: this object's remembered count is stale.
      const other = await ProcessTracker.resume(store, run.processTrackingId)
      await other.setRecordCount(40, { processingType: 'update' })
      await run.setRecordCount(70)
      const row = await contextOf(store)
        .db.selectFrom('process_tracking as t')
        .innerJoin('process as p', 'p.process_id', 't.process_id')
        .select(['t.process_run_record_count', 't.process_run_insert_count', 't.process_run_update_count', 'p.total_record_count'])
        .where('t.process_tracking_id', '=', run.processTrackingId)
        .executeTakeFirstOrThrow()
      expect(Number(row.process_run_record_count)).toBe(70)
      expect(Number(row.process_run_insert_count)).toBe(150)
      expect(Number(row.process_run_update_count)).toBe(40)
      expect(Number(row.total_record_count)).toBe(70)
      await run.complete()
      await expect(run.setRecordCount(80)).rejects.toBeInstanceOf(RunNotActiveError)
    })

    it('complete stamps the run and the process with one time, with or without an end date; a second complete is a no-op', async () => {
      const ctx = contextOf(store)
      const ended = async (run: ProcessTracker) =>
        ctx.db
          .selectFrom('process_tracking as t')
          .innerJoin('process as p', 'p.process_id', 't.process_id')
          .select(['t.process_run_end_date_time as runEnd', 'p.last_completed_run_date_time as processEnd'])
          .where('t.process_tracking_id', '=', run.processTrackingId)
          .executeTakeFirstOrThrow()
      const first = await ProcessTracker.start(store, { processName: 'fast complete', processType: 'Extract' })
      const before = { ...store.statementCounts }
      await first.complete()
      // PostgreSQL: one statement that commits by itself; elsewhere BEGIN, two writes, COMMIT.
      expect(store.statementCounts.statements - before.statements).toBe(dialect === 'postgresql' ? 1 : 4)
      expect(store.statementCounts.commits - before.commits).toBe(1)
      const now = await ended(first)
      expect(now.runEnd).not.toBeNull()
      expect(String(now.processEnd)).toBe(String(now.runEnd))
      await first.complete()
      expect(first.status).toBe('completed')
      await expect(first.fail()).rejects.toBeInstanceOf(RunNotActiveError)

      const second = await ProcessTracker.start(store, { processName: 'fast complete', processType: 'Extract' })
      await second.complete({ endDate: new Date('2031-05-06T07:08:09.123Z') })
      const given = await ended(second)
      expect(given.runEnd).not.toBeNull()
      expect(String(given.runEnd)).not.toBe(String(now.runEnd))
      expect(String(given.processEnd)).toBe(String(given.runEnd))
    })

    it('register and status changes write the extract, its link to the run and its history (one statement each on PostgreSQL)', async () => {
      const ctx = contextOf(store)
      const state = async (extractId: number) => {
        const extract = await ctx.db
          .selectFrom('extract_tracking as e')
          .innerJoin('extract_status_lkup as s', 's.extract_status_id', 'e.extract_status_id')
          .select(['s.extract_status_name', 'e.extract_claim_process_tracking_id'])
          .where('e.extract_id', '=', extractId)
          .executeTakeFirstOrThrow()
        const links = await ctx.db
          .selectFrom('extract_process_tracking as l')
          .innerJoin('extract_status_lkup as s', 's.extract_status_id', 'l.extract_process_status_id')
          .select(['l.process_tracking_id', 's.extract_status_name'])
          .where('l.extract_tracking_id', '=', extractId)
          .orderBy('l.process_tracking_id')
          .execute()
        const history = await ctx.db
          .selectFrom('extract_status_history as h')
          .innerJoin('extract_status_lkup as s', 's.extract_status_id', 'h.extract_status_id')
          .select(['h.process_tracking_id', 's.extract_status_name'])
          .where('h.extract_id', '=', extractId)
          .orderBy('h.extract_status_history_id')
          .execute()
        return {
          status: extract.extract_status_name,
          claimer: extract.extract_claim_process_tracking_id === null ? null : Number(extract.extract_claim_process_tracking_id),
          links: links.map((row) => [Number(row.process_tracking_id), row.extract_status_name]),
          history: history.map((row) => [Number(row.process_tracking_id), row.extract_status_name]),
        }
      }
      const writer = await ProcessTracker.start(store, { processName: 'fast register', processType: 'Extract' })
      const w = writer.processTrackingId
      // Warm the store's lookup ids (location, statuses), as a long-lived worker's are.
      const warm = await ExtractTracker.register(writer, { filename: 'fast_warm.csv', locationPath: '/tmp/fast-register' })
      await warm.changeExtractStatus('ready')
      let before = store.statementCounts.statements
      const extract = await ExtractTracker.register(writer, { filename: 'fast_register.csv', locationPath: '/tmp/fast-register' })
      const registered = store.statementCounts.statements - before
      expect(await state(extract.extractId)).toEqual({
        status: 'initializing',
        claimer: null,
        links: [[w, 'initializing']],
        history: [[w, 'initializing']],
      })
      before = store.statementCounts.statements
      await extract.changeExtractStatus('ready')
      const readied = store.statementCounts.statements - before
      expect(await state(extract.extractId)).toEqual({
        status: 'ready',
        claimer: null,
        links: [[w, 'ready']],
        history: [
          [w, 'initializing'],
          [w, 'ready'],
        ],
      })
      if (dialect === 'postgresql') {
        // The one data-modifying statement, alone: no BEGIN / COMMIT.
        expect(registered).toBe(1)
        expect(readied).toBe(1)
      }
      // Another run that never touched the extract: its link is created by the status change itself.
      await writer.complete()
      const loader = await ProcessTracker.start(store, { processName: 'fast register loader', processType: 'Load' })
      const l = loader.processTrackingId
      const theirs = await ExtractTracker.get(loader, extract.extractId)
      await theirs.changeExtractStatus('loading')
      expect(await state(extract.extractId)).toEqual({
        status: 'loading',
        claimer: l,
        links: [
          [w, 'ready'],
          [l, 'loading'],
        ],
        history: [
          [w, 'initializing'],
          [w, 'ready'],
          [l, 'loading'],
        ],
      })
      await theirs.changeExtractStatus('loaded')
      expect(await state(extract.extractId)).toEqual({
        status: 'loaded',
        claimer: null,
        links: [
          [w, 'ready'],
          [l, 'loaded'],
        ],
        history: [
          [w, 'initializing'],
          [w, 'ready'],
          [l, 'loading'],
          [l, 'loaded'],
        ],
      })
      // Registering the same file again for the loader links it without a new extract or status.
      const again = await ExtractTracker.register(loader, { filename: 'fast_register.csv', locationPath: '/tmp/fast-register' })
      expect(again.extractId).toBe(extract.extractId)
      expect((await state(extract.extractId)).history).toHaveLength(4)
      await loader.complete()
      await expect(theirs.changeExtractStatus('ready')).rejects.toBeInstanceOf(RunNotActiveError)
      expect((await state(extract.extractId)).status).toBe('loaded')
    })

    it('claims move ready extracts to loading for the run, once, and a failed run gives them back', async () => {
      const writer = await ProcessTracker.start(store, { processName: 'fast writer', processType: 'Extract' })
      for (let i = 0; i < 4; i++) {
        const extract = await ExtractTracker.register(writer, {
          filename: `fast_${i}.csv`,
          locationName: 'fast loc',
          locationPath: '/tmp/fast-claims',
        })
        await extract.changeExtractStatus('ready')
      }
      await writer.complete()
      const loader = await ProcessTracker.start(store, { processName: 'fast loader', processType: 'Load' })
      const first = await loader.claimExtracts({ locationPath: '/tmp/fast-claims', limit: 3 })
      expect(first.map((extract) => [extract.filename, extract.status])).toEqual([
        ['fast_0.csv', 'loading'],
        ['fast_1.csv', 'loading'],
        ['fast_2.csv', 'loading'],
      ])
      const rest = await loader.claimExtracts({ locationName: 'fast loc', processName: 'fast writer', limit: 10 })
      expect(rest.map((extract) => extract.filename)).toEqual(['fast_3.csv'])
      expect(await loader.claimExtracts({ locationPath: '/tmp/fast-claims', limit: 10 })).toEqual([])
      const history = await contextOf(store)
        .db.selectFrom('extract_status_history')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('process_tracking_id', '=', loader.processTrackingId)
        .executeTakeFirstOrThrow()
      expect(Number(history.n)).toBe(4)
      await loader.fail()
      expect(await loader.findExtractsByLocation({ locationPath: '/tmp/fast-claims' })).toHaveLength(4)
    })
  })
}
