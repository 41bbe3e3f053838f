import type { SelectQueryBuilder } from 'kysely'
import type { Database, ExtractTrackingTable, LocationTable } from '../store/database.ts'
import type { Db } from '../store/dialect/adapter.ts'
import { prepare, type Slots } from '../store/prepared.ts'
import { toDate, toDateOrThrow, toNumberOrNull } from '../store/values.ts'
import type { FileSize, FileSizeUnit } from './file-size.ts'
import type { LocationRecord } from './location-store.ts'

/** Everything an ExtractTracker shows, as last read or written. */
export interface ExtractRecord {
  extractId: number
  filename: string
  location: LocationRecord
  status: string
  filetype: string | null
  compressionType: string | null
  fileSize: FileSize | null
  registrationDateTime: Date
  writeLowDateTime: Date | null
  writeHighDateTime: Date | null
  writeRecordCount: number | null
  loadLowDateTime: Date | null
  loadHighDateTime: Date | null
  loadRecordCount: number | null
}

/** An extract row joined with its location, status and type names, as the drivers return it. */
export interface ExtractRow {
  extract_id: number
  extract_filename: string
  extract_registration_date_time: Date | string
  extract_write_low_date_time: Date | string | null
  extract_write_high_date_time: Date | string | null
  extract_write_record_count: number | null
  extract_load_low_date_time: Date | string | null
  extract_load_high_date_time: Date | string | null
  extract_load_record_count: number | null
  extract_filesize: number | string | null
  extract_status_id: number
  extract_status_name: string
  extract_filetype_code: string | null
  extract_compression_type: string | null
  filesize_type_code: string | null
  location_id: number
  location_name: string
  location_path: string
  location_bucket_name: string | null
  location_file_count: number | null
  location_type_name: string
}

/** The extract query, filterable on the extract (`e.…`) and its location (`l.…`). */
export type ExtractQuery = SelectQueryBuilder<Database & { e: ExtractTrackingTable; l: LocationTable }, 'e' | 'l', ExtractRow>

/**
 * One query for whole extracts: the row joined with its location, status and type names, so that
 * finders and claims build every ExtractTracker from one result (no query per extract).
 */
export function selectExtracts(db: Db): ExtractQuery {
  return db
    .selectFrom('extract_tracking as e')
    .innerJoin('location_lkup as l', 'l.location_id', 'e.extract_location_id')
    .innerJoin('location_type_lkup as lt', 'lt.location_type_id', 'l.location_type_id')
    .innerJoin('extract_status_lkup as s', 's.extract_status_id', 'e.extract_status_id')
    .leftJoin('extract_filetype_lkup as ft', 'ft.extract_filetype_id', 'e.extract_filetype_id')
    .leftJoin('extract_compression_type_lkup as ct', 'ct.extract_compression_type_id', 'e.extract_compression_type_id')
    .leftJoin('filesize_type_lkup as fs', 'fs.filesize_type_id', 'e.extract_filesize_type_id')
    .select([
      'e.extract_id',
      'e.extract_filename',
      'e.extract_registration_date_time',
      'e.extract_write_low_date_time',
      'e.extract_write_high_date_time',
      'e.extract_write_record_count',
      'e.extract_load_low_date_time',
      'e.extract_load_high_date_time',
      'e.extract_load_record_count',
      'e.extract_filesize',
      'e.extract_status_id',
      's.extract_status_name',
      'ft.extract_filetype_code',
      'ct.extract_compression_type',
      'fs.filesize_type_code',
      'l.location_id',
      'l.location_name',
      'l.location_path',
      'l.location_bucket_name',
      'l.location_file_count',
      'lt.location_type_name',
    ])
}

/**
 * One extract by id, built once per store (`store/prepared.ts`): the HTTP API reads the extract
 * named in each status change, and building this join cost several times running it.
 */
export const SELECT_EXTRACT_BY_ID = prepare((db, p: Slots<{ extractId: number }>) =>
  selectExtracts(db).where('e.extract_id', '=', p.extractId),
)

export function toExtractRecord(row: ExtractRow): ExtractRecord {
  const amount = toNumberOrNull(row.extract_filesize)
  return {
    extractId: Number(row.extract_id),
    filename: row.extract_filename,
    location: {
      locationId: Number(row.location_id),
      locationName: row.location_name,
      locationPath: row.location_path,
      locationType: row.location_type_name === 's3' ? 's3' : 'local filesystem',
      bucketName: row.location_bucket_name,
      fileCount: toNumberOrNull(row.location_file_count),
    },
    status: row.extract_status_name,
    filetype: row.extract_filetype_code,
    compressionType: row.extract_compression_type,
    fileSize: amount === null || row.filesize_type_code === null ? null : { amount, unit: row.filesize_type_code.trim() as FileSizeUnit },
    registrationDateTime: toDateOrThrow(row.extract_registration_date_time),
    writeLowDateTime: toDate(row.extract_write_low_date_time),
    writeHighDateTime: toDate(row.extract_write_high_date_time),
    writeRecordCount: toNumberOrNull(row.extract_write_record_count),
    loadLowDateTime: toDate(row.extract_load_low_date_time),
    loadHighDateTime: toDate(row.extract_load_high_date_time),
    loadRecordCount: toNumberOrNull(row.extract_load_record_count),
  }
}

/** The full filename: the location path and the filename joined by one `/`. */
export function joinFullFilename(locationPath: string, filename: string): string {
  return locationPath.endsWith('/') ? `${locationPath}${filename}` : `${locationPath}/${filename}`
}
