/**
 * The writes of extracts for a run: registration, status changes, dependencies, date ranges and
 * record counts. Functions of a run (context and tracking id) and extract ids that return records;
 * the public `ExtractTracker` checks arguments, calls these and remembers what they return.
 */
import { NotFoundError } from '../errors.ts'
import { single, transaction } from '../store/transaction.ts'
import { toDate } from '../store/values.ts'
import { widenHigh, widenLow } from '../tracker/predicates.ts'
import { lockRun } from '../tracker/run-transitions.ts'
import { addExtractDependency } from './extract-dependency.ts'
import { SELECT_EXTRACT_BY_ID, toExtractRecord, type ExtractRecord } from './extract-record.ts'
import { LOADING, changeStatusAlone, checkLoadingAllowed, requireExtractStatus, writeStatusChange } from './extract-status.ts'
import { registerExtract, registerNewAlone, type ValidRegistration } from './register-extract.ts'
import type { RunRef } from './run-context.ts'

/** Which side of an extract's life a date range or record count describes. */
export type AuditType = 'write' | 'load'

/**
 * Registers extracts for the run in one transaction: all are registered or none is. A single new
 * extract on PostgreSQL is one statement without a transaction when it can be ({@link registerNewAlone}).
 */
export async function registerExtracts(run: RunRef, inputs: readonly ValidRegistration[]): Promise<ExtractRecord[]> {
  const now = new Date()
  const [only] = inputs
  if (only !== undefined && inputs.length === 1) {
    const alone = await single(run.ctx, () => registerNewAlone(run.ctx, run.processTrackingId, only, now))
    if (alone) return [alone]
  }
  return transaction(run.ctx, async (tx) => {
    const registered: ExtractRecord[] = []
    for (const input of inputs) registered.push(await registerExtract(tx, run.processTrackingId, input, now))
    return registered
  })
}

/** An extract by id. @throws NotFoundError when there is none. */
export async function readExtract(run: RunRef, extractId: number): Promise<ExtractRecord> {
  const [row] = await single(run.ctx, () => SELECT_EXTRACT_BY_ID.rows(run.ctx, { extractId }))
  if (!row) throw new NotFoundError(`There is no extract with extractId ${extractId}.`, { topic: 'extract', name: extractId })
  return toExtractRecord(row)
}

/**
 * Moves extracts to a status for the run, in one transaction. For `loading` (which claims the
 * extracts for the run) the run is locked, so that its failing is ordered with the claim, and a
 * parent among `extracts` does not hold its children back; any other status needs only the "run
 * is active" guard carried by the update (a single extract) or the run lock (a batch). A single
 * extract on PostgreSQL is one statement without a transaction when it can be ({@link changeStatusAlone}).
 */
export async function changeExtractStatuses(
  run: RunRef,
  extracts: readonly { extractId: number; fullFilename: string }[],
  status: string,
  options: { batch: boolean },
): Promise<void> {
  const [only] = extracts
  if (!options.batch && only !== undefined && extracts.length === 1 && (await changeStatusAlone(run, only.extractId, status))) return
  await transaction(run.ctx, async (tx) => {
    const loading = status === LOADING
    if (options.batch) await lockRun(tx, run.processTrackingId)
    const statusId = await requireExtractStatus(tx, status)
    if (extracts.length === 0) return
    if (loading) {
      if (!options.batch) await lockRun(tx, run.processTrackingId)
      await checkLoadingAllowed(tx, extracts, options.batch ? new Set(extracts.map((extract) => extract.extractId)) : undefined)
    }
    await writeStatusChange(
      tx,
      run.processTrackingId,
      extracts.map((extract) => extract.extractId),
      { id: statusId, name: status },
      new Date(),
      options.batch ? undefined : { guarded: !loading },
    )
  })
}

/** Records that `parentId` must be loaded before `childId`. */
export async function addDependency(run: RunRef, parentId: number, childId: number): Promise<void> {
  await transaction(run.ctx, async (tx) => {
    await lockRun(tx, run.processTrackingId)
    await addExtractDependency(tx, parentId, childId)
  })
}

/** Widens the extract's write or load range and returns the range now stored. */
export async function widenExtractDates(
  run: RunRef,
  extractId: number,
  auditType: AuditType,
  low: Date | undefined,
  high: Date | undefined,
): Promise<{ low: Date | null; high: Date | null }> {
  const lowColumn = auditType === 'write' ? 'extract_write_low_date_time' : 'extract_load_low_date_time'
  const highColumn = auditType === 'write' ? 'extract_write_high_date_time' : 'extract_load_high_date_time'
  const row = await transaction(run.ctx, async (tx) => {
    await lockRun(tx, run.processTrackingId)
    if (low !== undefined || high !== undefined) {
      await tx.db
        .updateTable('extract_tracking')
        .set({
          ...(low ? { [lowColumn]: widenLow(lowColumn, low) } : {}),
          ...(high ? { [highColumn]: widenHigh(highColumn, high) } : {}),
          update_date_time: new Date(),
          updated_by: run.ctx.auditUser,
        })
        .where('extract_id', '=', extractId)
        .execute()
    }
    return tx.db
      .selectFrom('extract_tracking')
      .select([`${lowColumn} as low`, `${highColumn} as high`])
      .where('extract_id', '=', extractId)
      .executeTakeFirstOrThrow()
  })
  return { low: toDate(row.low), high: toDate(row.high) }
}

/** Sets the extract's write or load record count. */
export async function setExtractRecordCount(run: RunRef, extractId: number, auditType: AuditType, count: number): Promise<void> {
  const column = auditType === 'write' ? 'extract_write_record_count' : 'extract_load_record_count'
  await transaction(run.ctx, async (tx) => {
    await lockRun(tx, run.processTrackingId)
    await tx.db
      .updateTable('extract_tracking')
      .set({ [column]: count, update_date_time: new Date(), updated_by: run.ctx.auditUser })
      .where('extract_id', '=', extractId)
      .execute()
  })
}
