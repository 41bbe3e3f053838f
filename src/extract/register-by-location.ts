import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { NotFoundError, ValidationError } from '../errors.ts'
import { transaction, type Tx } from '../store/transaction.ts'
import { LOOKUP, findId } from '../tracker/lookup-ids.ts'
import { lockRun } from '../tracker/run-transitions.ts'
import type { ProcessTracker } from '../tracker/process-tracker.ts'
import { checkOptionalName, checkPlainObject } from '../tracker/validation.ts'
import { selectExtracts, toExtractRecord, type ExtractRecord } from './extract-record.ts'
import { CHUNK, READY, chunks, linkToRun, requireExtractStatus } from './extract-status.ts'
import { ExtractTracker, checkFilename } from './extract-tracker.ts'
import { deriveType, findFileTypeByCode } from './file-type.ts'
import { canonicalLocation } from './location-path.ts'
import { rememberFileCount, resolveLocation, type LocationRecord } from './location-store.ts'
import { listS3Filenames } from './s3-client.ts'
import { runRef } from './run-context.ts'
import { sha256Hex } from './sha256.ts'

/** Progress of {@link registerExtractsByLocation}: files registered so far, of all listed. */
export interface RegisterProgress {
  done: number
  total: number
}

/** Options of {@link registerExtractsByLocation}. */
export interface RegisterByLocationOptions {
  /** Used when the location is registered by this call; derived from the path when absent. */
  locationName?: string
  /** Called after each committed batch (and once for an empty location). */
  onProgress?: (progress: RegisterProgress) => void
}

/** Files per transaction: big enough to amortise commits, small enough to keep locks short. */
const BATCH = CHUNK

/**
 * Registers the files directly in a local folder (regular files, dotfiles included; no folders) or
 * under an S3 prefix (listed with delimiter `/`; keys ending in `/` skipped) as `ready` extracts of
 * the run. Files already registered are linked to the run with their status unchanged. The
 * location's file count becomes the number of files listed. Work is committed in batches of 500,
 * each reported through `onProgress`; a failure leaves the earlier batches committed.
 *
 * @example
 * ```ts
 * const files = await registerExtractsByLocation(run, 's3://lahman/core/', {
 *   onProgress: ({ done, total }) => console.log(`${done}/${total}`),
 * })
 * ```
 * @throws ValidationError for a malformed path; NotFoundError for a missing folder or bucket;
 *   ConfigError when S3 cannot be read; RunNotActiveError.
 */
export async function registerExtractsByLocation(
  run: ProcessTracker,
  locationPath: string,
  options: RegisterByLocationOptions = {},
): Promise<ExtractTracker[]> {
  const { ctx, processTrackingId } = runRef(run)
  const canonical = canonicalLocation(locationPath)
  const opts = checkPlainObject(options, 'options')
  const locationName = checkOptionalName(opts.locationName, 'locationName')
  const onProgress = opts.onProgress
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new ValidationError('onProgress must be a function.', { field: 'onProgress' })
  }
  const report = onProgress as RegisterByLocationOptions['onProgress']

  const filenames = canonical.type === 's3' ? await listS3Filenames(canonical.bucket ?? '', canonical.prefix ?? '') : await listLocalFiles(canonical.path)
  for (const filename of filenames) checkFilename(filename)
  const total = filenames.length
  const records: ExtractRecord[] = []
  let location: LocationRecord | undefined
  const batches = total === 0 ? [[]] : chunks(filenames, BATCH)
  for (const [index, batch] of batches.entries()) {
    const last = index === batches.length - 1
    const known = location
    const result = await transaction(ctx, async (tx) => {
      await lockRun(tx, processTrackingId)
      const where = known ?? (await resolveLocation(tx, canonical, locationName))
      const registered = await registerBatch(tx, processTrackingId, where, batch, new Date())
      if (last) {
        await tx.db
          .updateTable('location_lkup')
          .set({ location_file_count: total, update_date_time: new Date(), updated_by: ctx.auditUser })
          .where('location_id', '=', where.locationId)
          .execute()
      }
      return { location: where, registered }
    })
    location = result.location
    records.push(...result.registered)
    report?.({ done: records.length, total })
  }
  if (location) rememberFileCount(ctx, location.locationId, total)
  const counted = location ? { ...location, fileCount: total } : undefined
  return records.map((record) => ExtractTracker.fromRecord(run, counted ? { ...record, location: counted } : record))
}

/** The regular files directly in a folder (symlinks to regular files count), sorted by name. */
async function listLocalFiles(folder: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(folder, { withFileTypes: true })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'ENOENT') throw new NotFoundError(`The folder ${folder} does not exist. Check the location path.`, { topic: 'folder', name: folder })
    if (code === 'ENOTDIR') throw new ValidationError(`${folder} is a file, not a folder: give the folder that holds the extracts.`, { field: 'locationPath' })
    throw new ValidationError(`Cannot list the folder ${folder}: ${error instanceof Error ? error.message : String(error)}.`, { field: 'locationPath' })
  }
  const names: string[] = []
  for (const entry of entries) {
    if (entry.isFile()) names.push(entry.name)
    else if (entry.isSymbolicLink()) {
      const target = await stat(path.join(folder, entry.name)).catch(() => undefined)
      if (target?.isFile()) names.push(entry.name)
    }
  }
  return names.sort()
}

/**
 * One batch: reads which files are registered, inserts the others as `ready` (with their file type
 * and compression derived from the extension), links every file to the run (existing ones with
 * their status unchanged) and records the new ones' first status. Returns the files in batch order.
 */
async function registerBatch(tx: Tx, processTrackingId: number, location: LocationRecord, filenames: string[], at: Date): Promise<ExtractRecord[]> {
  if (filenames.length === 0) return []
  const readyId = await requireExtractStatus(tx, READY)
  const hashes = filenames.map((filename) => sha256Hex(filename))
  const selectByHash = (wanted: string[]) =>
    selectExtracts(tx.db).where('e.extract_location_id', '=', location.locationId).where('e.extract_filename_hash', 'in', wanted).execute()
  const byName = new Map<string, ExtractRecord>()
  const statusIds = new Map<number, number>()
  for (const row of await selectByHash(hashes)) {
    const record = toExtractRecord(row)
    byName.set(record.filename, record)
    statusIds.set(record.extractId, Number(row.extract_status_id))
  }

  const fresh = filenames.filter((filename) => !byName.has(filename))
  const rows = []
  for (const filename of fresh) {
    const derived = deriveType(filename)
    const filetype = derived.filetypeCode === null ? undefined : await findFileTypeByCode(tx, derived.filetypeCode)
    const compressionId = derived.compressionType === null ? undefined : await findId(tx, LOOKUP.compressionType, derived.compressionType)
    rows.push({
      filename,
      filetype: filetype?.code ?? null,
      compressionType: compressionId === undefined ? null : derived.compressionType,
      values: {
        extract_filename: filename,
        extract_filename_hash: sha256Hex(filename),
        extract_location_id: location.locationId,
        extract_status_id: readyId,
        extract_registration_date_time: at,
        extract_filetype_id: filetype?.id ?? null,
        extract_compression_type_id: compressionId ?? null,
        created_by: tx.ctx.auditUser,
        updated_by: tx.ctx.auditUser,
      },
    })
  }
  const created = new Map<string, number>()
  if (rows.length === 0) {
    // Every file of the batch is registered already.
  } else if (tx.ctx.adapter.returnsInsertedRows) {
    // One INSERT per batch; RETURNING names exactly the rows this statement created.
    const returned: { extract_id: number; extract_filename: string }[] = await tx.ctx.adapter
      .insertIgnoringDuplicates(tx.db.insertInto('extract_tracking').values(rows.map((row) => row.values)))
      .returning(['extract_id', 'extract_filename'])
      .execute()
    for (const row of returned) created.set(row.extract_filename, Number(row.extract_id))
  } else {
    // No RETURNING (MySQL): one INSERT IGNORE per file, whose affected-row count says if it created.
    for (const row of rows) {
      const id = await tx.ctx.adapter.insertIgnoringReturningId(tx.db.insertInto('extract_tracking').values(row.values), 'extract_id')
      if (id !== undefined) created.set(row.filename, id)
    }
  }
  for (const row of rows) {
    const extractId = created.get(row.filename)
    if (extractId === undefined) continue
    byName.set(row.filename, {
      extractId,
      filename: row.filename,
      location,
      status: READY,
      filetype: row.filetype,
      compressionType: row.compressionType,
      fileSize: null,
      registrationDateTime: at,
      writeLowDateTime: null,
      writeHighDateTime: null,
      writeRecordCount: null,
      loadLowDateTime: null,
      loadHighDateTime: null,
      loadRecordCount: null,
    })
    statusIds.set(extractId, readyId)
  }
  // Registered by someone else between our read and our insert: read them as they are.
  const raced = fresh.filter((filename) => !byName.has(filename))
  if (raced.length > 0) {
    for (const row of await selectByHash(raced.map((filename) => sha256Hex(filename)))) {
      const record = toExtractRecord(row)
      byName.set(record.filename, record)
      statusIds.set(record.extractId, Number(row.extract_status_id))
    }
  }

  const records = filenames.map((filename) => {
    const record = byName.get(filename)
    if (!record) throw new Error(`extract ${filename} at location ${location.locationId} vanished during registration`)
    return record
  })
  await linkToRun(
    tx,
    processTrackingId,
    records.map((record) => ({ extractId: record.extractId, statusId: statusIds.get(record.extractId) ?? readyId })),
    at,
  )
  const createdIds = [...created.values()]
  if (createdIds.length > 0) {
    await tx.db
      .insertInto('extract_status_history')
      .values(
        createdIds.map((extractId) => ({
          extract_id: extractId,
          process_tracking_id: processTrackingId,
          extract_status_id: readyId,
          event_date_time: at,
          created_by: tx.ctx.auditUser,
          updated_by: tx.ctx.auditUser,
        })),
      )
      .execute()
  }
  return records
}

