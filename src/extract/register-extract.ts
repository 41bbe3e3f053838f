import { sql } from 'kysely'
import { recordRunning } from '../lineage/record.ts'
import { prepare, type Slots } from '../store/prepared.ts'
import type { Tx } from '../store/transaction.ts'
import { activeStatusIds } from '../tracker/predicates.ts'
import { LOOKUP, findId, requireId } from '../tracker/lookup-ids.ts'
import { lockRun } from '../tracker/run-transitions.ts'
import { joinFullFilename, selectExtracts, toExtractRecord, type ExtractRecord } from './extract-record.ts'
import { INITIALIZING, LOADING, checkLoadingAllowed, linkToRun, requireExtractStatus, writeStatusChange } from './extract-status.ts'
import type { FileSize } from './file-size.ts'
import { deriveType, findFileTypeByCode, requireCompressionType, requireFileType, type FileTypeRef } from './file-type.ts'
import type { CanonicalLocation } from './location-path.ts'
import { resolveLocation, type LocationRecord } from './location-store.ts'
import { selectWhileRunActive } from './run-guard.ts'
import { sha256Hex } from './sha256.ts'
import { insertHistoryFrom, insertRunLinksFrom, type EventRowValues } from './event-rows.ts'

/** Register options after validation. Undefined means "not given": derived values never overwrite. */
export interface ValidRegistration {
  filename: string
  location: { record: LocationRecord } | { canonical: CanonicalLocation; name: string | undefined }
  status: string | undefined
  filetype: string | undefined
  compressionType: string | undefined
  fileSize: FileSize | undefined
}

/**
 * Registers an extract for a run, or links the existing one (same location and filename) to it.
 *
 * A new extract takes five statements at a remembered location: BEGIN; one INSERT … SELECT that
 * creates the row only while the run is active and says whether it did; the (extract, run) link;
 * the history row; COMMIT. When nothing was inserted, the run is locked (which throws
 * RunNotActiveError for an ended run) and the existing extract is read, its explicit attributes
 * overwritten, and its status changed only when one is given (with the `loading` rule); otherwise
 * it is linked to the run with its status unchanged. Registering straight into `loading` locks the
 * run first, as a claim does. Every lookup that can refuse (status, file type, compression, size
 * unit, location name) runs before the extract is written, and the caller's transaction leaves
 * nothing behind when anything throws.
 *
 * On PostgreSQL the insert, the link and the history row are one built-once statement
 * ({@link REGISTER_NEW}), so a new extract takes three statements (BEGIN, it, COMMIT).
 */
export async function registerExtract(tx: Tx, processTrackingId: number, input: ValidRegistration, at: Date): Promise<ExtractRecord> {
  const statusName = input.status ?? INITIALIZING
  let locked = false
  if (statusName === LOADING) {
    await lockRun(tx, processTrackingId)
    locked = true
  }
  const statusId = await requireExtractStatus(tx, statusName)
  const derived = deriveType(input.filename)
  let filetype: FileTypeRef | null = null
  if (input.filetype !== undefined) filetype = await requireFileType(tx, input.filetype)
  else if (derived.filetypeCode !== null) filetype = (await findFileTypeByCode(tx, derived.filetypeCode)) ?? null
  let compression: { id: number; name: string } | null = null
  if (input.compressionType !== undefined) {
    compression = { id: await requireCompressionType(tx, input.compressionType), name: input.compressionType }
  } else if (derived.compressionType !== null) {
    const id = await findId(tx, LOOKUP.compressionType, derived.compressionType)
    compression = id === undefined ? null : { id, name: derived.compressionType }
  }
  const fileSizeTypeId = input.fileSize ? await requireId(tx, LOOKUP.filesizeType, input.fileSize.unit) : null
  const location =
    'record' in input.location ? input.location.record : await resolveLocation(tx, input.location.canonical, input.location.name)
  const user = tx.ctx.auditUser

  const row = {
    extract_filename: input.filename,
    extract_filename_hash: sha256Hex(input.filename),
    extract_location_id: location.locationId,
    extract_status_id: statusId,
    extract_registration_date_time: at,
    extract_compression_type_id: compression?.id ?? null,
    extract_filetype_id: filetype?.id ?? null,
    extract_filesize: input.fileSize?.amount ?? null,
    extract_filesize_type_id: fileSizeTypeId,
    extract_claim_process_tracking_id: statusName === LOADING ? processTrackingId : null,
    created_by: user,
    updated_by: user,
  }
  const newId =
    tx.ctx.adapter.dialect === 'postgresql'
      ? await registerNewOnPostgres(tx, processTrackingId, row)
      : await insertNew(tx, processTrackingId, row, at)
  if (newId !== undefined) {
    return {
      extractId: newId,
      filename: input.filename,
      location,
      status: statusName,
      filetype: filetype?.code ?? null,
      compressionType: compression?.name ?? null,
      fileSize: input.fileSize ?? null,
      registrationDateTime: at,
      writeLowDateTime: null,
      writeHighDateTime: null,
      writeRecordCount: null,
      loadLowDateTime: null,
      loadHighDateTime: null,
      loadRecordCount: null,
    }
  }

  // Nothing inserted: the extract exists, or the run has ended (then this throws).
  if (!locked) await lockRun(tx, processTrackingId)
  const stored = await selectExtracts(tx.db)
    .where('e.extract_location_id', '=', location.locationId)
    .where('e.extract_filename_hash', '=', sha256Hex(input.filename))
    .executeTakeFirst()
  if (!stored) throw new Error(`extract ${input.filename} at location ${location.locationId} vanished after insert`)
  const record = toExtractRecord(stored)
  if (input.status === LOADING) {
    await checkLoadingAllowed(tx, [
      { extractId: record.extractId, fullFilename: joinFullFilename(record.location.locationPath, record.filename) },
    ])
  }
  const changes: {
    extract_filetype_id?: number
    extract_compression_type_id?: number
    extract_filesize?: number
    extract_filesize_type_id?: number
  } = {}
  if (input.filetype !== undefined && filetype) {
    changes.extract_filetype_id = filetype.id
    record.filetype = filetype.code
  }
  if (input.compressionType !== undefined && compression) {
    changes.extract_compression_type_id = compression.id
    record.compressionType = compression.name
  }
  if (input.fileSize && fileSizeTypeId !== null) {
    changes.extract_filesize = input.fileSize.amount
    changes.extract_filesize_type_id = fileSizeTypeId
    record.fileSize = input.fileSize
  }
  if (Object.keys(changes).length > 0) {
    await tx.db
      .updateTable('extract_tracking')
      .set({ ...changes, update_date_time: at, updated_by: user })
      .where('extract_id', '=', record.extractId)
      .execute()
  }
  if (input.status !== undefined) {
    await writeStatusChange(tx, processTrackingId, [record.extractId], { id: statusId, name: statusName }, at)
    record.status = statusName
  } else {
    await linkToRun(tx, processTrackingId, [{ extractId: record.extractId, statusId: Number(stored.extract_status_id) }], at)
  }
  return record
}

/** The new extract's row, as registerExtract writes it. */
type NewExtractRow = {
  extract_filename: string
  extract_filename_hash: string
  extract_location_id: number
  extract_status_id: number
  extract_registration_date_time: Date
  extract_compression_type_id: number | null
  extract_filetype_id: number | null
  extract_filesize: number | null
  extract_filesize_type_id: number | null
  extract_claim_process_tracking_id: number | null
  created_by: string
  updated_by: string
}

/** Inserts the extract while the run is active, then its link and history row; its id, or undefined when nothing was inserted. */
async function insertNew(tx: Tx, processTrackingId: number, row: NewExtractRow, at: Date): Promise<number | undefined> {
  const user = row.created_by
  const statusId = row.extract_status_id
  const newId = await tx.ctx.adapter.insertIgnoringReturningId(
    tx.db
      .insertInto('extract_tracking')
      // Columns and selected values come from the same object, so they line up.
      .columns(Object.keys(row) as (keyof typeof row)[])
      .expression(selectWhileRunActive(tx, processTrackingId, row)),
    'extract_id',
  )
  if (newId === undefined) return undefined
  await linkToRun(tx, processTrackingId, [{ extractId: newId, statusId }], at)
  await tx.db
    .insertInto('extract_status_history')
    .values({
      extract_id: newId,
      process_tracking_id: processTrackingId,
      extract_status_id: statusId,
      event_date_time: at,
      created_by: user,
      updated_by: user,
    })
    .execute()
  return newId
}

type RegisterValues = NewExtractRow & { processTrackingId: number }

/** The columns of the new extract's row, in the order both the INSERT and its SELECT list them. */
const NEW_EXTRACT_COLUMNS = [
  'extract_filename',
  'extract_filename_hash',
  'extract_location_id',
  'extract_status_id',
  'extract_registration_date_time',
  'extract_compression_type_id',
  'extract_filetype_id',
  'extract_filesize',
  'extract_filesize_type_id',
  'extract_claim_process_tracking_id',
  'created_by',
  'updated_by',
] as const

/**
 * PostgreSQL: a new extract as one data-modifying CTE — the guarded INSERT … SELECT (a row only
 * while the run is active; nothing on a duplicate), its (extract, run) link and its history row,
 * both reading the inserted row, so all three are written or none. Returns the new id.
 */
const REGISTER_NEW = prepare((db, p: Slots<RegisterValues>) => {
  // Link and history take their values from the inserted row: one binding each.
  const values: EventRowValues = {
    processTrackingId: sql<number>`cast(${p.processTrackingId} as integer)`,
    statusId: sql.ref<number>('n.extract_status_id'),
    at: sql.ref<Date>('n.extract_registration_date_time'),
    createdBy: sql.ref<string>('n.created_by'),
    updatedBy: sql.ref<string>('n.updated_by'),
  }
  const registered = db
    .with('n', (qb) =>
      qb
        .insertInto('extract_tracking')
        .columns([...NEW_EXTRACT_COLUMNS])
        .expression((eb) =>
          eb
            .selectFrom('process_tracking as guard_run')
            .select(NEW_EXTRACT_COLUMNS.map((column) => sql`${p[column]}`.as(column)))
            .where('guard_run.process_tracking_id', '=', p.processTrackingId)
            .where('guard_run.process_status_id', 'in', activeStatusIds(db)),
        )
        .onConflict((oc) => oc.doNothing())
        .returning(['extract_id', 'extract_status_id', 'extract_registration_date_time', 'created_by', 'updated_by']),
    )
    .with('l', (qb) => insertRunLinksFrom(qb, 'n', values, 'nothing'))
  return insertHistoryFrom(registered, 'n', values).returning('extract_id')
})

/** {@link REGISTER_NEW}, then what linkToRun does after a link: lineage's throttled RUNNING. */
async function registerNewOnPostgres(tx: Tx, processTrackingId: number, row: NewExtractRow): Promise<number | undefined> {
  const [inserted] = await REGISTER_NEW.rows(tx, { ...row, processTrackingId })
  if (inserted === undefined) return undefined
  await recordRunning(tx, processTrackingId)
  return Number(inserted.extract_id)
}
