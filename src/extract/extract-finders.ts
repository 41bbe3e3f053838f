import { InvalidStatusError, ValidationError } from '../errors.ts'
import type { StoreContext } from '../store/context.ts'
import { single, Tx } from '../store/transaction.ts'
import { LOOKUP, findId } from '../tracker/lookup-ids.ts'
import { checkName, checkOptionalName, checkPlainObject, describe } from '../tracker/validation.ts'
import { selectExtracts, toExtractRecord, type ExtractRecord } from './extract-record.ts'
import { READY } from './extract-status.ts'
import { containsLiteral } from '../store/like-pattern.ts'
import { canonicalLocation } from './location-path.ts'
import { findLocationIdByPath } from './location-store.ts'
import type { RunRef } from './run-context.ts'

/** The status filter of every finder. */
export interface StatusFilter {
  /** The extracts' current status (default `'ready'`); an unknown status finds nothing. */
  status?: string
}

/** Options of {@link findExtractsByLocation}. */
export interface LocationFilter extends StatusFilter {
  locationName?: string
  /** Wins over `locationName` when both are given. */
  locationPath?: string
}

/**
 * Extracts in a status whose filename contains `filename` — literally and case-sensitively (`%` and
 * `_` match themselves) — in registration order (ties by id). Reads only.
 *
 * @example
 * ```ts
 * const files = await findExtractsByFilename(run, 'Teams_2018', { status: 'ready' })
 * ```
 * @throws ValidationError for a filename that is not 1–1,024 characters.
 */
export async function findExtractsByFilename(run: RunRef, filename: string, options: StatusFilter = {}): Promise<ExtractRecord[]> {
  const ref = run
  const needle = checkNeedle(filename)
  const status = checkStatus(options)
  return read(ref.ctx, status, (query) => query.where(containsLiteral('e.extract_filename', needle)))
}

/**
 * Extracts in a status at a location, given by path (canonicalised; wins when both are given) or by
 * name, in registration order (ties by id). Reads only.
 *
 * @example
 * ```ts
 * const files = await findExtractsByLocation(run, { locationPath: 's3://lahman/core/' })
 * ```
 * @throws ValidationError "A location name or path must be provided.  Please try again." when
 *   neither is given.
 */
export async function findExtractsByLocation(run: RunRef, options: LocationFilter): Promise<ExtractRecord[]> {
  const ref = run
  const opts = checkPlainObject(options, 'options')
  const status = checkStatus(opts)
  if (opts.locationPath !== undefined) {
    const path = canonicalLocation(opts.locationPath as string).path
    return read(ref.ctx, status, async (query, tx) => {
      const locationId = await findLocationIdByPath(tx, path)
      return locationId === undefined ? undefined : query.where('e.extract_location_id', '=', locationId)
    })
  }
  const name = checkOptionalName(opts.locationName, 'locationName')
  if (name === undefined) {
    throw new ValidationError('A location name or path must be provided.  Please try again.', { field: 'locationName' })
  }
  return read(ref.ctx, status, (query) => query.where('l.location_name', '=', name))
}

/**
 * Extracts in a status that any run of a process registered, claimed or changed (linked through
 * extract_process_tracking), each once, in registration order (ties by id). Reads only; an unknown
 * process finds nothing.
 *
 * @example
 * ```ts
 * const written = await findExtractsByProcess(run, 'Lahman Teams Extract')
 * ```
 */
export async function findExtractsByProcess(run: RunRef, processName: string, options: StatusFilter = {}): Promise<ExtractRecord[]> {
  const ref = run
  const name = checkName(processName, 'processName')
  const status = checkStatus(options)
  return read(ref.ctx, status, (query, tx) => query.where('e.extract_id', 'in', extractIdsOfProcess(tx, name)))
}

/** The ids of the extracts linked to any run of a process (a subquery: each extract once). */
export function extractIdsOfProcess(tx: Tx, processName: string) {
  return tx.db
    .selectFrom('extract_process_tracking as ept')
    .innerJoin('process_tracking as pt', 'pt.process_tracking_id', 'ept.process_tracking_id')
    .innerJoin('process as p', 'p.process_id', 'pt.process_id')
    .select('ept.extract_tracking_id')
    .where('p.process_name', '=', processName)
}

type ExtractQuery = ReturnType<typeof selectExtracts>

/**
 * Runs a finder: one statement when the status id is remembered (a second the first time), outside
 * any transaction — a finder takes no lock, so it never waits for writers (nor, on SQLite, holds
 * the write lock). Ids read here are committed rows, so they are remembered for the store at once.
 */
async function read(
  ctx: StoreContext,
  status: string,
  filter: (query: ExtractQuery, tx: Tx) => ExtractQuery | undefined | Promise<ExtractQuery | undefined>,
): Promise<ExtractRecord[]> {
  return single(ctx, async (db) => {
    const tx = new Tx(db, ctx)
    const statusId = await findId(tx, LOOKUP.extractStatus, status)
    if (statusId === undefined) return []
    const query = await filter(selectExtracts(db).where('e.extract_status_id', '=', statusId), tx)
    tx.publish()
    if (query === undefined) return []
    const rows = await query.orderBy('e.extract_registration_date_time').orderBy('e.extract_id').execute()
    return rows.map(toExtractRecord)
  })
}

function checkStatus(options: unknown): string {
  const status = checkPlainObject(options, 'options').status ?? READY
  if (typeof status !== 'string') throw new InvalidStatusError(`${describe(status)} is not a valid extract status type.`, { status })
  return status
}

/** A filename fragment: 1–1,024 characters. */
export function checkNeedle(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || Array.from(value).length > 1024) {
    throw new ValidationError(`filename must be a string of 1 to 1024 characters, not ${describe(value)}.`, { field: 'filename' })
  }
  return value
}
