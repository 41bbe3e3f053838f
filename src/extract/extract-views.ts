import { InvalidStatusError, NotFoundError } from '../errors.ts'
import type { StoreContext } from '../store/context.ts'
import { single, Tx } from '../store/transaction.ts'
import { toNumberOrNull } from '../store/values.ts'
import { LOOKUP, findId } from '../tracker/lookup-ids.ts'
import { requireProcessId } from '../tracker/run-views.ts'
import { checkPageLimit } from '../tracker/paging.ts'
import { checkId, checkName, checkPlainObject } from '../tracker/validation.ts'
import { checkNeedle, extractIdsOfProcess } from './extract-finders.ts'
import { joinFullFilename, selectExtracts, toExtractRecord, type ExtractQuery } from './extract-record.ts'
import type { FileSize } from './file-size.ts'
import { containsLiteral } from '../store/like-pattern.ts'
import { canonicalLocation, type LocationType } from './location-path.ts'
import { findLocationIdByName, findLocationIdByPath } from './location-store.ts'

/** An extract as the CLI and the HTTP API show it (http.md "EXTRACT"). */
export interface ExtractView {
  extractId: number
  filename: string
  /** The location path and the filename joined by one `/`. */
  fullFilename: string
  status: string
  location: { locationId: number; locationName: string; locationPath: string; locationType: LocationType; bucketName: string | null }
  filetype: string | null
  compressionType: string | null
  fileSize: FileSize | null
  writeRecordCount: number | null
  loadRecordCount: number | null
  writeLowDateTime: Date | null
  writeHighDateTime: Date | null
  loadLowDateTime: Date | null
  loadHighDateTime: Date | null
  /** The run that made the extract's latest status change (its newest history entry); null when none did. */
  lastChangedByTrackingId: number | null
}

/** Options of `store.listExtracts`; all given filters must hold. */
export interface ListExtractsOptions {
  /** Canonicalised as everywhere; wins over `locationName`. An unknown location is a NotFoundError. */
  locationPath?: string
  locationName?: string
  /** A literal, case-sensitive substring of the filename. */
  filename?: string
  /** Extracts any run of this process registered, claimed or changed. An unknown process is a NotFoundError. */
  processName?: string
  /** The current status; an unknown one is an InvalidStatusError. */
  status?: string
  /** 1–1000, default 50. */
  limit?: number
  /** Page backwards: only extracts with a smaller extractId (the last one of the previous page). */
  beforeExtractId?: number
}

function withLastChange(query: ExtractQuery) {
  return query.select((eb) =>
    eb
      .selectFrom('extract_status_history as h')
      .select('h.process_tracking_id')
      .whereRef('h.extract_id', '=', 'e.extract_id')
      .orderBy('h.extract_status_history_id', 'desc')
      .limit(1)
      .as('last_changed_by'),
  )
}

type ViewRow = Awaited<ReturnType<ReturnType<typeof withLastChange>['executeTakeFirstOrThrow']>>

function toExtractView(row: ViewRow): ExtractView {
  const record = toExtractRecord(row)
  const { fileCount: _fileCount, ...location } = record.location
  return {
    extractId: record.extractId,
    filename: record.filename,
    fullFilename: joinFullFilename(record.location.locationPath, record.filename),
    status: record.status,
    location,
    filetype: record.filetype,
    compressionType: record.compressionType,
    fileSize: record.fileSize,
    writeRecordCount: record.writeRecordCount,
    loadRecordCount: record.loadRecordCount,
    writeLowDateTime: record.writeLowDateTime,
    writeHighDateTime: record.writeHighDateTime,
    loadLowDateTime: record.loadLowDateTime,
    loadHighDateTime: record.loadHighDateTime,
    lastChangedByTrackingId: toNumberOrNull(row.last_changed_by),
  }
}

/** Applies the filters, resolving names first so an unknown one is an error rather than an empty page. */
async function filtered(tx: Tx, opts: Record<string, unknown>): Promise<ExtractQuery> {
  let query = selectExtracts(tx.db)
  if (opts.locationPath !== undefined) {
    const path = canonicalLocation(checkName(opts.locationPath, 'locationPath', 2048)).path
    const id = await findLocationIdByPath(tx, path)
    if (id === undefined) throw new NotFoundError(`There is no location at ${path}.`, { topic: 'location', name: path })
    query = query.where('e.extract_location_id', '=', id)
  } else if (opts.locationName !== undefined) {
    const name = checkName(opts.locationName, 'locationName', 750)
    const id = await findLocationIdByName(tx.db, name)
    if (id === undefined) throw new NotFoundError(`The location ${name} does not exist.`, { topic: 'location', name })
    query = query.where('e.extract_location_id', '=', id)
  }
  if (opts.filename !== undefined) query = query.where(containsLiteral('e.extract_filename', checkNeedle(opts.filename)))
  if (opts.processName !== undefined) {
    const name = checkName(opts.processName, 'processName')
    await requireProcessId(tx, name)
    query = query.where('e.extract_id', 'in', extractIdsOfProcess(tx, name))
  }
  if (opts.status !== undefined) {
    const status = checkName(opts.status, 'status')
    const id = await findId(tx, LOOKUP.extractStatus, status)
    if (id === undefined) throw new InvalidStatusError(`${status} is not a valid extract status type.`, { status })
    query = query.where('e.extract_status_id', '=', id)
  }
  return query
}

/** Extracts matching every given filter, newest first (by extractId); no filter means every extract. */
export function listExtracts(ctx: StoreContext, options: ListExtractsOptions = {}): Promise<ExtractView[]> {
  const opts = checkPlainObject(options, 'options')
  const limit = checkPageLimit(opts.limit)
  const before = opts.beforeExtractId === undefined ? undefined : checkId(opts.beforeExtractId, 'beforeExtractId')
  return single(ctx, async (db) => {
    const tx = new Tx(db, ctx)
    let query = await filtered(tx, opts)
    tx.publish()
    if (before !== undefined) query = query.where('e.extract_id', '<', before)
    const rows = await withLastChange(query).orderBy('e.extract_id', 'desc').limit(limit).execute()
    return rows.map(toExtractView)
  })
}

/** One extract as an {@link ExtractView}; an unknown id is a NotFoundError. */
export async function getExtract(ctx: StoreContext, extractId: number): Promise<ExtractView> {
  const id = checkId(extractId, 'extractId')
  const row = await single(ctx, (db) => withLastChange(selectExtracts(db).where('e.extract_id', '=', id)).executeTakeFirst())
  if (!row) throw new NotFoundError(`There is no extract with extractId ${id}.`, { topic: 'extract', name: id })
  return toExtractView(row)
}
