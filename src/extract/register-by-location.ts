import { statSync, type Stats } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { sql, type RawBuilder } from 'kysely'
import { NotFoundError, ValidationError } from '../errors.ts'
import type { Dialect } from '../config/connection-spec.ts'
import { transaction, type Tx } from '../store/transaction.ts'
import { toDate } from '../store/values.ts'
import { LOOKUP, findId } from '../tracker/lookup-ids.ts'
import { lockRun } from '../tracker/run-transitions.ts'
import { checkOptionalName, checkPlainObject } from '../tracker/validation.ts'
import { toExtractRecord, type ExtractRecord, type ExtractRow } from './extract-record.ts'
import { CHUNK, READY, chunks, linkToRun, requireExtractStatus } from './extract-status.ts'
import { checkFilename } from './filename.ts'
import { deriveType, findFileTypeByCode } from './file-type.ts'
import { fileFilter } from './glob.ts'
import { canonicalLocation } from './location-path.ts'
import { rememberFileCount, resolveLocation, type LocationRecord } from './location-store.ts'
import { listS3Files } from './s3-client.ts'
import type { RunRef } from './run-context.ts'
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
  /**
   * Since 0.2: only file names matching one of these globs (`*`, `?`, `[…]`) are registered; default
   * every file.
   */
  include?: string[]
  /** Since 0.2: file names matching one of these globs are skipped (exclude wins over include). */
  exclude?: string[]
  /** Called after each committed batch (and once for an empty location). */
  onProgress?: (progress: RegisterProgress) => void
}

/** The history note of a file that came back with another size or modification time. */
export const NEW_DELIVERY_NOTE = 'new delivery: size or modification time changed'

/** Files per transaction: big enough to amortise commits, small enough to keep locks short. */
const BATCH = CHUNK

/** A listed file and what tells one delivery of it from the next. */
interface ListedFile {
  name: string
  size: number | null
  modified: Date | null
  etag: string | null
}

/**
 * Registers the files directly in a local folder (regular files, dotfiles included; no folders) or
 * under an S3 prefix (listed with delimiter `/`; keys ending in `/` skipped) as `ready` extracts of
 * the run, filtered by `include` / `exclude` globs on the file name. Files already registered are
 * linked to the run with their status unchanged — unless their size or modification time (S3: ETag
 * or LastModified) differs from what the last registration recorded: such a **new delivery** moves
 * back to `ready` whatever its status, with a history entry saying so. The location's file count
 * becomes the number of files registered. Work is committed in batches of 500, each reported through
 * `onProgress`; a failure leaves the earlier batches committed.
 *
 * Each batch is one upsert (`INSERT … ON CONFLICT … DO UPDATE … RETURNING`; MySQL: `ON DUPLICATE KEY
 * UPDATE` and one read by the unique key), so registration costs the same per file at 100,000 files
 * as at 100.
 *
 * @example
 * ```ts
 * const files = await registerExtractsByLocation(run, 's3://lahman/core/', {
 *   exclude: ['*.part', '*.tmp'],
 *   onProgress: ({ done, total }) => console.log(`${done}/${total}`),
 * })
 * ```
 * @throws ValidationError for a malformed path, glob or option; NotFoundError for a missing folder
 *   or bucket; ConfigError when S3 cannot be read; RunNotActiveError.
 */
export async function registerExtractsByLocation(
  run: RunRef,
  locationPath: string,
  options: RegisterByLocationOptions = {},
): Promise<ExtractRecord[]> {
  const { ctx, processTrackingId } = run
  const canonical = canonicalLocation(locationPath)
  const opts = checkPlainObject(options, 'options')
  const locationName = checkOptionalName(opts.locationName, 'locationName')
  const onProgress = opts.onProgress
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new ValidationError('onProgress must be a function.', { field: 'onProgress' })
  }
  const report = onProgress as RegisterByLocationOptions['onProgress']
  const keep = fileFilter(checkGlobs(opts.include, 'include'), checkGlobs(opts.exclude, 'exclude'))

  const listed = canonical.type === 's3' ? await listS3(canonical.bucket ?? '', canonical.prefix ?? '') : await listLocalFiles(canonical.path)
  const files = listed.filter((file) => keep(file.name))
  for (const file of files) checkFilename(file.name)
  const total = files.length
  const records: ExtractRecord[] = []
  let location: LocationRecord | undefined
  let names: LookupNames | undefined
  const batches = total === 0 ? [[]] : chunks(files, BATCH)
  for (const [index, batch] of batches.entries()) {
    const last = index === batches.length - 1
    const known = location
    const result = await transaction(ctx, async (tx) => {
      await lockRun(tx, processTrackingId)
      const where = known ?? (await resolveLocation(tx, canonical, locationName))
      names ??= await readLookupNames(tx)
      const registered = await registerBatch(tx, processTrackingId, where, batch, names)
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
  return counted ? records.map((record) => ({ ...record, location: counted })) : records
}

function checkGlobs(value: unknown, field: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((glob) => typeof glob !== 'string' || glob === '')) {
    throw new ValidationError(`${field} must be a list of globs (non-empty strings such as "*.csv").`, { field })
  }
  return value as string[]
}

async function listS3(bucket: string, prefix: string): Promise<ListedFile[]> {
  return (await listS3Files(bucket, prefix)).map((file) => ({ name: file.name, size: file.size, modified: file.lastModified, etag: file.etag }))
}

/** The regular files directly in a folder (symlinks to regular files count), sorted by name. */
async function listLocalFiles(folder: string): Promise<ListedFile[]> {
  let entries
  try {
    entries = await readdir(folder, { withFileTypes: true })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'ENOENT') throw new NotFoundError(`The folder ${folder} does not exist. Check the location path.`, { topic: 'folder', name: folder })
    if (code === 'ENOTDIR') throw new ValidationError(`${folder} is a file, not a folder: give the folder that holds the extracts.`, { field: 'locationPath' })
    throw new ValidationError(`Cannot list the folder ${folder}: ${error instanceof Error ? error.message : String(error)}.`, { field: 'locationPath' })
  }
  const files: ListedFile[] = []
  for (const [i, entry] of entries.entries()) {
    // statSync costs a tenth of an awaited stat per file; yielding every 1,000 files keeps the
    // event loop (heartbeat timers) running through a folder of 100,000.
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve))
    if (!entry.isFile() && !entry.isSymbolicLink()) continue
    // stat follows a symlink: its target's size and time are what a loader reads.
    const info = statOrUndefined(path.join(folder, entry.name))
    if (!info?.isFile()) continue
    files.push({ name: entry.name, size: info.size, modified: new Date(Math.floor(info.mtimeMs)), etag: null })
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** A file's stat, or undefined when it vanished or cannot be read (it is then not listed). */
function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false })
  } catch {
    return undefined
  }
}

/** Names of the lookup ids an upsert returns, read once per call (small tables). */
interface LookupNames {
  status: Map<number, string>
  filetype: Map<number, string>
  compression: Map<number, string>
  sizeUnit: Map<number, string>
}

async function readLookupNames(tx: Tx): Promise<LookupNames> {
  const pairs = async <T extends Record<string, unknown>>(rows: Promise<T[]>, id: keyof T, name: keyof T) =>
    new Map((await rows).map((row) => [Number(row[id]), String(row[name])]))
  return {
    status: await pairs(tx.db.selectFrom('extract_status_lkup').select(['extract_status_id', 'extract_status_name']).execute(), 'extract_status_id', 'extract_status_name'),
    filetype: await pairs(tx.db.selectFrom('extract_filetype_lkup').select(['extract_filetype_id', 'extract_filetype_code']).execute(), 'extract_filetype_id', 'extract_filetype_code'),
    compression: await pairs(
      tx.db.selectFrom('extract_compression_type_lkup').select(['extract_compression_type_id', 'extract_compression_type']).execute(),
      'extract_compression_type_id',
      'extract_compression_type',
    ),
    sizeUnit: await pairs(tx.db.selectFrom('filesize_type_lkup').select(['filesize_type_id', 'filesize_type_code']).execute(), 'filesize_type_id', 'filesize_type_code'),
  }
}

/** The columns an upsert hands back: enough to build the ExtractTracker and to tell what happened. */
const RETURNED = [
  'extract_id',
  'extract_filename',
  'extract_status_id',
  'extract_registration_date_time',
  'extract_write_low_date_time',
  'extract_write_high_date_time',
  'extract_write_record_count',
  'extract_load_low_date_time',
  'extract_load_high_date_time',
  'extract_load_record_count',
  'extract_filesize',
  'extract_filesize_type_id',
  'extract_filetype_id',
  'extract_compression_type_id',
  'extract_delivery_date_time',
  'extract_delivery_process_tracking_id',
] as const

type ReturnedRow = Record<(typeof RETURNED)[number], unknown>

/**
 * One batch in one upsert. A new file is inserted as `ready`; an existing one is linked with its
 * status unchanged, unless it is a new delivery (a recorded size, time or ETag differs), which goes
 * back to `ready` and loses any claim. The size, time and ETag are recorded either way. The row's
 * `extract_delivery_*` columns say which delivery a registration recorded: this batch's time and
 * run, for the rows this statement inserted or redelivered — how the batch tells them apart.
 */
async function registerBatch(tx: Tx, processTrackingId: number, location: LocationRecord, files: ListedFile[], names: LookupNames): Promise<ExtractRecord[]> {
  if (files.length === 0) return []
  const at = batchTime()
  const readyId = await requireExtractStatus(tx, READY)
  const user = tx.ctx.auditUser
  const rows = []
  for (const file of files) {
    const derived = deriveType(file.name)
    const filetype = derived.filetypeCode === null ? undefined : await findFileTypeByCode(tx, derived.filetypeCode)
    const compressionId = derived.compressionType === null ? undefined : await findId(tx, LOOKUP.compressionType, derived.compressionType)
    rows.push({
      extract_filename: file.name,
      extract_filename_hash: sha256Hex(file.name),
      extract_location_id: location.locationId,
      extract_status_id: readyId,
      extract_registration_date_time: at,
      extract_filetype_id: filetype?.id ?? null,
      extract_compression_type_id: compressionId ?? null,
      extract_file_size_bytes: file.size,
      extract_file_modified_date_time: file.modified,
      extract_file_etag: file.etag,
      extract_delivery_date_time: at,
      extract_delivery_process_tracking_id: processTrackingId,
      created_by: user,
      updated_by: user,
    })
  }
  const returned = await upsert(tx, rows, location.locationId)
  // A lookup row added since the names were read (a custom status, say): read them again.
  if (returned.some((row) => !knows(names, row))) Object.assign(names, await readLookupNames(tx))
  const byName = new Map(returned.map((row) => [String(row.extract_filename), row]))

  const links: { extractId: number; statusId: number }[] = []
  const history: { extractId: number; note: string | null }[] = []
  const records = files.map((file) => {
    const row = byName.get(file.name)
    if (!row) throw new Error(`extract ${file.name} at location ${location.locationId} vanished during registration`)
    const extractId = Number(row.extract_id)
    links.push({ extractId, statusId: Number(row.extract_status_id) })
    const ours = Number(row.extract_delivery_process_tracking_id) === processTrackingId && sameTime(row.extract_delivery_date_time, at)
    if (ours) history.push({ extractId, note: sameTime(row.extract_registration_date_time, at) ? null : NEW_DELIVERY_NOTE })
    return toExtractRecord(toExtractRow(row, location, names))
  })
  await linkToRun(tx, processTrackingId, links, at)
  if (history.length > 0) {
    await tx.db
      .insertInto('extract_status_history')
      .values(
        history.map((entry) => ({
          extract_id: entry.extractId,
          process_tracking_id: processTrackingId,
          extract_status_id: readyId,
          event_date_time: at,
          event_note: entry.note,
          created_by: user,
          updated_by: user,
        })),
      )
      .execute()
  }
  return records
}

type UpsertRow = Parameters<ReturnType<Tx['db']['insertInto']>['values']>[0] & Record<string, unknown>

/**
 * The statement itself. PostgreSQL and SQLite: `ON CONFLICT (location, hash) DO UPDATE … RETURNING`.
 * MySQL has no RETURNING: `ON DUPLICATE KEY UPDATE`, then one read of the batch by its unique key.
 * In MySQL's SET list assignments see earlier ones, so the columns the "changed" test reads are
 * assigned last.
 */
async function upsert(tx: Tx, rows: UpsertRow[], locationId: number): Promise<ReturnedRow[]> {
  const dialect = tx.ctx.adapter.dialect
  const insert = tx.db.insertInto('extract_tracking').values(rows as never)
  if (dialect === 'mysql') {
    const proposed = (column: string) => sql`values(${sql.ref(column)})`
    const changed = deliveryChanged(dialect, proposed)
    await insert
      .onDuplicateKeyUpdate({
        extract_status_id: sql`case when ${changed} then ${proposed('extract_status_id')} else extract_status_id end`,
        extract_claim_process_tracking_id: sql`case when ${changed} then null else extract_claim_process_tracking_id end`,
        extract_delivery_date_time: sql`case when ${changed} then ${proposed('extract_delivery_date_time')} else extract_delivery_date_time end`,
        extract_delivery_process_tracking_id: sql`case when ${changed} then ${proposed('extract_delivery_process_tracking_id')} else extract_delivery_process_tracking_id end`,
        update_date_time: sql`case when ${changed} then ${proposed('extract_delivery_date_time')} else update_date_time end`,
        extract_file_size_bytes: proposed('extract_file_size_bytes'),
        extract_file_modified_date_time: proposed('extract_file_modified_date_time'),
        extract_file_etag: proposed('extract_file_etag'),
      } as never)
      .execute()
    const hashes = rows.map((row) => String(row.extract_filename_hash))
    return (await tx.db
      .selectFrom('extract_tracking')
      .select([...RETURNED])
      .where('extract_location_id', '=', locationId)
      .where('extract_filename_hash', 'in', hashes)
      .execute())
  }
  const proposed = (column: string) => sql`excluded.${sql.ref(column)}`
  const changed = deliveryChanged(dialect, proposed)
  return (await insert
    .onConflict((conflict) =>
      conflict.columns(['extract_location_id', 'extract_filename_hash']).doUpdateSet({
        extract_status_id: sql`case when ${changed} then excluded.extract_status_id else extract_tracking.extract_status_id end`,
        extract_claim_process_tracking_id: sql`case when ${changed} then null else extract_tracking.extract_claim_process_tracking_id end`,
        extract_delivery_date_time: sql`case when ${changed} then excluded.extract_delivery_date_time else extract_tracking.extract_delivery_date_time end`,
        extract_delivery_process_tracking_id: sql`case when ${changed} then excluded.extract_delivery_process_tracking_id else extract_tracking.extract_delivery_process_tracking_id end`,
        update_date_time: sql`case when ${changed} then excluded.extract_delivery_date_time else extract_tracking.update_date_time end`,
        extract_file_size_bytes: sql`excluded.extract_file_size_bytes`,
        extract_file_modified_date_time: sql`excluded.extract_file_modified_date_time`,
        extract_file_etag: sql`excluded.extract_file_etag`,
      } as never),
    )
    .returning([...RETURNED])
    .execute())
}

/**
 * "This file is a new delivery": something was recorded before (files registered otherwise, or
 * before 0.2, have nothing to compare with and are not taken for new deliveries), and the size, the
 * modification time or the ETag now differs, NULLs compared as values.
 */
function deliveryChanged(dialect: Dialect, proposed: (column: string) => RawBuilder<unknown>): RawBuilder<unknown> {
  const columns = ['extract_file_size_bytes', 'extract_file_modified_date_time', 'extract_file_etag']
  const stored = (column: string) => (dialect === 'mysql' ? sql.ref(column) : sql.ref(`extract_tracking.${column}`))
  const differs = (column: string) =>
    dialect === 'postgresql'
      ? sql`${stored(column)} is distinct from ${proposed(column)}`
      : dialect === 'sqlite'
        ? sql`${stored(column)} is not ${proposed(column)}`
        : sql`not (${stored(column)} <=> ${proposed(column)})`
  const recorded = sql.join(columns.map((column) => sql`${stored(column)} is not null`), sql` or `)
  return sql`((${recorded}) and (${sql.join(columns.map(differs), sql` or `)}))`
}

function toExtractRow(row: ReturnedRow, location: LocationRecord, names: LookupNames): ExtractRow {
  const name = (map: Map<number, string>, id: unknown) => (id === null || id === undefined ? null : (map.get(Number(id)) ?? null))
  return {
    ...(row as unknown as ExtractRow),
    extract_status_name: name(names.status, row.extract_status_id) ?? '',
    extract_filetype_code: name(names.filetype, row.extract_filetype_id),
    extract_compression_type: name(names.compression, row.extract_compression_type_id),
    filesize_type_code: name(names.sizeUnit, row.extract_filesize_type_id),
    location_id: location.locationId,
    location_name: location.locationName,
    location_path: location.locationPath,
    location_bucket_name: location.bucketName,
    location_file_count: location.fileCount,
    location_type_name: location.locationType,
  }
}

function knows(names: LookupNames, row: ReturnedRow): boolean {
  const has = (map: Map<number, string>, id: unknown) => id === null || map.has(Number(id))
  return (
    has(names.status, row.extract_status_id) &&
    has(names.filetype, row.extract_filetype_id) &&
    has(names.compression, row.extract_compression_type_id) &&
    has(names.sizeUnit, row.extract_filesize_type_id)
  )
}

function sameTime(value: unknown, at: Date): boolean {
  return toDate(value as Date | string | null)?.getTime() === at.getTime()
}

let lastBatchTime = 0

/**
 * This batch's time, strictly later than the previous batch's in this process: the delivery columns
 * compare it to tell the rows a batch wrote, so two batches must never share a millisecond.
 */
function batchTime(): Date {
  lastBatchTime = Math.max(Date.now(), lastBatchTime + 1)
  return new Date(lastBatchTime)
}
