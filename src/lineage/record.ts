/**
 * The write side of lineage (lineage.md "Delivery"): each change that emits an OpenLineage event
 * inserts its outbox row in the change's own transaction, so a rollback leaves no event and a
 * commit always has one. With lineage off every function here returns before any statement.
 *
 * One statement per event: an INSERT … SELECT from the run's row, which also snapshots what can
 * change later (status, record count, low/high dates). The rest of the event (job facets, datasets,
 * dependencies, the last error) is read by the dispatcher from data that does not change once the
 * event is written, or only grows (sources and targets are never removed).
 */
import { sql, type RawBuilder } from 'kysely'
import type { StatusCategory, StoreContext } from '../store/context.ts'
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
  const lineage = tx.ctx.lineage
  if (!lineage) return
  const parent = start.openlineageParent ?? lineage.defaultParent ?? undefined
  await insertEvent(tx, processTrackingId, 'START', 'start', {
    nominal_start_time: start.nominalStartTime?.toISOString(),
    parent_namespace: parent?.namespace,
    parent_name: parent?.name,
    parent_run_id: parent?.runId,
  })
}

/** A run recorded `on hold` (or another run that did no work): START then ABORT, at its one time. */
export async function recordMarkerRun(tx: Tx, processTrackingId: number): Promise<void> {
  if (!tx.ctx.lineage) return
  await insertEvent(tx, processTrackingId, 'START', 'start')
  await insertEvent(tx, processTrackingId, 'ABORT', 'start')
}

/** A status change: COMPLETE, FAIL, or (a custom active status) a throttled RUNNING. */
export async function recordStatusChange(tx: Tx, processTrackingId: number, category: StatusCategory): Promise<void> {
  const lineage = tx.ctx.lineage
  if (!lineage) return
  if (category === 'active') return recordRunning(tx, processTrackingId)
  if (category !== 'succeeded' && category !== 'failed') return
  lineage.lastRunning.delete(processTrackingId)
  await insertEvent(tx, processTrackingId, category === 'succeeded' ? 'COMPLETE' : 'FAIL', 'end')
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
  const inserted = await insertEvent(tx, processTrackingId, 'RUNNING', 'now', {}, true)
  if (!inserted) return
  if (lineage.lastRunning.size >= REMEMBERED_RUNS) lineage.lastRunning.clear()
  lineage.lastRunning.set(processTrackingId, Date.now())
}

type TextColumn = 'nominal_start_time' | 'parent_namespace' | 'parent_name' | 'parent_run_id'

async function insertEvent(
  tx: Tx,
  processTrackingId: number,
  eventType: EventType,
  time: 'start' | 'end' | 'now',
  texts: Partial<Record<TextColumn, string | undefined>> = {},
  throttled = false,
): Promise<boolean> {
  const { ctx, db } = tx
  const lineage = ctx.lineage
  if (!lineage) return false
  // PostgreSQL cannot type a bare parameter in a SELECT list; the other two take it as it is.
  const text = (value: string): RawBuilder<string> =>
    ctx.adapter.dialect === 'postgresql' ? sql<string>`cast(${value} as text)` : sql<string>`${value}`
  const eventTime =
    time === 'start'
      ? sql<Date>`t.process_run_start_date_time`
      : time === 'end'
        ? sql<Date>`coalesce(t.process_run_end_date_time, ${ctx.adapter.now})`
        : ctx.adapter.now
  const columns: [string, RawBuilder<unknown>][] = [
    ['process_tracking_id', sql`t.process_tracking_id`],
    ['event_type', text(eventType)],
    ['event_time', eventTime],
    ['job_namespace', text(lineage.config.namespace)],
    ['run_status_id', sql`t.process_status_id`],
    ['run_record_count', sql`t.process_run_record_count`],
    ['run_low_date_time', sql`t.process_run_low_date_time`],
    ['run_high_date_time', sql`t.process_run_high_date_time`],
  ]
  for (const [column, value] of Object.entries(texts) as [string, string | undefined][]) if (value !== undefined) columns.push([column, text(value)])
  let select = db
    .selectFrom('process_tracking as t')
    .select(columns.map(([name, value]) => value.as(name)))
    .where('t.process_tracking_id', '=', processTrackingId)
  if (throttled) {
    select = select.where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('lineage_outbox as r')
            .select('r.outbox_id')
            .where('r.process_tracking_id', '=', processTrackingId)
            .where('r.event_type', '=', 'RUNNING')
            .where(sql<boolean>`${ctx.adapter.secondsSince('r.event_time')} < ${RUNNING_INTERVAL_SECONDS}`),
        ),
      ),
    )
  }
  const result = await db
    .insertInto('lineage_outbox')
    .columns(columns.map(([name]) => name) as never)
    .expression(select as never)
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 1) > 0
}
