/**
 * The write side of lineage (lineage.md "Delivery"): each change that emits an OpenLineage event
 * inserts its outbox row in the change's own transaction, so a rollback leaves no event and a
 * commit always has one. With lineage off every function here returns before any statement.
 *
 * One statement per event, compiled once per store: an INSERT … SELECT from the run's row, which also snapshots what can
 * change later (status, record count, low/high dates). The rest of the event (job facets, datasets,
 * dependencies, the last error) is read by the dispatcher from data that does not change once the
 * event is written, or only grows (sources and targets are never removed).
 */
import { sql, type Expression, type ExpressionBuilder, type QueryCreator, type RawBuilder } from 'kysely'
import type { DialectAdapter } from '../store/dialect/adapter.ts'
import type { StatusCategory, StoreContext } from '../store/context.ts'
import type { Database, ProcessTrackingTable } from '../store/database.ts'
import { prepare, type Prepared, type Slots } from '../store/prepared.ts'
import type { Tx } from '../store/transaction.ts'

/** A run of an orchestrator that launched this run (the `parent` run facet). */
export interface ParentRun {
  namespace: string
  name: string
  runId: string
}

/** What a start knows that the database does not. */
export interface StartLineage {
  nominalStartTime?: Date | undefined
  openlineageParent?: ParentRun | undefined
}

export type EventType = 'START' | 'RUNNING' | 'COMPLETE' | 'FAIL' | 'ABORT'

/** RUNNING events of one run are at most this far apart (lineage.md). */
export const RUNNING_INTERVAL_SECONDS = 10
const REMEMBERED_RUNS = 10_000

/** START of a run that was just inserted as `running`. */
export async function recordStart(tx: Tx, processTrackingId: number, start: StartLineage = {}): Promise<void> {
  if (!tx.ctx.lineage) return
  await insertEvent(tx, processTrackingId, 'START', startTexts(tx.ctx, start))
}

/** What a START event binds besides the run's row: the nominal time and the parent run, as texts. */
export interface StartTexts {
  namespace: string
  nominal: string | null
  parentNamespace: string | null
  parentName: string | null
  parentRunId: string | null
}

/** The START's texts for a start (the store's default parent when the start names none). */
export function startTexts(ctx: StoreContext, start: StartLineage = {}): StartTexts {
  const lineage = ctx.lineage
  const parent = start.openlineageParent ?? lineage?.defaultParent ?? undefined
  return {
    namespace: lineage?.config.namespace ?? '',
    nominal: start.nominalStartTime?.toISOString() ?? null,
    parentNamespace: parent?.namespace ?? null,
    parentName: parent?.name ?? null,
    parentRunId: parent?.runId ?? null,
  }
}

/** A run recorded `on hold` (or another run that did no work): START then ABORT, at its one time. */
export async function recordMarkerRun(tx: Tx, processTrackingId: number): Promise<void> {
  if (!tx.ctx.lineage) return
  await insertEvent(tx, processTrackingId, 'START')
  await insertEvent(tx, processTrackingId, 'ABORT')
}

/** A status change: COMPLETE, FAIL, or (a custom active status) a throttled RUNNING. */
export async function recordStatusChange(tx: Tx, processTrackingId: number, category: StatusCategory): Promise<void> {
  const lineage = tx.ctx.lineage
  if (!lineage) return
  if (category === 'active') return recordRunning(tx, processTrackingId)
  if (category !== 'succeeded' && category !== 'failed') return
  lineage.lastRunning.delete(processTrackingId)
  await insertEvent(tx, processTrackingId, category === 'succeeded' ? 'COMPLETE' : 'FAIL')
}

/**
 * Whether a change to this run should emit a RUNNING event now: lineage is on and this store has
 * not written one for the run in the last 10 s. Costs no statement, so a caller that runs one
 * statement outside a transaction can stay so while it returns false.
 */
export function runningDue(ctx: StoreContext, processTrackingId: number): boolean {
  const last = ctx.lineage?.lastRunning.get(processTrackingId)
  return ctx.lineage !== undefined && (last === undefined || Date.now() - last >= RUNNING_INTERVAL_SECONDS * 1000)
}

/**
 * RUNNING after a change to an active run (record counts, dates, a custom status, its extracts),
 * at most one per run per 10 s: skipped without a statement when this store wrote one lately, and
 * by the INSERT's own NOT EXISTS when another process did.
 */
export async function recordRunning(tx: Tx, processTrackingId: number): Promise<void> {
  const lineage = tx.ctx.lineage
  if (!lineage || !runningDue(tx.ctx, processTrackingId)) return
  const inserted = await insertEvent(tx, processTrackingId, 'RUNNING')
  if (inserted) wroteRunning(tx.ctx, processTrackingId)
}

/** Starts the run's 10 s RUNNING hold in this store, after its RUNNING was written. */
export function wroteRunning(ctx: StoreContext, processTrackingId: number): void {
  const lineage = ctx.lineage
  if (!lineage) return
  if (lineage.lastRunning.size >= REMEMBERED_RUNS) lineage.lastRunning.clear()
  lineage.lastRunning.set(processTrackingId, Date.now())
}

/** Not (a RUNNING of run `id` written in the last 10 s): the hold across processes. */
function noRecentRunning(eb: ExpressionBuilder<Database, never>, id: Expression<number>, adapter: DialectAdapter) {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('lineage_outbox as r')
        .select('r.outbox_id')
        .where('r.process_tracking_id', '=', id)
        .where('r.event_type', '=', 'RUNNING')
        .where(sql<boolean>`${adapter.secondsSince('r.event_time')} < ${RUNNING_INTERVAL_SECONDS}`),
    ),
  )
}

/** What one outbox row binds; the START-only texts are null for every other event. */
interface EventValues {
  id: number
  eventType: EventType
  namespace: string
  nominal: string | null
  parentNamespace: string | null
  parentName: string | null
  parentRunId: string | null
}

/**
 * The outbox INSERT … SELECT of one kind of event time, built and compiled once per store and only
 * bound afterwards (store/prepared.ts): building it with Kysely on every event cost more client CPU
 * than the database spent running it. It reads the run's row by its key, so the event's time and
 * the run's changing values are the committed ones, with no extra round trip.
 */
function outboxInsert(time: 'start' | 'end' | 'now', throttled: boolean): Prepared<EventValues> {
  return prepare((db, p: Slots<EventValues>, adapter) => {
    // PostgreSQL cannot type a bare parameter in a SELECT list; the other two take it as it is.
    const text = (value: string | null): RawBuilder<string> =>
      adapter.dialect === 'postgresql' ? sql<string>`cast(${value} as text)` : sql<string>`${value}`
    const eventTime =
      time === 'start'
        ? sql<Date>`t.process_run_start_date_time`
        : time === 'end'
          ? sql<Date>`coalesce(t.process_run_end_date_time, ${adapter.now})`
          : adapter.now
    const columns: [string, RawBuilder<unknown>][] = [
      ['process_tracking_id', sql`t.process_tracking_id`],
      ['event_type', text(p.eventType)],
      ['event_time', eventTime],
      ['job_namespace', text(p.namespace)],
      ['run_status_id', sql`t.process_status_id`],
      ['run_record_count', sql`t.process_run_record_count`],
      ['run_low_date_time', sql`t.process_run_low_date_time`],
      ['run_high_date_time', sql`t.process_run_high_date_time`],
    ]
    if (time === 'start') {
      columns.push(
        ['nominal_start_time', text(p.nominal)],
        ['parent_namespace', text(p.parentNamespace)],
        ['parent_name', text(p.parentName)],
        ['parent_run_id', text(p.parentRunId)],
      )
    }
    let select = db
      .selectFrom('process_tracking as t')
      .select(columns.map(([name, value]) => value.as(name)))
      .where('t.process_tracking_id', '=', p.id)
    // Another process may have written this run's RUNNING lately: the 10 s hold across processes.
    if (throttled) select = select.where((eb) => noRecentRunning(eb as never, sql<number>`${p.id}`, adapter))
    return db
      .insertInto('lineage_outbox')
      .columns(columns.map(([name]) => name) as never)
      .expression(select as never)
  })
}

const INSERT_AT_START = outboxInsert('start', false)
const INSERT_AT_END = outboxInsert('end', false)
const INSERT_RUNNING = outboxInsert('now', true)

const NO_TEXTS = { nominal: null, parentNamespace: null, parentName: null, parentRunId: null } as const

/** Writes one outbox row; false when the RUNNING hold (or a vanished run) left nothing to write. */
async function insertEvent(tx: Tx, processTrackingId: number, eventType: EventType, texts: Partial<EventValues> = {}): Promise<boolean> {
  const lineage = tx.ctx.lineage
  if (!lineage) return false
  const statement =
    eventType === 'START' || eventType === 'ABORT' ? INSERT_AT_START : eventType === 'RUNNING' ? INSERT_RUNNING : INSERT_AT_END
  const inserted = await statement.affected(tx, {
    ...NO_TEXTS,
    ...texts,
    id: processTrackingId,
    eventType,
    namespace: lineage.config.namespace,
  })
  return inserted > 0
}

/**
 * The columns a data-modifying CTE named `r` must RETURN from the run's row for
 * {@link insertEndEventFromCte}: the same values the end event's INSERT … SELECT reads.
 */
export const END_EVENT_RUN_COLUMNS = [
  'process_tracking_id',
  'process_status_id',
  'process_run_end_date_time',
  'process_run_record_count',
  'process_run_low_date_time',
  'process_run_high_date_time',
] as const

/** The run's row as the CTE `r` returns it. */
type EndEventRun = Pick<ProcessTrackingTable, (typeof END_EVENT_RUN_COLUMNS)[number]>

/** The outbox columns every event written from a run's CTE fills: which run, what, when, and the run's state. */
const RUN_EVENT_COLUMNS = [
  'process_tracking_id',
  'event_type',
  'event_time',
  'job_namespace',
  'run_status_id',
  'run_record_count',
  'run_low_date_time',
  'run_high_date_time',
] as const

/**
 * PostgreSQL's one-statement end of a run (a data-modifying CTE whose `r` RETURNs
 * {@link END_EVENT_RUN_COLUMNS}): the outbox row of its COMPLETE or FAIL as one more CTE, so the
 * event is written by the very statement that ends the run — no transaction, no extra round trip.
 * Use only when lineage is on; `namespace` is a bound value (the store's `lineage.config.namespace`).
 * Call {@link endedRun} after the statement ran.
 */
export function insertEndEventFromCte<DB extends Database & { r: EndEventRun }>(
  qb: QueryCreator<DB>,
  eventType: 'COMPLETE' | 'FAIL',
  namespace: string,
) {
  const creator = qb as unknown as QueryCreator<Database & { r: EndEventRun }>
  return creator
    .insertInto('lineage_outbox')
    .columns([...RUN_EVENT_COLUMNS])
    .expression((eb) =>
      eb
        .selectFrom('r')
        .select([
          'r.process_tracking_id',
          sql<string>`cast(${eventType} as text)`.as('event_type'),
          'r.process_run_end_date_time',
          sql<string>`cast(${namespace} as text)`.as('job_namespace'),
          'r.process_status_id',
          'r.process_run_record_count',
          'r.process_run_low_date_time',
          'r.process_run_high_date_time',
        ]),
    )
}

/** What a CTE-written end event leaves to do in memory: the run's RUNNING hold is over. */
export function endedRun(ctx: StoreContext, processTrackingId: number): void {
  ctx.lineage?.lastRunning.delete(processTrackingId)
}

/**
 * The columns a data-modifying CTE named `n` (the new run's INSERT) must RETURN for
 * {@link insertStartEventFromCte}: the same values the START's INSERT … SELECT reads.
 */
export const START_EVENT_RUN_COLUMNS = [
  'process_tracking_id',
  'process_status_id',
  'process_run_start_date_time',
  'process_run_record_count',
  'process_run_low_date_time',
  'process_run_high_date_time',
] as const

/** The new run's row as the CTE `n` returns it. */
type StartEventRun = Pick<ProcessTrackingTable, (typeof START_EVENT_RUN_COLUMNS)[number]>

/**
 * PostgreSQL's one-statement start (a data-modifying CTE `n` inserting the run and RETURNing
 * {@link START_EVENT_RUN_COLUMNS}): the START's outbox row as the outer INSERT of that statement,
 * RETURNING the run's id. Use only when lineage is on; `texts` are bound values ({@link startTexts}).
 */
export function insertStartEventFromCte<DB extends Database & { n: StartEventRun }>(qb: QueryCreator<DB>, texts: Readonly<StartTexts>) {
  const creator = qb as unknown as QueryCreator<Database & { n: StartEventRun }>
  const text = (value: string | null) => sql<string>`cast(${value} as text)`
  return creator
    .insertInto('lineage_outbox')
    .columns([...RUN_EVENT_COLUMNS, 'nominal_start_time', 'parent_namespace', 'parent_name', 'parent_run_id'])
    .expression((eb) =>
      eb
        .selectFrom('n')
        .select([
          'n.process_tracking_id',
          sql<string>`cast('START' as text)`.as('event_type'),
          'n.process_run_start_date_time',
          text(texts.namespace).as('job_namespace'),
          'n.process_status_id',
          'n.process_run_record_count',
          'n.process_run_low_date_time',
          'n.process_run_high_date_time',
          text(texts.nominal).as('nominal_start_time'),
          text(texts.parentNamespace).as('parent_namespace'),
          text(texts.parentName).as('parent_name'),
          text(texts.parentRunId).as('parent_run_id'),
        ]),
    )
    .returning('process_tracking_id')
}

/**
 * PostgreSQL's one-statement register with lineage on (a data-modifying CTE `from` that RETURNs the
 * new extract): the run's throttled RUNNING as one more CTE of the same statement, written only when
 * `from` has a row, from the run's row read by its key, and held back by a RUNNING of the run in the
 * last 10 s, as {@link recordRunning}'s INSERT … SELECT. RETURNs `outbox_id`: when the statement
 * wrote one, call {@link wroteRunning}.
 */
export function insertRunningFromCte<DB extends Database>(
  qb: QueryCreator<DB>,
  from: string,
  processTrackingId: Expression<number>,
  namespace: Expression<string>,
  adapter: DialectAdapter,
) {
  const creator = qb as unknown as QueryCreator<Database>
  return creator
    .insertInto('lineage_outbox')
    .columns([...RUN_EVENT_COLUMNS])
    .expression((eb) =>
      eb
        .selectFrom('process_tracking as t')
        .select([
          't.process_tracking_id',
          sql<string>`cast('RUNNING' as text)`.as('event_type'),
          adapter.now.as('event_time'),
          sql<string>`${namespace}`.as('job_namespace'),
          't.process_status_id',
          't.process_run_record_count',
          't.process_run_low_date_time',
          't.process_run_high_date_time',
        ])
        .where('t.process_tracking_id', '=', processTrackingId)
        .where((inner) => inner.exists(inner.selectFrom(from as never).select(sql`1`.as('one'))))
        .where((inner) => noRecentRunning(inner as never, processTrackingId, adapter)),
    )
    .returning('outbox_id')
}
