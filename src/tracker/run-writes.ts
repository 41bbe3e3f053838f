/**
 * The writes a run makes after its start: status changes, errors, record counts, low/high dates,
 * heartbeats. Functions of the store's context and the run's ids; the public `ProcessTracker`
 * checks its arguments, calls these, and remembers what they return.
 */
import { sql, type Compilable, type OperationNodeSource, type QueryCreator, type UpdateQueryBuilder, type UpdateResult } from 'kysely'
import { InvalidStatusError, type RunNotActiveError } from '../errors.ts'
import { END_EVENT_RUN_COLUMNS, endedRun, insertEndEventFromCte, recordRunning, recordStatusChange, runningDue } from '../lineage/record.ts'
import type { StoreContext } from '../store/context.ts'
import type { Database } from '../store/database.ts'
import type { Db, DialectAdapter } from '../store/dialect/adapter.ts'
import { prepare, type Prepared, type Slots } from '../store/prepared.ts'
import { single, transaction } from '../store/transaction.ts'
import { activeStatusIds, widenHigh, widenLow } from './predicates.ts'
import { readRunRecord } from './run-record.ts'
import { RUN_COLUMN_NAMES, runViewOfRow, selectViewOfWrittenRun } from './run-views.ts'
import { lockRun, moveRun, notActive, recordError } from './run-transitions.ts'
import { COMPLETED, FAILED, statusByName } from '../store/process-statuses.ts'
import type { ViewSink } from './view-sink.ts'

/** The ids of a run that its writes need. */
export interface RunIds {
  readonly processTrackingId: number
  readonly processId: number
  readonly processName: string
}

/**
 * Moves a run to a named status from an active one and returns the status name now stored.
 * A run already in that (non-held) status is left as it is.
 *
 * @throws InvalidStatusError for `released` statuses and names that do not exist.
 * @throws RunNotActiveError (`details.status`: the run's status) when the run is no longer active.
 */
export async function changeRunStatus(
  ctx: StoreContext,
  run: RunIds,
  status: string,
  endDate: Date | undefined,
  sink?: ViewSink,
): Promise<{ status: string; ended: boolean }> {
  const target = await single(ctx, (db) => statusByName(ctx, db, status))
  if (target.category === 'released') {
    throw new InvalidStatusError(
      `A run cannot be changed to ${target.name}: only a hold is released, by store.releaseHold (processtracker release).`,
      { status: target.name },
    )
  }
  // The common end of a run — a succeeded status (completed), with or without lineage — runs
  // built-once statements (one on PostgreSQL, the COMPLETE's outbox row included). Rare paths (a
  // run no longer active, failures with their claims and holds, custom active statuses) take the
  // transaction below.
  if (target.category === 'succeeded' && (await completeFast(ctx, run, target.id, endDate, sink))) {
    return { status: target.name, ended: true }
  }
  const stored = await transaction(ctx, async (tx) => {
    if (await moveRun(tx, run, target, endDate ?? ctx.adapter.now, { onlyIfActive: true })) return target.name
    const locked = await lockRun(tx, run.processTrackingId, false)
    // complete() / fail() on a run already there are no-ops; everything else is refused.
    if (locked.status.id === target.id && locked.status.category !== 'held') return locked.status.name
    throw notActive(locked)
  })
  return { status: stored, ended: target.category !== 'active' }
}

/**
 * Records an error against the run (and the process's last errored time); with `failRun` the run
 * is failed in the same transaction.
 */
export async function raiseRunError(
  ctx: StoreContext,
  run: RunIds,
  errorType: string,
  description: string,
  options: { failRun: boolean; at: Date | undefined },
): Promise<void> {
  const at = options.at ?? ctx.adapter.now
  await transaction(ctx, async (tx) => {
    const locked = await lockRun(tx, run.processTrackingId)
    await recordError(tx, locked, errorType, description, at)
    if (options.failRun) await moveRun(tx, locked, await statusByName(ctx, tx.db, FAILED), at)
  })
}

/**
 * Sets the run's record count (and the insert or update count) and adds the difference to the
 * process's total. `previous` is the count the caller last wrote or read.
 */
export async function setRecordCount(
  ctx: StoreContext,
  run: RunIds,
  count: number,
  processingType: 'insert' | 'update' | undefined,
  previous: number,
  sink?: ViewSink,
): Promise<void> {
  if (!runningDue(ctx, run.processTrackingId) && (await setRecordCountFast(ctx, run, count, processingType, previous, sink))) return
  await transaction(ctx, async (tx) => {
    const now = ctx.adapter.now
    let before = previous
    const update = (expectPrevious: boolean) =>
      tx.db
        .updateTable('process_tracking')
        .set({
          process_run_record_count: count,
          ...(processingType === 'insert' ? { process_run_insert_count: count } : {}),
          ...(processingType === 'update' ? { process_run_update_count: count } : {}),
          update_date_time: now,
          updated_by: ctx.auditUser,
        })
        .where('process_tracking_id', '=', run.processTrackingId)
        .where('process_status_id', 'in', activeStatusIds(tx.db))
        .$if(expectPrevious, (query) => query.where('process_run_record_count', '=', before))
        .executeTakeFirst()
    // Fast path: the count this object last wrote is still the stored one (compare-and-set), so
    // the difference is known without a locking read. Otherwise (another worker resumed this
    // run, or it is no longer active) lock the run, read the real count, and write again.
    if (Number((await update(true)).numUpdatedRows) === 0) {
      before = (await lockRun(tx, run.processTrackingId)).recordCount
      await update(false)
    }
    if (count !== before) {
      await tx.db
        .updateTable('process')
        .set({
          total_record_count: sql`total_record_count + ${count - before}`,
          update_date_time: now,
          updated_by: ctx.auditUser,
        })
        .where('process_id', '=', run.processId)
        .execute()
    }
    await recordRunning(tx, run.processTrackingId) // lineage: at most one RUNNING per 10 s, when on
  })
}

/**
 * Keeps the lowest low and the highest high ever given to an active run. One statement (two in
 * one transaction when lineage wants a RUNNING event). Returns whether the run was still active.
 * With a `sink` on PostgreSQL, the statement also reads the run's view into it (the HTTP answer).
 */
export async function widenRunDates(
  ctx: StoreContext,
  run: RunIds,
  low: Date | undefined,
  high: Date | undefined,
  sink?: ViewSink,
): Promise<boolean> {
  const ends = low ? (high ? 'both' : 'low') : high ? 'high' : 'none'
  const values: DateValues = { processTrackingId: run.processTrackingId, low: low ?? null, high: high ?? null, auditUser: ctx.auditUser }
  if (runningDue(ctx, run.processTrackingId)) {
    return transaction(ctx, async (tx) => {
      const updated = await WIDEN_DATES[ends].affected(tx, values)
      if (updated > 0) await recordRunning(tx, run.processTrackingId)
      return updated > 0
    })
  }
  if (sink && ctx.adapter.dialect === 'postgresql')
    return single(ctx, async () => answer(sink, await WIDEN_DATES_ANSWERED[ends].rows(ctx, values)))
  return (await single(ctx, () => WIDEN_DATES[ends].affected(ctx, values))) > 0
}

/** Leaves the view a write's statement returned in `sink`; whether the write changed the run. */
function answer(sink: ViewSink, rows: readonly Parameters<typeof runViewOfRow>[0][]): boolean {
  const [row] = rows
  if (row === undefined) return false
  sink.view = runViewOfRow(row)
  return true
}

/** An UPDATE of one run, as the hot-path builders below make it. */
type RunUpdate = UpdateQueryBuilder<Database, 'process_tracking', 'process_tracking', UpdateResult>

/** PostgreSQL: `update` as the CTE `w`, and the run's view read from the row it RETURNs, in one statement. */
function viewOfUpdate(db: Db, adapter: DialectAdapter, update: RunUpdate) {
  return selectViewOfWrittenRun(
    { adapter },
    db,
    db.with('w', () => update.returning(RUN_COLUMN_NAMES)),
    'w',
  )
}

/**
 * PostgreSQL: the end of a statement whose CTE `r` is the run row its UPDATE RETURNed — `last` (the
 * write of another row) as the statement itself, or, answering with the view, as one more CTE (a
 * data-modifying CTE always runs) before the run's view read from `r`.
 */
function endOfRunStatement<C extends { with: QueryCreator<Database>['with'] }, L extends Compilable & OperationNodeSource>(
  db: Db,
  adapter: DialectAdapter,
  view: boolean,
  chain: C,
  last: (qc: C) => L,
) {
  return view
    ? selectViewOfWrittenRun(
        { adapter },
        db,
        chain.with('p', (qb) => last(qb as never) as never),
        'r',
      )
    : last(chain)
}

/**
 * Records a heartbeat now (database clock). Returns whether the run was still active. With a `sink`
 * on PostgreSQL, the statement also reads the run's view into it (the HTTP answer).
 */
export async function beat(ctx: StoreContext, run: RunIds, sink?: ViewSink): Promise<boolean> {
  const values = { processTrackingId: run.processTrackingId }
  if (sink && ctx.adapter.dialect === 'postgresql') return single(ctx, async () => answer(sink, await BEAT_ANSWERED.rows(ctx, values)))
  return (await single(ctx, () => BEAT.affected(ctx, values))) > 0
}

interface DateValues {
  processTrackingId: number
  low: Date | null
  high: Date | null
  auditUser: string
}

const widenDatesUpdate = (db: Db, p: Slots<DateValues>, adapter: DialectAdapter, low: boolean, high: boolean) =>
  db
    .updateTable('process_tracking')
    .set({
      ...(low ? { process_run_low_date_time: widenLow('process_run_low_date_time', p.low as Date) } : {}),
      ...(high ? { process_run_high_date_time: widenHigh('process_run_high_date_time', p.high as Date) } : {}),
      update_date_time: adapter.now,
      updated_by: p.auditUser,
    })
    .where('process_tracking_id', '=', p.processTrackingId)
    .where('process_status_id', 'in', activeStatusIds(db))
const widenDates = (low: boolean, high: boolean) =>
  prepare((db: Db, p: Slots<DateValues>, adapter) => widenDatesUpdate(db, p, adapter, low, high))
const widenDatesAnswered = (low: boolean, high: boolean) =>
  prepare((db: Db, p: Slots<DateValues>, adapter) => viewOfUpdate(db, adapter, widenDatesUpdate(db, p, adapter, low, high)))
/** Widening an active run's low/high dates, by which ends are given (none: only the update stamps). */
const WIDEN_DATES = {
  both: widenDates(true, true),
  low: widenDates(true, false),
  high: widenDates(false, true),
  none: widenDates(false, false),
}
/** The same, answering with the run's view (PostgreSQL). */
const WIDEN_DATES_ANSWERED = {
  both: widenDatesAnswered(true, true),
  low: widenDatesAnswered(true, false),
  high: widenDatesAnswered(false, true),
  none: widenDatesAnswered(false, false),
}

const beatUpdate = (db: Db, p: Slots<{ processTrackingId: number }>, adapter: DialectAdapter) =>
  db
    .updateTable('process_tracking')
    .set({ last_heartbeat_date_time: adapter.now })
    .where('process_tracking_id', '=', p.processTrackingId)
    .where('process_status_id', 'in', activeStatusIds(db))
const BEAT = prepare((db: Db, p: Slots<{ processTrackingId: number }>, adapter) => beatUpdate(db, p, adapter))
/** The same, answering with the run's view (PostgreSQL). */
const BEAT_ANSWERED = prepare((db: Db, p: Slots<{ processTrackingId: number }>, adapter) =>
  viewOfUpdate(db, adapter, beatUpdate(db, p, adapter)),
)

/** The error for a guarded single-statement change that matched no row (`details.status`: the status now). */
export async function whyNotChanged(ctx: StoreContext, run: RunIds): Promise<RunNotActiveError> {
  const record = await single(ctx, (db) => readRunRecord(ctx, db, run.processTrackingId))
  return notActive({ processTrackingId: run.processTrackingId, processName: run.processName, status: { name: record.status } })
}

/** Completes the run if it is still active; returns whether it did. */
export async function completeIfActive(ctx: StoreContext, run: RunIds): Promise<boolean> {
  return transaction(ctx, async (tx) => {
    const locked = await lockRun(tx, run.processTrackingId, false)
    if (locked.status.category !== 'active') return false
    await moveRun(tx, locked, await statusByName(ctx, tx.db, COMPLETED), ctx.adapter.now)
    return true
  })
}

/** Records an error and fails the run if it is still active; returns whether it did. */
export async function failIfActive(ctx: StoreContext, run: RunIds, errorType: string, description: string): Promise<boolean> {
  return transaction(ctx, async (tx) => {
    const locked = await lockRun(tx, run.processTrackingId, false)
    if (locked.status.category !== 'active') return false
    const now = ctx.adapter.now
    await recordError(tx, locked, errorType, description, now)
    await moveRun(tx, locked, await statusByName(ctx, tx.db, FAILED), now)
    return true
  })
}

// ---- The hot path, built once per store (src/store/prepared.ts) ----

interface CompleteValues {
  processTrackingId: number
  statusId: number
  auditUser: string
  /** The caller's end date, or null for the database clock. */
  at: Date | null
  /** The lineage namespace (bound only by the statements that write the COMPLETE event). */
  namespace: string
}

/**
 * PostgreSQL: the guarded status change and the process's last completed time in one statement (a
 * data-modifying CTE: both rows change atomically, the run's row lock first as in moveRun). The
 * outer statement is the UPDATE of the process, so it changes a row exactly when the run was still
 * active (and counts as the commit it is). Lineage on: the COMPLETE's outbox row is one more CTE of
 * the same statement, so the event costs no extra round trip.
 */
const completeCte = (withDate: boolean, lineage: boolean, view: boolean) =>
  prepare((db, p: Slots<CompleteValues>, adapter) => {
    const at = withDate ? sql<Date>`${p.at}` : adapter.now
    const moved = db.with('r', (qb) =>
      qb
        .updateTable('process_tracking')
        .set({ process_status_id: p.statusId, process_run_end_date_time: at, update_date_time: at, updated_by: p.auditUser })
        .where('process_tracking_id', '=', p.processTrackingId)
        .where('process_status_id', 'in', activeStatusIds(db))
        .returning(view ? RUN_COLUMN_NAMES : ['process_id', ...END_EVENT_RUN_COLUMNS]),
    )
    const written = lineage ? moved.with('o', (qb) => insertEndEventFromCte(qb, 'COMPLETE', p.namespace)) : moved
    return endOfRunStatement(db, adapter, view, written, (qb) =>
      qb
        .updateTable('process')
        .from('r')
        .set({ last_completed_run_date_time: sql<Date>`r.process_run_end_date_time`, update_date_time: at, updated_by: p.auditUser })
        .whereRef('process.process_id', '=', 'r.process_id'),
    )
  })
/** Every PostgreSQL complete, indexed by {@link completeStatement}: lineage, end date, answer. */
const COMPLETE_CTE = [false, true].flatMap((lineage) =>
  [false, true].flatMap((withDate) => [false, true].map((view) => completeCte(withDate, lineage, view))),
)
/** The PostgreSQL complete by lineage (off or on), end date (the database clock or the caller's) and answer. */
function completeStatement(lineage: boolean, withDate: boolean, view: boolean) {
  return COMPLETE_CTE[(lineage ? 4 : 0) + (withDate ? 2 : 0) + (view ? 1 : 0)] as ReturnType<typeof completeCte>
}

/** Elsewhere: the same two writes as moveRun, built once, in one transaction. */
const completeRun = (withDate: boolean) =>
  prepare((db, p: Slots<CompleteValues>, adapter) => {
    const at = withDate ? sql<Date>`${p.at}` : adapter.now
    return db
      .updateTable('process_tracking')
      .set({ process_status_id: p.statusId, process_run_end_date_time: at, update_date_time: at, updated_by: p.auditUser })
      .where('process_tracking_id', '=', p.processTrackingId)
      .where('process_status_id', 'in', activeStatusIds(db))
  })
const COMPLETE_RUN_NOW = completeRun(false)
const COMPLETE_RUN_AT = completeRun(true)

// The database clock is read per statement on MySQL and SQLite: copy the run's end time, so the
// process's last completed time equals it exactly (as moveRun does).
const STAMP_COMPLETED = prepare((db, p: Slots<{ processId: number; processTrackingId: number; auditUser: string }>, adapter) =>
  db
    .updateTable('process')
    .set({
      last_completed_run_date_time: db
        .selectFrom('process_tracking')
        .select('process_run_end_date_time')
        .where('process_tracking_id', '=', p.processTrackingId) as never,
      update_date_time: adapter.now,
      updated_by: p.auditUser,
    })
    .where('process_id', '=', p.processId),
)
const STAMP_COMPLETED_AT = prepare((db, p: Slots<{ processId: number; at: Date; auditUser: string }>) =>
  db
    .updateTable('process')
    .set({ last_completed_run_date_time: p.at, update_date_time: p.at, updated_by: p.auditUser })
    .where('process_id', '=', p.processId),
)

/** Completes an active run; false (nothing written) when it was not active. */
async function completeFast(
  ctx: StoreContext,
  run: RunIds,
  statusId: number,
  endDate: Date | undefined,
  sink?: ViewSink,
): Promise<boolean> {
  const values: CompleteValues = {
    processTrackingId: run.processTrackingId,
    statusId,
    auditUser: ctx.auditUser,
    at: endDate ?? null,
    namespace: ctx.lineage?.config.namespace ?? '',
  }
  // PostgreSQL: one statement for both rows (and the COMPLETE's outbox row), outside a transaction:
  // it commits by itself. A lost reply is an unknown outcome, as a lost COMMIT's would be (the
  // driver marks writes outside a transaction so).
  const lineage = ctx.lineage !== undefined
  const completed =
    ctx.adapter.dialect === 'postgresql'
      ? await single(ctx, async () =>
          sink
            ? answer(sink, await completeStatement(lineage, endDate !== undefined, true).rows(ctx, values))
            : (await completeStatement(lineage, endDate !== undefined, false).affected(ctx, values)) > 0,
        )
      : await transaction(ctx, async (tx) => {
          if ((await (endDate ? COMPLETE_RUN_AT : COMPLETE_RUN_NOW).affected(tx, values)) === 0) return false
          if (endDate) await STAMP_COMPLETED_AT.execute(tx, { processId: run.processId, at: endDate, auditUser: ctx.auditUser })
          else
            await STAMP_COMPLETED.execute(tx, {
              processId: run.processId,
              processTrackingId: run.processTrackingId,
              auditUser: ctx.auditUser,
            })
          await recordStatusChange(tx, run.processTrackingId, 'succeeded') // lineage: COMPLETE, when on
          return true
        })
  // PostgreSQL wrote the COMPLETE in its statement: only the in-memory RUNNING hold is left to end.
  if (completed && ctx.adapter.dialect === 'postgresql') endedRun(ctx, run.processTrackingId)
  return completed
}

interface CountValues {
  processTrackingId: number
  processId: number
  count: number
  previous: number
  difference: number
  auditUser: string
}

type ProcessingType = 'insert' | 'update' | undefined
const countVariants = new Map<string, Prepared<CountValues>>()

/** The run's count columns for a processing type. */
const countColumns = (p: Slots<CountValues>, processingType: ProcessingType) => ({
  process_run_record_count: p.count,
  ...(processingType === 'insert' ? { process_run_insert_count: p.count } : {}),
  ...(processingType === 'update' ? { process_run_update_count: p.count } : {}),
})

/**
 * PostgreSQL: the compare-and-set on the run and the addition to the process total in one statement
 * (the outer UPDATE changes the process row exactly when the compare-and-set matched).
 */
const COUNT_CTE = {
  none: countCte(undefined, false),
  insert: countCte('insert', false),
  update: countCte('update', false),
}
/** The same, answering with the run's view. */
const COUNT_CTE_ANSWERED = {
  none: countCte(undefined, true),
  insert: countCte('insert', true),
  update: countCte('update', true),
}

function countCte(processingType: ProcessingType, view: boolean) {
  return prepare((db, p: Slots<CountValues>, adapter) => {
    const counted = db.with('r', (qb) =>
      qb
        .updateTable('process_tracking')
        .set({ ...countColumns(p, processingType), update_date_time: adapter.now, updated_by: p.auditUser })
        .where('process_tracking_id', '=', p.processTrackingId)
        .where('process_status_id', 'in', activeStatusIds(db))
        .where('process_run_record_count', '=', p.previous)
        .returning(view ? RUN_COLUMN_NAMES : ['process_id']),
    )
    return endOfRunStatement(db, adapter, view, counted, (qb) =>
      qb
        .updateTable('process')
        .set({ total_record_count: sql`total_record_count + ${p.difference}`, update_date_time: adapter.now, updated_by: p.auditUser })
        .where('process_id', 'in', (eb) => eb.selectFrom('r').select('r.process_id')),
    )
  })
}

/** Elsewhere: the compare-and-set, built once. */
function countCas(processingType: ProcessingType): Prepared<CountValues> {
  const key = `cas ${processingType ?? ''}`
  let statement = countVariants.get(key)
  if (statement) return statement
  statement = prepare((db, p: Slots<CountValues>, adapter) =>
    db
      .updateTable('process_tracking')
      .set({ ...countColumns(p, processingType), update_date_time: adapter.now, updated_by: p.auditUser })
      .where('process_tracking_id', '=', p.processTrackingId)
      .where('process_status_id', 'in', activeStatusIds(db))
      .where('process_run_record_count', '=', p.previous),
  )
  countVariants.set(key, statement)
  return statement
}

const ADD_TO_TOTAL = prepare((db, p: Slots<CountValues>, adapter) =>
  db
    .updateTable('process')
    .set({ total_record_count: sql`total_record_count + ${p.difference}`, update_date_time: adapter.now, updated_by: p.auditUser })
    .where('process_id', '=', p.processId),
)

/**
 * The record count when the count this object last wrote is still stored (compare-and-set): built
 * once, one statement on PostgreSQL. False, with nothing written, on a miss: the caller then takes
 * the locking path.
 */
async function setRecordCountFast(
  ctx: StoreContext,
  run: RunIds,
  count: number,
  processingType: ProcessingType,
  previous: number,
  sink?: ViewSink,
): Promise<boolean> {
  const values: CountValues = {
    processTrackingId: run.processTrackingId,
    processId: run.processId,
    count,
    previous,
    difference: count - previous,
    auditUser: ctx.auditUser,
  }
  if (ctx.adapter.dialect === 'postgresql' && count !== previous) {
    const type = processingType ?? 'none'
    return single(ctx, async () =>
      sink ? answer(sink, await COUNT_CTE_ANSWERED[type].rows(ctx, values)) : (await COUNT_CTE[type].affected(ctx, values)) > 0,
    )
  }
  // An unchanged count needs no addition: the compare-and-set alone, one statement everywhere.
  if (count === previous) return (await single(ctx, () => countCas(processingType).affected(ctx, values))) > 0
  return transaction(ctx, async (tx) => {
    if ((await countCas(processingType).affected(tx, values)) === 0) return false
    if (count !== previous) await ADD_TO_TOTAL.execute(tx, values)
    return true
  })
}
