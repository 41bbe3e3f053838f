import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql, type KyselyPlugin } from 'kysely'
import { ConflictError, DatabaseUnavailableError, ProcessTrackerError, ValidationError } from '../errors.ts'
import { idKey, type StatusCategory, type StoreContext } from '../store/context.ts'
import { transaction, Tx } from '../store/transaction.ts'
import { prepare } from '../store/prepared.ts'
import type { Slots } from '../store/prepared.ts'
import type { Db, DialectAdapter } from '../store/dialect/adapter.ts'
import { markSelfCommitting } from '../store/dialect/instrumented-driver.ts'
import { START_FUNCTION } from '../store/migrations/0007-start-function.ts'
import { failureStreak, readLatestRuns, type LatestRun } from './latest-runs.ts'
import { LOOKUP, ensureId, ensureLink, ensureRowId, requireId } from './lookup-ids.ts'
import { reapRun } from './reaper.ts'
import type { SideLinks, ValidStart } from './start-options.ts'
import { decide } from './start-rules.ts'
import { ON_HOLD, RUNNING, statusByName } from '../store/process-statuses.ts'
import {
  START_EVENT_RUN_COLUMNS,
  insertStartEventFromCte,
  recordMarkerRun,
  recordStart,
  startTexts,
  type StartTexts,
} from '../lineage/record.ts'
import { uuidv7 } from '../store/uuid7.ts'
import { toDateOrThrow } from '../store/values.ts'
import { viewOfInsertedRun } from './run-views.ts'
import type { ViewSink } from './view-sink.ts'

/** A run as `start` created it. */
export interface StartedRun {
  processTrackingId: number
  processRunId: number
  processId: number
  processName: string
  processRunName: string | null
  status: string
  /** The run's OpenLineage runId (UUIDv7, since 0.2). */
  runUuid: string
}

/** @internal What a caller may add to the start (the HTTP API's idempotency key and answer). */
export interface StartHooks {
  /** Runs inside the transaction that inserted the run, before it commits; a throw rolls it all back. */
  beforeCommit?: (tx: Tx, run: StartedRun) => Promise<void>
  /** Filled with the new run's view when the start's own statement could tell it (see view-sink.ts). */
  view?: ViewSink
}

type Outcome =
  | { kind: 'started'; run: StartedRun }
  | { kind: 'stale'; runs: LatestRun[] }
  | { kind: 'held'; error: ProcessTrackerError; run: Pick<StartedRun, 'processTrackingId' | 'processId' | 'processRunId' | 'runUuid'> }

/**
 * Registers a new run, or refuses it. Lookups, the process and its links and the decision happen in
 * one transaction that locks the process row first:
 *
 * - PostgreSQL and MySQL/MariaDB: `SELECT … FOR UPDATE` on the process row serialises every start of
 *   that process across connections and machines. The latest-run read that follows is a new
 *   statement under READ COMMITTED, so it sees the run the previous lock holder committed.
 * - SQLite: the transaction opens with `begin immediate`, taking the database's single write lock,
 *   so the whole decision runs alone among the processes of the host.
 *
 * Behind the lock, UNIQUE(process_id, process_run_id) makes a duplicate run number impossible even
 * if the lock were bypassed (e.g. by hand-written SQL). Refusals roll back; only the
 * failure-threshold rule commits (the `on hold` run it records) before throwing.
 *
 * PostgreSQL, when the store already knows every id the start needs (the process, the actor, the
 * links) and no hook runs in the transaction: the same lock, reads, rules and writes are one call of
 * the `processtracker_start` function (migration 7) in autocommit, see {@link startInOneStatement};
 * what it leaves to the transaction (a new process, a change to the process, stale runs, a hold to
 * record, a taken run name) falls through to it.
 */
export async function startRun(ctx: StoreContext, options: ValidStart, hooks: StartHooks = {}): Promise<StartedRun> {
  if (!hooks.beforeCommit && ctx.adapter.dialect === 'postgresql') {
    const ids = await knownIds(ctx, options)
    const started = ids && (await startInOneStatement(ctx, options, ids, hooks.view))
    if (started) return started
  }
  let wait = false
  for (;;) {
    let outcome: Outcome
    // What the last attempt wrote, in case its COMMIT goes unanswered (see findStoredRun).
    let written: Outcome | undefined
    try {
      outcome = await transaction(ctx, async (tx) => {
        written = undefined
        const decided = await decideAndInsert(tx, options, wait)
        if (decided.kind === 'started' && hooks.beforeCommit) await hooks.beforeCommit(tx, decided.run)
        written = decided
        return decided
      })
    } catch (error) {
      if (written && written.kind !== 'stale' && isOutcomeUnknown(error)) {
        const { processTrackingId, processId, processRunId, runUuid } = written.run
        const stored = await findStoredRun(ctx, runUuid, error, { processTrackingId })
        const committed =
          stored !== undefined &&
          stored.processTrackingId === processTrackingId &&
          stored.processId === processId &&
          stored.processRunId === processRunId
        if (committed) {
          if (written.kind === 'held') throw written.error
          return written.run
        }
        continue // nothing was stored: decide again
      }
      if (!(error instanceof ProcessLockBusy)) throw error
      // Another start of this process holds the lock. When the committed state already refuses
      // this start, say so without queueing behind it; otherwise wait for the lock and decide.
      await refuseFromSnapshot(ctx, options.processName).catch((refusal: unknown) => {
        throw ctx.translate(refusal)
      })
      wait = true
      continue
    }
    if (outcome.kind === 'started') return outcome.run
    if (outcome.kind === 'held') throw outcome.error
    // Rule 0: stale runs of the process or its parents are failed, each in its own committed
    // transaction, and the decision is taken again.
    for (const run of outcome.runs) await reapRun(ctx, run.processTrackingId)
  }
}

function isOutcomeUnknown(error: unknown): error is ProcessTrackerError {
  return error instanceof ProcessTrackerError && error.details.outcome === 'unknown'
}

/**
 * After a write whose reply was lost (the COMMIT of the start's transaction, or the one-statement
 * start), finds the run this attempt inserted, if it was stored. The run's `run_uuid` is the
 * attempt's token: the attempt made it, and UNIQUE(run_uuid) lets no other row have it; the row
 * must also be this store's (same audit user) — the caller checks the rest. Reads are retried while
 * the database is unreachable, for up to `lockTimeoutMs`; if it stays away, the original error
 * (outcome unknown) is thrown with the run's uuid (and id, when known) in `details`, so the caller
 * can check.
 */
async function findStoredRun(
  ctx: StoreContext,
  runUuid: string,
  lost: ProcessTrackerError,
  known: { processTrackingId?: number } = {},
): Promise<{ processTrackingId: number; processId: number; processRunId: number } | undefined> {
  const deadline = Date.now() + ctx.lockTimeoutMs
  for (let round = 0; ; round++) {
    try {
      const row = await ctx.db
        .selectFrom('process_tracking')
        .select(['process_tracking_id', 'process_id', 'process_run_id', 'created_by'])
        .where('run_uuid', '=', runUuid)
        .executeTakeFirst()
      const ours = row !== undefined && row.created_by === ctx.auditUser
      ctx.logger.warn({ runUuid, ...known, committed: ours }, 'start: the reply to its write was lost; checked whether the run was stored')
      if (!ours) return undefined
      return {
        processTrackingId: Number(row.process_tracking_id),
        processId: Number(row.process_id),
        processRunId: Number(row.process_run_id),
      }
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new DatabaseUnavailableError(
          lost.message,
          { ...lost.details, ...known, runUuid, outcome: 'unknown' },
          { cause: lost.cause ?? error },
        )
      }
      await sleep(Math.min(1000, 100 * 2 ** round))
    }
  }
}

// ---- PostgreSQL: the common case in one statement (migration 7) ----

/** The ids a one-statement start binds, all known to the store, so the start reads no lookup. */
interface KnownIds {
  processId: number
  /** Every id and link below is known: the call may start the run (else it may only refuse it). */
  mayStart: boolean
  actorId: number | null
  /** The ids the options name (null when not given), which the process row must already have. */
  typeId: number | null
  toolId: number | null
  frequencyId: number | null
}

/** A statement the one-statement start cannot do without: an id or link the store has not cached. */
class NeedsStatements extends Error {}

/** Per store: its Kysely, refusing to run anything (see {@link knownIds}). */
const cacheOnlyDbs = new WeakMap<Db, Db>()
const REFUSE_STATEMENTS: KyselyPlugin = {
  transformQuery: () => {
    throw new NeedsStatements()
  },
  transformResult: (args) => Promise.resolve(args.result),
}

/**
 * The ids the start needs from the store's cache: undefined without the process's id; else the
 * actor, the type, tool and frequency the options name, and every link of its sources and targets,
 * or `mayStart: false` when one of them is not cached. The same lookups as the transaction's
 * (`ensureId`, `linkSides`), run over a Kysely that throws on any statement: whatever they would
 * have to read or insert leaves the start to its transaction, which reads and creates it (and
 * caches it once it commits). Refusing needs none of them: a store whose starts were all refused
 * (its links never committed) still refuses in one statement.
 */
async function knownIds(ctx: StoreContext, options: ValidStart): Promise<KnownIds | undefined> {
  const processId = ctx.ids.get(idKey('process', options.processName))
  if (processId === undefined) return undefined
  let db = cacheOnlyDbs.get(ctx.db)
  if (!db) cacheOnlyDbs.set(ctx.db, (db = ctx.db.withPlugin(REFUSE_STATEMENTS)))
  const tx = new Tx(db, ctx)
  try {
    const { processType, toolName, scheduleFrequency } = options
    const ids = {
      processId,
      mayStart: true,
      actorId: await ensureId(tx, LOOKUP.actor, options.actorName ?? osUserName()),
      typeId: processType === undefined ? null : await ensureId(tx, LOOKUP.processType, processType),
      toolId: toolName === undefined ? null : await ensureId(tx, LOOKUP.tool, toolName),
      frequencyId: scheduleFrequency === undefined ? null : await requireId(tx, LOOKUP.scheduleFrequency, scheduleFrequency),
    }
    await linkSides(tx, processId, options)
    return ids
  } catch (error) {
    if (error instanceof NeedsStatements)
      return { processId, mayStart: false, actorId: null, typeId: null, toolId: null, frequencyId: null }
    throw error
  }
}

/** What `processtracker_start` binds (migration 7, in its parameters' order). */
interface OneStatementStart extends KnownIds, StartTexts {
  processName: string
  statusId: number | null
  runUuid: string
  processRunName: string | null
  heartbeatTimeoutSeconds: number | null
  auditUser: string
  maxFailures: number
  lineage: boolean
}

/** A latest run as the function returns it: the columns of `readLatestRuns`' statement. */
interface LatestRunRow {
  process_tracking_id: number
  process_id: number
  process_name: string
  process_run_id: number
  process_status_name: string
  process_status_category: StatusCategory
  stale: number
}

interface OneStatementRow {
  start_outcome: 'started' | 'refused' | 'fallback'
  started_id: number | null
  started_number: number | null
  latest_runs: LatestRunRow[] | null
  /** now() as the start time column stores it: one statement in autocommit is one transaction, so the function's now(). */
  started_at: Date | string
}

const START_IN_ONE_STATEMENT = prepare((db, p: Slots<OneStatementStart>) => {
  const args = [
    p.processId,
    p.processName,
    p.typeId,
    p.toolId,
    p.frequencyId,
    p.actorId,
    p.statusId,
    p.runUuid,
    p.processRunName,
    p.heartbeatTimeoutSeconds,
    p.auditUser,
    p.maxFailures,
    p.mayStart,
    p.lineage,
    p.namespace,
    p.nominal,
    p.parentNamespace,
    p.parentName,
    p.parentRunId,
  ]
  const call = sql<OneStatementRow>`select start_outcome, started_id, started_number, latest_runs, cast(now() as timestamptz(3)) as started_at from ${sql.id(START_FUNCTION)}(${sql.join(args.map((arg) => sql`${arg}`))})`
  return {
    compile: () => {
      const compiled = call.compile(db)
      markSelfCommitting(compiled.query)
      return compiled
    },
  }
})

/**
 * One call of `processtracker_start` (see src/store/migrations/0007-start-function.ts for what it
 * does under the lock, and how it meets a busy lock): the started run, or undefined when the
 * transaction must decide (`fallback`). A refusal throws the error `decide` makes of the latest
 * runs the function read, under the lock or, when the lock was busy, from the committed state (as
 * {@link refuseFromSnapshot}).
 *
 * In autocommit there is no COMMIT to lose, but the call's own reply can be: when the connection
 * dies or goes silent, the run is looked up by the `run_uuid` this call made. Stored: it is the
 * start's run. Not stored: the transaction decides again.
 */
async function startInOneStatement(
  ctx: StoreContext,
  options: ValidStart,
  ids: KnownIds,
  sink: ViewSink | undefined,
): Promise<StartedRun | undefined> {
  const runUuid = uuidv7()
  const values: OneStatementStart = {
    ...ids,
    ...startTexts(ctx, options),
    processName: options.processName,
    statusId: ids.mayStart ? (await statusByName(ctx, ctx.db, RUNNING)).id : null,
    runUuid,
    processRunName: options.processRunName ?? null,
    heartbeatTimeoutSeconds: options.heartbeatTimeoutSeconds,
    auditUser: ctx.auditUser,
    maxFailures: ctx.maxConcurrentFailures,
    lineage: ctx.lineage !== undefined,
  }
  const started = (processTrackingId: number, processRunId: number): StartedRun => ({
    processTrackingId,
    processRunId,
    processId: ids.processId,
    processName: options.processName,
    processRunName: options.processRunName ?? null,
    status: RUNNING,
    runUuid,
  })
  let row: OneStatementRow | undefined
  try {
    ;[row] = await START_IN_ONE_STATEMENT.rows(ctx, values)
  } catch (error) {
    const kind = ctx.adapter.classifyError(error)
    // A run name or key taken by a concurrent start, a deadlock: the transaction retries those.
    if (kind === 'unique' || kind === 'retry') return undefined
    // The call writes and commits by itself (markSelfCommitting): a lost reply is an unknown outcome.
    const translated = ctx.translate(error)
    if (!isOutcomeUnknown(translated)) throw translated
    const stored = await findStoredRun(ctx, runUuid, translated)
    return stored?.processId === ids.processId ? started(stored.processTrackingId, stored.processRunId) : undefined
  }
  if (row?.start_outcome === 'started') {
    const run = started(Number(row.started_id), Number(row.started_number))
    if (sink) {
      sink.view = viewOfInsertedRun(run, {
        actorName: options.actorName ?? osUserName(),
        heartbeatTimeoutSeconds: options.heartbeatTimeoutSeconds,
        startDateTime: toDateOrThrow(row.started_at),
      })
    }
    return run
  }
  if (row?.start_outcome !== 'refused') return undefined
  const latest = (row.latest_runs ?? []).map((run): LatestRun => {
    const category = run.process_status_category
    return {
      processTrackingId: Number(run.process_tracking_id),
      processId: Number(run.process_id),
      processName: run.process_name,
      processRunId: Number(run.process_run_id),
      status: run.process_status_name,
      category,
      stale: category === 'active' && Number(run.stale) === 1,
      isParent: Number(run.process_id) !== ids.processId,
    }
  })
  const decision = await decide(options.processName, latest, ctx.maxConcurrentFailures, () => Promise.resolve(0))
  if (!decision.allowed) throw decision.error
  return undefined // the rules disagree with the function's: the transaction decides
}

/** The process row is locked by another transaction (first, non-waiting attempt only). */
class ProcessLockBusy extends Error {}

/**
 * Refuses a start from one consistent read of committed data, without the process lock. A refusal
 * is correct at the instant of that read: the blocking run was active, failed or held then, so the
 * start is refused as if it had been decided at that moment. Allowing needs the lock, and so do the
 * rules that write (stale runs, the failure threshold): those fall through to the locked decision.
 */
async function refuseFromSnapshot(ctx: StoreContext, processName: string): Promise<void> {
  const key = idKey('process', processName)
  let processId = ctx.ids.get(key)
  if (processId === undefined) {
    const row = await ctx.db.selectFrom('process').select('process_id').where('process_name', '=', processName).executeTakeFirst()
    if (!row) return
    processId = Number(row.process_id)
    ctx.ids.set(key, processId) // committed, so safe to remember
  }
  const latest = await readLatestRuns(ctx, ctx.db, processId)
  if (latest.some((run) => run.stale)) return
  const decision = await decide(processName, latest, ctx.maxConcurrentFailures, () => Promise.resolve(0))
  if (!decision.allowed) throw decision.error
}

async function decideAndInsert(tx: Tx, options: ValidStart, wait: boolean): Promise<Outcome> {
  const actorId = await ensureId(tx, LOOKUP.actor, options.actorName ?? osUserName())
  const process = await lockProcess(tx, options, wait)
  await linkSides(tx, process.processId, options)

  const latest = await readLatestRuns(tx.ctx, tx.db, process.processId)
  const stale = latest.filter((run) => run.stale)
  if (stale.length > 0) return { kind: 'stale', runs: stale }

  const max = tx.ctx.maxConcurrentFailures
  const decision = await decide(options.processName, latest, max, () => failureStreak(tx.db, process.processId, max, new Set()))
  const previous = latest.find((run) => !run.isParent)
  if (!decision.allowed && decision.rule !== 'failure-threshold') throw decision.error

  const held = !decision.allowed
  if (!held && options.processRunName !== undefined) await assertRunNameFree(tx, options.processRunName)
  // The database's clock, as for heartbeats: a client whose clock is off cannot end a run before it began.
  const processRunId = (previous?.processRunId ?? 0) + 1
  const runUuid = uuidv7()
  const inserted = held
    ? { processTrackingId: await insertHeldRun(tx, process.processId, processRunId, runUuid, actorId), startWritten: false }
    : await insertRunningRun(
        tx,
        {
          processId: process.processId,
          statusId: (await statusByName(tx.ctx, tx.db, RUNNING)).id,
          processRunId,
          actorId,
          runUuid,
          processRunName: options.processRunName ?? null,
          heartbeatTimeoutSeconds: options.heartbeatTimeoutSeconds,
          auditUser: tx.ctx.auditUser,
        },
        previous?.processTrackingId,
        options,
      )
  const { processTrackingId } = inserted
  if (held && previous) await CLEAR_LATEST.execute(tx, { processTrackingId: previous.processTrackingId })
  // Lineage (when on): the run's START, or START then ABORT for the hold, in this transaction.
  if (held) await recordMarkerRun(tx, processTrackingId)
  else if (!inserted.startWritten) await recordStart(tx, processTrackingId, options)
  if (!decision.allowed)
    return { kind: 'held', error: decision.error, run: { processTrackingId, processId: process.processId, processRunId, runUuid } }
  return {
    kind: 'started',
    run: {
      processTrackingId,
      processRunId,
      processId: process.processId,
      processName: options.processName,
      processRunName: options.processRunName ?? null,
      status: RUNNING,
      runUuid,
    },
  }
}

/** The `on hold` run the failure-threshold rule records (rare: built per call). */
async function insertHeldRun(tx: Tx, processId: number, processRunId: number, runUuid: string, actorId: number): Promise<number> {
  const status = await statusByName(tx.ctx, tx.db, ON_HOLD)
  const now = tx.ctx.adapter.now
  return tx.ctx.adapter.insertReturningId(
    tx.db.insertInto('process_tracking').values({
      process_id: processId,
      process_status_id: status.id,
      process_run_id: processRunId,
      process_run_start_date_time: now,
      process_run_end_date_time: now,
      process_run_actor_id: actorId,
      is_latest_run: true,
      run_uuid: runUuid,
      process_run_name: null,
      heartbeat_timeout_seconds: null,
      last_heartbeat_date_time: null,
      created_by: tx.ctx.auditUser,
      updated_by: tx.ctx.auditUser,
    }),
    'process_tracking_id',
  )
}

/**
 * Finds or creates the process and locks its row. Defaults apply only when the process is created;
 * later, an explicit type, tool or frequency that differs updates it.
 */
export async function lockProcess(tx: Tx, options: ValidStart, wait: boolean): Promise<{ processId: number }> {
  const { adapter } = tx.ctx
  const key = { processName: options.processName }
  // The first attempt does not queue for the lock (NOWAIT): see startRun.
  const select = async () => {
    if (wait) return (await LOCK_PROCESS.rows(tx, key))[0]
    try {
      return (await LOCK_PROCESS_NOWAIT.rows(tx, key))[0]
    } catch (error) {
      if (adapter.classifyError(error) === 'lock-timeout') throw new ProcessLockBusy()
      throw error
    }
  }
  let row = await select()
  if (!row) {
    if (options.processType === undefined) {
      throw new ValidationError(`The process ${options.processName} does not exist yet: give processType to create it.`, {
        field: 'processType',
        processName: options.processName,
      })
    }
    const values = {
      process_name: options.processName,
      process_type_id: await ensureId(tx, LOOKUP.processType, options.processType),
      process_tool_id: await ensureId(tx, LOOKUP.tool, options.toolName ?? 'Node.js'),
      schedule_frequency_id: await requireId(tx, LOOKUP.scheduleFrequency, options.scheduleFrequency ?? 'unscheduled'),
      created_by: tx.ctx.auditUser,
      updated_by: tx.ctx.auditUser,
    }
    await adapter.insertIgnoringDuplicates(tx.db.insertInto('process').values(values)).execute()
    row = await select()
    if (!row) throw new Error(`process ${options.processName} vanished after insert`)
    tx.learn(idKey('process', options.processName), Number(row.process_id))
    return { processId: Number(row.process_id) }
  }
  tx.learn(idKey('process', options.processName), Number(row.process_id), true)
  const changes: Record<string, number> = {}
  if (options.processType !== undefined) {
    const id = await ensureId(tx, LOOKUP.processType, options.processType)
    if (id !== Number(row.process_type_id)) changes.process_type_id = id
  }
  if (options.toolName !== undefined) {
    const id = await ensureId(tx, LOOKUP.tool, options.toolName)
    if (id !== Number(row.process_tool_id)) changes.process_tool_id = id
  }
  if (options.scheduleFrequency !== undefined) {
    const id = await requireId(tx, LOOKUP.scheduleFrequency, options.scheduleFrequency)
    if (id !== Number(row.schedule_frequency_id)) changes.schedule_frequency_id = id
  }
  if (Object.keys(changes).length > 0) {
    await tx.db
      .updateTable('process')
      .set({ ...changes, update_date_time: tx.ctx.adapter.now, updated_by: tx.ctx.auditUser })
      .where('process_id', '=', Number(row.process_id))
      .execute()
  }
  return { processId: Number(row.process_id) }
}

/** Sources, targets, objects, attributes and dataset types: added, never removed; every level linked. */
export async function linkSides(tx: Tx, processId: number, options: ValidStart): Promise<void> {
  const datasetTypeIds: number[] = []
  for (const name of [...options.datasetTypes].sort()) {
    const id = await ensureId(tx, LOOKUP.datasetType, name)
    datasetTypeIds.push(id)
    await ensureLink(tx, 'process_dataset_type', { process_id: processId, dataset_type_id: id })
  }
  await linkSide(tx, processId, options.sources, datasetTypeIds, 'source')
  await linkSide(tx, processId, options.targets, datasetTypeIds, 'target')
}

async function linkSide(tx: Tx, processId: number, side: SideLinks, datasetTypeIds: number[], kind: 'source' | 'target') {
  // Sorted, so two starts creating the same names take their row locks in the same order.
  for (const sourceName of [...side.keys()].sort()) {
    const sourceId = await ensureId(tx, LOOKUP.source, sourceName)
    if (kind === 'source') await ensureLink(tx, 'process_source', { source_id: sourceId, process_id: processId })
    else await ensureLink(tx, 'process_target', { target_source_id: sourceId, process_id: processId })
    for (const datasetTypeId of datasetTypeIds) {
      await ensureLink(tx, 'source_dataset_type', { source_id: sourceId, dataset_type_id: datasetTypeId })
    }
    const objects = side.get(sourceName) ?? new Map<string, string[]>()
    for (const objectName of [...objects.keys()].sort()) {
      const objectId = await ensureRowId(tx, 'source_object_lkup', 'source_object_id', {
        source_id: sourceId,
        source_object_name: objectName,
      })
      if (kind === 'source') await ensureLink(tx, 'process_source_object', { process_id: processId, source_object_id: objectId })
      else await ensureLink(tx, 'process_target_object', { process_id: processId, target_object_id: objectId })
      for (const datasetTypeId of datasetTypeIds) {
        await ensureLink(tx, 'source_object_dataset_type', { source_object_id: objectId, dataset_type_id: datasetTypeId })
      }
      for (const attributeName of [...(objects.get(objectName) ?? [])].sort()) {
        const attributeId = await ensureRowId(tx, 'source_object_attribute_lkup', 'source_object_attribute_id', {
          source_object_id: objectId,
          source_object_attribute_name: attributeName,
        })
        if (kind === 'source') {
          await ensureLink(tx, 'process_source_object_attribute', { process_id: processId, source_object_attribute_id: attributeId })
        } else {
          await ensureLink(tx, 'process_target_object_attribute', { process_id: processId, target_object_attribute_id: attributeId })
        }
      }
    }
  }
}

async function assertRunNameFree(tx: Tx, processRunName: string): Promise<void> {
  const [taken] = await RUN_NAME_TAKEN.rows(tx, { processRunName })
  if (taken) {
    throw new ConflictError(`The run name ${processRunName} is already used by run ${taken.process_tracking_id}; run names are unique.`, {
      processRunName,
      processTrackingId: Number(taken.process_tracking_id),
    })
  }
}

export function osUserName(): string {
  try {
    return os.userInfo().username
  } catch {
    return 'unknown'
  }
}

// ---- Statements of the hot path, built once per store (src/store/prepared.ts) ----

const selectProcess = (mode: 'forUpdate' | 'forUpdateNoWait') =>
  prepare((db, p: Slots<{ processName: string }>, adapter) =>
    adapter[mode](
      db
        .selectFrom('process')
        .select(['process_id', 'process_type_id', 'process_tool_id', 'schedule_frequency_id'])
        .where('process_name', '=', p.processName),
    ),
  )
/** The process row, locked: waiting for the lock, or failing at once when it is held (NOWAIT). */
const LOCK_PROCESS = selectProcess('forUpdate')
const LOCK_PROCESS_NOWAIT = selectProcess('forUpdateNoWait')

interface RunningRun {
  processId: number
  statusId: number
  processRunId: number
  actorId: number
  runUuid: string
  processRunName: string | null
  heartbeatTimeoutSeconds: number | null
  auditUser: string
}

interface NextRun extends RunningRun {
  /** The run that stops being the latest. */
  previousId: number
}

function runValues(p: Slots<RunningRun>, adapter: DialectAdapter, heartbeat: boolean) {
  return {
    process_id: p.processId,
    process_status_id: p.statusId,
    process_run_id: p.processRunId,
    process_run_start_date_time: adapter.now,
    process_run_end_date_time: null,
    process_run_actor_id: p.actorId,
    is_latest_run: true,
    run_uuid: p.runUuid,
    process_run_name: p.processRunName,
    heartbeat_timeout_seconds: p.heartbeatTimeoutSeconds,
    last_heartbeat_date_time: heartbeat ? adapter.now : null,
    created_by: p.auditUser,
    updated_by: p.auditUser,
  }
}

const insertRun = (heartbeat: boolean) =>
  prepare((db, p: Slots<RunningRun>, adapter) => {
    const insert = db.insertInto('process_tracking').values(runValues(p, adapter, heartbeat))
    // RETURNING where the driver has no insert id (PostgreSQL); insertId elsewhere.
    return adapter.dialect === 'postgresql' ? insert.returning('process_tracking_id') : insert
  })
/** A new `running` run, with or without a first heartbeat (the database clock). */
const INSERT_RUN = insertRun(false)
const INSERT_RUN_BEATING = insertRun(true)

/**
 * PostgreSQL: the new run and the latest-flag move in one statement (a data-modifying CTE; the
 * previous run's row is not in the insert's way, as there is no unique key on the flag). Lineage
 * on: the START's outbox row is the outer INSERT of the same statement (no extra round trip).
 */
const insertNextRun = (heartbeat: boolean, lineage: boolean) =>
  prepare((db, p: Slots<NextRun & StartTexts>, adapter) => {
    const moved = db.with('previous', (qb) =>
      qb.updateTable('process_tracking').set({ is_latest_run: false }).where('process_tracking_id', '=', p.previousId),
    )
    if (!lineage)
      return moved
        .insertInto('process_tracking')
        .values(runValues(p, adapter, heartbeat))
        .returning('process_tracking_id')
    return insertStartEventFromCte(
      moved.with('n', (qb) =>
        qb
          .insertInto('process_tracking')
          .values(runValues(p, adapter, heartbeat))
          .returning([...START_EVENT_RUN_COLUMNS]),
      ),
      p,
    )
  })
/** By first heartbeat (none / the database clock) and lineage (off / on). */
const INSERT_NEXT_RUN = {
  plain: insertNextRun(false, false),
  beating: insertNextRun(true, false),
  plainWithStart: insertNextRun(false, true),
  beatingWithStart: insertNextRun(true, true),
}

/**
 * Inserts the run and, when there is one, moves the latest flag off the previous run. Says whether
 * the START's outbox row was written too (PostgreSQL with lineage on, in the same statement).
 */
async function insertRunningRun(
  tx: Tx,
  run: RunningRun,
  previousId: number | undefined,
  start: ValidStart,
): Promise<{ processTrackingId: number; startWritten: boolean }> {
  const beating = run.heartbeatTimeoutSeconds !== null
  if (previousId !== undefined && tx.ctx.adapter.dialect === 'postgresql') {
    const lineage = tx.ctx.lineage !== undefined
    const statement = lineage
      ? beating
        ? INSERT_NEXT_RUN.beatingWithStart
        : INSERT_NEXT_RUN.plainWithStart
      : beating
        ? INSERT_NEXT_RUN.beating
        : INSERT_NEXT_RUN.plain
    const [row] = (await statement.rows(tx, { ...run, previousId, ...startTexts(tx.ctx, start) })) as { process_tracking_id: number }[]
    return { processTrackingId: Number(row?.process_tracking_id), startWritten: lineage }
  }
  const result = await (beating ? INSERT_RUN_BEATING : INSERT_RUN).execute(tx, run)
  const row = result.rows[0] as { process_tracking_id: number } | undefined
  const processTrackingId = Number(row ? row.process_tracking_id : result.insertId)
  if (previousId !== undefined) await CLEAR_LATEST.execute(tx, { processTrackingId: previousId })
  return { processTrackingId, startWritten: false }
}

/** The previous latest run stops being the latest. */
const CLEAR_LATEST = prepare((db, p: Slots<{ processTrackingId: number }>) =>
  db.updateTable('process_tracking').set({ is_latest_run: false }).where('process_tracking_id', '=', p.processTrackingId),
)

const RUN_NAME_TAKEN = prepare((db, p: Slots<{ processRunName: string }>) =>
  db.selectFrom('process_tracking').select('process_tracking_id').where('process_run_name', '=', p.processRunName),
)
