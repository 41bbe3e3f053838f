import { statSync, type Stats } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { sql, type RawBuilder } from 'kysely'
import { NotFoundError, ValidationError } from '../errors.ts'
import type { Dialect } from '../config/connection-spec.ts'
import { transaction, type Tx } from '../store/transaction.ts'
import { toDate, toDateOrThrow, toNumberOrNull } from '../store/values.ts'
import { LOOKUP, findId } from '../tracker/lookup-ids.ts'
import { lockRun } from '../tracker/run-transitions.ts'
import { checkOptionalName, checkPlainObject } from '../tracker/validation.ts'
import type { ExtractRecord } from './extract-record.ts'
import type { FileSizeUnit } from './file-size.ts'
import { recordRunning } from '../lineage/record.ts'
import { READY, chunks, linkToRun, requireExtractStatus } from './extract-status.ts'
import { checkFilename } from './filename.ts'
import { deriveType, findFileTypeByCode, type DerivedType } from './file-type.ts'
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

/**
 * Files per transaction: big enough to amortise commits and statements, small enough to keep locks
 * short. PostgreSQL sends a batch as arrays (a fixed handful of parameters), so its batches can be
 * larger; elsewhere a row costs 14 bound values, and 1,000 rows stay well under SQLite's 32,766.
 * Beyond these sizes `npm run bench` measured no gain at 30,000 files.
 */
export function registrationBatchSize(dialect: Dialect): number {
  return dialect === 'postgresql' ? 2000 : 1000
}

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
 * becomes the number of files registered. Work is committed in batches
 * ({@link registrationBatchSize}: 2,000 files on PostgreSQL, 1,000 elsewhere), each atomic and
 * reported through `onProgress`; a failure leaves the earlier batches committed.
 *
 * Each batch is one upsert (`INSERT … ON CONFLICT … DO UPDATE … RETURNING`; MySQL: `ON DUPLICATE KEY
 * UPDATE` and one read by the unique key), with no read before it, so registration costs the same
 * per file at 100,000 files as at 100. On PostgreSQL the upsert, the run links and the history rows
 * are one statement fed by arrays (see `upsertPostgres`).
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

  const listed =
    canonical.type === 's3' ? await listS3(canonical.bucket ?? '', canonical.prefix ?? '') : await listLocalFiles(canonical.path)
  const files = listed.filter((file) => keep(file.name))
  for (const file of files) checkFilename(file.name)
  const total = files.length
  const records: ExtractRecord[] = []
  let location: LocationRecord | undefined
  let names: LookupNames | undefined
  const types: TypeIds = new Map()
  const batches = total === 0 ? [[]] : chunks(files, registrationBatchSize(ctx.adapter.dialect))
  let described = describeFiles(batches[0] ?? [], types)
  for (const index of batches.keys()) {
    const last = index === batches.length - 1
    const known = location
    const rows = described
    const following = batches[index + 1]
    // The next batch's hashing and parsing, done while the server works on this batch's upsert.
    const describeNext = () => {
      if (following) described = describeFiles(following, types)
    }
    const result = await transaction(ctx, async (tx) => {
      await lockRun(tx, processTrackingId)
      // The records carry the count this call ends with (the last batch records it).
      const where = known ?? { ...(await resolveLocation(tx, canonical, locationName)), fileCount: total }
      names ??= await readLookupNames(tx)
      const registered = await registerBatch(tx, { processTrackingId, location: where, names, types }, rows, describeNext)
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
    for (const record of result.registered) records.push(record)
    report?.({ done: records.length, total })
  }
  if (location) rememberFileCount(ctx, location.locationId, total)
  return records
}

function checkGlobs(value: unknown, field: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((glob) => typeof glob !== 'string' || glob === '')) {
    throw new ValidationError(`${field} must be a list of globs (non-empty strings such as "*.csv").`, { field })
  }
  return value as string[]
}

async function listS3(bucket: string, prefix: string): Promise<ListedFile[]> {
  return (await listS3Files(bucket, prefix)).map((file) => ({
    name: file.name,
    size: file.size,
    modified: file.lastModified,
    etag: file.etag,
  }))
}

/** The regular files directly in a folder (symlinks to regular files count), sorted by name. */
async function listLocalFiles(folder: string): Promise<ListedFile[]> {
  let entries
  try {
    entries = await readdir(folder, { withFileTypes: true })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'ENOENT')
      throw new NotFoundError(`The folder ${folder} does not exist. Check the location path.`, { topic: 'folder', name: folder })
    if (code === 'ENOTDIR')
      throw new ValidationError(`${folder} is a file, not a folder: give the folder that holds the extracts.`, { field: 'locationPath' })
    throw new ValidationError(`Cannot list the folder ${folder}: ${error instanceof Error ? error.message : String(error)}.`, {
      field: 'locationPath',
    })
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
    status: await pairs(
      tx.db.selectFrom('extract_status_lkup').select(['extract_status_id', 'extract_status_name']).execute(),
      'extract_status_id',
      'extract_status_name',
    ),
    filetype: await pairs(
      tx.db.selectFrom('extract_filetype_lkup').select(['extract_filetype_id', 'extract_filetype_code']).execute(),
      'extract_filetype_id',
      'extract_filetype_code',
    ),
    compression: await pairs(
      tx.db.selectFrom('extract_compression_type_lkup').select(['extract_compression_type_id', 'extract_compression_type']).execute(),
      'extract_compression_type_id',
      'extract_compression_type',
    ),
    sizeUnit: await pairs(
      tx.db.selectFrom('filesize_type_lkup').select(['filesize_type_id', 'filesize_type_code']).execute(),
      'filesize_type_id',
      'filesize_type_code',
    ),
  }
}

/** The columns an ExtractRecord is built from. */
const RECORD_COLUMNS = [
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
] as const

/** The columns an upsert hands back: the record's, and the delivery that tells what happened. */
const RETURNED = [...RECORD_COLUMNS, 'extract_delivery_date_time', 'extract_delivery_process_tracking_id'] as const

type ReturnedRow = Record<(typeof RETURNED)[number], unknown>
type RecordRow = Record<(typeof RECORD_COLUMNS)[number], unknown>

/** What a file's name says about its type, looked up once per extension in a call. */
type TypeIds = Map<string, { filetypeId: number | null; compressionId: number | null }>

/** A listed file with its key and type: one row of a batch. */
interface BatchFile extends ListedFile {
  hash: string
  /** What the name says (file type code and compression), the key of {@link TypeIds}. */
  typeKey: string
  derived: DerivedType
  /** Undefined until the type's ids are known (looked up in the batch's transaction). */
  filetypeId: number | null | undefined
  compressionId: number | null | undefined
}

/** A batch's rows with their hashes and the type ids known so far: plain CPU work, no statement. */
function describeFiles(files: readonly ListedFile[], types: TypeIds): BatchFile[] {
  const rows: BatchFile[] = []
  for (const file of files) {
    const derived = deriveType(file.name)
    // Keyed by what the name says, so 100,000 `.csv` files cost two lookups, not 200,000 awaits.
    const typeKey = `${derived.filetypeCode ?? ''}\u0000${derived.compressionType ?? ''}`
    const ids = types.get(typeKey)
    rows.push({
      name: file.name,
      size: file.size,
      modified: file.modified,
      etag: file.etag,
      hash: sha256Hex(file.name),
      typeKey,
      derived,
      filetypeId: ids?.filetypeId,
      compressionId: ids?.compressionId,
    })
  }
  return rows
}

/** Looks up the type ids of the rows that lack them (a type first seen in this batch). */
async function completeTypes(tx: Tx, rows: BatchFile[], types: TypeIds): Promise<void> {
  for (const row of rows) {
    if (row.filetypeId !== undefined && row.compressionId !== undefined) continue
    let ids = types.get(row.typeKey)
    if (ids === undefined) {
      const { filetypeCode, compressionType } = row.derived
      const filetype = filetypeCode === null ? undefined : await findFileTypeByCode(tx, filetypeCode)
      const compressionId = compressionType === null ? undefined : await findId(tx, LOOKUP.compressionType, compressionType)
      ids = { filetypeId: filetype?.id ?? null, compressionId: compressionId ?? null }
      types.set(row.typeKey, ids)
    }
    row.filetypeId = ids.filetypeId
    row.compressionId = ids.compressionId
  }
}

/** What one batch needs besides its files. */
interface BatchContext {
  processTrackingId: number
  location: LocationRecord
  names: LookupNames
  types: TypeIds
}

/**
 * One batch: one upsert, then the run links and the history rows. A new file is inserted as
 * `ready`; an existing one is linked with its status unchanged, unless it is a new delivery (a
 * recorded size, time or ETag differs), which goes back to `ready` and loses any claim. The size,
 * time and ETag are recorded either way. The row's `extract_delivery_*` columns say which delivery a
 * registration recorded: this batch's time and run, for the rows this statement inserted or
 * redelivered — how the batch tells them apart. On PostgreSQL the three writes are one statement.
 */
async function registerBatch(tx: Tx, batch: BatchContext, rows: BatchFile[], whileWaiting: () => void): Promise<ExtractRecord[]> {
  if (rows.length === 0) return []
  const { processTrackingId, location, names } = batch
  const at = batchTime()
  const readyId = await requireExtractStatus(tx, READY)
  await completeTypes(tx, rows, batch.types)
  const values = { processTrackingId, locationId: location.locationId, readyId, at }
  const pending = tx.ctx.adapter.dialect === 'postgresql' ? upsertPostgres(tx, rows, values) : upsertAndLink(tx, rows, values)
  // The statement is on its way once the microtasks have run: use the wait. A failure is still
  // thrown by the await below (the no-op handler only keeps it from counting as unhandled meanwhile).
  pending.catch(() => undefined)
  await new Promise((resolve) => setImmediate(resolve))
  whileWaiting()
  const returned = await pending
  // A lookup row added since the names were read (a custom status, say): read them again.
  if (returned.some((row) => !knows(names, row))) Object.assign(names, await readLookupNames(tx))
  const byName = new Map<string, RecordRow>()
  for (const row of returned) byName.set(String(row.extract_filename), row)
  return rows.map((file) => {
    const row = byName.get(file.name)
    if (!row) throw new Error(`extract ${file.name} at location ${location.locationId} vanished during registration`)
    return toRecord(row, location, names)
  })
}

/** The batch-wide values of an upsert. */
interface UpsertValues {
  processTrackingId: number
  locationId: number
  readyId: number
  at: Date
}

/**
 * PostgreSQL: upsert, run links and history in one statement with a fixed handful of parameters —
 * the batch travels as arrays and `unnest` turns them into rows. So the statement text is the same
 * for every batch (named once per connection, its plan reused), parsing does not grow with the
 * batch, and a batch is one round trip. The links and history read the upsert's RETURNING rows
 * (data-modifying CTEs see them, not each other's writes).
 */
async function upsertPostgres(tx: Tx, rows: BatchFile[], values: UpsertValues): Promise<RecordRow[]> {
  const { processTrackingId, locationId, readyId, at } = values
  const user = tx.ctx.auditUser
  const proposed = (column: string) => sql`excluded.${sql.ref(column)}`
  const changed = deliveryChanged('postgresql', proposed)
  const columns = (list: readonly string[]) => sql.join(list.map((column) => sql.ref(column)))
  const result = await sql<RecordRow>`
    with input as (
      select * from unnest(
        cast(${rows.map((row) => row.name)} as text[]),
        cast(${rows.map((row) => row.hash)} as text[]),
        cast(${rows.map((row) => row.filetypeId)} as integer[]),
        cast(${rows.map((row) => row.compressionId)} as integer[]),
        cast(${rows.map((row) => row.size)} as bigint[]),
        cast(${rows.map((row) => row.modified?.toISOString() ?? null)} as timestamptz[]),
        cast(${rows.map((row) => row.etag)} as text[])
      ) as f(filename, filename_hash, filetype_id, compression_type_id, size_bytes, modified, etag)
    ),
    batch as (select cast(${at.toISOString()} as timestamptz) as at, cast(${processTrackingId} as integer) as run,
      cast(${readyId} as integer) as ready, cast(${user} as text) as by),
    upserted as (
      insert into extract_tracking (extract_filename, extract_filename_hash, extract_location_id, extract_status_id,
        extract_registration_date_time, extract_filetype_id, extract_compression_type_id, extract_file_size_bytes,
        extract_file_modified_date_time, extract_file_etag, extract_delivery_date_time,
        extract_delivery_process_tracking_id, created_by, updated_by)
      select f.filename, f.filename_hash, cast(${locationId} as integer), b.ready, b.at, f.filetype_id,
        f.compression_type_id, f.size_bytes, f.modified, f.etag, b.at, b.run, b.by, b.by
      from input f cross join batch b
      on conflict (extract_location_id, extract_filename_hash) do update set
        extract_status_id = case when ${changed} then excluded.extract_status_id else extract_tracking.extract_status_id end,
        extract_claim_process_tracking_id = case when ${changed} then null else extract_tracking.extract_claim_process_tracking_id end,
        extract_delivery_date_time = case when ${changed} then excluded.extract_delivery_date_time else extract_tracking.extract_delivery_date_time end,
        extract_delivery_process_tracking_id = case when ${changed} then excluded.extract_delivery_process_tracking_id else extract_tracking.extract_delivery_process_tracking_id end,
        update_date_time = case when ${changed} then excluded.extract_delivery_date_time else extract_tracking.update_date_time end,
        extract_file_size_bytes = excluded.extract_file_size_bytes,
        extract_file_modified_date_time = excluded.extract_file_modified_date_time,
        extract_file_etag = excluded.extract_file_etag
      returning ${columns(RETURNED)}
    ),
    linked as (
      insert into extract_process_tracking (extract_tracking_id, process_tracking_id, extract_process_status_id,
        extract_process_event_date_time, created_by, updated_by)
      select u.extract_id, b.run, u.extract_status_id, b.at, b.by, b.by from upserted u cross join batch b
      on conflict do nothing
    ),
    noted as (
      insert into extract_status_history (extract_id, process_tracking_id, extract_status_id, event_date_time,
        event_note, created_by, updated_by)
      select u.extract_id, b.run, b.ready, b.at,
        case when u.extract_registration_date_time = b.at then null else cast(${NEW_DELIVERY_NOTE} as text) end, b.by, b.by
      from upserted u cross join batch b
      where u.extract_delivery_process_tracking_id = b.run and u.extract_delivery_date_time = b.at
      order by u.extract_id
    )
    select ${columns(RECORD_COLUMNS)} from upserted`.execute(tx.db)
  await recordRunning(tx, processTrackingId) // lineage: the run's files changed (as linkToRun does)
  return result.rows
}

/**
 * SQLite and MySQL: the upsert, then the run links (one insert ignoring duplicates) and the history
 * rows of the files this batch inserted or redelivered.
 */
async function upsertAndLink(tx: Tx, rows: BatchFile[], values: UpsertValues): Promise<ReturnedRow[]> {
  const { processTrackingId, locationId, readyId, at } = values
  const user = tx.ctx.auditUser
  const returned = await upsert(
    tx,
    rows.map((file) => ({
      extract_filename: file.name,
      extract_filename_hash: file.hash,
      extract_location_id: locationId,
      extract_status_id: readyId,
      extract_registration_date_time: at,
      extract_filetype_id: file.filetypeId,
      extract_compression_type_id: file.compressionId,
      extract_file_size_bytes: file.size,
      extract_file_modified_date_time: file.modified,
      extract_file_etag: file.etag,
      extract_delivery_date_time: at,
      extract_delivery_process_tracking_id: processTrackingId,
      created_by: user,
      updated_by: user,
    })),
    locationId,
  )
  const links: { extractId: number; statusId: number }[] = []
  const history: { extractId: number; note: string | null }[] = []
  for (const row of returned) {
    const extractId = Number(row.extract_id)
    links.push({ extractId, statusId: Number(row.extract_status_id) })
    const ours = Number(row.extract_delivery_process_tracking_id) === processTrackingId && sameTime(row.extract_delivery_date_time, at)
    if (ours) history.push({ extractId, note: sameTime(row.extract_registration_date_time, at) ? null : NEW_DELIVERY_NOTE })
  }
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
  return returned
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
    return await tx.db
      .selectFrom('extract_tracking')
      .select([...RETURNED])
      .where('extract_location_id', '=', locationId)
      .where('extract_filename_hash', 'in', hashes)
      .execute()
  }
  const proposed = (column: string) => sql`excluded.${sql.ref(column)}`
  const changed = deliveryChanged(dialect, proposed)
  return await insert
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
    .execute()
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
  const recorded = sql.join(
    columns.map((column) => sql`${stored(column)} is not null`),
    sql` or `,
  )
  return sql`((${recorded}) and (${sql.join(columns.map(differs), sql` or `)}))`
}

/** The ExtractRecord of a returned row, built directly (no intermediate row object: 100,000 of them add up). */
function toRecord(row: RecordRow, location: LocationRecord, names: LookupNames): ExtractRecord {
  const name = (map: Map<number, string>, id: unknown) => (id === null || id === undefined ? null : (map.get(Number(id)) ?? null))
  const amount = toNumberOrNull(row.extract_filesize as number | string | null)
  const unit = name(names.sizeUnit, row.extract_filesize_type_id)
  return {
    extractId: Number(row.extract_id),
    filename: String(row.extract_filename),
    location,
    status: name(names.status, row.extract_status_id) ?? '',
    filetype: name(names.filetype, row.extract_filetype_id),
    compressionType: name(names.compression, row.extract_compression_type_id),
    fileSize: amount === null || unit === null ? null : { amount, unit: unit.trim() as FileSizeUnit },
    registrationDateTime: toDateOrThrow(row.extract_registration_date_time as Date | string),
    writeLowDateTime: toDate(row.extract_write_low_date_time as Date | string | null),
    writeHighDateTime: toDate(row.extract_write_high_date_time as Date | string | null),
    writeRecordCount: toNumberOrNull(row.extract_write_record_count as number | string | null),
    loadLowDateTime: toDate(row.extract_load_low_date_time as Date | string | null),
    loadHighDateTime: toDate(row.extract_load_high_date_time as Date | string | null),
    loadRecordCount: toNumberOrNull(row.extract_load_record_count as number | string | null),
  }
}

function knows(names: LookupNames, row: RecordRow): boolean {
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
