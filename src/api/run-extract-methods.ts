import { InvalidStatusError, ValidationError } from '../errors.ts'
import * as claims from '../extract/claim-extracts.ts'
import type { ClaimOptions } from '../extract/claim-extracts.ts'
import type { ExtractRecord } from '../extract/extract-record.ts'
import * as finders from '../extract/extract-finders.ts'
import type { LocationFilter, StatusFilter } from '../extract/extract-finders.ts'
import { changeExtractStatuses as writeStatuses } from '../extract/extract-writes.ts'
import * as byLocation from '../extract/register-by-location.ts'
import type { RegisterByLocationOptions } from '../extract/register-by-location.ts'
import { ExtractTracker, runRef } from './extract-tracker.ts'
import type { ProcessTracker } from './process-tracker.ts'

/**
 * The extract methods of a run, as functions taking the run first: `ProcessTracker` delegates to
 * them (`run.claimExtracts(options)` is `claimExtracts(run, options)`). Each checks the run, calls
 * the extract layer with the run's context and id, and wraps the records it returns.
 */
export type { ClaimOptions } from '../extract/claim-extracts.ts'
export type { LocationFilter, StatusFilter } from '../extract/extract-finders.ts'
export type { RegisterByLocationOptions, RegisterProgress } from '../extract/register-by-location.ts'

const wrap = (run: ProcessTracker, records: readonly ExtractRecord[]): ExtractTracker[] =>
  records.map((record) => ExtractTracker.fromRecord(run, record))

/** See {@link ProcessTracker.claimExtracts}. */
export async function claimExtracts(run: ProcessTracker, options: ClaimOptions): Promise<ExtractTracker[]> {
  return wrap(run, await claims.claimExtracts(runRef(run), options))
}

/** See {@link ProcessTracker.findExtractsByFilename}. */
export async function findExtractsByFilename(run: ProcessTracker, filename: string, options: StatusFilter = {}): Promise<ExtractTracker[]> {
  return wrap(run, await finders.findExtractsByFilename(runRef(run), filename, options))
}

/** See {@link ProcessTracker.findExtractsByLocation}. */
export async function findExtractsByLocation(run: ProcessTracker, options: LocationFilter): Promise<ExtractTracker[]> {
  return wrap(run, await finders.findExtractsByLocation(runRef(run), options))
}

/** See {@link ProcessTracker.findExtractsByProcess}. */
export async function findExtractsByProcess(
  run: ProcessTracker,
  processName: string,
  options: StatusFilter = {},
): Promise<ExtractTracker[]> {
  return wrap(run, await finders.findExtractsByProcess(runRef(run), processName, options))
}

/** See {@link ProcessTracker.registerExtractsByLocation}. */
export async function registerExtractsByLocation(
  run: ProcessTracker,
  locationPath: string,
  options: RegisterByLocationOptions = {},
): Promise<ExtractTracker[]> {
  return wrap(run, await byLocation.registerExtractsByLocation(runRef(run), locationPath, options))
}

/**
 * Moves several extracts to one status for the run, in one transaction: all change or none does.
 * For `loading`, a parent that is in the same list does not hold its children back (it moves with
 * them); any other holding parent refuses the whole change.
 *
 * @example
 * ```ts
 * await changeExtractStatuses(run, [teams, players], 'loading') // players may be teams' parent
 * ```
 * @throws ValidationError unless `extracts` is a list of ExtractTrackers; InvalidStatusError for an
 *   unknown status; ExtractDependencyError; RunNotActiveError.
 */
export async function changeExtractStatuses(run: ProcessTracker, extracts: readonly ExtractTracker[], status: string): Promise<void> {
  const ref = runRef(run)
  if (!Array.isArray(extracts) || !extracts.every((extract) => extract instanceof ExtractTracker)) {
    throw new ValidationError('extracts must be a list of ExtractTrackers.', { field: 'extracts' })
  }
  if (typeof status !== 'string') throw new InvalidStatusError(`${String(status)} is not a valid extract status type.`, { status })
  const unique = [...new Map(extracts.map((extract) => [extract.extractId, extract])).values()]
  await writeStatuses(
    ref,
    unique.map((extract) => ({ extractId: extract.extractId, fullFilename: extract.fullFilename })),
    status,
    { batch: true },
  )
  for (const extract of extracts) extract.recordStatus(status)
}
