import { InvalidStatusError, ValidationError } from '../errors.ts'
import { transaction } from '../store/transaction.ts'
import { lockRun } from '../tracker/run-transitions.ts'
import type { ProcessTracker } from '../tracker/process-tracker.ts'
import { LOADING, checkLoadingAllowed, requireExtractStatus, writeStatusChange } from './extract-status.ts'
import { ExtractTracker } from './extract-tracker.ts'
import { runRef } from './run-context.ts'

/**
 * The extract methods of a run, as functions taking the run first: `ProcessTracker` delegates to
 * them (`run.claimExtracts(options)` is `claimExtracts(run, options)`).
 */
export { claimExtracts, type ClaimOptions } from './claim-extracts.ts'
export {
  findExtractsByFilename,
  findExtractsByLocation,
  findExtractsByProcess,
  type LocationFilter,
  type StatusFilter,
} from './extract-finders.ts'
export { registerExtractsByLocation, type RegisterByLocationOptions, type RegisterProgress } from './register-by-location.ts'

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
  const { ctx, processTrackingId } = runRef(run)
  if (!Array.isArray(extracts) || !extracts.every((extract) => extract instanceof ExtractTracker)) {
    throw new ValidationError('extracts must be a list of ExtractTrackers.', { field: 'extracts' })
  }
  if (typeof status !== 'string') throw new InvalidStatusError(`${String(status)} is not a valid extract status type.`, { status })
  const unique = [...new Map(extracts.map((extract) => [extract.extractId, extract])).values()]
  await transaction(ctx, async (tx) => {
    await lockRun(tx, processTrackingId)
    const statusId = await requireExtractStatus(tx, status)
    if (unique.length === 0) return
    if (status === LOADING) {
      await checkLoadingAllowed(
        tx,
        unique.map((extract) => ({ extractId: extract.extractId, fullFilename: extract.fullFilename })),
        new Set(unique.map((extract) => extract.extractId)),
      )
    }
    await writeStatusChange(
      tx,
      processTrackingId,
      unique.map((extract) => extract.extractId),
      { id: statusId, name: status },
      new Date(),
    )
  })
  for (const extract of extracts) extract.recordStatus(status)
}
