import { sql } from 'kysely'
import { ValidationError } from '../errors.ts'
import { transaction } from '../store/transaction.ts'
import { LOOKUP, findId } from '../tracker/lookup-ids.ts'
import { blockingParents } from '../tracker/predicates.ts'
import { lockRun } from '../tracker/run-transitions.ts'
import { checkIntegerInRange, checkOptionalName, checkPlainObject } from '../tracker/validation.ts'
import { extractIdsOfProcess, checkNeedle } from './extract-finders.ts'
import { selectExtracts, toExtractRecord, type ExtractRecord } from './extract-record.ts'
import { LOADING, READY, holdingStatusIds, requireExtractStatus, writeStatusChange } from './extract-status.ts'
import { containsLiteral } from '../store/like-pattern.ts'
import { canonicalLocation } from './location-path.ts'
import { findLocationIdByName, findLocationIdByPath } from './location-store.ts'
import type { RunRef } from './run-context.ts'

/** Options of {@link claimExtracts}: filters (ANDed, at least one) and how many to take. */
export interface ClaimOptions {
  /** Extracts at this location (canonicalised). */
  locationPath?: string
  /** Extracts at the location with this name. */
  locationName?: string
  /** Extracts linked to any run of this process (e.g. the process that wrote them). */
  processName?: string
  /** Extracts whose filename contains this text, literally and case-sensitively. */
  filename?: string
  /** At most this many (1–1,000; default 1). */
  limit?: number
}

/**
 * Atomically moves up to `limit` matching `ready` extracts — oldest first, skipping any whose parent
 * would refuse `loading` — to `loading` for this run, and returns them. Runs claiming at the same
 * time never get the same extract; if this run fails, the extracts it still holds in `loading` go
 * back to `ready`.
 *
 * @example
 * ```ts
 * for (;;) {
 *   const [file] = await claimExtracts(run, { locationName: 'Lahman 2018' })
 *   if (!file) break
 *   await load(file.fullFilename)
 *   await file.changeExtractStatus('loaded')
 * }
 * ```
 * @throws ValidationError without a filter or with a limit outside 1–1,000; RunNotActiveError.
 */
export async function claimExtracts(run: RunRef, options: ClaimOptions): Promise<ExtractRecord[]> {
  const { ctx, processTrackingId } = run
  const opts = checkPlainObject(options, 'options')
  const locationPath = opts.locationPath === undefined ? undefined : canonicalLocation(opts.locationPath as string).path
  const locationName = checkOptionalName(opts.locationName, 'locationName')
  const processName = checkOptionalName(opts.processName, 'processName')
  const filename = opts.filename === undefined ? undefined : checkNeedle(opts.filename)
  const limit = opts.limit === undefined ? 1 : checkIntegerInRange(opts.limit, 'limit', 1, 1000)
  if (locationPath === undefined && locationName === undefined && processName === undefined && filename === undefined) {
    throw new ValidationError('Give at least one of locationPath, locationName, processName or filename to claim extracts.', {
      field: 'options',
    })
  }

  const records = await transaction(ctx, async (tx): Promise<ExtractRecord[]> => {
    // The run's row lock orders this claim against the run failing: its release of claims either
    // sees these extracts, or this claim finds the run no longer active.
    await lockRun(tx, processTrackingId)
    const readyId = await findId(tx, LOOKUP.extractStatus, READY)
    const loadingId = await requireExtractStatus(tx, LOADING)
    const holding = await holdingStatusIds(tx)
    if (readyId === undefined) return []

    let query = tx.db.selectFrom('extract_tracking as e').select('e.extract_id').where('e.extract_status_id', '=', readyId)
    // Locations are resolved to an id first, so the locking query reads extract_tracking alone.
    if (locationPath !== undefined) {
      const locationId = await findLocationIdByPath(tx, locationPath)
      if (locationId === undefined) return []
      query = query.where('e.extract_location_id', '=', locationId)
    }
    if (locationName !== undefined) {
      const locationId = await findLocationIdByName(tx.db, locationName)
      if (locationId === undefined) return []
      query = query.where('e.extract_location_id', '=', locationId)
    }
    if (filename !== undefined) query = query.where(containsLiteral('e.extract_filename', filename))
    if (processName !== undefined) query = query.where('e.extract_id', 'in', extractIdsOfProcess(tx, processName))
    if (holding.length > 0) {
      const blocking = blockingParents(tx.db, holding).select('d.parent_extract_id').where('d.child_extract_id', '=', sql.ref<number>('e.extract_id'))
      query = query.where((eb) => eb.not(eb.exists(blocking)))
    }
    // Concurrent claimers must never take the same extract:
    // - PostgreSQL and MySQL: FOR UPDATE SKIP LOCKED. Each claimer locks the rows it returns and
    //   passes over rows another claimer has locked, instead of waiting for them; a row whose lock
    //   is released because its claim committed is re-checked and no longer `ready`. Only
    //   extract_tracking is in FROM (the filters are subqueries, which take no locks), so no
    //   location or parent row is locked. The (status, registration time, id) indexes let MySQL walk
    //   the pool in order and stop at the limit instead of locking every candidate for a sort.
    // - SQLite: the transaction opened with `begin immediate`, holding the database's single write
    //   lock, so claims run one at a time and each sees the previous one's committed statuses.
    const claimed = await tx.ctx.adapter
      .forUpdateSkipLocked(query.orderBy('e.extract_registration_date_time').orderBy('e.extract_id').limit(limit))
      .execute()
    if (claimed.length === 0) return []
    const ids = claimed.map((row) => Number(row.extract_id))
    await writeStatusChange(tx, processTrackingId, ids, { id: loadingId, name: LOADING }, new Date())
    const rows = await selectExtracts(tx.db)
      .where('e.extract_id', 'in', ids)
      .orderBy('e.extract_registration_date_time')
      .orderBy('e.extract_id')
      .execute()
    return rows.map(toExtractRecord)
  })
  return records
}
