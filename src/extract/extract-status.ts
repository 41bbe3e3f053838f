import type { QueryCreator } from 'kysely'
import { ExtractDependencyError, InvalidStatusError, NotFoundError } from '../errors.ts'
import type { Database } from '../store/database.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { prepare, type Slots } from '../store/prepared.ts'
import { Tx, single } from '../store/transaction.ts'
import type { RunRef } from './run-context.ts'
import { LOOKUP, findId } from '../tracker/lookup-ids.ts'
import { activeStatusIds, blockingParents } from '../tracker/predicates.ts'
import { lockRun } from '../tracker/run-transitions.ts'
import { runIsActive } from './run-guard.ts'
import { recordRunning, runningDue } from '../lineage/record.ts'
import { HISTORY_ONE, LINK_ONE, LINK_STATUS_ONE, boundEventValues, insertHistoryFrom, insertRunLinksFrom } from './event-rows.ts'

/** The status a new extract starts in, unless one is given. */
export const INITIALIZING = 'initializing'
export const READY = 'ready'
export const LOADING = 'loading'

/** A parent in one of these statuses refuses `loading` to its children. */
export const HOLDING_STATUSES = [INITIALIZING, READY, LOADING] as const

/** Ids per statement: well under every database's bound-parameter limit. */
export const CHUNK = 500

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const result: T[][] = []
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size))
  return result
}

/**
 * The id of an extract status by its exact name (remembered per store; custom statuses added later
 * are found on the next miss).
 *
 * @throws InvalidStatusError "NAME is not a valid extract status type."
 */
export async function requireExtractStatus(tx: Tx, name: string): Promise<number> {
  const id = await findId(tx, LOOKUP.extractStatus, name)
  if (id === undefined) {
    throw new InvalidStatusError(`${name} is not a valid extract status type.`, { status: name })
  }
  return id
}

/** The ids of the holding statuses that exist (a renamed seed simply no longer holds). */
export async function holdingStatusIds(tx: Tx): Promise<number[]> {
  const ids: number[] = []
  for (const name of HOLDING_STATUSES) {
    const id = await findId(tx, LOOKUP.extractStatus, name)
    if (id !== undefined) ids.push(id)
  }
  return ids
}

/** An extract about to move to `loading`, as named in the refusal. */
export interface LoadingCandidate {
  extractId: number
  fullFilename: string
}

/**
 * Refuses `loading` while a parent extract is `initializing`, `ready` or `loading`, unless that
 * parent is in `batch` (it moves in the same transaction). One query for the whole list.
 *
 * @throws ExtractDependencyError naming the first refused extract and its holding parents.
 */
export async function checkLoadingAllowed(
  tx: Tx,
  candidates: readonly LoadingCandidate[],
  batch: ReadonlySet<number> = new Set(),
): Promise<void> {
  if (candidates.length === 0) return
  const holding = await holdingStatusIds(tx)
  if (holding.length === 0) return
  const blockers = new Map<number, number[]>()
  for (const chunk of chunks(candidates.map((candidate) => candidate.extractId))) {
    const rows = await blockingParents(tx.db, holding)
      .select(['d.child_extract_id', 'd.parent_extract_id'])
      .where('d.child_extract_id', 'in', chunk)
      .execute()
    for (const row of rows) {
      const parent = Number(row.parent_extract_id)
      if (batch.has(parent)) continue
      const child = Number(row.child_extract_id)
      blockers.set(child, [...(blockers.get(child) ?? []), parent])
    }
  }
  const refused = candidates.find((candidate) => blockers.has(candidate.extractId))
  if (refused) {
    throw new ExtractDependencyError(
      `Extract files that extract ${refused.fullFilename} is dependent on have not been loaded, are being created, or are in the process of loading.`,
      { extractId: refused.extractId, parentExtractIds: blockers.get(refused.extractId) ?? [] },
    )
  }
}

/**
 * Writes a status change for extracts on behalf of a run: the extract's own status (the latest), the
 * (extract, run) row of extract_process_tracking with the status and time, and one history row each.
 * `loading` makes the run the claimer (its failure gives the extract back as `ready`); any other
 * status clears the claim. Three statements per 500 extracts in the usual case, where the run has
 * touched the extracts before; a fourth inserts the (extract, run) rows that are missing.
 *
 * Callers either hold the run's lock (`lockRun`) or pass `guarded`: the extract update then carries
 * the "run is active" condition, and an update that matched fewer rows than asked throws
 * RunNotActiveError (or NotFoundError for a missing extract) before anything else is written.
 *
 * PostgreSQL, one extract: the three writes are one built-once statement ({@link STATUS_CHANGE});
 * when it changes nothing (the run has ended, the extract is missing) the statements below run and
 * give the same result and the same errors.
 */
export async function writeStatusChange(
  tx: Tx,
  processTrackingId: number,
  extractIds: readonly number[],
  status: { id: number; name: string },
  at: Date,
  options: { guarded?: boolean } = {},
): Promise<void> {
  const user = tx.ctx.auditUser
  const claimer = status.name === LOADING ? processTrackingId : null
  for (const chunk of chunks(extractIds)) {
    if (chunk.length === 1) {
      const values: StatusChangeValues = {
        extractId: chunk[0] as number,
        processTrackingId,
        statusId: status.id,
        claimer,
        at,
        auditUser: user,
      }
      await changeOne(tx, values, options.guarded === true)
      continue
    }
    let update = tx.db
      .updateTable('extract_tracking')
      .set({ extract_status_id: status.id, extract_claim_process_tracking_id: claimer, update_date_time: at, updated_by: user })
      .where('extract_id', 'in', chunk)
    if (options.guarded) update = update.where(runIsActive(tx, processTrackingId))
    const result = await update.executeTakeFirst()
    // (MySQL counts matched rows here too: mysql2 connects with FOUND_ROWS.)
    if (options.guarded && Number(result.numUpdatedRows) < chunk.length) await refuseChange(tx, processTrackingId, chunk)
    await upsertRunLinks(tx, processTrackingId, chunk, status.id, at)
    await tx.db
      .insertInto('extract_status_history')
      .values(
        chunk.map((extractId) => ({
          extract_id: extractId,
          process_tracking_id: processTrackingId,
          extract_status_id: status.id,
          event_date_time: at,
          created_by: user,
          updated_by: user,
        })),
      )
      .execute()
  }
  await recordRunning(tx, processTrackingId) // lineage: the run's files changed (throttled)
}

/**
 * One extract's status change with statements built once: on PostgreSQL the one-statement
 * {@link STATUS_CHANGE}; elsewhere (and on PostgreSQL when that changed nothing, to find out why)
 * the extract's update, the link's update (its insert when there is none) and the history row.
 */
async function changeOne(tx: Tx, values: StatusChangeValues, guarded: boolean): Promise<void> {
  if (tx.ctx.adapter.dialect === 'postgresql' && (await STATUS_CHANGE[guarded ? 'guarded' : 'locked'].affected(tx, values)) > 0) return
  const updated = await EXTRACT_STATUS_ONE[guarded ? 'guarded' : 'locked'].affected(tx, values)
  if (guarded && updated < 1) await refuseChange(tx, values.processTrackingId, [values.extractId])
  if ((await LINK_STATUS_ONE.affected(tx, values)) < 1) await LINK_ONE.execute(tx, values)
  await HISTORY_ONE.execute(tx, values)
}

/** Why a guarded change matched fewer extracts than asked: the run has ended (thrown by lockRun), or an extract is missing. */
async function refuseChange(tx: Tx, processTrackingId: number, extractIds: readonly number[]): Promise<never> {
  await lockRun(tx, processTrackingId) // throws when the run has ended, the usual reason
  throw new NotFoundError(`An extract to change does not exist (extractId among ${extractIds.join(', ')}).`, {
    topic: 'extract',
    name: extractIds,
  })
}

/**
 * PostgreSQL, one extract, any status but `loading`, outside a transaction: the guarded
 * one-statement {@link STATUS_CHANGE} commits by itself (one statement, not BEGIN, it, COMMIT),
 * when lineage has no RUNNING to write with it. False, with nothing written, when this does not
 * apply or the statement changed nothing (an ended run, a missing extract): the caller then takes
 * the transaction, which finds out why.
 */
export async function changeStatusAlone(run: RunRef, extractId: number, status: string): Promise<boolean> {
  const { ctx, processTrackingId } = run
  if (ctx.adapter.dialect !== 'postgresql' || status === LOADING || runningDue(ctx, processTrackingId)) return false
  return single(ctx, async () => {
    // Not a transaction: the status's id is read (once per store) before the one write.
    const statusId = await requireExtractStatus(new Tx(ctx.db, ctx), status)
    const values: StatusChangeValues = { extractId, processTrackingId, statusId, claimer: null, at: new Date(), auditUser: ctx.auditUser }
    return (await STATUS_CHANGE.guarded.affected(ctx, values)) > 0
  })
}

interface StatusChangeValues {
  extractId: number
  processTrackingId: number
  statusId: number
  /** The run for `loading` (the claimer), null otherwise. */
  claimer: number | null
  at: Date
  auditUser: string
}

/**
 * PostgreSQL: one extract's status change as one data-modifying CTE — the extract's update (with
 * the "run is active" guard when `guarded`), the (extract, run) link upserted (`ON CONFLICT DO
 * UPDATE` on its key), and the history row inserted by the outer statement. Link and history read
 * the updated row, so the statement writes all three or nothing, and its row count says which.
 */
const statusChange = (guarded: boolean) =>
  prepare((db, p: Slots<StatusChangeValues>) => {
    const values = boundEventValues(p)
    const changed = db
      .with('u', (qb) => updateExtractStatus(qb, db, p, guarded).returning('extract_id'))
      .with('l', (qb) => insertRunLinksFrom(qb, 'u', values, 'update'))
    return insertHistoryFrom(changed, 'u', values)
  })
/** By whether the update carries the "run is active" guard (otherwise the caller holds the run's lock). */
const STATUS_CHANGE = { guarded: statusChange(true), locked: statusChange(false) }

/** One extract's own status update, built once (with the "run is active" guard when `guarded`). */
const extractStatusOne = (guarded: boolean) => prepare((db, p: Slots<StatusChangeValues>) => updateExtractStatus(db, db, p, guarded))
/** By whether the update carries the "run is active" guard. */
const EXTRACT_STATUS_ONE = { guarded: extractStatusOne(true), locked: extractStatusOne(false) }

/** The extract's own status change (and claimer), with the "run is active" guard when `guarded`. */
function updateExtractStatus(creator: QueryCreator<Database>, db: Db, p: Slots<StatusChangeValues>, guarded: boolean) {
  return creator
    .updateTable('extract_tracking')
    .set({ extract_status_id: p.statusId, extract_claim_process_tracking_id: p.claimer, update_date_time: p.at, updated_by: p.auditUser })
    .where('extract_id', '=', p.extractId)
    .$if(guarded, (query) =>
      query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('process_tracking as guard_run')
            .select('guard_run.process_tracking_id')
            .where('guard_run.process_tracking_id', '=', p.processTrackingId)
            .where('guard_run.process_status_id', 'in', activeStatusIds(db)),
        ),
      ),
    )
}

/**
 * Sets the (extract, run) rows to a status, creating the missing ones. The update comes first
 * because the row usually exists. Not every caller holds the run's row lock: a guarded change (a
 * status other than `loading`, docs/locking.md) does not. What orders two writers of one pair is
 * the extract's own row, which `writeStatusChange` updated just before in the same transaction
 * (a row lock on PostgreSQL and MySQL, the write lock on SQLite); and the insert skips a pair that
 * exists, so even a race would leave one row. MySQL may count an update that changed nothing as
 * zero rows; the insert then skips the row that exists, so the result is the same.
 */
async function upsertRunLinks(tx: Tx, processTrackingId: number, extractIds: number[], statusId: number, at: Date): Promise<void> {
  const user = tx.ctx.auditUser
  const updated = await tx.db
    .updateTable('extract_process_tracking')
    .set({ extract_process_status_id: statusId, extract_process_event_date_time: at, update_date_time: at, updated_by: user })
    .where('process_tracking_id', '=', processTrackingId)
    .where('extract_tracking_id', 'in', extractIds)
    .executeTakeFirst()
  if (Number(updated.numUpdatedRows) >= extractIds.length) return
  await linkToRun(
    tx,
    processTrackingId,
    extractIds.map((extractId) => ({ extractId, statusId })),
    at,
  )
}

/**
 * Links extracts to a run (extract_process_tracking) with the given statuses, leaving existing links
 * as they are.
 */
export async function linkToRun(
  tx: Tx,
  processTrackingId: number,
  links: readonly { extractId: number; statusId: number }[],
  at: Date,
): Promise<void> {
  const user = tx.ctx.auditUser
  for (const chunk of chunks(links)) {
    await tx.ctx.adapter
      .insertIgnoringDuplicates(
        tx.db.insertInto('extract_process_tracking').values(
          chunk.map((link) => ({
            extract_tracking_id: link.extractId,
            process_tracking_id: processTrackingId,
            extract_process_status_id: link.statusId,
            extract_process_event_date_time: at,
            created_by: user,
            updated_by: user,
          })),
        ),
      )
      .execute()
  }
  await recordRunning(tx, processTrackingId) // lineage: the run's files changed (throttled)
}
