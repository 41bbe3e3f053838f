import { sql, type Compilable, type QueryResult } from 'kysely'
import { insertRunningFromCte, recordRunning, runningDue, wroteRunning } from '../lineage/record.ts'
import { prepare, type Slots } from '../store/prepared.ts'
import type { Db } from '../store/dialect/adapter.ts'
import type { StoreContext } from '../store/context.ts'
import { Tx } from '../store/transaction.ts'
import { activeStatusIds } from '../tracker/predicates.ts'
import { LOOKUP, findId, requireId } from '../tracker/lookup-ids.ts'
import { lockRun } from '../tracker/run-transitions.ts'
import { joinFullFilename, selectExtracts, toExtractRecord, type ExtractRecord } from './extract-record.ts'
import { INITIALIZING, LOADING, checkLoadingAllowed, linkToRun, requireExtractStatus, writeStatusChange } from './extract-status.ts'
import type { FileSize } from './file-size.ts'
import { deriveType, findFileTypeByCode, requireCompressionType, requireFileType, type FileTypeRef } from './file-type.ts'
import type { CanonicalLocation } from './location-path.ts'
import { rememberedLocation, resolveLocation, type LocationRecord } from './location-store.ts'
import { sha256Hex } from './sha256.ts'
import { HISTORY_ONE, LINK_ONE, insertHistoryFrom, insertRunLinksFrom, type EventRowValues } from './event-rows.ts'

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
 * ({@link registerNew}), so a new extract takes three statements (BEGIN, it, COMMIT), or that one
 * statement alone ({@link registerNewAlone}).
 */
export async function registerExtract(tx: Tx, processTrackingId: number, input: ValidRegistration, at: Date): Promise<ExtractRecord> {
  const statusName = input.status ?? INITIALIZING
  let locked = false
  if (statusName === LOADING) {
    await lockRun(tx, processTrackingId)
    locked = true
  }
  const { statusId, filetype, compression, fileSizeTypeId } = await lookUp(tx, input, statusName)
  const location =
    'record' in input.location ? input.location.record : await resolveLocation(tx, input.location.canonical, input.location.name)
  const user = tx.ctx.auditUser
  const found: Found = { statusName, statusId, filetype, compression, fileSizeTypeId, location }
  const row = newExtractRow(input, found, processTrackingId, at, user)
  const newId =
    tx.ctx.adapter.dialect === 'postgresql'
      ? await registerNewOnPostgres(tx, processTrackingId, row)
      : await insertNew(tx, processTrackingId, row, at)
  if (newId !== undefined) return newExtractRecord(newId, input, found, at)

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

/**
 * PostgreSQL, one extract, outside any transaction: the one-statement {@link registerNew} commits
 * by itself, so a new extract takes one statement, not three. Only lookups that read (answered from
 * memory once seen) run before it, and only when the location is known to this store. With lineage
 * on, the run's throttled RUNNING is one more CTE of the statement when it is due, so the event
 * costs no round trip and commits with the extract. Undefined, with nothing written, when this does
 * not apply or nothing was inserted (a known extract, an ended run): the caller then takes the
 * transaction.
 */
export async function registerNewAlone(
  ctx: StoreContext,
  processTrackingId: number,
  input: ValidRegistration,
  at: Date,
): Promise<ExtractRecord | undefined> {
  if (ctx.adapter.dialect !== 'postgresql' || input.status === LOADING) return undefined
  // Not a transaction: each read commits by itself, and nothing is written before the insert.
  const reads = new Tx(ctx.db, ctx)
  const location = 'record' in input.location ? input.location.record : rememberedLocation(reads, input.location.canonical)
  if (location === undefined) return undefined
  const statusName = input.status ?? INITIALIZING
  const found: Found = { statusName, location, ...(await lookUp(reads, input, statusName)) }
  const running = runningDue(ctx, processTrackingId)
  const [inserted] = await REGISTER_NEW[running ? 'withRunning' : 'plain'].rows(ctx, {
    ...newExtractRow(input, found, processTrackingId, at, ctx.auditUser),
    processTrackingId,
    namespace: ctx.lineage?.config.namespace ?? '',
  })
  if (inserted === undefined) return undefined
  if (Number(inserted.running) > 0) wroteRunning(ctx, processTrackingId)
  return newExtractRecord(Number(inserted.extract_id), input, found, at)
}

/** What a registration's names resolve to. */
interface Found {
  statusName: string
  statusId: number
  filetype: FileTypeRef | null
  compression: { id: number; name: string } | null
  fileSizeTypeId: number | null
  location: LocationRecord
}

/** The lookups that can refuse a registration (status, file type, compression, size unit): reads only. */
async function lookUp(tx: Tx, input: ValidRegistration, statusName: string): Promise<Omit<Found, 'statusName' | 'location'>> {
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
  return { statusId, filetype, compression, fileSizeTypeId }
}

function newExtractRow(input: ValidRegistration, found: Found, processTrackingId: number, at: Date, user: string): NewExtractRow {
  return {
    extract_filename: input.filename,
    extract_filename_hash: sha256Hex(input.filename),
    extract_location_id: found.location.locationId,
    extract_status_id: found.statusId,
    extract_registration_date_time: at,
    extract_compression_type_id: found.compression?.id ?? null,
    extract_filetype_id: found.filetype?.id ?? null,
    extract_filesize: input.fileSize?.amount ?? null,
    extract_filesize_type_id: found.fileSizeTypeId,
    extract_claim_process_tracking_id: found.statusName === LOADING ? processTrackingId : null,
    created_by: user,
    updated_by: user,
  }
}

function newExtractRecord(extractId: number, input: ValidRegistration, found: Found, at: Date): ExtractRecord {
  return {
    extractId,
    filename: input.filename,
    location: found.location,
    status: found.statusName,
    filetype: found.filetype?.code ?? null,
    compressionType: found.compression?.name ?? null,
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

/**
 * MySQL and SQLite: inserts the extract while the run is active (built once, {@link INSERT_NEW}),
 * then its link and history row; its id, or undefined when nothing was inserted.
 */
async function insertNew(tx: Tx, processTrackingId: number, row: NewExtractRow, at: Date): Promise<number | undefined> {
  const result = await INSERT_NEW.execute(tx, { ...row, processTrackingId })
  const newId = insertedId(result)
  if (newId === undefined) return undefined
  const event = { extractId: newId, processTrackingId, statusId: row.extract_status_id, at, auditUser: row.created_by }
  await LINK_ONE.execute(tx, event)
  await HISTORY_ONE.execute(tx, event)
  await recordRunning(tx, processTrackingId) // lineage: the run's files changed (throttled)
  return newId
}

/** The new extract's id: RETURNING where there is one (SQLite), else the driver's insert id of a row that was inserted (MySQL). */
function insertedId(result: QueryResult<{ extract_id: number }>): number | undefined {
  const row = result.rows[0]
  if (row !== undefined) return Number(row.extract_id)
  return Number(result.numAffectedRows ?? 0n) > 0 && result.insertId !== undefined ? Number(result.insertId) : undefined
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

/** The guarded source of a new extract's row: the row, only while the run is active. */
const whileRunActive = (db: Db, p: Slots<RegisterValues>) =>
  db
    .selectFrom('process_tracking as guard_run')
    .select(NEW_EXTRACT_COLUMNS.map((column) => sql`${p[column]}`.as(column)))
    .where('guard_run.process_tracking_id', '=', p.processTrackingId)
    .where('guard_run.process_status_id', 'in', activeStatusIds(db))

/**
 * MySQL and SQLite: the guarded INSERT … SELECT of a new extract, skipping a duplicate (same
 * location and filename), RETURNING its id where the dialect can.
 */
const INSERT_NEW = prepare((db, p: Slots<RegisterValues>, adapter) => {
  const insert = adapter.insertIgnoringDuplicates(
    db
      .insertInto('extract_tracking')
      .columns([...NEW_EXTRACT_COLUMNS])
      .expression(whileRunActive(db, p)),
  )
  return (adapter.supportsReturning ? insert.returning('extract_id') : insert) as Compilable<{ extract_id: number }>
})

/**
 * PostgreSQL: a new extract as one data-modifying CTE — the guarded INSERT … SELECT (a row only
 * while the run is active; nothing on a duplicate), its (extract, run) link and its history row,
 * both reading the inserted row, so all three are written or none. Returns the new id.
 */
const registerNew = (running: boolean) =>
  prepare((db, p: Slots<RegisterValues & { namespace: string }>, adapter) => {
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
          .expression(whileRunActive(db, p))
          .onConflict((oc) => oc.doNothing())
          .returning(['extract_id', 'extract_status_id', 'extract_registration_date_time', 'created_by', 'updated_by']),
      )
      .with('l', (qb) => insertRunLinksFrom(qb, 'n', values, 'nothing'))
    if (!running) return insertHistoryFrom(registered, 'n', values).returning(['extract_id', sql<number>`0`.as('running')])
    const withRunning = registered.with('o', (qb) =>
      insertRunningFromCte(qb, 'n', values.processTrackingId, sql<string>`cast(${p.namespace} as text)`, adapter),
    )
    return insertHistoryFrom(withRunning, 'n', values).returning(['extract_id', sql<number>`(select count(*) from o)`.as('running')])
  })
/** By whether lineage's throttled RUNNING rides in the statement (lineage on and due). */
const REGISTER_NEW = { plain: registerNew(false), withRunning: registerNew(true) }

/** {@link REGISTER_NEW}, then what linkToRun does after a link: lineage's throttled RUNNING. */
async function registerNewOnPostgres(tx: Tx, processTrackingId: number, row: NewExtractRow): Promise<number | undefined> {
  const [inserted] = await REGISTER_NEW.plain.rows(tx, { ...row, processTrackingId, namespace: '' })
  if (inserted === undefined) return undefined
  await recordRunning(tx, processTrackingId)
  return Number(inserted.extract_id)
}
