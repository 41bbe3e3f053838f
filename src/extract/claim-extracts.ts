import { sql } from 'kysely'
import { ValidationError } from '../errors.ts'
import { transaction } from '../store/transaction.ts'
import { LOOKUP, findId } from '../tracker/lookup-ids.ts'
import { blockingParents } from '../tracker/predicates.ts'
import { lockRun } from '../tracker/run-transitions.ts'
import { checkIntegerInRange, checkOptionalName, checkPlainObject } from '../tracker/validation.ts'
import { extractIdsOfProcess, checkNeedle } from './extract-finders.ts'
import { selectExtracts, toExtractRecord, type ExtractRecord, type ExtractRow } from './extract-record.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { boundEventValues, insertHistoryFrom, insertRunLinksFrom } from './event-rows.ts'
import { HOLDING_STATUSES, LOADING, READY, holdingStatusIds, requireExtractStatus, writeStatusChange } from './extract-status.ts'
import { containsLiteral } from '../store/like-pattern.ts'
import { canonicalLocation } from './location-path.ts'
import { findLocationIdByName, findLocationIdByPath } from './location-store.ts'
import type { RunRef } from './run-context.ts'
import { recordRunning } from '../lineage/record.ts'
import { prepare, type Prepared, type Slots } from '../store/prepared.ts'
import { sha256Hex } from './sha256.ts'

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
    if (tx.ctx.adapter.dialect === 'postgresql' && filename === undefined) {
      const values: ClaimValues = {
        processTrackingId,
        readyId,
        loadingId,
        locationHash: locationPath === undefined ? '' : sha256Hex(locationPath),
        locationName: locationName ?? '',
        processName: processName ?? '',
        limit,
        at: new Date(),
        auditUser: tx.ctx.auditUser,
      }
      const statement = claimStatement({
        path: locationPath !== undefined,
        name: locationName !== undefined,
        process: processName !== undefined,
      })
      const rows = await statement.rows(tx, values)
      if (rows.length > 0) await recordRunning(tx, processTrackingId) // lineage: the run's files changed (throttled)
      return rows.map(toExtractRecord)
    }

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
      const blocking = blockingParents(tx.db, holding)
        .select('d.parent_extract_id')
        .where('d.child_extract_id', '=', sql.ref<number>('e.extract_id'))
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

interface ClaimValues {
  processTrackingId: number
  readyId: number
  loadingId: number
  /** SHA-256 of the canonical location path ('' when not filtered by path). */
  locationHash: string
  locationName: string
  processName: string
  limit: number
  at: Date
  auditUser: string
}

type ClaimFilters = { path: boolean; name: boolean; process: boolean }
const claimStatements = new Map<string, Prepared<ClaimValues, ExtractRow>>()

/**
 * PostgreSQL: the whole claim after the run lock in ONE statement, built once per filter set. The
 * candidates are locked with FOR UPDATE SKIP LOCKED as on the other path (extract_tracking alone in
 * FROM; the location, process and parent filters are subqueries), then moved to `loading` for the
 * run, linked to it (ON CONFLICT … DO UPDATE: the run lock keeps the pair from being inserted in
 * between, as in upsertRunLinks), given their history rows, and read back with their names. The
 * location is found by its path hash inside the statement, so an uncached location costs nothing.
 */
function claimStatement(filters: ClaimFilters): Prepared<ClaimValues, ExtractRow> {
  const key = `${String(filters.path)} ${String(filters.name)} ${String(filters.process)}`
  let statement = claimStatements.get(key)
  if (statement) return statement
  statement = prepare((db, p: Slots<ClaimValues>) => {
    const holding = db
      .selectFrom('extract_status_lkup')
      .select('extract_status_id')
      .where('extract_status_name', 'in', [...HOLDING_STATUSES])
    let candidates = db.selectFrom('extract_tracking as e').select('e.extract_id').where('e.extract_status_id', '=', p.readyId)
    if (filters.path) {
      candidates = candidates.where('e.extract_location_id', '=', (eb) =>
        eb.selectFrom('location_lkup').select('location_id').where('location_path_hash', '=', p.locationHash),
      )
    }
    if (filters.name) {
      candidates = candidates.where('e.extract_location_id', '=', (eb) =>
        eb.selectFrom('location_lkup').select('location_id').where('location_name', '=', p.locationName),
      )
    }
    if (filters.process) {
      candidates = candidates.where('e.extract_id', 'in', (eb) =>
        eb
          .selectFrom('extract_process_tracking as ept')
          .innerJoin('process_tracking as pt', 'pt.process_tracking_id', 'ept.process_tracking_id')
          .innerJoin('process as pr', 'pr.process_id', 'pt.process_id')
          .select('ept.extract_tracking_id')
          .where('pr.process_name', '=', p.processName),
      )
    }
    candidates = candidates.where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('extract_dependency as d')
            .innerJoin('extract_tracking as pe', 'pe.extract_id', 'd.parent_extract_id')
            .select('d.parent_extract_id')
            .whereRef('d.child_extract_id', '=', 'e.extract_id')
            .where('pe.extract_status_id', 'in', holding),
        ),
      ),
    )
    const locked = candidates.orderBy('e.extract_registration_date_time').orderBy('e.extract_id').limit(p.limit).forUpdate().skipLocked()
    const linked = boundEventValues({ processTrackingId: p.processTrackingId, statusId: p.loadingId, at: p.at, auditUser: p.auditUser })
    const claim = db
      .with('c', () => locked)
      .with('u', (qb) =>
        qb
          .updateTable('extract_tracking')
          .set({
            extract_status_id: p.loadingId,
            extract_claim_process_tracking_id: p.processTrackingId,
            update_date_time: p.at,
            updated_by: p.auditUser,
          })
          .where('extract_id', 'in', (eb) => eb.selectFrom('c').select('c.extract_id'))
          .returningAll(),
      )
      .with('l', (qb) => insertRunLinksFrom(qb, 'u', linked, 'update'))
      .with('h', (qb) => insertHistoryFrom(qb, 'u', linked))
    // The extracts as the UPDATE left them (its RETURNING rows: the statement's own snapshot predates
    // the update), with their names: selectExtracts, reading `u` where it reads extract_tracking.
    const fromClaimed = { selectFrom: (from: string) => claim.selectFrom((from === 'extract_tracking as e' ? 'u as e' : from) as never) }
    return selectExtracts(fromClaimed as unknown as Db)
      .orderBy('e.extract_registration_date_time')
      .orderBy('e.extract_id')
  })
  claimStatements.set(key, statement)
  return statement
}
